package maildrop

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 17, mutation survivors: the size limits and the trailer's bounds,
// exactly at their edges.

func rootDropDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("CheckDir wants a root-owned drop directory: run as root (CI does)")
	}
	return dropDir(t)
}

// A message of exactly the limit is written; one byte more is ErrTooBig.
func TestWriteLimit(t *testing.T) {
	dir := rootDropDir(t)
	f, err := Create(dir, "01JD3K0000000000LIMT")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Discard()
	f.max = 10
	if n, err := f.Write([]byte("0123456789")); n != 10 || err != nil {
		t.Fatalf("Write of exactly the limit = %d, %v", n, err)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, ErrTooBig) {
		t.Fatalf("Write past the limit = %v, want ErrTooBig", err)
	}
}

// drop commits a message through the package's own writer.
func drop(t *testing.T, dir, id, body string) {
	t.Helper()
	f, err := Create(dir, id)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(body)) // not io.WriteString: File embeds *os.File, whose WriteString would skip the size count
	if err := f.Commit(&Envelope{Rcpts: []string{"r"}}); err != nil {
		t.Fatal(err)
	}
}

// root's pickup reads a message of exactly its limit, and refuses one a
// byte over it, saying so; a file smaller than the trailer window (128
// bytes) reads like any other.
func TestOpenLimits(t *testing.T) {
	dir := rootDropDir(t)
	drop(t, dir, "01JD3K0000000000SMAL", "Subject: x\r\n\r\nhi\r\n") // 18 bytes
	if fi, _ := os.Stat(filepath.Join(dir, "01JD3K0000000000SMAL")); fi.Size() >= 128 {
		t.Fatalf("the test file is %d bytes; it must be under 128", fi.Size())
	}
	m, err := Open(dir, "01JD3K0000000000SMAL", 18)
	if err != nil {
		t.Fatalf("Open(message of exactly the limit) = %v", err)
	}
	if b, _ := io.ReadAll(m.Body()); string(b) != "Subject: x\r\n\r\nhi\r\n" {
		t.Errorf("body %q", b)
	}
	m.Close()
	_, err = Open(dir, "01JD3K0000000000SMAL", 17)
	var r *Refused
	if !errors.As(err, &r) || !strings.Contains(r.Reason, "a message of 18 bytes, over the limit of 17 bytes") {
		t.Fatalf("Open(a byte over the limit) = %v, want refused naming both sizes", err)
	}
	r.Close()
}

// Hand-made files: the sizes in the trailer are checked at their bounds.
func TestTrailerBounds(t *testing.T) {
	dir := rootDropDir(t)
	env := `{"version":1,"rcpts":["r"],"created":"2026-01-01T00:00:00Z"}`
	write := func(name, msg, env string, envLen int) {
		t.Helper()
		content := fmt.Sprintf("%s%s\n%s 1 %d %d\n", msg, env, trailerTag, len(msg), envLen)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	write("empty", "", env, len(env)) // an empty message is a message
	if m, err := Open(dir, "empty", 0); err != nil || m.Size != 0 {
		t.Errorf("Open(empty message) = %v", err)
	} else {
		m.Close()
	}

	write("noenv", "x", "", 0)
	_, err := Open(dir, "noenv", 0)
	var r *Refused
	if !errors.As(err, &r) || !strings.Contains(r.Reason, "bad sizes in the trailer") {
		t.Errorf("Open(envelope size 0) = %v, want bad sizes", err)
	}

	// An envelope of exactly maxEnvelope bytes (JSON allows the padding).
	padded := env + strings.Repeat(" ", maxEnvelope-len(env))
	write("bigenv", "x", padded, len(padded))
	if m, err := Open(dir, "bigenv", 0); err != nil {
		t.Errorf("Open(envelope of exactly %d bytes) = %v", maxEnvelope, err)
	} else {
		m.Close()
	}
}
