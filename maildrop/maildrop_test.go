package maildrop

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func dropDir(t *testing.T) string {
	d := filepath.Join(t.TempDir(), "maildrop")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, Mode); err != nil {
		t.Fatal(err)
	}
	return d
}

// A written file reads back: message bytes exact, envelope as written.
func TestRoundTrip(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("CheckDir wants a root-owned drop directory")
	}
	dir := dropDir(t)
	f, err := Create(dir, "01JD3K0000000000ABCD")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("Subject: x\r\n\r\nOUTBOX-MAILDROP 1 1 1\n")
	f.Write(body)
	if err := f.Commit(&Envelope{Rcpts: []string{"root"}, From: "a@b", FromSet: true}); err != nil {
		t.Fatal(err)
	}
	m, err := Open(dir, "01JD3K0000000000ABCD", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got, _ := io.ReadAll(m.Body())
	if !bytes.Equal(got, body) || m.Env.Rcpts[0] != "root" || m.Env.From != "a@b" || m.Owner != 0 {
		t.Errorf("got %q %+v owner %d", got, m.Env, m.Owner)
	}
	// Garbage is refused with its content kept; a symlink without.
	os.WriteFile(filepath.Join(dir, "g"), []byte("hello\n"), 0o600)
	os.Symlink("/etc/passwd", filepath.Join(dir, "s"))
	for name, content := range map[string]bool{"g": true, "s": false} {
		_, err := Open(dir, name, 0)
		var r *Refused
		if !errors.As(err, &r) || (r.Content != nil) != content {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseTrailer: any file end either parses to a checked envelope
// whose sizes add up, or is an error; never a panic.
func FuzzParseTrailer(f *testing.F) {
	f.Add([]byte("msg{\"version\":1,\"rcpts\":[\"a\"],\"created\":\"2024-01-01T00:00:00Z\"}\nOUTBOX-MAILDROP 1 3 63\n"))
	f.Add([]byte("\nOUTBOX-MAILDROP 1 -1 5\n"))
	f.Add([]byte("OUTBOX-MAILDROP 1 0 99999999999\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, n, err := parseTrailer(b, int64(len(b)), bytes.NewReader(b))
		if err != nil {
			return
		}
		if n < 0 || n > int64(len(b)) || len(env.Rcpts) == 0 {
			t.Fatalf("size %d of %d, %+v", n, len(b), env)
		}
	})
}
