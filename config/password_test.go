package config

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helperAccount is an account whose password_command is this test binary
// in helper mode (see TestMain).
func helperAccount(t *testing.T, mode string, args ...string) *Account {
	t.Helper()
	t.Setenv("OUTBOX_TEST_HELPER", mode)
	return &Account{Name: "work", Host: "smtp.example.com", Username: "me", PasswordCommand: append([]string{os.Args[0]}, args...)}
}

func TestPasswordEnvFirst(t *testing.T) {
	isolate(t)
	t.Setenv("OUTBOX_PASSWORD", "from-env")
	a := &Account{Name: "work", password: "from-file", PasswordCommand: []string{"/nonexistent"}}
	if pw, err := a.Password(); err != nil || pw != "from-env" {
		t.Errorf("got %q, %v", pw, err)
	}
	os.Unsetenv("OUTBOX_PASSWORD")
	if pw, err := a.Password(); err != nil || pw != "from-file" {
		t.Errorf("password key: %q, %v", pw, err)
	}
}

func TestPasswordCommand(t *testing.T) {
	isolate(t)
	// No shell: "$HOME" and ";" reach the command as written.
	a := helperAccount(t, "args", "$HOME;echo", "two")
	if pw, err := a.Password(); err != nil || pw != "$HOME;echo" {
		t.Errorf("no shell: %q, %v", pw, err)
	}
	// First line only, CR LF trimmed.
	a = helperAccount(t, "crlf")
	if pw, err := a.Password(); err != nil || pw != "s3cret" {
		t.Errorf("crlf: %q, %v", pw, err)
	}
	// The child never sees OUTBOX_PASSWORD.
	t.Setenv("OUTBOX_PASSWORD", "parent-secret")
	a = helperAccount(t, "env")
	if pw, err := a.runPasswordCommand(); err != nil || pw != "unset" {
		t.Errorf("env: %q, %v", pw, err)
	}
	os.Unsetenv("OUTBOX_PASSWORD")

	// Failure: exit status and stderr in one line; no fallthrough.
	a = helperAccount(t, "fail")
	_, err := a.Password()
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "accounts.work.password_command" ||
		!strings.Contains(err.Error(), "exit status 2") ||
		!strings.Contains(err.Error(), "gpg: decryption failed: No secret key / second line") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("fail: %v", err)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Errorf("fail: cause not kept: %#v", err)
	}
	a = helperAccount(t, "empty")
	if _, err := a.Password(); err == nil || !strings.Contains(err.Error(), "printed no password") {
		t.Errorf("empty: %v", err)
	}
	a = &Account{Name: "work", PasswordCommand: []string{"outbox-no-such-command-xyz", "arg"}}
	if _, err := a.Password(); !errors.As(err, &ce) || !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), `"outbox-no-such-command-xyz" not found in $PATH`) {
		t.Errorf("not found: %v", err)
	}
	a = &Account{Name: "work", PasswordCommand: []string{filepath.Join(t.TempDir(), "missing")}}
	if _, err := a.Password(); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing path: %v", err)
	}
}

func TestPasswordCommandTimeout(t *testing.T) {
	isolate(t)
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("no sleep(1)")
	}
	old := PasswordCommandTimeout
	PasswordCommandTimeout = 100 * time.Millisecond
	defer func() { PasswordCommandTimeout = old }()
	a := &Account{Name: "work", PasswordCommand: []string{"sleep", "10"}}
	start := time.Now()
	_, err := a.Password()
	if err == nil || !strings.Contains(err.Error(), "no answer within") || time.Since(start) > 5*time.Second {
		t.Errorf("timeout: %v after %v", err, time.Since(start))
	}
}

func TestCredentialsDirectory(t *testing.T) {
	isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	dir := t.TempDir()
	t.Setenv("CREDENTIALS_DIRECTORY", dir)
	a := &Account{Name: "work", Host: "h", Username: "u"}
	if err := os.WriteFile(filepath.Join(dir, "outbox-work"), []byte("cred-pw\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if pw, err := a.Password(); err != nil || pw != "cred-pw" {
		t.Errorf("got %q, %v", pw, err)
	}
	b := &Account{Name: "home", Host: "h", Username: "u"}
	if _, err := b.Password(); err == nil || !strings.Contains(err.Error(), "no outbox-home in $CREDENTIALS_DIRECTORY") {
		t.Errorf("missing credential: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "outbox-home"), []byte("\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Password(); err == nil || !strings.Contains(err.Error(), "outbox-home is empty") {
		t.Errorf("empty credential: %v", err)
	}
}

// With no D-Bus session the keyring is skipped at once, and the error
// names every source tried.
func TestPasswordNoSourceFastFail(t *testing.T) {
	isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
	a := &Account{Name: "work", Host: "smtp.example.com", Username: "me", file: "/x/config.toml"}
	start := time.Now()
	_, err := a.Password()
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Errorf("took %v without D-Bus", d)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("%v", err)
	}
	want := `config: /x/config.toml: accounts.work: no password for account "work" (me@smtp.example.com): OUTBOX_PASSWORD not set; no password_command; no password_file; $CREDENTIALS_DIRECTORY not set; `
	if os.Geteuid() == 0 {
		// Root also looks for the encrypted credential (SPEC §2).
		want += "no " + CredentialPath("work") + "; "
	}
	want += "keyring: "
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got  %v\nwant %s...", err, want)
	}
	if usesDBus() && !strings.Contains(err.Error(), "DBUS_SESSION_BUS_ADDRESS not set") {
		t.Errorf("keyring reason missing: %v", err)
	}
	if _, err := KeyringGet("me@smtp.example.com"); usesDBus() && !errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("KeyringGet: %v, want ErrKeyringUnavailable", err)
	}
	t.Setenv("OUTBOX_PASSWORD", "")
	if _, err := a.Password(); err == nil || !strings.Contains(err.Error(), "OUTBOX_PASSWORD is empty") {
		t.Errorf("empty env: %v", err)
	}
}
