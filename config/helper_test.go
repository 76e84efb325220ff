package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary play a password_command: with
// OUTBOX_TEST_HELPER set it acts instead of running tests, so the
// password_command tests need no shell or system tools.
func TestMain(m *testing.M) {
	switch os.Getenv("OUTBOX_TEST_HELPER") {
	case "":
		os.Exit(m.Run())
	case "args": // print the arguments, one per line
		fmt.Println(strings.Join(os.Args[1:], "\n"))
		os.Exit(0)
	case "crlf":
		fmt.Print("s3cret\r\nsecond line\r\n")
		os.Exit(0)
	case "fail":
		fmt.Fprintln(os.Stderr, "gpg: decryption failed: No secret key")
		fmt.Fprintln(os.Stderr, "second line")
		os.Exit(2)
	case "env": // print OUTBOX_PASSWORD or "unset"
		v, ok := os.LookupEnv("OUTBOX_PASSWORD")
		if !ok {
			v = "unset"
		}
		fmt.Println(v)
		os.Exit(0)
	case "empty":
		os.Exit(0)
	case "printfail": // the password on stdout, then a failure
		fmt.Println("s3cret-on-stdout")
		fmt.Fprintln(os.Stderr, "vault: session expired")
		os.Exit(1)
	}
	os.Exit(3)
}

// isolate points every path and variable config reads at an empty temp
// directory, so a test sees no real configuration, keyring or credentials.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	// Never the machine's /etc/credstore.encrypted or host key.
	t.Setenv("OUTBOX_CREDSTORE_DIR", filepath.Join(dir, "credstore"))
	t.Setenv("SYSTEMD_CREDENTIAL_SECRET", filepath.Join(dir, "credential.secret"))
	for _, v := range []string{"OUTBOX_CONFIG", "OUTBOX_HOST", "OUTBOX_PORT", "OUTBOX_TLS", "OUTBOX_USERNAME",
		"OUTBOX_PASSWORD", "OUTBOX_FROM", "OUTBOX_ACCOUNT", "CREDENTIALS_DIRECTORY", "OUTBOX_TEST_HELPER"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	return dir
}

// writeConfig writes text to dir/name with mode perm and returns its path.
func writeConfig(t *testing.T, dir, name, text string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // WriteFile's perm is masked by umask
		t.Fatal(err)
	}
	return p
}

func mustLoad(t *testing.T, text string) *Config {
	t.Helper()
	p := writeConfig(t, t.TempDir(), "config.toml", text, 0o600)
	c, err := Load(p)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}
