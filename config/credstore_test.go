package config

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needSystemdCreds skips without root or systemd-creds — except under
// CI=true, where test.sh installs systemd and runs as root.
func needSystemdCreds(t *testing.T) {
	t.Helper()
	if ok, why := SystemdCreds(); !ok {
		if os.Getenv("CI") == "true" {
			t.Fatalf("systemd-creds can't be used (%s); test.sh installs systemd and CI runs as root", why)
		}
		t.Skipf("systemd-creds can't be used: %s", why)
	}
}

// Issue 16: root's password is kept encrypted with systemd-creds (never
// in plaintext on disk) and decrypted by outbox when it needs it. The test
// uses a host key and a credstore of its own (SYSTEMD_CREDENTIAL_SECRET,
// OUTBOX_CREDSTORE_DIR, set by isolate), never the machine's.
func TestEncryptedCredential(t *testing.T) {
	needSystemdCreds(t)
	dir := isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	path, err := EncryptCredential("work", "creds-S3cret")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "credstore", "outbox-work"); path != want {
		t.Errorf("path %s, want %s", path, want)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("creds-S3cret")) {
		t.Fatal("the credential holds the password in plaintext")
	}
	fi, _ := os.Stat(path)
	di, _ := os.Stat(filepath.Dir(path))
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("modes %v %v", fi.Mode(), di.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, "credential.secret")); err != nil {
		t.Errorf("the test's own host key was not used: %v", err)
	}
	a := &Account{Name: "work", Host: "h", Username: "u"}
	if pw, err := a.Password(); err != nil || pw != "creds-S3cret" {
		t.Fatalf("Password = %q, %v", pw, err)
	}
	// $CREDENTIALS_DIRECTORY (what the units pass) comes first.
	cd := t.TempDir()
	must(t, os.WriteFile(filepath.Join(cd, "outbox-work"), []byte("from-unit\n"), 0o400))
	t.Setenv("CREDENTIALS_DIRECTORY", cd)
	if pw, _ := a.Password(); pw != "from-unit" {
		t.Errorf("CREDENTIALS_DIRECTORY first: %q", pw)
	}
	os.Unsetenv("CREDENTIALS_DIRECTORY")

	// Another host key can't decrypt it: an error naming the file.
	t.Setenv("SYSTEMD_CREDENTIAL_SECRET", filepath.Join(dir, "other.secret"))
	if out, err := exec.Command("systemd-creds", "setup").CombinedOutput(); err != nil {
		t.Fatalf("setup: %v %s", err, out)
	}
	_, err = a.Password()
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "systemd-creds can't decrypt "+path) || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("wrong key: %v", err)
	}
}
