package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
)

// maxFileSize bounds what Load reads: a config file is a few KiB, and a
// mistaken --config /dev/zero must not eat the memory.
const maxFileSize = 1 << 20

// Load reads and validates the configuration file at path. Every problem
// is a *Error naming the file, the line and the key, e.g.
//
//	config: /home/me/.config/outbox/config.toml:12: accounts.work.tls: "startls" is not one of starttls, tls, none
//
// A file holding a password key must have mode 0600 or stricter (msmtp's
// rule), and every file must be owned by the user running outbox or by
// root and be writable by nobody else (see checkTrust). Load does not look
// at the OUTBOX_* variables; LoadDefault does.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileError(path, err)
	}
	if fi.IsDir() {
		return nil, &Error{File: path, Msg: "is a directory, not a config file"}
	}
	if err := checkOwner(path, fi, os.Geteuid()); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fileError(path, err)
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes; is this the config file?", maxFileSize)}
	}
	c, err := parse(data, path)
	if err != nil {
		return nil, err
	}
	// The mode of the file we actually read (f.Stat, not a second
	// lookup by name), so a swapped file can't slip past the check.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		for _, name := range c.AccountNames() {
			if c.Accounts[name].password == "" {
				continue
			}
			key := toml.Key{"accounts", name, "password"}
			return nil, &Error{
				File: path,
				Line: keyLine(string(data), key),
				Key:  key.String(),
				Msg: fmt.Sprintf("refusing a password in a file other users can read (mode %04o): run chmod 600 %s, or use password_command or the keyring (outbox password set --account %s)",
					perm, path, name),
			}
		}
	}
	// After the password check, so that a readable password is reported
	// as such; both look at the same fstat.
	if err := checkWritable(path, fi); err != nil {
		return nil, err
	}
	return c, nil
}

// fileError describes an open/read failure of a config file.
func fileError(path string, err error) error {
	var msg string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = "no such file"
	case errors.Is(err, fs.ErrPermission):
		msg = "permission denied: the file exists but this user can't read it"
	default:
		msg = err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
	}
	return &Error{File: path, Msg: msg, Err: err}
}

// loader validates the decoded TOML tree and collects the problems.
type loader struct {
	src  string
	path string
	errs []*Error
	ix   *keyIndex
}

func (l *loader) fail(key toml.Key, format string, args ...any) {
	if l.ix == nil {
		l.ix = indexKeys(l.src)
	}
	l.errs = append(l.errs, &Error{File: l.path, Line: l.ix.line(key), Key: key.String(), Msg: fmt.Sprintf(format, args...)})
}

// parse decodes and validates data; path is only for messages and for
// resolving relative tls_ca_file paths.
func parse(data []byte, path string) (*Config, error) {
	// A NUL or other control byte would only come from a wrong file; the
	// TOML parser reports it with a line number, so just decode.
	var tree map[string]any
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&tree); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			// Position.Line is sometimes one past the line holding the
			// offending newline; the byte offset is exact, so count.
			line := pe.Position.Line
			if st := pe.Position.Start; st >= 0 && st <= len(data) {
				line = 1 + bytes.Count(data[:st], []byte("\n"))
			}
			return nil, &Error{File: path, Line: line, Msg: "TOML syntax: " + pe.Message, Err: err}
		}
		return nil, &Error{File: path, Msg: err.Error(), Err: err}
	}
	l := &loader{src: string(data), path: path}
	c := l.config(tree)
	if len(l.errs) > 0 {
		// Report the first problem in file order; the user fixes it and
		// runs again. Problems without a line go last.
		sort.SliceStable(l.errs, func(i, j int) bool {
			a, b := l.errs[i].Line, l.errs[j].Line
			if a == 0 || b == 0 {
				return b == 0 && a != 0
			}
			return a < b
		})
		return nil, l.errs[0]
	}
	return c, nil
}

var topKeys = []string{"default_account", "default_domain", "queue_dir", "log", "trusted_users", "queue_max_age", "aliases", "accounts"}

var accountKeys = []string{
	"host", "port", "tls", "tls_ca_file", "tls_fingerprint", "username", "auth", "password",
	"password_command", "password_file", "from", "helo", "timeout",
	"oauth_provider", "oauth_flow", "oauth_client_id", "oauth_tenant", "oauth_scopes",
	"oauth_auth_url", "oauth_device_url", "oauth_token_url",
}

func (l *loader) config(tree map[string]any) *Config {
	c := &Config{Path: l.path, QueueMaxAge: DefaultQueueMaxAge, Accounts: map[string]*Account{}, Aliases: map[string][]string{}}
	var defaultAccount toml.Key
	for _, k := range sortedKeys(tree) {
		v := tree[k]
		key := toml.Key{k}
		switch k {
		case "default_account":
			c.DefaultAccount, _ = l.str(key, v)
			defaultAccount = key
		case "default_domain":
			if s, ok := l.str(key, v); ok && s != "" {
				if !validDomain(s) {
					l.fail(key, "%q is not a domain name (like example.com)", s)
				}
				c.DefaultDomain = s
			}
		case "queue_dir":
			if s, ok := l.str(key, v); ok && s != "" {
				s = expandHome(s)
				if !filepath.IsAbs(s) {
					l.fail(key, "%q is not an absolute path", s)
				}
				c.QueueDir = s
			}
		case "log":
			if s, ok := l.str(key, v); ok && s != "" {
				if s != "syslog" && s != "none" {
					s = expandHome(s)
					if !filepath.IsAbs(s) {
						l.fail(key, "%q is not syslog, none or an absolute file path", s)
					}
				}
				c.Log = s
			}
		case "trusted_users":
			c.TrustedUsers, _ = l.strs(key, v)
		case "queue_max_age":
			if d, ok := l.duration(key, v, "5d or 72h"); ok {
				c.QueueMaxAge = d
			}
		case "aliases":
			l.aliases(c, key, v)
		case "accounts":
			t, ok := v.(map[string]any)
			if !ok {
				l.fail(key, "must be a table of accounts ([accounts.NAME]), not %s", tomlType(v))
				continue
			}
			for _, name := range sortedKeys(t) {
				if a := l.account(append(key, name), name, t[name]); a != nil {
					c.Accounts[name] = a
				}
			}
		default:
			l.unknown(key, topKeys)
		}
	}
	if c.DefaultAccount != "" {
		if _, ok := c.Accounts[c.DefaultAccount]; !ok {
			l.fail(defaultAccount, "%q is not an account here; configured: %s", c.DefaultAccount, c.accountList())
		}
	}
	return c
}

func (l *loader) aliases(c *Config, key toml.Key, v any) {
	t, ok := v.(map[string]any)
	if !ok {
		l.fail(key, "must be a table (local name = \"address\"), not %s", tomlType(v))
		return
	}
	for _, name := range sortedKeys(t) {
		k := append(key[:len(key):len(key)], name)
		var raw []string
		switch x := t[name].(type) {
		case string:
			raw = []string{x}
		default:
			var ok bool
			if raw, ok = l.strs(k, x); !ok {
				continue
			}
		}
		lname := strings.ToLower(name)
		if !validLocal(lname) {
			l.fail(k, "%q is not a local name (no @, spaces or commas)", name)
			continue
		}
		if _, dup := c.Aliases[lname]; dup {
			l.fail(k, "alias %q is defined twice (alias names ignore case)", name)
			continue
		}
		var targets []string
		for _, r := range raw {
			for _, t := range strings.Split(r, ",") {
				t = strings.TrimSpace(t)
				if t == "" {
					continue
				}
				if strings.Contains(t, "@") {
					a, err := mail.ParseAddress(t)
					if err != nil {
						l.fail(k, "%q is not an address: %v", t, err)
						continue
					}
					t = a.Address
				} else if !validLocal(t) {
					l.fail(k, "%q is neither an address nor a local name", t)
					continue
				}
				targets = append(targets, t)
			}
		}
		if len(targets) == 0 {
			l.fail(k, "no addresses; give at least one")
			continue
		}
		c.Aliases[lname] = targets
	}
}

func (l *loader) account(key toml.Key, name string, v any) *Account {
	t, ok := v.(map[string]any)
	if !ok {
		l.fail(key, "must be a table ([%s]), not %s", key, tomlType(v))
		return nil
	}
	if !ValidAccountName(name) {
		l.fail(key, "account name %q: use letters, digits and - _ . @ only", name)
		return nil
	}
	a := &Account{Name: name, file: l.path}
	at := func(k string) toml.Key { return append(key[:len(key):len(key)], k) }
	for _, k := range sortedKeys(t) {
		v, kk := t[k], at(k)
		switch k {
		case "host":
			if s, ok := l.str(kk, v); ok {
				switch {
				case s == "":
					l.fail(kk, "is empty; give the smarthost's name, like smtp.example.com")
				case strings.Contains(s, ":") && net.ParseIP(s) == nil:
					h, p, err := net.SplitHostPort(s)
					if err == nil {
						l.fail(kk, "%q includes a port: write host = %q and port = %s", s, h, p)
					} else {
						l.fail(kk, "%q is not a host name or IP address", s)
					}
				case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' }):
					l.fail(kk, "%q is not a host name or IP address", s)
				default:
					a.Host = s
				}
			}
		case "port":
			n, ok := v.(int64)
			if !ok {
				l.fail(kk, "must be a number, not %s", tomlType(v))
			} else if n < 1 || n > 65535 {
				l.fail(kk, "%d is out of range 1-65535", n)
			} else {
				a.Port, a.portSet = int(n), true
			}
		case "tls":
			a.TLS, _ = l.enum(kk, v, tlsModes)
		case "tls_ca_file":
			if s, ok := l.str(kk, v); ok && s != "" {
				s = expandHome(s)
				if !filepath.IsAbs(s) && l.path != "" {
					s = filepath.Join(filepath.Dir(l.path), s)
				}
				a.TLSCAFile = s
			}
		case "tls_fingerprint":
			if s, ok := l.str(kk, v); ok && s != "" {
				fp, err := normalizeFingerprint(s)
				if err != nil {
					l.fail(kk, "%v", err)
				}
				a.TLSFingerprint = fp
			}
		case "username":
			if s, ok := l.str(kk, v); ok {
				if strings.ContainsFunc(s, unicode.IsControl) {
					l.fail(kk, "contains control characters")
				}
				a.Username = s
			}
		case "auth":
			a.Auth, _ = l.enum(kk, v, authMethods)
		case "password":
			a.password, _ = l.str(kk, v)
		case "password_command":
			if s, ok := v.(string); ok {
				l.fail(kk, "must be a list of arguments, run without a shell, like %s", suggestArgv(s))
				continue
			}
			if argv, ok := l.strs(kk, v); ok {
				if len(argv) == 0 || argv[0] == "" {
					l.fail(kk, "is empty; give the command and its arguments, like [\"pass\", \"show\", \"smtp/%s\"]", name)
				} else {
					a.PasswordCommand = argv
				}
			}
		case "password_file":
			if s, ok := l.str(kk, v); ok {
				s = expandHome(s)
				switch {
				case s == "":
					l.fail(kk, "is empty; give the file holding the password, like \"~/.config/outbox/passwords/%s\"", name)
				case !filepath.IsAbs(s):
					l.fail(kk, "%q is not an absolute path (or ~/...)", s)
				default:
					a.PasswordFile = filepath.Clean(s)
				}
			}
		case "from":
			if s, ok := l.str(kk, v); ok && s != "" {
				if _, err := mail.ParseAddress(s); err != nil {
					l.fail(kk, "%q is not an address like \"Me <me@example.com>\": %v", s, err)
				}
				a.From = s
			}
		case "helo":
			if s, ok := l.str(kk, v); ok {
				if s != "" && !validDomain(strings.Trim(s, "[]")) {
					l.fail(kk, "%q is not a host name", s)
				}
				a.Helo = s
			}
		case "timeout":
			if d, ok := l.duration(kk, v, "30s or 2m"); ok {
				a.Timeout = d
			}
		case "oauth_provider":
			a.OAuthProvider, _ = l.enum(kk, v, oauthProvs)
		case "oauth_flow":
			a.OAuthFlow, _ = l.enum(kk, v, oauthFlows)
		case "oauth_client_id":
			a.OAuthClientID, _ = l.str(kk, v)
		case "oauth_tenant":
			a.OAuthTenant, _ = l.str(kk, v)
		case "oauth_scopes":
			a.OAuthScopes, _ = l.strs(kk, v)
		case "oauth_auth_url", "oauth_device_url", "oauth_token_url":
			if s, ok := l.str(kk, v); ok && s != "" {
				u, err := url.Parse(s)
				if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
					l.fail(kk, "%q is not an http(s) URL", s)
				}
				switch k {
				case "oauth_auth_url":
					a.OAuthAuthURL = s
				case "oauth_device_url":
					a.OAuthDeviceURL = s
				default:
					a.OAuthTokenURL = s
				}
			}
		default:
			l.unknown(kk, accountKeys)
		}
	}
	if a.Host == "" {
		if _, written := t["host"]; !written {
			l.fail(key, "no host; add host = \"smtp.example.com\"")
		}
	}
	if a.TLS == "" {
		a.TLS = "starttls"
	}
	if !a.portSet {
		a.Port = tlsPorts[a.TLS]
	}
	if a.Auth == "" {
		a.Auth = "auto"
	}
	if a.Timeout == 0 {
		a.Timeout = DefaultTimeout
	}
	if a.PasswordFile != "" && len(a.PasswordCommand) > 0 {
		// password_command comes first in the chain (SPEC §2) and its
		// failure is final, so the file would never be read: say so now.
		l.fail(at("password_file"), "password_command is set too and is always used first: keep one of them")
	}
	if a.TLSFingerprint != "" && a.TLS == "none" {
		l.fail(at("tls_fingerprint"), "a certificate pin needs tls = \"starttls\" or \"tls\"")
	}
	if a.OAuthProvider == "custom" && a.OAuthTokenURL == "" {
		l.fail(at("oauth_provider"), "custom needs oauth_token_url (and oauth_auth_url or oauth_device_url for the flow)")
	} else if a.OAuthProvider != "" {
		// The OAuth keys' combinations (flow per provider, tenant,
		// URLs) are checked when the file is read, not first at login.
		if _, err := a.OAuth(); err != nil {
			var ce *Error
			if errors.As(err, &ce) {
				k := strings.TrimPrefix(ce.Key, "accounts."+name+".")
				if k == "" || strings.Contains(k, ".") {
					k = "oauth_provider"
				}
				l.fail(at(k), "%s", ce.Msg)
			} else {
				l.fail(at("oauth_provider"), "%v", err)
			}
		}
	}
	return a
}

func (l *loader) str(key toml.Key, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		l.fail(key, "must be a string, not %s", tomlType(v))
	}
	return s, ok
}

func (l *loader) strs(key toml.Key, v any) ([]string, bool) {
	arr, ok := v.([]any)
	if !ok {
		l.fail(key, "must be a list of strings, not %s", tomlType(v))
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for i, x := range arr {
		s, ok := x.(string)
		if !ok {
			l.fail(key, "item %d must be a string, not %s", i+1, tomlType(x))
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// duration reads a positive duration (parseDuration); examples are for
// the message.
func (l *loader) duration(key toml.Key, v any, examples string) (time.Duration, bool) {
	s, ok := l.str(key, v)
	if !ok {
		return 0, false
	}
	d, err := parseDuration(s)
	if err != nil || d <= 0 {
		l.fail(key, "%q is not a positive duration like %s", s, examples)
		return 0, false
	}
	return d, true
}

func (l *loader) enum(key toml.Key, v any, allowed []string) (string, bool) {
	s, ok := l.str(key, v)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if s == a {
			return s, true
		}
	}
	if low := strings.ToLower(s); low != s {
		for _, a := range allowed {
			if low == a {
				return a, true
			}
		}
	}
	l.fail(key, "%q is not one of %s", s, strings.Join(allowed, ", "))
	return "", false
}

func (l *loader) unknown(key toml.Key, known []string) {
	last := key[len(key)-1]
	if s := closest(last, known); s != "" {
		l.fail(key, "unknown key; did you mean %q?", s)
		return
	}
	l.fail(key, "unknown key; known keys here: %s", strings.Join(known, ", "))
}

// closest returns the known key within edit distance 2 of s, or "".
func closest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "a number"
	case float64:
		return "a decimal number"
	case bool:
		return "true/false"
	case []any:
		return "a list"
	case []map[string]any:
		return "a list of tables"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// parseDuration is time.ParseDuration plus a leading day count: "5d",
// "1d12h". Queue ages are naturally said in days.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		d := time.Duration(n) * 24 * time.Hour
		if rest := s[i+1:]; rest != "" {
			r, err := time.ParseDuration(rest)
			if err != nil || r < 0 {
				return 0, fmt.Errorf("invalid duration %q", s)
			}
			d += r
		}
		return d, nil
	}
	return time.ParseDuration(s)
}

// normalizeFingerprint accepts "sha256:" + 64 hex digits, upper or lower
// case, with or without colons between the bytes, and returns the
// lower-case form without colons.
func normalizeFingerprint(s string) (string, error) {
	algo, hexPart, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(algo, "sha256") {
		return "", fmt.Errorf("%q is not \"sha256:\" followed by 64 hex digits", s)
	}
	h := strings.ToLower(strings.ReplaceAll(hexPart, ":", ""))
	if len(h) != 64 || strings.ContainsFunc(h, func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) }) {
		return "", fmt.Errorf("%q is not \"sha256:\" followed by 64 hex digits (colons allowed)", s)
	}
	return "sha256:" + h, nil
}

func validDomain(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("@,;:/\\<>()[]\"'", r)
	})
}

// validLocal reports whether s can be a local recipient name (root,
// www-data): no @, and nothing that separates or quotes addresses.
func validLocal(s string) bool {
	return s != "" && len(s) <= 64 && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("@,;:<>()[]\"\\", r)
	})
}

// ValidAccountName reports whether s can name an account. Names become
// file names ($CREDENTIALS_DIRECTORY/outbox-NAME) and command-line words,
// so they are short ASCII and start with neither "." nor "-".
func ValidAccountName(s string) bool {
	return s != "" && len(s) <= 64 && s[0] != '.' && s[0] != '-' && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r < 128 && (isBareKeyByte(byte(r)) || r == '.' || r == '@'))
	})
}

func suggestArgv(s string) string {
	f := strings.Fields(s)
	q := make([]string, len(f))
	for i, x := range f {
		q[i] = strconv.Quote(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// expandHome turns a leading "~/" into the home directory.
func expandHome(s string) string {
	if s == "~" || strings.HasPrefix(s, "~/") {
		if h := homeDir(); h != "" {
			return filepath.Join(h, s[1:])
		}
	}
	return s
}

// AccountNames lists the configured account names, sorted.
func (c *Config) AccountNames() []string { return sortedKeys(c.Accounts) }

func (c *Config) accountList() string {
	names := c.AccountNames()
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
