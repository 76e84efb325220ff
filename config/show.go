package config

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// RedactedMark replaces every secret in Show's output.
const RedactedMark = "<redacted>"

type showConfig struct {
	DefaultAccount string                  `toml:"default_account,omitempty"`
	DefaultDomain  string                  `toml:"default_domain"`
	QueueDir       string                  `toml:"queue_dir"`
	QueueMaxAge    string                  `toml:"queue_max_age"`
	Log            string                  `toml:"log,omitempty"`
	TrustedUsers   []string                `toml:"trusted_users,omitempty"`
	Aliases        map[string][]string     `toml:"aliases,omitempty"`
	Accounts       map[string]*showAccount `toml:"accounts,omitempty"`
}

type showAccount struct {
	Host            string   `toml:"host"`
	Port            int      `toml:"port"`
	TLS             string   `toml:"tls"`
	TLSCAFile       string   `toml:"tls_ca_file,omitempty"`
	TLSFingerprint  string   `toml:"tls_fingerprint,omitempty"`
	Username        string   `toml:"username,omitempty"`
	Auth            string   `toml:"auth"`
	Password        string   `toml:"password,omitempty"`
	PasswordCommand []string `toml:"password_command,omitempty"`
	PasswordFile    string   `toml:"password_file,omitempty"` // the path only; the file is never read here
	From            string   `toml:"from,omitempty"`
	Helo            string   `toml:"helo,omitempty"`
	Timeout         string   `toml:"timeout"`
	OAuthProvider   string   `toml:"oauth_provider,omitempty"`
	OAuthFlow       string   `toml:"oauth_flow,omitempty"`
	OAuthClientID   string   `toml:"oauth_client_id,omitempty"`
	OAuthTenant     string   `toml:"oauth_tenant,omitempty"`
	OAuthScopes     []string `toml:"oauth_scopes,omitempty"`
	OAuthAuthURL    string   `toml:"oauth_auth_url,omitempty"`
	OAuthDeviceURL  string   `toml:"oauth_device_url,omitempty"`
	OAuthTokenURL   string   `toml:"oauth_token_url,omitempty"`
}

// Show writes the effective configuration as TOML (`outbox config show`):
// defaults filled in, the OUTBOX_* overrides applied to the account they
// affect, and every password replaced by "<redacted>". The output loads
// back with Load (minus the redacted passwords). A nil *Config prints the
// built-in defaults.
func (c *Config) Show(w io.Writer) error {
	var b strings.Builder
	src := "no config file: built-in defaults"
	if c != nil && c.Path != "" {
		src = "from " + c.Path
	} else if c != nil {
		src = "from the OUTBOX_* environment"
	}
	fmt.Fprintf(&b, "# outbox effective configuration, %s; secrets redacted\n", src)

	s := showConfig{
		DefaultDomain: c.Domain(),
		QueueDir:      c.QueueDirectory(),
		QueueMaxAge:   formatDuration(DefaultQueueMaxAge),
	}
	if c != nil {
		s.DefaultAccount = c.DefaultAccount
		s.QueueMaxAge = formatDuration(c.QueueMaxAge)
		s.Log = c.Log
		s.TrustedUsers = c.TrustedUsers
		if len(c.Aliases) > 0 {
			s.Aliases = c.Aliases
		}
		s.Accounts = map[string]*showAccount{}
		// The overrides go to the account Select would pick for a
		// message with no --account and no --from.
		selected := ""
		if sel, err := c.Select("", ""); err == nil {
			selected = sel.Name
		}
		if set := setEnvNames(); len(set) > 0 {
			if selected != "" {
				fmt.Fprintf(&b, "# %s applied to account %q\n", strings.Join(set, ", "), selected)
			} else {
				fmt.Fprintf(&b, "# %s set; they apply to the account chosen with --account\n", strings.Join(set, ", "))
			}
		}
		for name, a := range c.Accounts {
			if name == selected && c.env != nil {
				a = a.clone()
				c.env.apply(a)
			}
			s.Accounts[name] = showAcct(a)
		}
		if len(s.Accounts) == 0 {
			s.Accounts = nil
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("config: show: %w", err)
	}
	enc := toml.NewEncoder(w)
	enc.Indent = ""
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("config: show: %w", err)
	}
	return nil
}

// Redacted is Show's output as a string.
func (c *Config) Redacted() string {
	var b strings.Builder
	_ = c.Show(&b) // a strings.Builder does not fail, and the encoder only fails on writes
	return b.String()
}

func showAcct(a *Account) *showAccount {
	sa := &showAccount{
		Host: a.Host, Port: a.Port, TLS: a.TLS, TLSCAFile: a.TLSCAFile, TLSFingerprint: a.TLSFingerprint,
		Username: a.Username, Auth: a.Auth, PasswordCommand: a.PasswordCommand, PasswordFile: a.PasswordFile, From: a.From, Helo: a.Helo,
		Timeout:       formatDuration(a.Timeout),
		OAuthProvider: a.OAuthProvider, OAuthFlow: a.OAuthFlow, OAuthClientID: a.OAuthClientID,
		OAuthTenant: a.OAuthTenant, OAuthScopes: a.OAuthScopes, OAuthAuthURL: a.OAuthAuthURL,
		OAuthDeviceURL: a.OAuthDeviceURL, OAuthTokenURL: a.OAuthTokenURL,
	}
	if a.password != "" {
		sa.Password = RedactedMark
	}
	return sa
}

// setEnvNames lists the OUTBOX_* variables that are set (names only: a
// value may be a password).
func setEnvNames() []string {
	var set []string
	for _, n := range []string{"OUTBOX_ACCOUNT", "OUTBOX_HOST", "OUTBOX_PORT", "OUTBOX_TLS", "OUTBOX_USERNAME", "OUTBOX_PASSWORD", "OUTBOX_FROM"} {
		if os.Getenv(n) != "" {
			set = append(set, n)
		}
	}
	return set
}

// formatDuration writes d the way a person would in the file: "5d",
// "30s", "1h30m".
func formatDuration(d time.Duration) string {
	day := 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
