package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveLocal(t *testing.T) {
	c := mustLoad(t, `
default_domain = "example.com"
[aliases]
root = "ops@example.com, admin"
admin = ["boss@example.com", "Root"]   # Root: a loop back to root
postmaster = "root"
a = "b"
b = "c"
c = "a"
`)
	_, err := c.ResolveLocal("root")
	if err == nil || !strings.Contains(err.Error(), "alias loop: root -> admin -> root") {
		t.Errorf("loop: %v", err)
	}
	if _, err := c.ResolveLocal("a"); err == nil || !strings.Contains(err.Error(), "a -> b -> c -> a") {
		t.Errorf("loop a: %v", err)
	}

	c = mustLoad(t, `
default_domain = "example.com"
[aliases]
root = "ops@example.com, admin"
admin = ["boss@example.com", "ops@example.com"]
postmaster = "root"
www-data = "webmaster"
`)
	for _, tc := range []struct{ in, want string }{
		{"someone@else.example", "someone@else.example"},
		{"postmaster", "ops@example.com boss@example.com"},
		{"ROOT", "ops@example.com boss@example.com"},
		{"www-data", "webmaster@example.com"},
		{"nobody", "nobody@example.com"},
	} {
		got, err := c.ResolveLocal(tc.in)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := c.ResolveLocal("two words"); err == nil {
		t.Error("bad local name accepted")
	}

	// "default" catches every other local name; names it maps to that
	// have no alias go to the domain, not back to "default".
	c = mustLoad(t, `
default_domain = "example.com"
[aliases]
root = "root-team@example.com"
default = "catchall, ops@example.com"
`)
	for _, tc := range []struct{ in, want string }{
		{"root", "root-team@example.com"},
		{"cron", "catchall@example.com ops@example.com"},
		{"default", "catchall@example.com ops@example.com"},
	} {
		got, err := c.ResolveLocal(tc.in)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("default %q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	c = mustLoad(t, "[aliases]\ndefault = \"ops\"\nops = \"default\"\n")
	if _, err := c.ResolveLocal("x"); err == nil || !strings.Contains(err.Error(), "alias loop") {
		t.Errorf("default loop: %v", err)
	}

	// Fan-out is bounded.
	var b strings.Builder
	b.WriteString("[aliases]\n")
	for i := 'a'; i < 'p'; i++ {
		n := string(i + 1)
		b.WriteString(string(i) + ` = ["` + n + `", "` + n + `", "` + n + `", "` + n + `"]` + "\n")
	}
	c = mustLoad(t, b.String())
	if _, err := c.ResolveLocal("a"); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("fan-out: %v", err)
	}

	// nil config: name@hostname.
	var nilc *Config
	got, err := nilc.ResolveLocal("root")
	if err != nil || len(got) != 1 || got[0] != "root@"+nilc.Domain() {
		t.Errorf("nil: %q, %v", got, err)
	}
}

func TestDomainAndQueueDir(t *testing.T) {
	dir := isolate(t)
	c := mustLoad(t, "default_domain = \"example.org\"\n")
	if c.Domain() != "example.org" {
		t.Errorf("Domain = %q", c.Domain())
	}
	var nilc *Config
	h, _ := os.Hostname()
	if d := nilc.Domain(); d != h && d != "localhost" {
		t.Errorf("nil Domain = %q, hostname %q", d, h)
	}
	c = mustLoad(t, "queue_dir = \"~/q\"\n")
	if c.QueueDirectory() != filepath.Join(dir, "q") {
		t.Errorf("queue_dir ~: %q", c.QueueDirectory())
	}
	want := filepath.Join(dir, "state", "outbox", "queue")
	if os.Geteuid() == 0 {
		want = "/var/spool/outbox"
	}
	if got := nilc.QueueDirectory(); got != want {
		t.Errorf("default queue dir %q, want %q", got, want)
	}
	if got := StateDirectory(); got != filepath.Join(dir, "state", "outbox") {
		t.Errorf("StateDirectory %q", got)
	}
	os.Unsetenv("XDG_STATE_HOME")
	if got := StateDirectory(); got != filepath.Join(dir, ".local", "state", "outbox") {
		t.Errorf("StateDirectory without XDG %q", got)
	}
}
