package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

func dialer(s *smtptest.Server, password string) Dialer {
	return func(ctx context.Context, acct string) (*send.Client, error) {
		return send.Dial(ctx, send.Options{Host: s.Host, Port: s.Port, TLS: "starttls", RootCAs: s.Pool,
			Username: "user", Password: func() (string, error) { return password, nil }, Auth: "auto",
			Timeout: 10 * time.Second})
	}
}

// downDialer dials a loopback port nobody listens on, counting calls.
func downDialer(t *testing.T, calls *atomic.Int32) Dialer {
	port := smtptest.ClosedPort(t)
	return func(ctx context.Context, acct string) (*send.Client, error) {
		if calls != nil {
			calls.Add(1)
		}
		return send.Dial(ctx, send.Options{Host: "127.0.0.1", Port: port, TLS: "starttls", Timeout: 5 * time.Second})
	}
}

// testQueue has no jitter, so that backoff times are exact.
func testQueue(t *testing.T) *Queue {
	q := newQueue(t)
	q.Jitter = func(d time.Duration) time.Duration { return d }
	return q
}

func refuse(code int, addr string) func(string) error {
	return func(to string) error {
		if to == addr {
			return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "not today"}
		}
		return nil
	}
}

func commitN(t *testing.T, q *Queue, n int, acct string, rcpts ...string) []string {
	t.Helper()
	var ids []string
	for range n {
		d, err := q.NewDraft()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(d, "Subject: %s\r\n\r\nbody of %s\r\n", d.ID(), d.ID())
		e := entry(rcpts...)
		e.Account = acct
		if err := d.Commit(e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID())
	}
	return ids
}

func show(t *testing.T, q *Queue, id string) *Entry {
	t.Helper()
	e, f, err := q.Show(id)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return e
}

func states(e *Entry) string {
	var s []string
	for _, r := range e.Rcpts {
		s = append(s, r.Addr+"="+string(r.State))
	}
	return strings.Join(s, " ")
}

func TestSubmitSent(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	d := spool(t, q, body)
	out, err := q.Submit(context.Background(), d, entry("a@example.com", "b@example.com"), dialer(s, "secret"), false)
	if err != nil {
		t.Fatal(err)
	}
	if out.ID != d.ID() || !slices.Equal(out.Sent, []string{"a@example.com", "b@example.com"}) ||
		len(out.Queued)+len(out.Failed) != 0 || out.Err != nil {
		t.Errorf("outcome = %+v", out)
	}
	msgs := s.WaitMessages(t, 1)
	if string(msgs[0].Data) != body || msgs[0].Auth != "user" {
		t.Errorf("server got %q (auth %q)", msgs[0].Data, msgs[0].Auth)
	}
	wantFiles(t, q)
}

// Research case 11: 550 at RCPT for one of three.
func TestSubmitRcpt550(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{OnRcpt: refuse(550, "b@example.com")})
	q := testQueue(t)
	d := spool(t, q, body)
	out, err := q.Submit(context.Background(), d, entry("a@example.com", "b@example.com", "c@example.com"), dialer(s, "secret"), false)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if !slices.Equal(out.Sent, []string{"a@example.com", "c@example.com"}) || !slices.Equal(out.Failed, []string{"b@example.com"}) ||
		out.Err == nil || !strings.Contains(out.Err.Error(), "550") {
		t.Errorf("outcome = %+v", out)
	}
	if msgs := s.WaitMessages(t, 1); !slices.Equal(msgs[0].To, []string{"a@example.com", "c@example.com"}) {
		t.Errorf("server To = %v", msgs[0].To)
	}
	wantFiles(t, q, "failed/"+d.ID()+".eml", "failed/"+d.ID()+".json")
	e := show(t, q, d.ID())
	if !e.Failed || states(e) != "a@example.com=sent b@example.com=failed c@example.com=sent" ||
		!strings.Contains(e.Rcpts[1].Error, "550") || e.Reason == "" {
		t.Errorf("failed entry = %+v", e)
	}
}

// Research case 10: 451 at RCPT for one of three: two delivered now, the
// third later, and the two never again.
func TestSubmitRcpt451ThenFlush(t *testing.T) {
	var busy atomic.Bool
	busy.Store(true)
	s := smtptest.Start(t, smtptest.Options{OnRcpt: func(to string) error {
		if busy.Load() {
			return refuse(451, "c@example.com")(to)
		}
		return nil
	}})
	q := testQueue(t)
	start := time.Now()
	q.Now = func() time.Time { return start }
	dial := dialer(s, "secret")
	d := spool(t, q, body)
	out, err := q.Submit(context.Background(), d, entry("a@example.com", "b@example.com", "c@example.com"), dial, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Sent, []string{"a@example.com", "b@example.com"}) || !slices.Equal(out.Queued, []string{"c@example.com"}) ||
		len(out.Failed) != 0 || out.Err == nil {
		t.Errorf("outcome = %+v", out)
	}
	e := show(t, q, d.ID())
	if states(e) != "a@example.com=sent b@example.com=sent c@example.com=pending" || e.Attempts != 1 ||
		!e.NextAttempt.Equal(start.Add(time.Minute)) || !strings.Contains(e.LastError, "451") {
		t.Errorf("queued entry = %+v", e)
	}

	// Not due yet: a due flush leaves it alone.
	rep, err := q.Flush(context.Background(), dial, true)
	if err != nil || rep.Tried != 0 {
		t.Fatalf("due flush before backoff: %+v, %v", rep, err)
	}
	// Still 451 a minute later: deferred with the next step of the backoff.
	q.Now = func() time.Time { return start.Add(61 * time.Second) }
	rep, err = q.Flush(context.Background(), dial, true)
	if err != nil || rep.Tried != 1 || rep.Deferred != 1 {
		t.Fatalf("second attempt: %+v, %v", rep, err)
	}
	e = show(t, q, d.ID())
	if e.Attempts != 2 || !e.NextAttempt.Equal(start.Add(61*time.Second+5*time.Minute)) {
		t.Errorf("after 2nd attempt: attempts %d, next %v", e.Attempts, e.NextAttempt.Sub(start))
	}

	busy.Store(false)
	rep, err = q.Flush(context.Background(), dial, false)
	if err != nil || rep.Tried != 1 || rep.Sent != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	msgs := s.WaitMessages(t, 2)
	if len(msgs) != 2 || !slices.Equal(msgs[1].To, []string{"c@example.com"}) || string(msgs[1].Data) != body {
		t.Errorf("second delivery To = %v (%d messages)", msgs[1].To, len(msgs))
	}
	wantFiles(t, q)
}

// Research cases 1 and 23-ish: server down → queued; a later flush
// delivers it once.
func TestSubmitServerDown(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	d := spool(t, q, body)
	out, err := q.Submit(context.Background(), d, entry("a@example.com"), downDialer(t, nil), false)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	var se *send.Error
	if !slices.Equal(out.Queued, []string{"a@example.com"}) || !errors.As(out.Err, &se) || !se.Temporary {
		t.Fatalf("outcome = %+v", out)
	}
	wantFiles(t, q, "new/"+d.ID()+".eml", "new/"+d.ID()+".json")

	rep, err := q.Flush(context.Background(), dialer(s, "secret"), false)
	if err != nil || rep.Sent != 1 || len(rep.Errors) != 0 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	rep, err = q.Flush(context.Background(), dialer(s, "secret"), false)
	if err != nil || rep.Tried != 0 {
		t.Fatalf("second flush: %+v, %v", rep, err)
	}
	if msgs := s.Messages(); len(msgs) != 1 || string(msgs[0].Data) != body {
		t.Fatalf("server got %d messages", len(msgs))
	}
	wantFiles(t, q)
}

func TestSubmitNoQueue(t *testing.T) {
	q := testQueue(t)
	d := spool(t, q, body)
	out, err := q.Submit(context.Background(), d, entry("a@example.com"), downDialer(t, nil), true)
	var se *send.Error
	if !errors.As(err, &se) || !se.Temporary || out.Err != err || len(out.Queued) != 0 {
		t.Fatalf("Submit = %+v, %v; want the temporary error", out, err)
	}
	wantFiles(t, q)
}

// Decision for research case 19: AUTH 535 in the first attempt keeps the
// message in failed/ and returns the error (exit 77); after the password
// is fixed, retry puts it back and a flush delivers it.
func TestSubmitAuthFailed(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	d := spool(t, q, body)
	out, err := q.Submit(context.Background(), d, entry("a@example.com"), dialer(s, "wrong"), false)
	var se *send.Error
	if !errors.As(err, &se) || se.Kind != send.KindAuth || se.Temporary {
		t.Fatalf("Submit error = %v, want a permanent auth error (outcome %+v)", err, out)
	}
	if !slices.Equal(out.Failed, []string{"a@example.com"}) {
		t.Errorf("outcome = %+v", out)
	}
	wantFiles(t, q, "failed/"+d.ID()+".eml", "failed/"+d.ID()+".json")
	// A flush does not touch failed/.
	if rep, err := q.Flush(context.Background(), dialer(s, "secret"), false); err != nil || rep.Tried != 0 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	if err := q.Retry(d.ID()); err != nil {
		t.Fatal(err)
	}
	if rep, err := q.Flush(context.Background(), dialer(s, "secret"), true); err != nil || rep.Sent != 1 {
		t.Fatalf("flush after retry: %+v, %v", rep, err)
	}
	s.WaitMessages(t, 1)
	wantFiles(t, q)
}

// Research case 12: a permanent refusal of the whole transaction.
func TestSubmitMail552(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{OnMail: func(string) error {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "too big"}
	}})
	q := testQueue(t)
	d := spool(t, q, body)
	out, err := q.Submit(context.Background(), d, entry("a@example.com", "b@example.com"), dialer(s, "secret"), false)
	var se *send.Error
	if !errors.As(err, &se) || se.Code != 552 {
		t.Fatalf("Submit error = %v", err)
	}
	if len(out.Failed) != 2 {
		t.Errorf("outcome = %+v", out)
	}
	e := show(t, q, d.ID())
	if !e.Failed || !strings.Contains(e.Reason, "552") || states(e) != "a@example.com=failed b@example.com=failed" {
		t.Errorf("entry = %+v", e)
	}
}

// Research case 23: two flushers at once send each message exactly once.
func TestFlushConcurrent(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	ids := commitN(t, q, 200, "", "a@example.com")
	q2 := &Queue{Dir: q.Dir}
	var wg sync.WaitGroup
	reps := make([]*FlushReport, 2)
	errs := make([]error, 2)
	for i, qq := range []*Queue{q, q2} {
		wg.Go(func() { reps[i], errs[i] = qq.Flush(context.Background(), dialer(s, "secret"), false) })
	}
	wg.Wait()
	for i := range reps {
		if errs[i] != nil || len(reps[i].Errors) != 0 {
			t.Fatalf("flush %d: %+v, %v", i, reps[i], errs[i])
		}
	}
	if reps[0].Sent+reps[1].Sent != 200 || reps[0].Tried+reps[1].Tried != 200 {
		t.Fatalf("reports: %+v %+v", reps[0], reps[1])
	}
	msgs := s.WaitMessages(t, 200)
	count := map[string]int{}
	for _, m := range msgs {
		count[strings.TrimSpace(strings.SplitN(string(m.Data), "body of ", 2)[1])]++
	}
	for _, id := range ids {
		if count[id] != 1 {
			t.Errorf("%s delivered %d times", id, count[id])
		}
	}
	if len(msgs) != 200 {
		t.Errorf("server got %d messages, want 200", len(msgs))
	}
	if c := s.Connections(); c != 1 {
		t.Errorf("%d connections, want 1 (one per account, reused)", c)
	}
	wantFiles(t, q)
}

func TestFlushOneConnectionPerAccount(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{OnRcpt: refuse(550, "nobody@example.com")})
	q := testQueue(t)
	commitN(t, q, 1, "work", "a@example.com")
	commitN(t, q, 1, "work", "nobody@example.com") // refused: RSET must recover the session
	commitN(t, q, 2, "work", "a@example.com")
	commitN(t, q, 2, "home", "b@example.com")
	var accounts []string
	var mu sync.Mutex
	dial := func(ctx context.Context, acct string) (*send.Client, error) {
		mu.Lock()
		accounts = append(accounts, acct)
		mu.Unlock()
		return dialer(s, "secret")(ctx, acct)
	}
	rep, err := q.Flush(context.Background(), dial, false)
	if err != nil || rep.Tried != 6 || rep.Sent != 5 || rep.Failed != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	slices.Sort(accounts)
	if !slices.Equal(accounts, []string{"home", "work"}) || s.Connections() != 2 {
		t.Errorf("dialled %v, %d connections; want one per account", accounts, s.Connections())
	}
	// No RSET after a transaction that ended with the message's reply
	// (RFC 5321 §4.1.1.4). This server offers PIPELINING and CHUNKING, so
	// a transaction written while its predecessor's replies were still
	// on their way starts with RSET (RFC 2920 §3.1 allows it anywhere in
	// a group): at most one per message after the first.
	if n := strings.Count(s.Transcript(), "RSET"); n < 1 || n > 4 {
		t.Errorf("%d RSET in the transcript, want 1 to 4 (work's 4 messages, home's 2)", n)
	}
	s.WaitMessages(t, 5)
}

// A connection that can't be made defers the account's messages without
// dialling once per message.
func TestFlushServerDown(t *testing.T) {
	q := testQueue(t)
	start := time.Now()
	q.Now = func() time.Time { return start }
	ids := commitN(t, q, 5, "", "a@example.com")
	var calls atomic.Int32
	rep, err := q.Flush(context.Background(), downDialer(t, &calls), false)
	if err != nil || rep.Tried != 5 || rep.Deferred != 5 || len(rep.Errors) != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	if calls.Load() != 1 {
		t.Errorf("dialled %d times, want 1", calls.Load())
	}
	for _, id := range ids {
		e := show(t, q, id)
		if e.Attempts != 1 || !e.NextAttempt.Equal(start.Add(time.Minute)) || e.LastError == "" {
			t.Errorf("%s: %+v", id, e)
		}
	}
}

func TestFlushExpiry(t *testing.T) {
	q := testQueue(t)
	ids := commitN(t, q, 2, "", "a@example.com")
	e := show(t, q, ids[0])
	e.Created = time.Now().Add(-6 * 24 * time.Hour)
	q.update(newDir, e)
	rep, err := q.Flush(context.Background(), downDialer(t, nil), false)
	if err != nil || rep.Failed != 1 || rep.Deferred != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	e = show(t, q, ids[0])
	if !e.Failed || !strings.HasPrefix(e.Reason, "expired after 5d: ") || !strings.Contains(e.Reason, "127.0.0.1") {
		t.Errorf("expired entry = %+v", e)
	}
	if e := show(t, q, ids[1]); e.Failed {
		t.Errorf("young entry failed: %+v", e)
	}
	if _, err := os.Stat(q.path(newDir, ids[0]+".eml")); !os.IsNotExist(err) {
		t.Errorf("expired entry still in new/: %v", err)
	}
}

// 550 at RCPT for one of three during a flush: two sent, the entry moves
// to failed/ with that recipient failed.
func TestFlushRcpt550(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{OnRcpt: refuse(550, "b@example.com")})
	q := testQueue(t)
	ids := commitN(t, q, 1, "", "a@example.com", "b@example.com", "c@example.com")
	rep, err := q.Flush(context.Background(), dialer(s, "secret"), false)
	if err != nil || rep.Failed != 1 || len(rep.Errors) != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	if msgs := s.WaitMessages(t, 1); !slices.Equal(msgs[0].To, []string{"a@example.com", "c@example.com"}) {
		t.Errorf("server To = %v", msgs[0].To)
	}
	e := show(t, q, ids[0])
	if !e.Failed || states(e) != "a@example.com=sent b@example.com=failed c@example.com=sent" {
		t.Errorf("entry = %+v", e)
	}
	wantFiles(t, q, "failed/"+ids[0]+".eml", "failed/"+ids[0]+".json")
}

func TestFlushBusy(t *testing.T) {
	q := testQueue(t)
	commitN(t, q, 1, "", "a@example.com")
	unlock, err := q.tryLock("test")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	rep, err := q.Flush(context.Background(), downDialer(t, nil), true)
	if err != nil || !rep.Busy || rep.Tried != 0 {
		t.Fatalf("due flush while locked: %+v, %v", rep, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = q.Flush(ctx, downDialer(t, nil), false)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("full flush while locked: %v, want it to wait until ctx ends", err)
	}
}

// Research cases 13 and 6/7: a 451 after the body defers that message
// only, on the same connection; a 421 ends the session and the next
// message goes over a new one.
func TestFlushTemporaryReplies(t *testing.T) {
	var n atomic.Int32
	s := smtptest.Start(t, smtptest.Options{
		OnMail: func(string) error {
			if n.Add(1) == 3 {
				return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "closing"}
			}
			return nil
		},
		OnData: func(b []byte) error {
			if strings.Contains(string(b), "please defer") {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
			}
			return nil
		},
	})
	q := testQueue(t)
	d := spool(t, q, "Subject: x\r\n\r\nplease defer\r\n")
	if err := d.Commit(entry("a@example.com")); err != nil {
		t.Fatal(err)
	}
	deferred := d.ID()
	ids := commitN(t, q, 3, "", "b@example.com")
	rep, err := q.Flush(context.Background(), dialer(s, "secret"), false)
	// Transactions: 1 DATA 451 (deferred), 2 sent, 3 MAIL 421 (deferred),
	// then a new connection for 4 (sent).
	if err != nil || rep.Tried != 4 || rep.Sent != 2 || rep.Deferred != 2 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	// This server offers PIPELINING and CHUNKING and keeps the
	// connection open after its 421: message 4 was already on its way,
	// the server answered it (250), and those replies count — no second
	// connection then. A lock-step session dials again for it.
	if c := s.Connections(); c < 1 || c > 2 {
		t.Errorf("%d connections, want 1 or 2", c)
	}
	if e := show(t, q, deferred); !strings.Contains(e.LastError, "451") || e.Attempts != 1 {
		t.Errorf("deferred entry = %+v", e)
	}
	if e := show(t, q, ids[1]); !strings.Contains(e.LastError, "421") {
		t.Errorf("421 entry = %+v", e)
	}
	s.WaitMessages(t, 2)
}
