package notify

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is an injected time: tests never wait for --every windows.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }
func (c *clock) set(hhmm string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2025-03-14 "+hhmm, time.Local)
	if err != nil {
		panic(err)
	}
	c.t = t
}

func exited(code int) *Result { return &Result{Args: []string{"check"}, ExitCode: code} }

func TestDecideChange(t *testing.T) {
	tr := &Tracker{Dir: t.TempDir()}
	for i, step := range []struct {
		code int
		send bool
	}{
		{0, false}, // no history: a success is no news
		{1, true},  // 0→1
		{1, false}, // still failing
		{2, true},  // WARNING→CRITICAL is a change too
		{0, true},  // recovered
		{0, false},
		{137, true},
	} {
		d, err := tr.Decide("check", OnChange, 0, exited(step.code))
		if err != nil {
			t.Fatal(err)
		}
		if d.Send != step.send {
			t.Errorf("step %d (exit %d): send %v, want %v", i, step.code, d.Send, step.send)
		}
	}
	// A job with no history that fails at once is news.
	if d, _ := tr.Decide("other", OnChange, 0, exited(3)); !d.Send {
		t.Error("first run failing: no mail")
	}
}

// Policies that need no history don't touch the state directory.
func TestDecideStateless(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	tr := &Tracker{Dir: dir}
	for _, tc := range []struct {
		p    Policy
		r    *Result
		send bool
	}{
		{OnFailure, exited(0), false},
		{OnFailure, exited(1), true},
		{OnAlways, exited(0), true},
		{OnOutput, exited(1), false},
		{OnOutput, &Result{Args: []string{"x"}, OutputSize: 1}, true},
	} {
		if d, err := tr.Decide("k", tc.p, 0, tc.r); err != nil || d.Send != tc.send {
			t.Errorf("%s exit %d: send %v (%v), want %v", tc.p, tc.r.ExitCode, d.Send, err, tc.send)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("state directory created: %v", err)
	}
}

func TestDecideEvery(t *testing.T) {
	c := &clock{}
	tr := &Tracker{Dir: t.TempDir(), Now: c.now}
	for i, step := range []struct {
		at    string
		code  int
		send  bool
		held  int
		since string
	}{
		{"10:00", 1, true, 0, ""},
		{"10:10", 1, false, 0, ""},
		{"10:20", 2, false, 0, ""}, // another failure: same class, same window
		{"10:30", 0, false, 0, ""}, // a success is not mailed by --on failure at all
		{"10:40", 1, false, 0, ""},
		{"11:05", 1, true, 3, "10:00"}, // the window is over: 3 held back
		{"11:06", 1, false, 0, ""},
		{"12:30", 1, true, 1, "11:05"},
	} {
		c.set(step.at)
		d, err := tr.Decide("backup", OnFailure, time.Hour, exited(step.code))
		if err != nil {
			t.Fatal(err)
		}
		if d.Send != step.send || d.Send && d.Held != step.held {
			t.Errorf("step %d at %s: send %v held %d, want %v %d", i, step.at, d.Send, d.Held, step.send, step.held)
		}
		if step.since != "" && d.Since.Format("15:04") != step.since {
			t.Errorf("step %d: since %s, want %s", i, d.Since.Format("15:04"), step.since)
		}
	}
}

// --every with always: successes and failures have separate windows, so a
// recovery is not held back behind failures.
func TestDecideEveryPerClass(t *testing.T) {
	c := &clock{}
	tr := &Tracker{Dir: t.TempDir(), Now: c.now}
	c.set("10:00")
	if d, _ := tr.Decide("j", OnAlways, time.Hour, exited(1)); !d.Send {
		t.Fatal("first failure not sent")
	}
	c.set("10:01")
	if d, _ := tr.Decide("j", OnAlways, time.Hour, exited(0)); !d.Send {
		t.Fatal("first success held behind the failure")
	}
	c.set("10:02")
	if d, _ := tr.Decide("j", OnAlways, time.Hour, exited(0)); d.Send {
		t.Fatal("second success in the window sent")
	}
}

// Concurrent runs of one job: every update counted, the file intact.
func TestDecideConcurrent(t *testing.T) {
	c := &clock{}
	c.set("10:00")
	dir := t.TempDir()
	const n = 20
	var wg sync.WaitGroup
	sent := make(chan bool, n)
	for range n {
		wg.Go(func() {
			tr := &Tracker{Dir: dir, Now: c.now}
			d, err := tr.Decide("same job", OnFailure, time.Hour, exited(1))
			if err != nil {
				t.Error(err)
			}
			sent <- d.Send
		})
	}
	wg.Wait()
	close(sent)
	count := 0
	for s := range sent {
		if s {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d mails sent by %d concurrent runs in one window, want 1", count, n)
	}
	c.set("11:30")
	d, err := (&Tracker{Dir: dir, Now: c.now}).Decide("same job", OnFailure, time.Hour, exited(1))
	if err != nil || !d.Send || d.Held != n-1 {
		t.Errorf("after the window: send %v held %d (%v), want true %d", d.Send, d.Held, err, n-1)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// A damaged state file is replaced, with a warning, and the run still
// decides (by policy, as with no history).
func TestDecideCorruptState(t *testing.T) {
	dir := t.TempDir()
	tr := &Tracker{Dir: dir}
	os.WriteFile(filepath.Join(dir, stateName("j")+".json"), []byte("{not json"), 0o600)
	d, err := tr.Decide("j", OnChange, 0, exited(1))
	if err == nil || !d.Send {
		t.Errorf("send %v err %v; want a mail and a warning", d.Send, err)
	}
	if d, err := tr.Decide("j", OnChange, 0, exited(1)); err != nil || d.Send {
		t.Errorf("state not rewritten: send %v err %v", d.Send, err)
	}
}

// An unusable state directory does not silence the alert.
func TestDecideNoStateDir(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	tr := &Tracker{Dir: filepath.Join(f, "sub")}
	if d, err := tr.Decide("j", OnChange, 0, exited(0)); err == nil || !d.Send {
		t.Errorf("send %v err %v", d.Send, err)
	}
}

func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"version":1,"key":"k","last":{"outcome":"exit 1","time":"2025-03-14T10:00:00Z"},"windows":{"failure":{"sent":"2025-03-14T10:00:00Z","held":3}}}`))
	f.Add([]byte(`{"version":1,"windows":{"failure":null}}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeState(b)
		if err != nil {
			return
		}
		for _, w := range st.Windows {
			if w == nil || w.Held < 0 {
				t.Fatal("bad window kept")
			}
		}
		if err := saveState(filepath.Join(t.TempDir(), "s.json"), st); err != nil {
			t.Fatal(err)
		}
	})
}
