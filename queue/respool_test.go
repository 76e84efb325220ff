package queue

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 14: mime.ReadStdin rewrites a draft whose lines are too long.
// The replacement takes the draft's place (same ID, size, mode 0600) and
// is what Commit queues; a failed rewrite leaves the old bytes whole and
// no second file.
func TestDraftRespool(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	id := d.ID()
	ok, err := d.Respool(func(old io.ReadSeeker, w io.Writer) error {
		b, err := io.ReadAll(old)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, strings.ToUpper(string(b)))
		return err
	})
	if !ok || err != nil {
		t.Fatalf("Respool: %v, %v", ok, err)
	}
	wantFiles(t, q, "tmp/"+id+".eml")
	if d.Size() != int64(len(body)) {
		t.Errorf("Size %d", d.Size())
	}
	// The draft is still writable after the swap.
	io.WriteString(d, "MORE\r\n")
	if err := d.Commit(entry("a@example.com")); err != nil {
		t.Fatal(err)
	}
	e, f, err := q.Show(id)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if want := strings.ToUpper(body) + "MORE\r\n"; string(b) != want || e.Size != int64(len(want)) {
		t.Errorf("queued %q (size %d), want %q", b, e.Size, want)
	}
	if fi, _ := f.Stat(); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}

	d = spool(t, q, body)
	boom := errors.New("boom")
	ok, err = d.Respool(func(old io.ReadSeeker, w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if ok || !errors.Is(err, boom) {
		t.Fatalf("failed rewrite: %v, %v", ok, err)
	}
	wantFiles(t, q, "new/"+id+".eml", "new/"+id+".json", "tmp/"+d.ID()+".eml")
	r, _ := d.Reader()
	if b, _ := io.ReadAll(r); string(b) != body {
		t.Errorf("after a failed rewrite: %q", b)
	}
	d.Discard()
}

// A maildrop draft is not rewritten: root's pickup spools it again.
func TestDraftRespoolMaildrop(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "drop")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o733|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("a drop directory must be root's; run as root (CI does)")
	}
	q, err := OpenMaildrop(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := q.NewDraft()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Discard()
	called := false
	ok, err := d.Respool(func(io.ReadSeeker, io.Writer) error { called = true; return nil })
	if ok || err != nil || called {
		t.Errorf("maildrop Respool: %v %v, rewrite called %v", ok, err, called)
	}
}
