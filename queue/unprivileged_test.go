package queue

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/internal/testuser"
)

// Issue 17 finding 9: a queue the user can't write to (tmp/ or new/
// read-only) refuses the message with KindWrite, saying what to do, and
// leaves nothing half-made. Root writes anywhere, so under root (CI) this
// runs as an ordinary user through testuser.
func TestReadOnlyQueue(t *testing.T) {
	if !testuser.Unprivileged(t) {
		return
	}
	wantWriteErr := func(what string, err error) {
		t.Helper()
		var qe *Error
		if !errors.As(err, &qe) || qe.Kind != KindWrite || !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("%s: %v, want KindWrite permission denied", what, err)
		}
		if !strings.Contains(err.Error(), "make the directory writable for this user, or set queue_dir") {
			t.Errorf("%s: %q does not say what to do", what, err)
		}
	}

	q := newQueue(t)
	if err := os.Chmod(q.path(tmpDir, ""), 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(q.path(tmpDir, ""), 0o700) })
	_, err := q.NewDraft()
	wantWriteErr("NewDraft with tmp/ 0500", err)
	wantFiles(t, q)

	q = newQueue(t)
	d := spool(t, q, body)
	if err := os.Chmod(q.path(newDir, ""), 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(q.path(newDir, ""), 0o700) })
	wantWriteErr("Commit with new/ 0500", d.Commit(entry("a@example.com")))
	wantFiles(t, q) // the draft is gone too: the caller reports the message as not accepted

	// queue drop in a read-only new/ says it failed; the entry stays.
	q = newQueue(t)
	d = spool(t, q, body)
	if err := d.Commit(entry("a@example.com")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(q.path(newDir, ""), 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(q.path(newDir, ""), 0o700) })
	wantWriteErr("Drop with new/ 0500", q.Drop(d.ID()))
	if entries, err := q.List(); err != nil || len(entries) != 1 {
		t.Errorf("after the failed Drop: %d entries, %v; want the entry still listed", len(entries), err)
	}
}
