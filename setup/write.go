package setup

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/outboxmail/outbox/config"
)

// File is the configuration `config init` writes: one account, the
// default for everything.
type File struct {
	Account  string // account name; "" → "default"
	Settings *Settings
	CAFile   string // tls_ca_file, optional
	Pin      string // tls_fingerprint, optional
	// PasswordNote is a comment on where the password lives (keyring,
	// or the alternatives to set up), one sentence per element.
	PasswordNote []string
	// PasswordFile, when set, is written as password_file: the file
	// holding the password on a host without a keyring.
	PasswordFile string
}

// AccountName is the account's name with the default applied.
func (f *File) AccountName() string {
	if f.Account == "" {
		return "default"
	}
	return f.Account
}

// Validate checks what the user typed before anything is written, with
// messages that name the flag or question.
func (f *File) Validate() error {
	s := f.Settings
	name := f.AccountName()
	switch {
	case s == nil:
		return errors.New("setup: no settings")
	case !config.ValidAccountName(name):
		return fmt.Errorf("setup: account name %q: use letters, digits and - _ . @ only, not starting with . or -", name)
	case !validHost(s.Host) && net.ParseIP(s.Host) == nil:
		return fmt.Errorf("setup: host %q is not a host name like smtp.example.com or an IP address", s.Host)
	case s.Port < 1 || s.Port > 65535:
		return fmt.Errorf("setup: port %d is out of range 1-65535", s.Port)
	case s.TLS != "starttls" && s.TLS != "tls" && s.TLS != "none":
		return fmt.Errorf("setup: tls %q is not starttls, tls or none", s.TLS)
	case !clean(s.Username):
		return fmt.Errorf("setup: the username contains control characters or invalid UTF-8")
	case !clean(f.CAFile) || !clean(f.Pin) || !clean(f.PasswordFile):
		return fmt.Errorf("setup: tls_ca_file, tls_fingerprint or password_file contains control characters")
	}
	if _, _, err := ParseEmail(s.Email); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if s.OAuth != nil {
		if s.Username == "" {
			return errors.New("setup: OAuth2 needs a username (the mailbox address): give --username")
		}
		return s.OAuth.validate()
	}
	return nil
}

func clean(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// Render returns the TOML text. Comments explain each choice so that the
// file is its own documentation; config.Load reads it back unchanged.
func (f *File) Render() ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	s := f.Settings
	// The address as net/mail reads it: what was typed may carry spaces
	// or comments that a from = line would not load back with.
	email, _, err := ParseEmail(s.Email)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# outbox configuration, written by `outbox config init`.")
	line("# Test it with `outbox check`; see `man outbox` (CONFIGURATION) for every key.")
	line("")
	line("default_account = %s", quote(f.AccountName()))
	line("")
	line("# Mail for local users (cron's \"root\", daemons) goes to this address.")
	line("[aliases]")
	line("default = %s", quote(email))
	line("")
	line("[accounts.%s]", quoteKey(f.AccountName()))
	if s.Source != "" {
		line("# Settings from %s.", oneLine(s.Source))
	}
	switch {
	case s.OAuth != nil:
		// The preset's notes are about app passwords; this account has none.
		line("# Sign-in with OAuth2: the app registration is explained in the %s.", OAuthReadme(s.OAuth.Provider))
	case s.Preset != nil:
		for _, n := range s.Preset.Notes {
			line("# %s", n)
		}
	}
	line("host = %s", quote(s.Host))
	line("port = %d", s.Port)
	line("tls = %s   # %s", quote(s.TLS), tlsComment(s.TLS))
	if f.CAFile != "" {
		line("tls_ca_file = %s", quote(f.CAFile))
	}
	if f.Pin != "" {
		line("tls_fingerprint = %s", quote(f.Pin))
	}
	if s.Username != "" {
		line("username = %s", quote(s.Username))
		if f.PasswordFile != "" {
			line("password_file = %s   # first line; refused unless mode 0600 and yours", quote(f.PasswordFile))
		}
		if s.OAuth != nil {
			s.OAuth.render(line)
		}
	} else {
		line("auth = \"none\"   # no username: the server relays without AUTH")
	}
	line("from = %s", quote(email))
	for _, n := range f.PasswordNote {
		line("# %s", oneLine(n))
	}
	return []byte(b.String()), nil
}

func tlsComment(mode string) string {
	switch mode {
	case "tls":
		return "implicit TLS from the first byte (RFC 8314)"
	case "starttls":
		return "plaintext connect, then STARTTLS (RFC 3207); refused if the server does not offer it"
	}
	return "no encryption: outbox will not send a password"
}

// quote writes a TOML basic string (TOML 1.0 §String): backslash and
// quote escaped, control characters as \uXXXX.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteKey leaves a bare key bare (TOML 1.0 §Keys: A-Za-z0-9_-) and
// quotes anything else (account names may hold "." and "@").
func quoteKey(k string) string {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return quote(k)
		}
	}
	return k
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// ErrExists is returned (wrapped; errors.Is finds fs.ErrExist too) when
// the file exists and force is false.
var ErrExists = fs.ErrExist

// WriteConfig writes data to path with mode 0600, creating missing
// directories with mode 0700. The file appears complete or not at all
// (temporary file, fsync, then link or rename). Without force an
// existing file is never replaced — checked atomically by link(2), so
// two concurrent runs cannot both win.
func WriteConfig(path string, data []byte, force bool) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("setup: creating %s: %w", dir, err)
	}
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("setup: %s already exists; use --force to replace it: %w", path, ErrExists)
		}
	}
	tmp, err := os.CreateTemp(dir, ".config.toml.*")
	if err != nil {
		return fmt.Errorf("setup: writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600; say so explicitly, the file may
	// hold a password later (config refuses that unless it is 0600).
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("setup: writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("setup: writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("setup: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("setup: writing %s: %w", path, err)
	}
	if force {
		err = os.Rename(tmp.Name(), path)
	} else {
		err = os.Link(tmp.Name(), path)
		if err == nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("setup: %s already exists; use --force to replace it: %w", path, ErrExists)
		}
		return fmt.Errorf("setup: writing %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the new name is durable too; best effort
		d.Close()
	}
	return nil
}

// PasswordAlternatives explains, for a host without a usable keyring,
// the other password sources (SPEC §2) for the account in path.
func PasswordAlternatives(account, path string) []string {
	return []string{
		"Put one of these in place of the keyring:",
		"  - a password manager command, in " + path + " under [accounts." + quoteKey(account) + "]:",
		"      password_command = [\"pass\", \"show\", \"smtp/" + account + "\"]",
		"  - a file only you can read (mode 0600), named in the account as password_file; `outbox config init --force --password-stdin --password-store file` writes both:",
		"      password_file = " + quote(config.PasswordFilePath(path, account)),
		"  - a systemd credential, for services and timers (the unit then says LoadCredentialEncrypted=outbox-" + account + "):",
		"      systemd-creds encrypt --name=outbox-" + account + " - " + config.CredentialPath(account) + "   (outbox config init does this as root: --password-store systemd-creds)",
		"  - the OUTBOX_PASSWORD environment variable, for CI jobs.",
		"Then run `outbox check`.",
	}
}

// Port and TLS helpers shared by the wizard and the flags.

// DefaultPort is the submission port for a TLS mode (RFC 8314 §3.3 465
// implicit TLS, RFC 6409 587 STARTTLS, 25 plaintext relay).
func DefaultPort(mode string) int {
	switch mode {
	case "tls":
		return 465
	case "none":
		return 25
	}
	return 587
}

// ModeForPort guesses the TLS mode from a port: 465 is implicit TLS,
// everything else STARTTLS (fail-closed: a server without STARTTLS is
// refused, never used in plaintext).
func ModeForPort(port int) string {
	if port == 465 {
		return "tls"
	}
	return "starttls"
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return n, nil
}
