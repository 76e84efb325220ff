package queue

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/maillog"
)

type logSink struct {
	mu   sync.Mutex
	recs []maillog.Record
}

func (l *logSink) log(r *maillog.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, *r)
}

func (l *logSink) results() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []string
	for _, r := range l.recs {
		s = append(s, string(r.Result))
	}
	return strings.Join(s, " ")
}

// The automatic flush after a send goes over the send's own connection:
// one connection for the new message and every due one of its account.
func TestSubmitAndFlushReusesConnection(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	commitN(t, q, 3, "", "queued@example.com")
	later := commitN(t, q, 1, "", "later@example.com")
	e := show(t, q, later[0])
	e.NextAttempt = time.Now().Add(time.Hour)
	q.update(newDir, e)

	d := spool(t, q, body)
	out, rep, err := q.SubmitAndFlush(context.Background(), d, entry("a@example.com"), dialer(s, "secret"), false)
	if err != nil || len(out.Sent) != 1 {
		t.Fatalf("submit: %+v, %v", out, err)
	}
	if rep == nil || rep.Tried != 3 || rep.Sent != 3 || len(rep.Errors) != 0 {
		t.Fatalf("flush report %+v", rep)
	}
	s.WaitMessages(t, 4)
	if c := s.Connections(); c != 1 {
		t.Errorf("%d connections, want 1", c)
	}
	wantFiles(t, q, "new/"+later[0]+".eml", "new/"+later[0]+".json")
}

// A message that was not sent starts no flush.
func TestSubmitAndFlushNotAfterFailure(t *testing.T) {
	q := testQueue(t)
	commitN(t, q, 1, "", "queued@example.com")
	d := spool(t, q, body)
	out, rep, err := q.SubmitAndFlush(context.Background(), d, entry("a@example.com"), downDialer(t, nil), false)
	if err != nil || len(out.Queued) != 1 || rep != nil {
		t.Fatalf("got %+v, %+v, %v", out, rep, err)
	}
}

// Each attempt gives one log record with the fields of SPEC §2 log.
func TestLogRecords(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{OnRcpt: refuse(550, "nobody@example.com")})
	q := testQueue(t)
	var sink logSink
	q.Log = sink.log

	d := spool(t, q, body)
	if _, err := q.Submit(context.Background(), d, entry("a@example.com", "b@example.com"), dialer(s, "secret"), false); err != nil {
		t.Fatal(err)
	}
	d = spool(t, q, body)
	q.Submit(context.Background(), d, entry("nobody@example.com"), dialer(s, "secret"), false)
	d = spool(t, q, body)
	q.Submit(context.Background(), d, entry("x@example.com"), downDialer(t, nil), false)
	if got := sink.results(); got != "sent failed queued" {
		t.Fatalf("results %q", got)
	}
	r := sink.recs[0]
	if r.ID == "" || r.Host != s.Addr || r.From != "me@example.com" || r.Rcpts != 2 || r.Size != int64(len(body)) ||
		r.Code != 250 || r.Duration <= 0 || r.Error != "" {
		t.Errorf("sent record %+v", r)
	}
	if r := sink.recs[1]; r.Code != 550 || !strings.Contains(r.Error, "nobody@example.com") {
		t.Errorf("failed record %+v", r)
	}
	if r := sink.recs[2]; r.Code != 0 || r.Host == "" || !strings.Contains(r.Error, "connect") {
		t.Errorf("queued record %+v", r)
	}

	// Flush: deferred while the server is down, then sent.
	if _, err := q.Flush(context.Background(), downDialer(t, nil), false); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Flush(context.Background(), dialer(s, "secret"), false); err != nil {
		t.Fatal(err)
	}
	if got := sink.results(); got != "sent failed queued deferred sent" {
		t.Errorf("results %q", got)
	}
}

type closeRecorder struct {
	io.Reader
	n      int64
	closed bool
}

func (c *closeRecorder) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	c.n += int64(n)
	return n, err
}
func (c *closeRecorder) Close() error { c.closed = true; return nil }

// Progress wraps the message Submit streams, and is closed after DATA.
func TestSubmitProgress(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	var w *closeRecorder
	q.Progress = func(e *Entry, msg io.Reader) io.Reader {
		w = &closeRecorder{Reader: msg}
		return w
	}
	big := strings.Repeat("0123456789abcdef\r\n", 100000)
	d := spool(t, q, big)
	if _, err := q.Submit(context.Background(), d, entry("a@example.com"), dialer(s, "secret"), false); err != nil {
		t.Fatal(err)
	}
	if w == nil || w.n != int64(len(big)) || !w.closed {
		t.Fatalf("progress reader %+v", w)
	}
	if m := s.WaitMessages(t, 1)[0]; !bytes.Equal(m.Data, []byte(big)) {
		t.Error("message changed by the wrapper")
	}
}
