package queue

// Tests written to kill the mutants gremlins left alive in
// queue/deliver.go's streaming flush (issue 17, "Mutation testing as a
// habit"; scripts/mutation queue). Each asserts what a user sees: the
// flush report, and what is left in new/ and failed/.

import (
	"context"
	"io"
	"net"
	"slices"
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

// TestFlushFinishesSplitOutcome: b was refused for good (550) and c
// deferred (451) at the first attempt; the flush that delivers c moves
// the entry to failed/ with b's refusal — read back from the entry on
// disk — as its last error, and says so in the report. The 550 and the
// 451 also decide the first attempt's outcome: b failed, c queued, and
// the error the user sees summarises both refusals.
func TestFlushFinishesSplitOutcome(t *testing.T) {
	var busy atomic.Bool
	busy.Store(true)
	s := smtptest.Start(t, smtptest.Options{OnRcpt: func(to string) error {
		if to == "c@example.com" && busy.Load() {
			return refuse(451, "c@example.com")(to)
		}
		return refuse(550, "b@example.com")(to)
	}})
	q := testQueue(t)
	d := spool(t, q, body)
	out, err := q.Submit(context.Background(), d, entry("b@example.com", "c@example.com"), dialer(s, "secret"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Failed, []string{"b@example.com"}) || !slices.Equal(out.Queued, []string{"c@example.com"}) || out.Err == nil ||
		!strings.Contains(out.Err.Error(), "all 2 recipients refused") {
		t.Fatalf("outcome %+v", out)
	}

	busy.Store(false)
	rep, err := q.Flush(context.Background(), dialer(s, "secret"), false)
	if err != nil || rep.Tried != 1 || rep.Failed != 1 || len(rep.Errors) != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	if msg := rep.Errors[0].Error(); !strings.Contains(msg, "kept in failed/") || !strings.Contains(msg, "b@example.com") || !strings.Contains(msg, "550") {
		t.Errorf("report: %q", msg)
	}
	e := failedEntry(t, q, d.ID())
	if states(e) != "b@example.com=failed c@example.com=sent" || !strings.Contains(e.LastError, "550") || !strings.HasPrefix(e.LastError, "b@example.com: ") {
		t.Errorf("failed entry %+v", e)
	}
	if msgs := s.WaitMessages(t, 1); !slices.Equal(msgs[0].To, []string{"c@example.com"}) {
		t.Errorf("delivered to %v", msgs[0].To)
	}
}

// TestFlushDialErrorOnPendingOnly: when the server can't be reached, the
// pending recipient shows the dial error (what `outbox queue list`
// prints for it); the recipient already sent keeps no error.
func TestFlushDialErrorOnPendingOnly(t *testing.T) {
	q := testQueue(t)
	d := spool(t, q, body)
	e := entry("a@example.com", "b@example.com")
	e.Rcpts[0].State = StateSent
	if err := d.Commit(e); err != nil {
		t.Fatal(err)
	}
	rep, err := q.Flush(context.Background(), downDialer(t, nil), false)
	if err != nil || rep.Deferred != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	e = show(t, q, d.ID())
	if e.Rcpts[0].Error != "" || !strings.Contains(e.Rcpts[1].Error, "127.0.0.1") || states(e) != "a@example.com=sent b@example.com=pending" {
		t.Errorf("entry %+v", e.Rcpts)
	}
}

// TestFlushConverts8Bit: an 8-bit message for a server without 8BITMIME
// goes out in the 7-bit form Convert8Bit makes (RFC 6152 §3), with the
// converted size declared.
func TestFlushConverts8Bit(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "SIZE 100000"}})
	var dials atomic.Int32
	q := testQueue(t)
	const seven = "Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n"
	q.Convert8Bit = func(msg io.ReadSeeker) (io.Reader, int64, error) {
		return strings.NewReader(seven), int64(len(seven)), nil
	}
	d := spool(t, q, "Subject: x\r\n\r\n\u00e9\r\n")
	e := entry("a@example.com")
	e.Body8Bit = true
	if err := d.Commit(e); err != nil {
		t.Fatal(err)
	}
	rep, err := q.Flush(context.Background(), fakeDialer(f, &dials), false)
	if err != nil || rep.Sent != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	msgs := f.Messages()
	if len(msgs) != 1 || string(msgs[0].Data) != seven {
		t.Fatalf("delivered %+v", msgs)
	}
	if !slices.Contains(f.Commands(), "MAIL FROM:<me@example.com> SIZE="+strconv.Itoa(len(seven))) {
		t.Errorf("commands %q", f.Commands())
	}
}

// TestExpiryReasonAge: the age limit appears in the expiry reason as a
// person would write it: whole days as "2d", whole hours as "36h", else
// Go's duration ("90m0s" reads as 1h30m0s).
func TestExpiryReasonAge(t *testing.T) {
	for age, want := range map[time.Duration]string{48 * time.Hour: "2d", 36 * time.Hour: "36h", 90 * time.Minute: "1h30m0s"} {
		q := testQueue(t)
		q.MaxAge = age
		id := commitN(t, q, 1, "", "a@example.com")[0]
		created := show(t, q, id).Created
		q.Now = func() time.Time { return created.Add(age) }
		if _, err := q.Flush(context.Background(), downDialer(t, nil), false); err != nil {
			t.Fatal(err)
		}
		if e := failedEntry(t, q, id); !strings.HasPrefix(e.Reason, "expired after "+want+": ") {
			t.Errorf("MaxAge %v: reason %q", age, e.Reason)
		}
	}
}
