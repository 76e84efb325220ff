//go:build unix

package config

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeInfo is a FileInfo with a chosen owner and mode, for the cases a
// test can't create for real without root.
type fakeInfo struct {
	mode fs.FileMode
	uid  uint32
}

func (f fakeInfo) Name() string       { return "config.toml" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return &syscall.Stat_t{Uid: f.uid} }

// Issue 5 item 5: a config file another user controls is refused, because
// its password_command would run as the caller (root's cron pointed at a
// user's file with sendmail -C), and a file others can write is refused
// for the same reason.
func TestConfigTrust(t *testing.T) {
	for _, tc := range []struct {
		mode fs.FileMode
		uid  uint32
		euid int
		want string // "" = accepted
	}{
		{0o600, 1000, 1000, ""},
		{0o644, 1000, 1000, ""},
		{0o644, 0, 1000, ""}, // /etc/outbox/config.toml used by a user
		{0o640, 0, 0, ""},
		{0o600, 1000, 0, "owned by uid 1000, not by the user running outbox (uid 0) or root"},
		{0o644, 1001, 1000, "owned by uid 1001"},
		{0o620, 1000, 1000, "writable by its group (mode 0620)"},
		{0o646, 0, 1000, "writable by other users (mode 0646)"},
		{0o666, 1000, 1000, "writable by other users"},
	} {
		err := checkTrust("/c.toml", fakeInfo{tc.mode, tc.uid}, tc.euid)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%o uid %d euid %d: %v", tc.mode, tc.uid, tc.euid, err)
			}
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) || ce.File != "/c.toml" {
			t.Errorf("%o uid %d euid %d: %v, want %q", tc.mode, tc.uid, tc.euid, err, tc.want)
		}
	}
}

// The same through Load on real files: a group-writable file, and (as
// root, which can chown) a file owned by nobody, which root's sendmail -C
// must not use.
func TestLoadRefusesUntrustedFile(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	text := "[accounts.work]\nhost = \"h\"\npassword_command = [\"/bin/sh\", \"-c\", \"id\"]\n"
	p := writeConfig(t, dir, "w.toml", text, 0o664)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "writable by its group") || !strings.Contains(err.Error(), "chmod go-w "+p) {
		t.Errorf("group-writable: %v", err)
	}
	p = writeConfig(t, dir, "ok.toml", text, 0o644)
	if _, err := Load(p); err != nil {
		t.Errorf("own 0644 file: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("nobody's file: %v", err)
	}
	// Refused before it is read: a file that is not TOML at all gives the
	// ownership error, not a syntax error quoting its content.
	shadow := writeConfig(t, dir, "shadow", "root:$6$salt$hash:19000:0:99999:7:::\n", 0o644)
	if err := os.Chown(shadow, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(shadow); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") || strings.Contains(err.Error(), "salt") {
		t.Errorf("another user's non-TOML file: %v", err)
	}
	// The path through LoadDefault and -C / $OUTBOX_CONFIG is the same.
	if _, err := LoadDefault(p); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("LoadDefault(-C): %v", err)
	}
	t.Setenv("OUTBOX_CONFIG", p)
	if _, err := LoadDefault(""); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("$OUTBOX_CONFIG: %v", err)
	}
}
