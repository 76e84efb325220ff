package config

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	isolate(t)
	three := `
[accounts.work]
host = "smtp.work"
from = "Me <Me@Work.example>"
[accounts.home]
host = "smtp.home"
from = "me@home.example"
[accounts.other]
host = "smtp.other"
from = "me@home.example"
`
	for _, tc := range []struct {
		name, text, flag, env, from, want, err string
	}{
		{"flag", three, "home", "", "", "home", ""},
		{"flag beats env and from", three, "home", "work", "me@work.example", "home", ""},
		{"env", three, "", "other", "", "other", ""},
		{"unknown flag", three, "wrok", "", "", "", `--account: no account "wrok"; configured: home, other, work`},
		{"unknown env", three, "", "x", "", "", `OUTBOX_ACCOUNT: no account "x"`},
		{"from case-insensitive", three, "", "", "ME@work.EXAMPLE", "work", ""},
		{"from with display name", three, "", "", "Someone <me@work.example>", "work", ""},
		{"from tie: first by name", three, "", "", "me@home.example", "home", ""},
		{"from tie: default wins", "default_account = \"other\"\n" + three, "", "", "me@home.example", "other", ""},
		{"from no match, default_account", "default_account = \"home\"\n" + three, "", "", "x@y.z", "home", ""},
		{"several no default", three, "", "", "", "", "several accounts (home, other, work) and no default_account; pass --account NAME"},
		{"named default", three + "[accounts.default]\nhost = \"d\"\n", "", "", "", "default", ""},
		{"only one", "[accounts.solo]\nhost = \"s\"\n", "", "", "", "solo", ""},
		{"none", "default_domain = \"example.com\"\n", "", "", "", "", "no accounts configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, tc.text)
			if tc.env != "" {
				t.Setenv("OUTBOX_ACCOUNT", tc.env)
			}
			a, err := c.Select(tc.flag, tc.from)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || a.Name != tc.want {
				t.Fatalf("got %v, %v; want %q", a, err, tc.want)
			}
		})
	}
	var nilConfig *Config
	if _, err := nilConfig.Select("", ""); err == nil {
		t.Error("nil config: no error")
	}
}
