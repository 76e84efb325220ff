package sendmail

import (
	"strings"
	"testing"
)

// Issue 17, mutation survivors: -V (DSN ENVID, RFC 3461 §4.4) at the edges
// of what it accepts: exactly 100 characters, and '!' and '~', the ends of
// printable ASCII without space.
func TestEnvIDEdges(t *testing.T) {
	for _, id := range []string{strings.Repeat("x", 100), "!", "~", "a~z!"} {
		inv, err := Parse([]string{"-V", id, "a@example.com"})
		if err != nil {
			t.Errorf("-V %q: %v; want it accepted", id, err)
		} else if inv.EnvID != id {
			t.Errorf("-V %q: EnvID %q", id, inv.EnvID)
		}
	}
	for _, id := range []string{"a\x7f", "\x1fa"} {
		if _, err := Parse([]string{"-V", id}); err == nil || !strings.Contains(err.Error(), "printable ASCII") {
			t.Errorf("-V %q: %v, want refused", id, err)
		}
	}
}
