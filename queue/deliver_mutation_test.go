package queue

// Tests written to kill the mutants gremlins left alive in
// queue/deliver.go's streaming flush (issue 17, "Mutation testing as a
// habit"; scripts/mutation queue). Each asserts what a user sees: the
// flush report, and what is left in new/ and failed/.

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

// fakeDialer dials a Fake (plaintext, no AUTH), counting the dials.
func fakeDialer(f *smtptest.Fake, dials *atomic.Int32) Dialer {
	host, port, _ := net.SplitHostPort(f.Addr)
	p, _ := strconv.Atoi(port)
	return func(ctx context.Context, acct string) (*send.Client, error) {
		dials.Add(1)
		return send.Dial(ctx, send.Options{Host: host, Port: p, TLS: send.NoTLS, Timeout: 2 * time.Second, Helo: "client.example"})
	}
}

// firstConnFault is a Fake Reply hook that answers reply n of the first
// connection with fault, and every other reply as usual.
func firstConnFault(n0 int, fault string) func(n int, cmd string) string {
	var mu sync.Mutex
	conns := 0
	return func(n int, cmd string) string {
		mu.Lock()
		defer mu.Unlock()
		if cmd == "greeting" {
			conns++
		}
		if conns == 1 && n == n0 {
			return fault
		}
		return ""
	}
}

// TestFlushWindowBreak: ten messages stream over one pipelined session
// (PIPELINING + CHUNKING); the connection is cut at the 4th message's
// MAIL. The three confirmed before are removed; the 4th, whose fate the
// cut decided, is deferred with one attempt; the six behind it, never
// answered, go over a second session at once and are delivered. The
// report counts each message tried once.
func TestFlushWindowBreak(t *testing.T) {
	// Replies: greeting 1, EHLO 2; job 1 MAIL 3, RCPT 4, BDAT 5; job k ≥ 2
	// RSET 4k-2, MAIL 4k-1: job 4's MAIL is reply 15.
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: firstConnFault(15, "CLOSE")})
	var dials atomic.Int32
	q := testQueue(t)
	ids := commitN(t, q, 10, "", "a@example.com")
	rep, err := q.Flush(context.Background(), fakeDialer(f, &dials), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tried != 10 || rep.Sent != 9 || rep.Deferred != 1 || rep.Failed != 0 || len(rep.Errors) != 1 {
		t.Errorf("report %+v", rep)
	}
	if d := dials.Load(); d != 2 {
		t.Errorf("%d dials, want 2", d)
	}
	if n := len(f.Messages()); n != 9 {
		t.Errorf("%d messages delivered, want 9", n)
	}
	left := leftIn(t, q, ids)
	if len(left) != 1 {
		t.Fatalf("left in new/: %q", left)
	}
	e := show(t, q, left[0])
	if e.Attempts != 1 || e.LastError == "" || states(e) != "a@example.com=pending" {
		t.Errorf("message 4: %+v", e)
	}
	wantFiles(t, q, "new/"+left[0]+".eml", "new/"+left[0]+".json")
}

// leftIn lists which of ids still have an entry in new/.
func leftIn(t *testing.T, q *Queue, ids []string) []string {
	t.Helper()
	var left []string
	have := strings.Join(files(t, q), " ")
	for _, id := range ids {
		if strings.Contains(have, "new/"+id+".json") {
			left = append(left, id)
		}
	}
	return left
}

// TestFlushWindowBreakEverySession: the same cut on every session: the
// messages behind the cut are retried over a new session only while
// sessions carry something; each message ends deferred once, none lost
// and none tried twice in one flush.
func TestFlushWindowBreakEverySession(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: func(n int, cmd string) string {
		if n == 15 {
			return "CLOSE"
		}
		return ""
	}})
	var dials atomic.Int32
	q := testQueue(t)
	ids := commitN(t, q, 10, "", "a@example.com")
	rep, err := q.Flush(context.Background(), fakeDialer(f, &dials), false)
	if err != nil {
		t.Fatal(err)
	}
	// Session 1: 1-3 sent, 4 deferred; session 2: 5-7 sent, 8 deferred;
	// session 3: 9, 10 sent.
	if rep.Tried != 10 || rep.Sent != 8 || rep.Deferred != 2 || rep.Failed != 0 {
		t.Errorf("report %+v", rep)
	}
	if d := dials.Load(); d != 3 {
		t.Errorf("%d dials, want 3", d)
	}
	left := leftIn(t, q, ids)
	if len(left) != 2 {
		t.Fatalf("left in new/: %q", left)
	}
	for _, id := range left {
		if e := show(t, q, id); e.Attempts != 1 {
			t.Errorf("%s: %d attempts", id, e.Attempts)
		}
	}
}
