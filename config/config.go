package config

import (
	"fmt"
	"time"
)

// Defaults (SPEC §2, §5).
const (
	DefaultTimeout     = 30 * time.Second
	DefaultQueueMaxAge = 5 * 24 * time.Hour
)

// TLS modes and the port each implies when the account has no port key.
var tlsPorts = map[string]int{"starttls": 587, "tls": 465, "none": 25}

var (
	tlsModes    = []string{"starttls", "tls", "none"}
	authMethods = []string{"auto", "plain", "login", "cram-md5", "xoauth2", "oauthbearer", "none"}
	oauthProvs  = []string{"microsoft", "google", "custom"}
	oauthFlows  = []string{"device", "browser", "client_credentials"}
)

// Config is one loaded configuration file with defaults filled in.
type Config struct {
	Path           string // file it was loaded from; "" for an environment-only config
	DefaultAccount string
	DefaultDomain  string
	QueueDir       string // as written (with ~ expanded); see QueueDirectory for the effective one
	Log            string // "syslog", "none" or an absolute path; "" when not set
	QueueMaxAge    time.Duration
	TrustedUsers   []string
	// Aliases maps a lower-cased local name to its targets: addresses
	// (bare, "ops@example.com") or further local names.
	Aliases  map[string][]string
	Accounts map[string]*Account

	env *envOverrides // set by LoadDefault; applied by Select
}

// Account is one [accounts.NAME] table with defaults filled in.
type Account struct {
	Name            string
	Host            string
	Port            int    // defaulted from TLS: 587 starttls, 465 tls, 25 none
	TLS             string // "starttls" | "tls" | "none"
	TLSCAFile       string
	TLSFingerprint  string // "sha256:" + 64 lower-case hex digits, colons removed
	Username        string
	Auth            string   // auto | plain | login | cram-md5 | xoauth2 | oauthbearer | none
	PasswordCommand []string // argv, run without a shell
	PasswordFile    string   // absolute path; the file must be the user's own, mode 0600 or stricter
	From            string   // as written, e.g. "Me <me@example.com>"
	Helo            string
	Timeout         time.Duration

	// OAuth2 (SPEC §2); validated lightly here, used by the oauth code.
	OAuthProvider  string // microsoft | google | custom
	OAuthFlow      string // device | browser | client_credentials
	OAuthClientID  string
	OAuthTenant    string   // microsoft only
	OAuthScopes    []string // nil: the provider's defaults
	OAuthAuthURL   string
	OAuthDeviceURL string
	OAuthTokenURL  string

	password string // the password key; only from a 0600 file
	portSet  bool   // port came from the file or OUTBOX_PORT, not the TLS default
	file     string // for error messages
}

// HasPasswordKey reports whether the account's table holds a password key
// (so `config show` and `check` can say where the password comes from
// without seeing it).
func (a *Account) HasPasswordKey() bool { return a != nil && a.password != "" }

// KeyringUser is the keyring user name for the account's password:
// "<username>@<host>" (SPEC §2).
func (a *Account) KeyringUser() string { return a.Username + "@" + a.Host }

// String describes the account without its secrets, so that an Account
// printed with %v or %+v never shows a password.
func (a Account) String() string {
	pw := ""
	if a.password != "" {
		pw = " password=<redacted>"
	}
	return fmt.Sprintf("account %q (%s@%s:%d tls=%s auth=%s%s)", a.Name, a.Username, a.Host, a.Port, a.TLS, a.Auth, pw)
}

// GoString is String, for %#v.
func (a Account) GoString() string { return a.String() }

// clone returns a copy the caller may change without touching c.
func (a *Account) clone() *Account {
	b := *a
	b.PasswordCommand = append([]string(nil), a.PasswordCommand...)
	if a.OAuthScopes != nil {
		b.OAuthScopes = append([]string(nil), a.OAuthScopes...)
	}
	return &b
}
