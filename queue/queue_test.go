package queue

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

func newQueue(t *testing.T) *Queue {
	t.Helper()
	q, err := Open(filepath.Join(t.TempDir(), "queue"))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// files lists the regular files under the queue (relative, sorted),
// without the lock file.
func files(t *testing.T, q *Queue) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(q.Dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(q.Dir, p)
			if rel != lockFile {
				out = append(out, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func wantFiles(t *testing.T, q *Queue, want ...string) {
	t.Helper()
	got := files(t, q)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files in queue:\n got %q\nwant %q", got, want)
	}
}

// spool writes body into a new draft.
func spool(t *testing.T, q *Queue, body string) *Draft {
	t.Helper()
	d, err := q.NewDraft()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(d, body); err != nil {
		t.Fatal(err)
	}
	return d
}

func entry(rcpts ...string) *Entry {
	return &Entry{From: "me@example.com", Rcpts: Pending(rcpts)}
}

const body = "From: me@example.com\r\nSubject: hi\r\n\r\nhello\r\n"

func TestOpenModes(t *testing.T) {
	q := newQueue(t)
	for _, sub := range []string{"", tmpDir, newDir, failedDir} {
		fi, err := os.Stat(filepath.Join(q.Dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s/%s: mode %v, want 0700 or stricter", q.Dir, sub, m)
		}
	}
	// Opening again is fine and keeps the entries.
	d := spool(t, q, body)
	if err := d.Commit(entry("a@example.com")); err != nil {
		t.Fatal(err)
	}
	q2, err := Open(q.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := q2.List(); err != nil || len(l) != 1 {
		t.Fatalf("List after reopen: %v entries, %v", len(l), err)
	}
}

func TestDraftCommit(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	id := d.ID()
	wantFiles(t, q, "tmp/"+id+".eml")
	e := entry("a@example.com", "b@example.com")
	e.Account = "work"
	if err := d.Commit(e); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, q, "new/"+id+".eml", "new/"+id+".json")
	for _, name := range []string{id + ".eml", id + ".json"} {
		fi, err := os.Stat(filepath.Join(q.Dir, newDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, m)
		}
	}
	got, f, err := q.Show(id)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if string(b) != body {
		t.Errorf("message bytes = %q, want %q", b, body)
	}
	if f.Name() != filepath.Join(q.Dir, newDir, id+".eml") {
		t.Errorf("Show path = %s", f.Name())
	}
	if got.Version != 1 || got.ID != id || got.Account != "work" || got.Size != int64(len(body)) ||
		got.Failed || got.Created.IsZero() || len(got.PendingAddrs()) != 2 {
		t.Errorf("entry = %+v", got)
	}
	// Discard after Commit does nothing.
	if err := d.Discard(); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, q, "new/"+id+".eml", "new/"+id+".json")
	if err := d.Commit(e); err == nil {
		t.Error("second Commit succeeded")
	}
}

func TestDraftDiscard(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	if err := d.Discard(); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, q)
}

func TestDraftFail(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	e := entry("a@example.com")
	e.Rcpts[0].State, e.Rcpts[0].Error = StateFailed, "550 no such user"
	if err := d.Fail(e, "recipient refused"); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, q, "failed/"+d.ID()+".eml", "failed/"+d.ID()+".json")
	l, err := q.List()
	if err != nil || len(l) != 1 {
		t.Fatalf("List: %d, %v", len(l), err)
	}
	if !l[0].Failed || l[0].Reason != "recipient refused" || l[0].Rcpts[0].State != StateFailed {
		t.Errorf("failed entry = %+v", l[0])
	}
}

func TestDraftCommitNoRecipients(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	if err := d.Commit(&Entry{}); err == nil {
		t.Fatal("Commit without recipients succeeded")
	}
	d.Discard()
	wantFiles(t, q)
}

func TestDraftReader(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, "part one\r\n")
	r, err := d.Reader()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	if string(b) != "part one\r\n" {
		t.Fatalf("Reader = %q", b)
	}
	if _, err := r.Seek(5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(r)
	if string(b) != "one\r\n" {
		t.Fatalf("after Seek = %q", b)
	}
	// Writing goes on at the end, undisturbed by reading.
	io.WriteString(d, "part two\r\n")
	if err := d.Commit(entry("a@example.com")); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(q.Dir, newDir, d.ID()+".eml"))
	if string(b) != "part one\r\npart two\r\n" {
		t.Fatalf("committed = %q", b)
	}
}

func TestDraftLarge(t *testing.T) {
	q := newQueue(t)
	d, err := q.NewDraft()
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 998) + "\r\n"
	for range 3000 { // 3 MB, more than the write buffer many times over
		io.WriteString(d, line)
	}
	r, _ := d.Reader()
	n, _ := io.Copy(io.Discard, r)
	if n != int64(3000*len(line)) {
		t.Fatalf("Reader gave %d bytes", n)
	}
	d.Discard()
}

func setOld(t *testing.T, path string) {
	t.Helper()
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// TestCrashLeftovers simulates what a SIGKILL leaves at each step of a
// spool or commit (research case 24, 26): List must see only whole
// entries, and Clean must remove the leftovers once they are old.
func TestCrashLeftovers(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	if err := d.Commit(entry("a@example.com")); err != nil {
		t.Fatal(err)
	}
	whole := d.ID()
	now := time.Now()
	ids := make([]string, 6)
	for i := range ids {
		ids[i] = newID(now)
	}
	write := func(rel string, old bool) {
		p := filepath.Join(q.Dir, rel)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if old {
			setOld(t, p)
		}
	}
	write("tmp/"+ids[0]+".eml", true)         // killed while spooling, long ago
	write("tmp/"+ids[1]+".eml", false)        // a spool in progress
	write("tmp/"+ids[2]+".json", true)        // killed between the JSON write and the renames
	write("tmp/"+ids[3]+".json.123456", true) // killed during a state update
	write("new/"+ids[4]+".eml", true)         // killed between the two renames, long ago
	write("new/"+ids[5]+".eml", false)        // a commit in progress right now

	l, err := q.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 1 || l[0].ID != whole {
		t.Fatalf("List = %v entries, want only %s", len(l), whole)
	}
	if err := q.Clean(); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, q, "new/"+whole+".eml", "new/"+whole+".json",
		"tmp/"+ids[1]+".eml", "new/"+ids[5]+".eml")
}

// TestInterruptedMove: a crash while moving new/→failed/ leaves the entry
// committed in both; it counts as failed and Clean finishes the move.
func TestInterruptedMove(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	e := entry("a@example.com")
	if err := d.Commit(e); err != nil {
		t.Fatal(err)
	}
	id := d.ID()
	if err := linkOrCopy(q.path(newDir, id+".eml"), q.path(failedDir, id+".eml")); err != nil {
		t.Fatal(err)
	}
	e.Reason = "refused"
	if err := q.update(failedDir, e); err != nil {
		t.Fatal(err)
	}
	l, err := q.List()
	if err != nil || len(l) != 1 || !l[0].Failed {
		t.Fatalf("List = %+v, %v; want one failed entry", l, err)
	}
	if err := q.Clean(); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, q, "failed/"+id+".eml", "failed/"+id+".json")
}

func TestNewerVersionRefused(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	if err := d.Commit(entry("a@example.com")); err != nil {
		t.Fatal(err)
	}
	id := newID(time.Now())
	os.WriteFile(q.path(newDir, id+".eml"), []byte(body), 0o600)
	os.WriteFile(q.path(newDir, id+".json"), []byte(`{"version": 2, "id": "`+id+`", "future": true}`), 0o600)

	l, err := q.List()
	if len(l) != 1 || l[0].ID != d.ID() {
		t.Fatalf("List = %d entries, want the readable one", len(l))
	}
	want := "queue: " + id + ".json was written by a newer outbox (format 2); upgrade outbox or remove it"
	var qe *Error
	if !errors.As(err, &qe) || qe.Kind != KindFormat || err.Error() != want {
		t.Fatalf("List error = %v\nwant %s", err, want)
	}
	if err := q.Clean(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.Show(id); err == nil || err.Error() != want {
		t.Errorf("Show error = %v", err)
	}
	if err := q.Retry(id); err == nil {
		t.Error("Retry of a newer entry succeeded")
	}
	if _, err := os.Stat(q.path(newDir, id+".json")); err != nil {
		t.Fatalf("newer entry was touched: %v", err)
	}
	// Drop is the way out the message offers.
	if err := q.Drop(id); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, q, "new/"+d.ID()+".eml", "new/"+d.ID()+".json")
}

func TestDamagedEntries(t *testing.T) {
	q := newQueue(t)
	for _, tc := range []struct{ name, json string }{
		{"garbage", "not json"},
		{"noversion", `{"id":"X"}`},
		{"wrongid", `{"version":1,"id":"01ARZ3NDEKTSV4RRFFQ6","rcpts":[{"addr":"a","state":"pending"}]}`},
		{"norcpt", `{"version":1,"id":"ID"}`},
		{"badstate", `{"version":1,"id":"ID","rcpts":[{"addr":"a","state":"lost"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := newID(time.Now())
			os.WriteFile(q.path(newDir, id+".eml"), []byte(body), 0o600)
			os.WriteFile(q.path(newDir, id+".json"), []byte(strings.ReplaceAll(tc.json, `"ID"`, `"`+id+`"`)), 0o600)
			_, err := q.List()
			var qe *Error
			if !errors.As(err, &qe) || qe.Kind != KindFormat || !strings.Contains(err.Error(), id) {
				t.Fatalf("List error = %v", err)
			}
			q.Drop(id)
		})
	}
	// A JSON whose message file vanished is reported, not listed.
	d := spool(t, q, body)
	d.Commit(entry("a@example.com"))
	os.Remove(q.path(newDir, d.ID()+".eml"))
	if l, err := q.List(); len(l) != 0 || err == nil || !strings.Contains(err.Error(), "no message file") {
		t.Fatalf("List = %d, %v", len(l), err)
	}
}

// TestUnwritable: research case 21/22 — a queue that can't be written is
// KindWrite (exit 73), and the message names the directory and the fix.
// chmod does not stop root (tests run as root in CI), so the directories
// are made impossible with a regular file where a directory should be.
func TestUnwritable(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	_, err := Open(filepath.Join(file, "queue"))
	var qe *Error
	if !errors.As(err, &qe) || qe.Kind != KindWrite {
		t.Fatalf("Open under a file: %v, want KindWrite", err)
	}
	if !strings.Contains(err.Error(), filepath.Join(file, "queue")) || !strings.Contains(err.Error(), "queue_dir") {
		t.Errorf("error does not name the dir and the fix: %v", err)
	}

	q := newQueue(t)
	os.Remove(q.path(tmpDir, ""))
	os.WriteFile(q.path(tmpDir, ""), nil, 0o600)
	_, err = q.NewDraft()
	if !errors.As(err, &qe) || qe.Kind != QueueWrite {
		t.Fatalf("NewDraft with tmp/ a file: %v, want KindWrite", err)
	}

	// Read-only tmp/ and new/, as an ordinary user: TestReadOnlyQueue.

	// Commit into an unwritable new/ leaves nothing behind.
	q = newQueue(t)
	d := spool(t, q, body)
	os.Remove(q.path(newDir, ""))
	os.WriteFile(q.path(newDir, ""), nil, 0o600)
	err = d.Commit(entry("a@example.com"))
	if !errors.As(err, &qe) || qe.Kind != KindWrite {
		t.Fatalf("Commit: %v, want KindWrite", err)
	}
	des, _ := os.ReadDir(q.path(tmpDir, ""))
	if len(des) != 0 {
		t.Errorf("tmp/ not empty after a failed Commit: %v", des)
	}
}

func TestIDs(t *testing.T) {
	prev := ""
	seen := map[string]bool{}
	start := time.Now()
	for i := range 2000 {
		id := newID(start.Add(time.Duration(i) * time.Millisecond))
		if !validID(id) {
			t.Fatalf("invalid id %q", id)
		}
		if id[:10] <= prev[:min(len(prev), 10)] && prev != "" {
			t.Fatalf("ids not sorted by time: %s after %s", id, prev)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		prev = id
	}
	for _, bad := range []string{"", "../../etc/passwd..", "01ARZ3NDEKTSV4RRFFQ", "01ARZ3NDEKTSV4RRFFQ/", "01arz3ndektsv4rrffq6", "01ARZ3NDEKTSV4RRFFQI"} {
		if validID(bad) {
			t.Errorf("validID(%q) = true", bad)
		}
	}
}

func TestShowDropRetry(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	e := entry("a@example.com", "b@example.com")
	e.Rcpts[0].State = StateSent
	e.Rcpts[1].State, e.Rcpts[1].Error = StateFailed, "550 no"
	e.Attempts = 3
	e.Created = time.Now().Add(-10 * 24 * time.Hour)
	if err := d.Fail(e, "refused"); err != nil {
		t.Fatal(err)
	}
	id := d.ID()
	if err := q.Retry(id); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, q, "new/"+id+".eml", "new/"+id+".json")
	got, f, err := q.Show(id)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got.Failed || got.Reason != "" || got.Attempts != 0 || got.Rcpts[0].State != StateSent ||
		got.Rcpts[1].State != StatePending || got.Retried.IsZero() || got.age(time.Now()) > time.Minute {
		t.Errorf("after Retry: %+v", got)
	}
	// Retry of a queued entry makes it due now.
	got.NextAttempt = time.Now().Add(time.Hour)
	q.update(newDir, got)
	if err := q.RetryAll(); err != nil {
		t.Fatal(err)
	}
	got, f, _ = q.Show(id)
	f.Close()
	if got.NextAttempt.After(time.Now()) {
		t.Errorf("RetryAll left NextAttempt %v", got.NextAttempt)
	}

	var qe *Error
	for _, bad := range []string{"../../../etc/passwd", newID(time.Now())} {
		if err := q.Drop(bad); !errors.As(err, &qe) || qe.Kind != KindNotFound {
			t.Errorf("Drop(%q) = %v, want KindNotFound", bad, err)
		}
		if _, _, err := q.Show(bad); !errors.As(err, &qe) || qe.Kind != KindNotFound {
			t.Errorf("Show(%q) = %v, want KindNotFound", bad, err)
		}
	}
	if err := q.Drop(id); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, q)
}

func TestLockBusy(t *testing.T) {
	q := newQueue(t)
	d := spool(t, q, body)
	d.Commit(entry("a@example.com"))
	unlock, err := q.tryLock("test")
	if err != nil {
		t.Fatal(err)
	}
	var qe *Error
	if err := q.Drop(d.ID()); !errors.As(err, &qe) || qe.Kind != KindBusy {
		t.Fatalf("Drop while locked = %v, want KindBusy", err)
	}
	if err := q.Clean(); !errors.As(err, &qe) || qe.Kind != KindBusy {
		t.Fatalf("Clean while locked = %v, want KindBusy", err)
	}
	unlock()
	if err := q.Drop(d.ID()); err != nil {
		t.Fatal(err)
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{0, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, time.Hour, time.Hour}
	for n, w := range want {
		if got := Backoff(n); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, w)
		}
	}
	for range 1000 {
		for _, d := range schedule {
			j := jitter(d)
			if j < d-d/10 || j > d+d/10 {
				t.Fatalf("jitter(%v) = %v, outside ±10%%", d, j)
			}
		}
	}
	q := &Queue{Jitter: func(d time.Duration) time.Duration { return d }}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := q.nextAttempt(now, 3); !got.Equal(now.Add(15 * time.Minute)) {
		t.Errorf("nextAttempt = %v", got)
	}
}

func FuzzDecodeEntry(f *testing.F) {
	e := entry("a@example.com", "b@example.com")
	e.ID, e.Version = "01ARZ3NDEKTSV4RRFFQ6", 1
	b, _ := encodeEntry(e)
	f.Add(b)
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"id":"01ARZ3NDEKTSV4RRFFQ6","rcpts":[{"addr":"x","state":"sent"}],"created":"bad"}`))
	f.Add([]byte(`null`))
	f.Add([]byte{0xff, '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry("01ARZ3NDEKTSV4RRFFQ6", b)
		if err == nil {
			if e.ID != "01ARZ3NDEKTSV4RRFFQ6" || len(e.Rcpts) == 0 || e.Version != formatVersion {
				t.Fatalf("accepted an invalid entry: %+v", e)
			}
			// What decodes must round-trip.
			b2, err := encodeEntry(e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := decodeEntry(e.ID, b2); err != nil {
				t.Fatalf("re-decode: %v", err)
			}
		}
	})
}

// A queue directory someone else made, or one others may write, would hand
// them the mail: Open refuses it (73) instead of spooling into it.
func TestOpenRefusesForeignDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix owners")
	}
	open := t.TempDir()
	loose := filepath.Join(open, "loose")
	if err := os.Mkdir(loose, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o777); err != nil {
		t.Fatal(err)
	}
	var qe *Error
	if _, err := Open(loose); !errors.As(err, &qe) || qe.Kind != KindWrite || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("Open(0777 dir) = %v, want KindWrite naming the mode", err)
	}
	if os.Geteuid() != 0 {
		return // only root can give a directory away
	}
	foreign := filepath.Join(open, "foreign")
	if err := os.Mkdir(foreign, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(foreign, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(foreign); !errors.As(err, &qe) || qe.Kind != KindWrite || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("Open(foreign dir) = %v, want KindWrite naming the owner", err)
	}
}
