package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestKeyringReal runs against a real Secret Service. CI runs it as
//
//	dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; go test ./config/'
//
// and it skips when there is no session bus or the probe fails — unless
// OUTBOX_TEST_KEYRING=1 (set by test.sh, which starts the keyring), where a
// keyring that does not work is a failure, not a skip.
func TestKeyringReal(t *testing.T) {
	skip := t.Skipf
	if os.Getenv("OUTBOX_TEST_KEYRING") == "1" {
		skip = t.Fatalf
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" && usesDBus() {
		skip("no DBUS_SESSION_BUS_ADDRESS; run under dbus-run-session with gnome-keyring-daemon --unlock")
	}
	probe := fmt.Sprintf("outbox-test-probe-%d@localhost", time.Now().UnixNano())
	if err := KeyringSet(probe, "x"); err != nil {
		skip("keyring not usable here: %v", err)
	}
	if v, err := KeyringGet(probe); err != nil || v != "x" {
		skip("keyring probe read back %q, %v", v, err)
	}
	if err := KeyringDelete(probe); err != nil {
		t.Fatalf("probe delete: %v", err)
	}

	isolate(t)
	a := &Account{Name: "kr", Host: "smtp.example.com", Username: fmt.Sprintf("test-%d", time.Now().UnixNano())}
	if err := SetKeyringPassword(a, "keyring-secret"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = KeyringDelete(a.KeyringUser()) })
	if pw, err := a.Password(); err != nil || pw != "keyring-secret" {
		t.Errorf("Password = %q, %v", pw, err)
	}
	// Set again replaces.
	if err := SetKeyringPassword(a, "second"); err != nil {
		t.Fatal(err)
	}
	if pw, err := a.Password(); err != nil || pw != "second" {
		t.Errorf("after replace: %q, %v", pw, err)
	}
	if err := DeleteKeyringPassword(a); err != nil {
		t.Fatal(err)
	}
	err := DeleteKeyringPassword(a)
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, ErrKeyringNotFound) || !strings.Contains(err.Error(), "nothing to delete") {
		t.Errorf("delete missing: %v", err)
	}
	_, err = a.Password()
	if err == nil || !strings.Contains(err.Error(), "keyring: no entry for "+a.KeyringUser()+" (store one with: outbox password set --account kr)") {
		t.Errorf("all sources: %v", err)
	}
}

func TestKeyringAccountChecks(t *testing.T) {
	if err := SetKeyringPassword(&Account{Name: "x", Host: "h"}, "pw"); err == nil || !strings.Contains(err.Error(), "set username and host") {
		t.Errorf("no username: %v", err)
	}
	if err := SetKeyringPassword(&Account{Name: "x", Host: "h", Username: "u"}, ""); err == nil || !strings.Contains(err.Error(), "empty password") {
		t.Errorf("empty: %v", err)
	}
	isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	err := SetKeyringPassword(&Account{Name: "x", Host: "h", Username: "u"}, "pw")
	if usesDBus() && (err == nil || !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "can't store the password for u@h in the keyring: no D-Bus session bus")) {
		t.Errorf("no D-Bus: %v", err)
	}
}

func TestTranslateKeyringError(t *testing.T) {
	for in, want := range map[string]string{
		"failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'": "login keyring is locked",
		"The name org.freedesktop.secrets was not provided by any .service files":        "no Secret Service on the session bus (start gnome-keyring or use password_command)",
		"Object does not exist at path “/org/freedesktop/secrets/collection/login”":      `no "login" keyring`,
		"dial unix /run/user/1000/bus: connect: no such file or directory":               "can't connect to the D-Bus session bus",
		"something new": "keyring error: something new",
	} {
		err := translateKeyringError(errors.New(in))
		if !strings.Contains(keyringMessage(err), want) || !errors.Is(err, ErrKeyringUnavailable) {
			t.Errorf("%q → %q, want ~%q", in, keyringMessage(err), want)
		}
	}
	if err := translateKeyringError(ErrKeyringNotFound); !errors.Is(err, ErrKeyringNotFound) || errors.Is(err, ErrKeyringUnavailable) {
		t.Errorf("not found: %v", err)
	}
}

// A keyring that never answers is given up after KeyringTimeout.
func TestKeyringTimeout(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	old := KeyringTimeout
	KeyringTimeout = 50 * time.Millisecond
	defer func() { KeyringTimeout = old }()
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	_, err := keyringCall(func() (string, error) { <-block; return "", nil })
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "no answer from the Secret Service") || time.Since(start) > 2*time.Second {
		t.Errorf("%v after %v", err, time.Since(start))
	}
}
