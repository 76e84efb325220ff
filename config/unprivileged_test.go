package config

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/internal/testuser"
)

// Issue 17 finding 9: a config file the user can't read is reported as
// such, naming the file. Root reads anything, so under root (CI) this runs
// as an ordinary user through testuser.
func TestLoadUnreadableFile(t *testing.T) {
	if !testuser.Unprivileged(t) {
		return
	}
	p := writeConfig(t, t.TempDir(), "secret.toml", "default_domain = \"example.com\"\n", 0o000)
	_, err := Load(p)
	var ce *Error
	if !errors.Is(err, fs.ErrPermission) || !errors.As(err, &ce) || ce.File != p {
		t.Fatalf("Load(unreadable) = %v, want a permission error for %s", err, p)
	}
	if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "this user can't read it") {
		t.Errorf("message %q does not name the file and the cause", err)
	}
}
