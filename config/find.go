package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/mail"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// SystemFile is the system configuration: $OUTBOX_SYSTEM_CONFIG (an
// absolute path, for packagers and tests), else SystemPath.
func SystemFile() string {
	if p := os.Getenv("OUTBOX_SYSTEM_CONFIG"); filepath.IsAbs(p) {
		return p
	}
	return SystemPath
}

// SystemPath is the system-wide configuration file, the last one Find tries.
const SystemPath = "/etc/outbox/config.toml"

// Find returns the configuration file to use, the first of: explicit
// (--config, sendmail -C), $OUTBOX_CONFIG,
// $XDG_CONFIG_HOME/outbox/config.toml (default
// ~/.config/outbox/config.toml), /etc/outbox/config.toml. It returns
// ("", nil) when none exists.
//
// A path the user named (explicit or $OUTBOX_CONFIG) that does not exist
// is an error: silently using another file could send mail through the
// wrong account. A file that can't be looked at for lack of permission is
// an error too, and errors.Is(err, fs.ErrPermission) tells the caller that
// the file may exist but is not for this user (system mode, SPEC §7).
func Find(explicit string) (string, error) {
	if explicit != "" {
		return explicit, statConfig(explicit, "")
	}
	if p := os.Getenv("OUTBOX_CONFIG"); p != "" {
		return p, statConfig(p, "$OUTBOX_CONFIG")
	}
	for _, p := range implicitPaths() {
		_, err := os.Stat(p)
		switch {
		case err == nil:
			return p, nil
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			continue
		default:
			return "", fileError(p, err)
		}
	}
	return "", nil
}

// implicitPaths are the per-user and system files, in lookup order.
func implicitPaths() []string {
	var ps []string
	if d := userConfigDir(); d != "" {
		ps = append(ps, filepath.Join(d, "outbox", "config.toml"))
	}
	return append(ps, SystemFile())
}

// UserPath is the per-user config file (where `outbox config init`
// writes), "" when there is no home directory.
func UserPath() string {
	if d := userConfigDir(); d != "" {
		return filepath.Join(d, "outbox", "config.toml")
	}
	return ""
}

func statConfig(p, via string) error {
	fi, err := os.Stat(p)
	if err != nil {
		e := fileError(p, err).(*Error)
		if errors.Is(err, fs.ErrNotExist) {
			e.Msg = "no such config file"
			if via != "" {
				e.Msg += " (named by " + via + ")"
			}
		}
		return e
	}
	if fi.IsDir() {
		return &Error{File: p, Msg: "is a directory, not a config file"}
	}
	return nil
}

// userConfigDir follows the XDG base directory spec: $XDG_CONFIG_HOME when
// it is an absolute path, else ~/.config (also on macOS, as SPEC §2 says).
func userConfigDir() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return d
	}
	if h := homeDir(); h != "" {
		return filepath.Join(h, ".config")
	}
	return ""
}

// homeDir is $HOME, else the passwd entry (cron and some service managers
// run without HOME).
func homeDir() string {
	if h := os.Getenv("HOME"); h != "" {
		return h
	}
	if u, err := user.Current(); err == nil {
		return u.HomeDir
	}
	return ""
}

// LoadDefault finds and loads the configuration (Find, then Load) and
// reads the OUTBOX_* overrides, which Select applies to the account it
// picks. Without a file, OUTBOX_HOST alone makes a configuration with one
// account named "default"; with neither it returns (nil, nil), which
// main treats as "no configuration: queue the message" (SPEC §2). It
// refuses to run setuid or setgid (CheckProcess).
func LoadDefault(explicit string) (*Config, error) {
	if err := CheckProcess(); err != nil {
		return nil, err
	}
	path, err := Find(explicit)
	if err != nil {
		return nil, err
	}
	env, err := readEnv()
	if err != nil {
		return nil, err
	}
	if path == "" {
		if env.host == "" {
			return nil, nil
		}
		a := &Account{Name: "default", TLS: "starttls", Auth: "auto", Timeout: DefaultTimeout}
		a.Port = tlsPorts[a.TLS]
		return &Config{
			QueueMaxAge: DefaultQueueMaxAge,
			Aliases:     map[string][]string{},
			Accounts:    map[string]*Account{"default": a},
			env:         env,
		}, nil
	}
	c, err := Load(path)
	if err != nil {
		return nil, err
	}
	c.env = env
	return c, nil
}

// envOverrides are the OUTBOX_* variables that change the chosen account
// (SPEC §2). OUTBOX_PASSWORD is read by Password, OUTBOX_ACCOUNT by Select.
type envOverrides struct {
	host, tls, username, from string
	port                      int
}

func readEnv() (*envOverrides, error) {
	e := &envOverrides{
		host:     strings.TrimSpace(os.Getenv("OUTBOX_HOST")),
		username: os.Getenv("OUTBOX_USERNAME"),
	}
	if s := os.Getenv("OUTBOX_PORT"); s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 65535 {
			return nil, &Error{Key: "OUTBOX_PORT", Msg: fmt.Sprintf("%q is not a port number (1-65535)", s)}
		}
		e.port = n
	}
	if s := os.Getenv("OUTBOX_TLS"); s != "" {
		low := strings.ToLower(strings.TrimSpace(s))
		if _, ok := tlsPorts[low]; !ok {
			return nil, &Error{Key: "OUTBOX_TLS", Msg: fmt.Sprintf("%q is not one of %s", s, strings.Join(tlsModes, ", "))}
		}
		e.tls = low
	}
	if s := os.Getenv("OUTBOX_FROM"); s != "" {
		if _, err := mail.ParseAddress(s); err != nil {
			return nil, &Error{Key: "OUTBOX_FROM", Msg: fmt.Sprintf("%q is not an address like \"Me <me@example.com>\": %v", s, err)}
		}
		e.from = s
	}
	if strings.ContainsFunc(e.host, func(r rune) bool { return r <= ' ' || r == '/' }) {
		return nil, &Error{Key: "OUTBOX_HOST", Msg: fmt.Sprintf("%q is not a host name", e.host)}
	}
	if strings.Contains(e.host, ":") && net.ParseIP(e.host) == nil {
		return nil, &Error{Key: "OUTBOX_HOST", Msg: fmt.Sprintf("%q includes a port; put the port in OUTBOX_PORT", e.host)}
	}
	return e, nil
}

// apply changes a copy of the account.
func (e *envOverrides) apply(a *Account) {
	if e.host != "" {
		a.Host = e.host
	}
	if e.username != "" {
		a.Username = e.username
	}
	if e.from != "" {
		a.From = e.from
	}
	if e.tls != "" {
		a.TLS = e.tls
		if !a.portSet {
			a.Port = tlsPorts[a.TLS]
		}
	}
	if e.port != 0 {
		a.Port, a.portSet = e.port, true
	}
}
