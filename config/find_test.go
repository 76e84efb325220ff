package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindOrder(t *testing.T) {
	dir := isolate(t)
	xdg := writeConfig(t, dir, "xdg/outbox/config.toml", "", 0o600)
	env := writeConfig(t, dir, "env.toml", "", 0o600)
	explicit := writeConfig(t, dir, "explicit.toml", "", 0o600)

	// Only the XDG file.
	if p, err := Find(""); err != nil || p != xdg {
		t.Errorf("XDG: %q, %v; want %q", p, err, xdg)
	}
	// $OUTBOX_CONFIG beats XDG.
	t.Setenv("OUTBOX_CONFIG", env)
	if p, err := Find(""); err != nil || p != env {
		t.Errorf("OUTBOX_CONFIG: %q, %v", p, err)
	}
	// --config beats both.
	if p, err := Find(explicit); err != nil || p != explicit {
		t.Errorf("explicit: %q, %v", p, err)
	}
	// A named file that does not exist is an error naming it.
	missing := filepath.Join(dir, "missing.toml")
	p, err := Find(missing)
	var ce *Error
	if !errors.As(err, &ce) || ce.File != missing || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("explicit missing: %q, %v", p, err)
	}
	t.Setenv("OUTBOX_CONFIG", missing)
	if _, err := Find(""); !errors.As(err, &ce) || !strings.Contains(err.Error(), "$OUTBOX_CONFIG") {
		t.Errorf("OUTBOX_CONFIG missing: %v", err)
	}
	os.Unsetenv("OUTBOX_CONFIG")

	// Without XDG_CONFIG_HOME: ~/.config.
	os.Unsetenv("XDG_CONFIG_HOME")
	home := writeConfig(t, dir, ".config/outbox/config.toml", "", 0o600)
	if p, err := Find(""); err != nil || p != home {
		t.Errorf("~/.config: %q, %v; want %q", p, err, home)
	}
	// A relative XDG_CONFIG_HOME is ignored (XDG base directory spec).
	t.Setenv("XDG_CONFIG_HOME", "relative")
	if p, err := Find(""); err != nil || p != home {
		t.Errorf("relative XDG: %q, %v", p, err)
	}

	// No user file: /etc/outbox/config.toml, or nothing.
	os.Remove(home)
	want := ""
	if _, err := os.Stat(SystemPath); err == nil {
		want = SystemPath
	}
	if p, err := Find(""); err != nil || p != want {
		t.Errorf("none: %q, %v; want %q", p, err, want)
	}
	if UserPath() != home {
		t.Errorf("UserPath = %q", UserPath())
	}
}

func TestLoadDefault(t *testing.T) {
	dir := isolate(t)
	if _, err := os.Stat(SystemPath); err == nil {
		t.Skip(SystemPath + " exists on this machine")
	}
	// Nothing at all: (nil, nil), the embedded default.
	c, err := LoadDefault("")
	if c != nil || err != nil {
		t.Fatalf("no config: %v, %v", c, err)
	}
	// OUTBOX_HOST alone: a synthetic "default" account.
	t.Setenv("OUTBOX_HOST", "smtp.ci.example")
	t.Setenv("OUTBOX_TLS", "tls")
	t.Setenv("OUTBOX_USERNAME", "ci@example.com")
	t.Setenv("OUTBOX_FROM", "CI <ci@example.com>")
	c, err = LoadDefault("")
	if err != nil || c == nil {
		t.Fatalf("OUTBOX_HOST: %v, %v", c, err)
	}
	a, err := c.Select("", "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "default" || a.Host != "smtp.ci.example" || a.TLS != "tls" || a.Port != 465 || a.Username != "ci@example.com" ||
		a.From != "CI <ci@example.com>" || a.Auth != "auto" || a.Timeout != DefaultTimeout {
		t.Errorf("synthetic: %+v", *a)
	}
	t.Setenv("OUTBOX_PORT", "2525")
	c, _ = LoadDefault("")
	if a, _ := c.Select("", ""); a.Port != 2525 {
		t.Errorf("OUTBOX_PORT: %d", a.Port)
	}

	// With a file: the overrides change the selected account, on a copy.
	p := writeConfig(t, dir, "xdg/outbox/config.toml", "default_account = \"work\"\n[accounts.work]\nhost = \"smtp.example.com\"\nport = 587\n[accounts.home]\nhost = \"mail.home\"\n", 0o600)
	os.Unsetenv("OUTBOX_PORT")
	c, err = LoadDefault("")
	if err != nil || c.Path != p {
		t.Fatalf("file: %v, %v", c, err)
	}
	a, _ = c.Select("", "")
	if a.Name != "work" || a.Host != "smtp.ci.example" || a.TLS != "tls" || a.Port != 587 {
		t.Errorf("override with explicit port: %+v", *a)
	}
	if c.Accounts["work"].Host != "smtp.example.com" {
		t.Error("Select changed the loaded config")
	}
	a, _ = c.Select("home", "")
	if a.Host != "smtp.ci.example" || a.Port != 465 {
		t.Errorf("override with default port: %+v", *a)
	}
	// Load alone ignores the environment.
	c, _ = Load(p)
	if a, _ := c.Select("", ""); a.Host != "smtp.example.com" {
		t.Errorf("Load applied env: %+v", *a)
	}
}

func TestEnvErrors(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"OUTBOX_PORT", "abc", "OUTBOX_PORT"},
		{"OUTBOX_PORT", "0", "OUTBOX_PORT"},
		{"OUTBOX_PORT", "65536", "OUTBOX_PORT"},
		{"OUTBOX_TLS", "startls", `OUTBOX_TLS: "startls" is not one of starttls, tls, none`},
		{"OUTBOX_FROM", "a@@b", "OUTBOX_FROM"},
		{"OUTBOX_HOST", "smtp.example.com:587", "OUTBOX_PORT"},
	} {
		isolate(t)
		t.Setenv("OUTBOX_HOST", "h.example")
		t.Setenv(tc.name, tc.value)
		_, err := LoadDefault("")
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tc.name || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: %v", tc.name, tc.value, err)
		}
	}
}
