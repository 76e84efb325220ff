package queue

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// Issue 17 finding 3: an entry whose message file is gone (an orphan) is
// reported by ID with the way out, and never stops the listing or the
// flush of the other entries; it is kept until the user drops it.
func TestOrphanEntryReported(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	good := commitN(t, q, 2, "", "good@example.com")
	orphan := commitN(t, q, 1, "", "orphan@example.com")[0]
	if err := os.Remove(q.path(newDir, orphan+".eml")); err != nil {
		t.Fatal(err)
	}
	wantOrphanErr := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), orphan+".json has no message file") ||
			!strings.Contains(err.Error(), "outbox queue drop "+orphan) {
			t.Errorf("%s: error %v, want one naming %s and outbox queue drop", what, err, orphan)
		}
	}

	entries, err := q.List()
	wantOrphanErr("List", err)
	if len(entries) != 2 || entries[0].ID != good[0] || entries[1].ID != good[1] {
		t.Errorf("List returned %d entries, want the 2 readable ones", len(entries))
	}

	rep, err := q.Flush(context.Background(), dialer(s, "secret"), false)
	if err != nil {
		t.Fatalf("Flush failed as a whole: %v", err)
	}
	if rep.Tried != 2 || rep.Sent != 2 || len(rep.Errors) != 1 {
		t.Fatalf("flush report %+v, want 2 tried, 2 sent, 1 error", rep)
	}
	wantOrphanErr("Flush report", rep.Errors[0])
	if n := len(s.Messages()); n != 2 {
		t.Errorf("the server received %d messages, want 2", n)
	}
	// Kept for the user to inspect or drop, not deleted behind their back.
	wantFiles(t, q, "new/"+orphan+".json")

	// The orphan alone: the listing is empty, not a failure.
	entries, err = q.List()
	wantOrphanErr("List of the orphan alone", err)
	if entries == nil || len(entries) != 0 {
		t.Errorf("List = %v (nil: %v), want an empty listing beside the error", entries, entries == nil)
	}
	if err := q.Drop(orphan); err != nil {
		t.Fatalf("Drop: %v", err)
	}
	wantFiles(t, q)
	if entries, err := q.List(); err != nil || len(entries) != 0 {
		t.Errorf("after Drop: %d entries, %v", len(entries), err)
	}
}
