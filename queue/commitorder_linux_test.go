package queue

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dirEvents watches directories with inotify and returns, in the order the
// kernel saw them, the names that appeared in them ("new/ID.eml"): by
// rename (IN_MOVED_TO) or by creation (IN_CREATE, which a hard link is).
// The kernel queues the event before rename or link returns, so reading
// after the operation sees all of them, in order.
func dirEvents(t *testing.T, q *Queue, subs ...string) func() []string {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	wds := map[int32]string{}
	for _, sub := range subs {
		wd, err := unix.InotifyAddWatch(fd, q.path(sub, ""), unix.IN_MOVED_TO|unix.IN_CREATE)
		if err != nil {
			t.Fatalf("inotify watch %s: %v", sub, err)
		}
		wds[int32(wd)] = sub
	}
	return func() []string {
		var out []string
		buf := make([]byte, 64<<10)
		for {
			n, err := unix.Read(fd, buf)
			if errors.Is(err, unix.EAGAIN) {
				return out
			}
			if err != nil {
				t.Fatalf("inotify read: %v", err)
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				out = append(out, wds[ev.Wd]+"/"+string(bytes.TrimRight(name, "\x00")))
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}
}

// Issue 17 finding 3: an entry's JSON is its commit point, so it must
// appear in new/ (or failed/) only after its message file is there. In the
// other order, a crash between the two renames leaves an entry whose
// message is lost. TestQueueCrashSafety's random kills seldom land in that
// window; the kernel's own record of the order does not depend on luck.
func TestCommitOrder(t *testing.T) {
	q := newQueue(t)
	events := dirEvents(t, q, newDir, failedDir)
	wantOrder := func(what string, want ...string) {
		t.Helper()
		if got := events(); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: names appeared in the order\n %q\nwant %q (the message before its entry)", what, got, want)
		}
	}

	d := spool(t, q, body)
	id := d.ID()
	if err := d.Commit(entry("a@example.com")); err != nil {
		t.Fatal(err)
	}
	wantOrder("Commit", "new/"+id+".eml", "new/"+id+".json")

	e, f, err := q.Show(id)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := q.fail(e, "refused"); err != nil {
		t.Fatal(err)
	}
	wantOrder("new/ to failed/", "failed/"+id+".eml", "failed/"+id+".json")

	if err := q.Retry(id); err != nil {
		t.Fatal(err)
	}
	wantOrder("Retry (failed/ to new/)", "new/"+id+".eml", "new/"+id+".json")

	d = spool(t, q, body)
	if err := d.Fail(entry("b@example.com"), "refused at once"); err != nil {
		t.Fatal(err)
	}
	wantOrder("Draft.Fail", "failed/"+d.ID()+".eml", "failed/"+d.ID()+".json")
}
