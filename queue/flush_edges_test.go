package queue

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// Issue 17, mutation survivors in the flush: what `outbox queue list` and
// `outbox queue flush` show after refusals, deferrals and expiry. Written
// against Flush and the entries on disk, so that they hold for any
// delivery code.

func refuseAddrs(addrs ...string) func(string) error {
	return func(to string) error {
		for _, a := range addrs {
			if to == a {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user " + a}
			}
		}
		return nil
	}
}

func failedEntry(t *testing.T, q *Queue, id string) *Entry {
	t.Helper()
	e, err := q.load(failedDir, id)
	if err != nil {
		t.Fatalf("%s is not in failed/: %v", id, err)
	}
	return e
}

// The reason a dead letter shows names the refused recipient, or counts
// them and names the first, when the refusals came in an earlier attempt
// and the last pending recipient has just been accepted; the attempts are
// counted.
func TestFailReasonShown(t *testing.T) {
	var later atomic.Bool
	s := smtptest.Start(t, smtptest.Options{OnRcpt: func(to string) error {
		if to == "slow@example.com" && !later.Load() {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		}
		return refuseAddrs("bad1@example.com", "bad2@example.com")(to)
	}})
	q := testQueue(t)
	one := commitN(t, q, 1, "", "bad1@example.com", "slow@example.com")[0]
	two := commitN(t, q, 1, "", "bad1@example.com", "bad2@example.com", "slow@example.com")[0]
	if rep, err := q.Flush(context.Background(), dialer(s, "secret"), false); err != nil || rep.Deferred != 2 {
		t.Fatalf("first flush: %+v, %v; want 2 deferred", rep, err)
	}
	later.Store(true)
	if rep, err := q.Flush(context.Background(), dialer(s, "secret"), false); err != nil || rep.Failed != 2 {
		t.Fatalf("second flush: %+v, %v; want 2 failed", rep, err)
	}
	e := failedEntry(t, q, one)
	if !strings.HasPrefix(e.Reason, "recipient refused: bad1@example.com: ") || !strings.Contains(e.Reason, "no such user bad1@example.com") {
		t.Errorf("one refused: reason %q", e.Reason)
	}
	if e.Attempts != 2 {
		t.Errorf("one refused: %d attempts recorded, want 2", e.Attempts)
	}
	e = failedEntry(t, q, two)
	if !strings.HasPrefix(e.Reason, "2 recipients refused, first bad1@example.com: ") {
		t.Errorf("two refused: reason %q", e.Reason)
	}
	if states(e) != "bad1@example.com=failed bad2@example.com=failed slow@example.com=sent" {
		t.Errorf("two refused: states %s", states(e))
	}
	if n := len(s.Messages()); n != 2 {
		t.Errorf("server received %d messages, want 2 (to slow@example.com)", n)
	}
}

// A refusal of the whole transaction (MAIL FROM) is the reason itself.
func TestFailReasonTransaction(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{OnMail: func(string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender rejected"}
	}})
	q := testQueue(t)
	id := commitN(t, q, 1, "", "a@example.com", "b@example.com")[0]
	if rep, err := q.Flush(context.Background(), dialer(s, "secret"), false); err != nil || rep.Failed != 1 {
		t.Fatalf("flush: %+v, %v; want 1 failed", rep, err)
	}
	e := failedEntry(t, q, id)
	if !strings.Contains(e.Reason, "sender rejected") || strings.Contains(e.Reason, "recipients refused") {
		t.Errorf("reason %q, want the server's refusal of MAIL FROM", e.Reason)
	}
}

// A temporary refusal is reported by the flush with the entry's ID, and
// the entry waits in new/.
func TestFlushReportsDeferral(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{OnRcpt: func(string) error {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	}})
	q := testQueue(t)
	id := commitN(t, q, 1, "", "a@example.com")[0]
	rep, err := q.Flush(context.Background(), dialer(s, "secret"), false)
	if err != nil || rep.Deferred != 1 || len(rep.Errors) != 1 {
		t.Fatalf("flush: %+v, %v; want 1 deferred, 1 error", rep, err)
	}
	if msg := rep.Errors[0].Error(); !strings.HasPrefix(msg, id+": deferred: ") || !strings.Contains(msg, "try later") {
		t.Errorf("report error %q", msg)
	}
	if e := show(t, q, id); e.Failed || e.Attempts != 1 {
		t.Errorf("entry failed=%v attempts=%d, want waiting in new/ after 1 attempt", e.Failed, e.Attempts)
	}
}

// An entry exactly as old as the age limit expires at its next failed
// attempt ("after 5 days" includes the fifth day's end).
func TestExpiryAtTheLimit(t *testing.T) {
	q := testQueue(t)
	q.MaxAge = time.Hour
	id := commitN(t, q, 1, "", "a@example.com")[0]
	created := show(t, q, id).Created
	q.Now = func() time.Time { return created.Add(time.Hour) }
	rep, err := q.Flush(context.Background(), downDialer(t, nil), false)
	if err != nil || rep.Failed != 1 {
		t.Fatalf("flush: %+v, %v; want the entry expired", rep, err)
	}
	if e := failedEntry(t, q, id); !strings.HasPrefix(e.Reason, "expired after 1h") {
		t.Errorf("reason %q", e.Reason)
	}
}

// When the default account's server can't be reached, the flush says so
// by name ("default") and counts the messages left waiting.
func TestFlushDialErrorNamesDefaultAccount(t *testing.T) {
	q := testQueue(t)
	commitN(t, q, 3, "", "a@example.com")
	rep, err := q.Flush(context.Background(), downDialer(t, nil), false)
	if err != nil || rep.Deferred != 3 || len(rep.Errors) != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	if msg := rep.Errors[0].Error(); !strings.HasPrefix(msg, "account default: ") || !strings.HasSuffix(msg, "(3 message(s) deferred)") {
		t.Errorf("report error %q", msg)
	}
}

// A queue whose tmp/ can't be cleaned still flushes new/, and says what
// went wrong with the cleaning.
func TestFlushDespiteUncleanableTmp(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	commitN(t, q, 1, "", "a@example.com")
	os.Remove(q.path(tmpDir, ""))
	os.WriteFile(q.path(tmpDir, ""), nil, 0o600)
	rep, err := q.Flush(context.Background(), dialer(s, "secret"), false)
	if err != nil || rep.Sent != 1 {
		t.Fatalf("flush: %+v, %v; want the entry sent", rep, err)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Error(), "cannot clean") {
		t.Errorf("report errors %v, want the cleaning failure", rep.Errors)
	}
}

// Recipients handed to Submit without a state are pending: they are sent.
func TestSubmitRecipientsWithoutState(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	d := spool(t, q, body)
	out, err := q.Submit(context.Background(), d, &Entry{From: "me@example.com", Rcpts: []Rcpt{{Addr: "a@example.com"}}}, dialer(s, "secret"), false)
	if err != nil || len(out.Sent) != 1 {
		t.Fatalf("Submit: %+v, %v; want a@example.com sent", out, err)
	}
	s.WaitMessages(t, 1)
}
