package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestShow(t *testing.T) {
	dir := isolate(t)
	p := writeConfig(t, dir, "config.toml", fullConfig+"\n[accounts.pw]\nhost = \"h\"\nusername = \"u\"\npassword = \"hunter2\"\n", 0o600)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("OUTBOX_PASSWORD", "env-secret")
	out := c.Redacted()
	for _, s := range []string{"hunter2", "env-secret"} {
		if strings.Contains(out, s) {
			t.Errorf("Show leaks %q:\n%s", s, out)
		}
	}
	for _, s := range []string{`password = "<redacted>"`, `queue_max_age = "3d"`, `timeout = "45s"`, "from " + p, "OUTBOX_PASSWORD", `[accounts.work]`, `port = 2525`} {
		if !strings.Contains(out, s) {
			t.Errorf("Show lacks %q:\n%s", s, out)
		}
	}
	// The output is a valid config again.
	back := writeConfig(t, dir, "back.toml", out, 0o600)
	c2, err := Load(back)
	if err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	if len(c2.Accounts) != len(c.Accounts) || c2.Accounts["work"].TLSFingerprint != c.Accounts["work"].TLSFingerprint {
		t.Errorf("reload differs")
	}

	// nil config: built-in defaults.
	var nilc *Config
	if out := nilc.Redacted(); !strings.Contains(out, "built-in defaults") || !strings.Contains(out, "queue_dir") {
		t.Errorf("nil: %s", out)
	}
	os.Remove(filepath.Join(dir, "back.toml"))
}
