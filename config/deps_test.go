package config

import (
	"os/exec"
	"strings"
	"testing"
)

// Issue 13 item 8: config is data; the caller that dials builds
// send.Options, so config must not depend on send (not even indirectly).
func TestConfigDoesNotImportSend(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "github.com/outboxmail/outbox/send" {
			t.Errorf("config depends on %s; build send.Options in the caller (main's sendOptions)", p)
		}
	}
}
