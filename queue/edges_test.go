package queue

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// Issue 17, mutation survivors: the edges the other tests left open.

// Retries are spread: the ±10% jitter really varies (many entries made in
// one outage do not all hit the smarthost in the same second), and both
// ends of the range are reachable.
func TestJitterSpreads(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 200 {
		seen[jitter(time.Hour)] = true
	}
	if len(seen) < 2 {
		t.Errorf("jitter(1h) gave one value in 200 draws: %v", seen)
	}
	// 10ns: ±10% is 9, 10 or 11 ns.
	seen = map[time.Duration]bool{}
	for range 3000 {
		seen[jitter(10)] = true
	}
	if !seen[9] || !seen[11] || len(seen) != 3 {
		t.Errorf("jitter(10ns) gave %v, want each of 9, 10 and 11", seen)
	}
	for _, d := range []time.Duration{0, -time.Minute} {
		if got := jitter(d); got != d {
			t.Errorf("jitter(%v) = %v, want it unchanged", d, got)
		}
	}
}

// A write failure names the entry and the directory, and says what to do.
func TestWriteErrorNamesEntry(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	os.Remove(q.path(newDir, ""))
	os.WriteFile(q.path(newDir, ""), nil, 0o600)
	err := d.Commit(entry("a@example.com"))
	want := "queue: cannot commit " + d.ID() + " in " + q.Dir + ": "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Commit error %q, want it to start %q", err, want)
	}

	q = newQueue(t)
	os.Remove(q.path(tmpDir, ""))
	os.WriteFile(q.path(tmpDir, ""), nil, 0o600)
	_, err = q.NewDraft()
	want = "queue: cannot create a message file in " + q.Dir + ": "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("NewDraft error %q, want it to start %q", err, want)
	}
}

// A failed write (disk full) is reported, never turned into success by the
// fsync and close that follow, and leaves no partial file.
func TestCloseSyncedKeepsWriteError(t *testing.T) {
	q := newQueue(t)
	f, err := os.Create(q.path(tmpDir, "partial"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half a mess")
	full := errors.New("no space left on device")
	if err := closeSynced(f, full); err != full {
		t.Errorf("closeSynced = %v, want the write error", err)
	}
	if _, err := os.Stat(f.Name()); !os.IsNotExist(err) {
		t.Errorf("the partial file is still there: %v", err)
	}
}

// The JSON on disk says whether the entry is a dead letter, as README's
// "On disk" describes it, and a retry clears it.
func TestFailedFlagOnDisk(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	if err := d.Commit(entry("a@example.com")); err != nil {
		t.Fatal(err)
	}
	id := d.ID()
	e := show(t, q, id)
	if err := q.fail(e, "refused"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(q.path(failedDir, id+".json")); !strings.Contains(string(b), `"failed": true`) {
		t.Errorf("failed/%s.json lacks \"failed\": true:\n%s", id, b)
	}
	if err := q.Retry(id); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(q.path(newDir, id+".json")); strings.Contains(string(b), `"failed"`) {
		t.Errorf("new/%s.json still says failed after a retry:\n%s", id, b)
	}
}

// queue drop removes what it is asked to in failed/: a damaged entry (the
// way out its error message offers), and the new/ half an interrupted
// move left beside a failed entry, which would otherwise be sent later.
func TestDropFailedEdges(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	if err := d.Fail(entry("a@example.com"), "refused"); err != nil {
		t.Fatal(err)
	}
	damaged := d.ID()
	os.WriteFile(q.path(failedDir, damaged+".json"), []byte("{not json"), 0o600)
	if _, err := q.List(); err == nil {
		t.Fatal("List does not report the damaged entry")
	}
	if err := q.Drop(damaged); err != nil {
		t.Fatalf("Drop(damaged in failed/): %v", err)
	}
	wantFiles(t, q)

	d = spool(t, q, body)
	if err := d.Commit(entry("b@example.com")); err != nil {
		t.Fatal(err)
	}
	id := d.ID()
	// The interrupted move: committed in failed/, not yet removed from new/.
	if err := linkOrCopy(q.path(newDir, id+".eml"), q.path(failedDir, id+".eml")); err != nil {
		t.Fatal(err)
	}
	e := show(t, q, id)
	e.Reason = "refused"
	if err := q.update(failedDir, e); err != nil {
		t.Fatal(err)
	}
	if err := q.Drop(id); err != nil {
		t.Fatalf("Drop(twin): %v", err)
	}
	wantFiles(t, q)
}

// "Older than a day": a leftover exactly a day old stays until the next
// clean; a second later it goes.
func TestCleanOrphanAgeBoundary(t *testing.T) {
	q := newQueue(t)
	p := q.path(tmpDir, newID(time.Now())+".eml")
	os.WriteFile(p, []byte("x"), 0o600)
	mtime := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	q.Now = func() time.Time { return mtime.Add(orphanAge) }
	if err := q.Clean(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("a leftover exactly a day old was removed: %v", err)
	}
	q.Now = func() time.Time { return mtime.Add(orphanAge + time.Second) }
	if err := q.Clean(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("a leftover a day and a second old is still there: %v", err)
	}
}
