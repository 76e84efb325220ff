package config

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Issue 16: password_file is read at every send, and refused — with the
// fix in the message, never the password — when it is looser than 0600,
// someone else's, or in a directory others can write to.
func TestPasswordFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no uid or mode bits")
	}
	dir := isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	path := PasswordFilePath(filepath.Join(dir, "cfg", "config.toml"), "work")
	if err := WritePasswordFile(path, "file-S3cret"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", fi.Mode(), err)
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("dir: %v %v", di.Mode(), err)
	}
	a := &Account{Name: "work", Host: "h", Username: "u", PasswordFile: path, file: "/x/config.toml"}
	if pw, err := a.Password(); err != nil || pw != "file-S3cret" {
		t.Fatalf("got %q, %v", pw, err)
	}
	// OUTBOX_PASSWORD still comes first.
	t.Setenv("OUTBOX_PASSWORD", "env")
	if pw, _ := a.Password(); pw != "env" {
		t.Errorf("env first: %q", pw)
	}
	os.Unsetenv("OUTBOX_PASSWORD")

	bad := func(what, want string) {
		t.Helper()
		_, err := a.Password()
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != "accounts.work.password_file" || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "S3cret") {
			t.Errorf("%s: %v (want %q)", what, err, want)
		}
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		must(t, os.Chmod(path, mode))
		bad(mode.String(), "lets other users read it: run chmod 600 "+path)
	}
	must(t, os.Chmod(path, 0o400))
	if pw, err := a.Password(); err != nil || pw != "file-S3cret" {
		t.Errorf("0400: %q, %v", pw, err)
	}
	must(t, os.Chmod(filepath.Dir(path), 0o777))
	bad("dir 0777", "is writable by group or others")
	must(t, os.Chmod(filepath.Dir(path), 0o700))
	if os.Geteuid() == 0 {
		must(t, os.Chown(path, 65534, 65534))
		bad("owner", "owned by uid 65534")
		must(t, os.Chown(path, 0, 0))
	}
	must(t, os.WriteFile(path, []byte("\n"), 0o600))
	bad("empty", "is empty")
	must(t, os.Remove(path))
	bad("missing", "no such file")
	if _, err := exec.LookPath("mkfifo"); err == nil {
		must(t, exec.Command("mkfifo", "-m", "600", path).Run())
		bad("fifo", "not a regular file")
	}
}

func TestPasswordFileConfig(t *testing.T) {
	isolate(t)
	c := mustLoad(t, "[accounts.a]\nhost = \"h\"\npassword_file = \"~/pw\"\n")
	if got, want := c.Accounts["a"].PasswordFile, filepath.Join(os.Getenv("HOME"), "pw"); got != want {
		t.Errorf("~ expansion: %q, want %q", got, want)
	}
	if !strings.Contains(c.Redacted(), `password_file = "`+filepath.Join(os.Getenv("HOME"), "pw")+`"`) {
		t.Errorf("config show:\n%s", c.Redacted())
	}
	for text, want := range map[string]string{
		"password_file = \"pw.txt\"":                         `"pw.txt" is not an absolute path`,
		"password_file = \"\"":                               "is empty",
		"password_file = [\"/x\"]":                           "must be a string",
		"password_file = \"/x\"\npassword_command = [\"p\"]": "password_command is set too",
	} {
		p := writeConfig(t, t.TempDir(), "config.toml", "[accounts.a]\nhost = \"h\"\n"+text+"\n", 0o600)
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "accounts.a.password_file") {
			t.Errorf("%s: %v", text, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
