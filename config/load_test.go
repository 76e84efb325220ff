package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const fullConfig = `# outbox
default_account = "work"
default_domain  = "example.com"
queue_dir       = "/var/tmp/outbox-q"
log             = "syslog"
trusted_users   = ["root", "backup"]
queue_max_age   = "3d"

[aliases]
root    = "ops@example.com, Admin <admin@example.com>"
www-data = ["root"]
default = "ops@example.com"

[accounts.work]
host     = "smtp.example.com"
port     = 2525
tls      = "starttls"
tls_ca_file = "ca.pem"
tls_fingerprint = "SHA256:AB:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"
username = "me@example.com"
auth     = "auto"
password_command = ["pass", "show", "smtp/work"]
from     = "Me <me@example.com>"
helo     = "client.example.com"
timeout  = "45s"

[accounts.m365]
host = "smtp.office365.com"
username = "me@contoso.com"
auth = "xoauth2"
oauth_provider = "microsoft"
oauth_flow = "device"
oauth_client_id = "00000000-0000-0000-0000-000000000000"
oauth_tenant = "contoso.onmicrosoft.com"
oauth_scopes = ["https://outlook.office.com/SMTP.Send", "offline_access"]

[accounts.custom]
host = "smtp.example.net"
username = "me@example.net"
oauth_client_id = "outbox-test"
tls = "tls"
auth = "oauthbearer"
oauth_provider = "custom"
oauth_flow = "browser"
oauth_auth_url = "https://id.example.net/authorize"
oauth_device_url = "https://id.example.net/device"
oauth_token_url = "https://id.example.net/token"

[accounts.plain]
host = "127.0.0.1"
tls = "none"
auth = "none"
`

func TestLoadFull(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	p := writeConfig(t, dir, "config.toml", fullConfig, 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != p || c.DefaultAccount != "work" || c.DefaultDomain != "example.com" || c.QueueDir != "/var/tmp/outbox-q" || c.Log != "syslog" {
		t.Errorf("top level: %+v", c)
	}
	if c.QueueMaxAge != 72*time.Hour {
		t.Errorf("QueueMaxAge = %v", c.QueueMaxAge)
	}
	if strings.Join(c.TrustedUsers, ",") != "root,backup" {
		t.Errorf("TrustedUsers = %q", c.TrustedUsers)
	}
	if got := strings.Join(c.Aliases["root"], ","); got != "ops@example.com,admin@example.com" {
		t.Errorf("aliases.root = %q", got)
	}
	w := c.Accounts["work"]
	if w.Host != "smtp.example.com" || w.Port != 2525 || w.TLS != "starttls" || w.Username != "me@example.com" ||
		w.Auth != "auto" || w.From != "Me <me@example.com>" || w.Helo != "client.example.com" || w.Timeout != 45*time.Second {
		t.Errorf("work = %+v", *w)
	}
	if w.TLSCAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("relative tls_ca_file = %q, want it next to the config", w.TLSCAFile)
	}
	if want := "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"; w.TLSFingerprint != want {
		t.Errorf("fingerprint = %q, want %q", w.TLSFingerprint, want)
	}
	if strings.Join(w.PasswordCommand, " ") != "pass show smtp/work" {
		t.Errorf("password_command = %q", w.PasswordCommand)
	}
	m := c.Accounts["m365"]
	if m.Port != 587 || m.TLS != "starttls" || m.Auth != "xoauth2" || m.OAuthProvider != "microsoft" || m.OAuthFlow != "device" ||
		m.OAuthTenant != "contoso.onmicrosoft.com" || len(m.OAuthScopes) != 2 || m.Timeout != DefaultTimeout {
		t.Errorf("m365 = %+v", *m)
	}
	if cu := c.Accounts["custom"]; cu.Port != 465 || cu.OAuthTokenURL != "https://id.example.net/token" || cu.OAuthAuthURL == "" || cu.OAuthDeviceURL == "" {
		t.Errorf("custom = %+v", *cu)
	}
	if pl := c.Accounts["plain"]; pl.Port != 25 || pl.Auth != "none" {
		t.Errorf("plain = %+v", *pl)
	}
}

func TestPortDefaults(t *testing.T) {
	for _, tc := range []struct {
		tls  string
		port int
	}{{"", 587}, {`tls = "starttls"`, 587}, {`tls = "tls"`, 465}, {`tls = "none"`, 25}, {`tls = "TLS"`, 465}} {
		c := mustLoad(t, "[accounts.a]\nhost = \"h.example\"\n"+tc.tls+"\n")
		if a := c.Accounts["a"]; a.Port != tc.port {
			t.Errorf("%s: port %d, want %d", tc.tls, a.Port, tc.port)
		}
	}
	c := mustLoad(t, "[accounts.a]\nhost = \"h\"\n")
	if c.QueueMaxAge != DefaultQueueMaxAge || c.Accounts["a"].Timeout != 30*time.Second || c.Accounts["a"].Auth != "auto" {
		t.Errorf("defaults: max age %v, timeout %v, auth %q", c.QueueMaxAge, c.Accounts["a"].Timeout, c.Accounts["a"].Auth)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		key, msg   string // msg: substring of Msg
	}{
		{"syntax", "default_domain = \"example.com\"\n\n[accounts.work\nhost = \"x\"\n", 3, "", "TOML syntax"},
		{"syntax value", "default_domain = example.com\n", 1, "", "TOML syntax"},
		{"syntax newline", "a = 1\nb = \n", 2, "", "TOML syntax"},
		{"syntax eof", "[accounts.w]\nhost = [1,\n", 2, "", "TOML syntax"},
		{"unknown top", "default_domain = \"example.com\"\ndefault_acount = \"x\"\n", 2, "default_acount", `did you mean "default_account"`},
		{"unknown account key", "[accounts.work]\nhost = \"h\"\n\n# c\ntsl = \"tls\"\n", 5, "accounts.work.tsl", `did you mean "tls"`},
		{"unknown far", "[accounts.work]\nhost = \"h\"\nbanana = 1\n", 3, "accounts.work.banana", "unknown key; known keys here: host, port"},
		{"unknown table", "[acounts.work]\nhost = \"h\"\n", 1, "acounts", `did you mean "accounts"`},
		{"dotted unknown", "accounts.work.host = \"h\"\naccounts.work.prot = 25\n", 2, "accounts.work.prot", `did you mean "port"`},
		{"bad tls", "[accounts.work]\nhost = \"h\"\ntls = \"startls\"\n", 3, "accounts.work.tls", `"startls" is not one of starttls, tls, none`},
		{"bad auth", "[accounts.work]\nhost = \"h\"\nauth = \"md5\"\n", 3, "accounts.work.auth", `is not one of auto, plain, login, cram-md5, xoauth2, oauthbearer, none`},
		{"port high", "[accounts.work]\nhost = \"h\"\nport = 70000\n", 3, "accounts.work.port", "70000 is out of range 1-65535"},
		{"port zero", "[accounts.work]\nhost = \"h\"\nport = 0\n", 3, "accounts.work.port", "out of range"},
		{"port string", "[accounts.work]\nhost = \"h\"\nport = \"587\"\n", 3, "accounts.work.port", "must be a number, not a string"},
		{"timeout", "[accounts.work]\nhost = \"h\"\ntimeout = \"30\"\n", 3, "accounts.work.timeout", `"30" is not a positive duration`},
		{"timeout neg", "[accounts.work]\nhost = \"h\"\ntimeout = \"-1s\"\n", 3, "accounts.work.timeout", "positive duration"},
		{"fingerprint short", "[accounts.work]\nhost = \"h\"\ntls_fingerprint = \"sha256:abcd\"\n", 3, "accounts.work.tls_fingerprint", "64 hex"},
		{"fingerprint algo", "[accounts.work]\nhost = \"h\"\ntls_fingerprint = \"sha1:" + strings.Repeat("a", 64) + "\"\n", 3, "accounts.work.tls_fingerprint", "sha256:"},
		{"fingerprint no tls", "[accounts.work]\nhost = \"h\"\ntls = \"none\"\ntls_fingerprint = \"sha256:" + strings.Repeat("a", 64) + "\"\n", 4, "accounts.work.tls_fingerprint", "needs tls"},
		{"default missing", "default_account = \"wrok\"\n[accounts.work]\nhost = \"h\"\n", 1, "default_account", `"wrok" is not an account here; configured: work`},
		{"bad from", "[accounts.work]\nhost = \"h\"\nfrom = \"me@@example.com\"\n", 3, "accounts.work.from", `"me@@example.com" is not an address`},
		{"no host", "[accounts.work]\nport = 25\n", 1, "accounts.work", "no host"},
		{"host with port", "[accounts.work]\nhost = \"smtp.example.com:587\"\n", 2, "accounts.work.host", "write host = \"smtp.example.com\" and port = 587"},
		{"password_command string", "[accounts.work]\nhost = \"h\"\npassword_command = \"pass show x\"\n", 3, "accounts.work.password_command", `["pass", "show", "x"]`},
		{"password_command empty", "[accounts.work]\nhost = \"h\"\npassword_command = []\n", 3, "accounts.work.password_command", "is empty"},
		{"multiline then bad", "default_domain = \"example.com\"\n[accounts.work]\nhost = \"h\"\noauth_client_id = \"\"\"\ntls = \"x\"\n\"\"\"\ntls = \"bad\"\n", 7, "accounts.work.tls", "not one of"},
		{"queue_max_age", "queue_max_age = \"five days\"\n", 1, "queue_max_age", "positive duration like 5d"},
		{"queue_dir relative", "queue_dir = \"spool\"\n", 1, "queue_dir", "absolute"},
		{"alias bad", "[aliases]\nroot = \"a@@b\"\n", 2, "aliases.root", "not an address"},
		{"alias empty", "[aliases]\nroot = \" , \"\n", 2, "aliases.root", "no addresses"},
		{"alias dup", "[aliases]\nRoot = \"a@b.c\"\nroot = \"d@e.f\"\n", 3, "aliases.root", "defined twice"},
		{"oauth provider", "[accounts.work]\nhost = \"h\"\noauth_provider = \"yahoo\"\n", 3, "accounts.work.oauth_provider", "not one of microsoft, google, custom"},
		{"oauth flow", "[accounts.work]\nhost = \"h\"\noauth_flow = \"magic\"\n", 3, "accounts.work.oauth_flow", "not one of device, browser, client_credentials"},
		{"oauth url", "[accounts.work]\nhost = \"h\"\noauth_token_url = \"ftp://x\"\n", 3, "accounts.work.oauth_token_url", "not an http(s) URL"},
		{"oauth custom", "[accounts.work]\nhost = \"h\"\noauth_provider = \"custom\"\n", 3, "accounts.work.oauth_provider", "needs oauth_token_url"},
		{"accounts not table", "accounts = 3\n", 1, "accounts", "must be a table"},
		{"quoted account", "[accounts.\"my work\"]\nhost = \"h\"\n", 1, `accounts."my work"`, "account name"},
		{"first error wins", "[accounts.b]\nhost = \"h\"\ntls = \"x\"\n[accounts.a]\nhost = \"h\"\nauth = \"y\"\n", 3, "accounts.b.tls", "not one of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, t.TempDir(), "config.toml", tc.text, 0o600)
			_, err := Load(p)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want *config.Error", err)
			}
			if ce.File != p || ce.Line != tc.line || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.msg) {
				t.Errorf("got  File=%q Line=%d Key=%q Msg=%q\nwant Line=%d Key=%q Msg~%q", ce.File, ce.Line, ce.Key, ce.Msg, tc.line, tc.key, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "config: "+p+":") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	p := writeConfig(t, t.TempDir(), "config.toml", "[accounts.work]\nhost = \"h\"\n\n\n\n\n\n\n\n\n\ntls = \"startls\"\n", 0o600)
	_, err := Load(p)
	want := `config: ` + p + `:12: accounts.work.tls: "startls" is not one of starttls, tls, none`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if s := (&Error{Key: "OUTBOX_PORT", Msg: "bad"}).Error(); s != "config: OUTBOX_PORT: bad" {
		t.Errorf("no file: %q", s)
	}
}

func TestPasswordKeyMode(t *testing.T) {
	isolate(t)
	text := "[accounts.work]\nhost = \"h\"\nusername = \"u\"\npassword = \"hunter2\"\n"
	dir := t.TempDir()
	for _, perm := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		p := writeConfig(t, dir, "c.toml", text, perm)
		_, err := Load(p)
		var ce *Error
		if !errors.As(err, &ce) || ce.Line != 4 || ce.Key != "accounts.work.password" || !strings.Contains(ce.Msg, "chmod 600 "+p) || !strings.Contains(ce.Msg, "password_command") {
			t.Errorf("mode %o: %v", perm, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	for _, perm := range []os.FileMode{0o600, 0o400} {
		p := writeConfig(t, dir, "c.toml", text, perm)
		c, err := Load(p)
		if err != nil {
			t.Fatalf("mode %o: %v", perm, err)
		}
		a := c.Accounts["work"]
		if !a.HasPasswordKey() {
			t.Error("HasPasswordKey false")
		}
		if pw, err := a.Password(); err != nil || pw != "hunter2" {
			t.Errorf("Password = %q, %v", pw, err)
		}
		for _, s := range []string{a.String(), (*a).GoString()} {
			if strings.Contains(s, "hunter2") {
				t.Errorf("String shows the password: %s", s)
			}
		}
	}
	// A 0644 file without a password is fine.
	p := writeConfig(t, dir, "c.toml", "[accounts.work]\nhost = \"h\"\n", 0o644)
	if _, err := Load(p); err != nil {
		t.Error(err)
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.toml")
	_, err := Load(missing)
	var ce *Error
	if !errors.As(err, &ce) || ce.File != missing || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	// The permission case as the kernel reports it; the real-file variant
	// below is skipped under root, which can read anything.
	e := fileError("/etc/outbox/config.toml", &fs.PathError{Op: "open", Path: "/etc/outbox/config.toml", Err: fs.ErrPermission})
	if !errors.Is(e, fs.ErrPermission) || !strings.Contains(e.Error(), "/etc/outbox/config.toml") {
		t.Errorf("permission: %v", e)
	}
	if os.Geteuid() != 0 {
		p := writeConfig(t, dir, "secret.toml", "", 0o000)
		_, err := Load(p)
		if !errors.Is(err, fs.ErrPermission) || !errors.As(err, &ce) || ce.File != p {
			t.Errorf("unreadable: %v", err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"5d": 120 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "30s": 30 * time.Second, "0d": 0,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"d", "xd", "5dd", "-1d", "5d-1h", "five"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	for d, want := range map[time.Duration]string{120 * time.Hour: "5d", 30 * time.Second: "30s", 90 * time.Minute: "1h30m", 2 * time.Hour: "2h", 2 * time.Minute: "2m"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestKeyLine(t *testing.T) {
	src := `a = 1
[accounts.'w.x']
host = "h"
"quoted key" = 2
[accounts."y"]  # c
  port   =  3
b.c.d = 4
[[arr]]
e = 5
`
	for _, tc := range []struct {
		path []string
		line int
	}{
		{[]string{"a"}, 1}, {[]string{"accounts", "w.x"}, 2}, {[]string{"accounts", "w.x", "host"}, 3},
		{[]string{"accounts", "w.x", "quoted key"}, 4}, {[]string{"accounts", "y", "port"}, 6},
		{[]string{"accounts", "y", "b", "c"}, 7}, {[]string{"accounts"}, 2}, {[]string{"arr", "e"}, 9}, {[]string{"zzz"}, 0},
	} {
		if got := keyLine(src, tc.path); got != tc.line {
			t.Errorf("%q: line %d, want %d", tc.path, got, tc.line)
		}
	}
}
