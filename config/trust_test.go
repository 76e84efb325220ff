package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCheckIDs(t *testing.T) {
	if err := checkIDs(1000, 1000, 100, 100); err != nil {
		t.Error(err)
	}
	if err := checkIDs(1000, 0, 100, 100); err == nil || !strings.Contains(err.Error(), "running setuid (uid 1000, effective uid 0) is not supported") {
		t.Errorf("setuid: %v", err)
	}
	if err := checkIDs(0, 0, 0, 42); err == nil || !strings.Contains(err.Error(), "running setgid") {
		t.Errorf("setgid: %v", err)
	}
	var ce *Error
	if !errors.As(checkIDs(1, 2, 3, 3), &ce) {
		t.Error("not a *config.Error (exit 78)")
	}
	if err := CheckProcess(); err != nil {
		t.Errorf("the test binary is not setuid: %v", err)
	}
}

// Issue 5 item 3: however an account or a configuration is formatted —
// %v, %+v, %#v, %s, inside a struct, or as a panic value — the password
// key does not show. (A Go panic prints an error's Error() and a
// Stringer's String(); fmt does the same for nested fields.)
func TestSecretsNotFormatted(t *testing.T) {
	const pw = "hunter2-Zq9"
	c := mustLoad(t, "[accounts.work]\nhost = \"h\"\nusername = \"u\"\npassword = \""+pw+"\"\n")
	a := c.Accounts["work"]
	if a.password != pw {
		t.Fatalf("setup: password key not loaded")
	}
	wrap := struct {
		A *Account
		B Account
		C *Config
	}{a, *a, c}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for _, v := range []any{a, *a, c, *c, wrap, []*Account{a}, map[string]*Account{"w": a}} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, pw) {
				t.Errorf("%s of %T shows the password: %s", verb, v, s)
			}
		}
	}
	if s := c.Redacted(); strings.Contains(s, pw) {
		t.Errorf("Show: %s", s)
	}
	if s := panicText(func() { panic(a) }); strings.Contains(s, pw) {
		t.Errorf("panic(*Account) prints %s", s)
	}
	if s := panicText(func() { panic(fmt.Errorf("wrapped: %v", a)) }); strings.Contains(s, pw) {
		t.Errorf("panic(error) prints %s", s)
	}
}

// panicText is what a recovered panic value looks like through fmt (the
// runtime's printer shows less: a type and an address for structs).
func panicText(f func()) (s string) {
	defer func() { s = fmt.Sprint(recover()) }()
	f()
	return ""
}

// Issue 5 item 3: password_command gets the password neither in its argv
// (the configured words only) nor in its environment (OUTBOX_PASSWORD is
// removed, everything else is kept), and a failing command's error does
// not repeat what it printed on stdout (which may be the password).
func TestPasswordCommandSeesNoSecret(t *testing.T) {
	isolate(t)
	t.Setenv("OUTBOX_PASSWORD", "parent-secret")
	t.Setenv("KEEP_ME", "kept")
	env := environWithout("OUTBOX_PASSWORD")
	joined := strings.Join(env, "\n")
	if strings.Contains(joined, "parent-secret") || strings.Contains(joined, "OUTBOX_PASSWORD=") || !strings.Contains(joined, "KEEP_ME=kept") {
		t.Errorf("child environment: %q", env)
	}
	a := helperAccount(t, "args", "show", "smtp/work")
	out, err := a.runPasswordCommand()
	if err != nil || out != "show" {
		t.Errorf("argv is the configured words: %q, %v", out, err)
	}
	a = helperAccount(t, "env")
	if pw, err := a.runPasswordCommand(); err != nil || pw != "unset" {
		t.Errorf("child saw OUTBOX_PASSWORD: %q, %v", pw, err)
	}
	a = helperAccount(t, "printfail")
	_, err = a.runPasswordCommand()
	if err == nil || strings.Contains(err.Error(), "s3cret-on-stdout") || !strings.Contains(err.Error(), "vault: session expired") {
		t.Errorf("failing command: %v", err)
	}
}

// FuzzResolveLocal: arbitrary alias tables and names never make
// resolution panic or run away, and every answer is a list of addresses
// with a domain and no line break (they become RCPT TO arguments).
func FuzzResolveLocal(f *testing.F) {
	f.Add("root = \"ops@example.com, admin\"\nadmin = [\"boss@example.com\", \"root\"]\n", "root")
	f.Add("a = \"b\"\nb = \"c\"\nc = \"a\"\n", "A")
	f.Add("default = \"catch@example.com\"\n", "www-data")
	f.Add("default = \"x\"\nx = \"default\"\n", "nobody")
	f.Add("a = [\"b\", \"b\", \"b\", \"b\"]\nb = [\"c\", \"c\", \"c\", \"c\"]\nc = [\"d@x\", \"e\", \"f\"]\n", "a")
	f.Add("", "user\r\nRCPT TO:<x@y>")
	f.Add("", "-oQ/tmp")
	f.Fuzz(func(t *testing.T, aliases, name string) {
		c, err := parse([]byte("default_domain = \"example.com\"\n[aliases]\n"+aliases), "fuzz.toml")
		if err != nil {
			c = nil // still exercise the nil-config path
		}
		out, err := c.ResolveLocal(name)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			return
		}
		if len(out) == 0 && strings.TrimSpace(name) != "" {
			t.Fatalf("%q resolved to nothing", name)
		}
		if len(out) > maxExpansion {
			t.Fatalf("%d addresses", len(out))
		}
		for _, a := range out {
			if !strings.Contains(a, "@") {
				t.Fatalf("%q resolved to %q without a domain", name, a)
			}
			if strings.ContainsAny(a, "\r\n\x00") && !strings.ContainsAny(name, "\r\n\x00") {
				t.Fatalf("%q resolved to %q with a line break", name, a)
			}
		}
	})
}
