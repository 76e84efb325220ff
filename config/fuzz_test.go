package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: arbitrary bytes never make the loader panic or hang, and
// whatever loads can be shown and reloaded.
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
		_ = c.Redacted()
		for name := range c.Aliases {
			_, _ = c.ResolveLocal(name)
		}
		_, _ = c.Select("", "")
	})
}
