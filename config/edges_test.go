package config

import (
	"strings"
	"testing"
	"time"
)

// Issue 17, mutation survivors: the config's limits at their edges, as
// `outbox config show` / the error message shows them.
func TestConfigEdges(t *testing.T) {
	ok := func(text string) *Config {
		t.Helper()
		c, err := parse([]byte(text), "edges.toml")
		if err != nil {
			t.Fatalf("%q refused: %v", text, err)
		}
		return c
	}
	bad := func(text, want string) {
		t.Helper()
		if _, err := parse([]byte(text), "edges.toml"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", text, err, want)
		}
	}
	for _, p := range []string{"1", "65535"} {
		ok("[accounts.a]\nhost = \"h\"\nport = " + p + "\n")
	}
	bad("[accounts.a]\nhost = \"h\"\nport = 0\n", "0 is out of range 1-65535")
	bad("[accounts.a]\nhost = \"h\"\nport = 65536\n", "65536 is out of range 1-65535")

	// Durations: days at the bound, a day count of 0, and hours after days.
	if c := ok("queue_max_age = \"100000d\"\n"); c.QueueMaxAge != 100000*24*time.Hour {
		t.Errorf("100000d = %v", c.QueueMaxAge)
	}
	bad("queue_max_age = \"100001d\"\n", "is not a positive duration")
	if c := ok("queue_max_age = \"0d1h\"\n"); c.QueueMaxAge != time.Hour {
		t.Errorf("0d1h = %v", c.QueueMaxAge)
	}
	bad("queue_max_age = \"0d\"\n", "is not a positive duration")

	// Names: 64 characters at most; a domain of 253.
	name := strings.Repeat("a", 64)
	ok("[accounts." + name + "]\nhost = \"h\"\n")
	bad("[accounts."+name+"a]\nhost = \"h\"\n", name+"a")
	ok("[aliases]\n" + name + " = \"x@example.com\"\n")
	label := strings.Repeat("a", 63) + "."
	domain := strings.Repeat(label, 3) + strings.Repeat("b", 61) // 253
	ok("default_domain = \"" + domain + "\"\n")
	bad("default_domain = \""+domain+"b\"\n", "default_domain")
}

// A config file of exactly the size limit loads; a byte more is refused.
func TestConfigFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	pad := func(n int) string {
		s := "default_domain = \"example.com\"\n"
		return s + "#" + strings.Repeat("x", n-len(s)-2) + "\n"
	}
	p := writeConfig(t, dir, "max.toml", pad(maxFileSize), 0o600)
	if _, err := Load(p); err != nil {
		t.Errorf("a file of exactly %d bytes: %v", maxFileSize, err)
	}
	p = writeConfig(t, dir, "over.toml", pad(maxFileSize+1), 0o600)
	if _, err := Load(p); err == nil {
		t.Errorf("a file of %d bytes loaded", maxFileSize+1)
	}
}
