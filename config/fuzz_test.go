package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: arbitrary bytes never make the loader panic or hang, and
// whatever loads can be shown, and what is shown loads back to the same
// configuration: showing it again gives the same text (Show's promise;
// passwords come back as the redaction mark, and stay redacted).
func FuzzLoad(f *testing.F) {
	f.Add([]byte(fullConfig))
	f.Add([]byte("[accounts.work]\nhost = \"h\"\ntls = \"startls\"\n"))
	f.Add([]byte("[aliases]\nroot = \"a, b\"\na = [\"root\"]\ndefault = \"x@y\"\n"))
	f.Add([]byte("accounts.work.host = \"h\"\naccounts.work.port = 99999\n"))
	f.Add([]byte("x = \"\"\"\n[accounts.a]\n\"\"\"\n[[accounts]]\n"))
	f.Add([]byte("[accounts.\"a.b\"]\n'q' = 1\n"))
	f.Add([]byte("\x00\xff["))
	if seeds, _ := filepath.Glob("testdata/*.toml"); len(seeds) > 0 {
		for _, s := range seeds {
			if b, err := os.ReadFile(s); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse(data, "fuzz.toml")
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
			return
		}
		shown := c.Redacted()
		again, err := parse([]byte(shown), "fuzz.toml")
		if err != nil {
			t.Fatalf("what config show printed does not load: %v\nconfig:\n%q\nshown:\n%s", err, data, shown)
		}
		if reshown := again.Redacted(); reshown != shown {
			t.Fatalf("reloading what config show printed changed it\nconfig:\n%q\nshown:\n%s\nreloaded and shown:\n%s", data, shown, reshown)
		}
		for name := range c.Aliases {
			_, _ = c.ResolveLocal(name)
		}
		_, _ = c.Select("", "")
	})
}
