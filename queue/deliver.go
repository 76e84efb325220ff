package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/outboxmail/outbox/send"
)

// Dialer opens an SMTP session (connected, TLS, authenticated) for a
// config account; "" is the default account. main builds it from the
// config.
type Dialer func(ctx context.Context, account string) (*send.Client, error)

// Outcome is what Submit did with a message.
type Outcome struct {
	ID     string   // the queue ID (also when nothing was kept)
	Sent   []string // recipients the server accepted
	Queued []string // recipients still pending: the entry is in new/
	Failed []string // recipients refused permanently: the entry is in failed/ once none is pending
	// Err is the error that decided the outcome: the first permanent
	// refusal when Failed is not empty, else the temporary error that
	// queued the message; nil when all was sent.
	Err error
}

// FlushReport counts what a Flush did, per message.
type FlushReport struct {
	Tried    int     // entries attempted (including those deferred because the connection failed)
	Sent     int     // delivered to every recipient and removed
	Deferred int     // still pending, retried later
	Failed   int     // moved to failed/ (permanent refusal, or too old)
	Errors   []error // per message or per account, for the user to read
	// Busy: a due-only flush found another flush running and left the
	// work to it.
	Busy bool
}

// Submit makes the first delivery attempt of a draft, straight from its
// file, and then disposes of it:
//
//   - every recipient accepted: the draft is discarded;
//   - some refused permanently (5xx) and none pending: the draft is kept
//     in failed/ (Fail) with per-recipient states; Outcome.Failed and
//     Outcome.Err say which and why; the returned error is nil unless the
//     whole transaction was refused (below);
//   - anything temporary (network, timeout, TLS handshake I/O, 4xx,
//     protocol error, or an error that is not a *send.Error, such as a
//     password source that failed): committed to new/ with Attempts 1 and
//     a backoff, and nil is returned — the message is safely queued. With
//     noQueue the draft is discarded instead and the error returned
//     (main exits 75).
//   - the whole transaction refused permanently (5xx to MAIL or DATA,
//     AUTH 535, TLS policy): kept in failed/ and the *send.Error returned,
//     so that the user sees 69/77 at once. Decision (research cases 5 and
//     19): policy and auth refusals are not retried on their own — a
//     wrong password or an untrusted certificate does not heal — but the
//     message is kept; after fixing the config, `outbox queue retry ID`
//     puts it back. (Flush, unattended, treats them as temporary instead;
//     see Flush.)
//
// A failure to write the queue is a *Error of KindWrite (73): the message
// was not accepted.
func (q *Queue) Submit(ctx context.Context, d *Draft, e *Entry, dial Dialer, noQueue bool) (*Outcome, error) {
	out := &Outcome{ID: d.ID()}
	e.ID = d.ID()
	now := q.now()
	if e.Created.IsZero() {
		e.Created = now
	}
	for i := range e.Rcpts {
		if e.Rcpts[i].State == "" {
			e.Rcpts[i].State = StatePending
		}
	}
	if len(e.Rcpts) == 0 {
		d.Discard()
		return out, fmt.Errorf("queue: submit %s: no recipients", e.ID)
	}

	txErr, err := q.firstAttempt(ctx, d, e, dial)
	if err != nil {
		d.Discard()
		return out, err
	}
	sent, permErr, tempErr := outcome(e, txErr)
	out.Sent = sent
	pending := e.PendingAddrs()
	for _, r := range e.Rcpts {
		if r.State == StateFailed {
			out.Failed = append(out.Failed, r.Addr)
		}
	}
	out.Err = permErr
	if out.Err == nil {
		out.Err = tempErr
	}

	switch {
	case len(pending) == 0 && len(out.Failed) == 0:
		return out, d.Discard()
	case len(pending) == 0:
		e.Attempts = 1
		e.LastError = oneLine(permErr)
		if err := d.Fail(e, failReason(e, txErr)); err != nil {
			return out, err
		}
		if txErr != nil && permanent(txErr) {
			return out, txErr
		}
		return out, nil
	case noQueue:
		d.Discard()
		return out, tempErr
	}
	e.Attempts = 1
	e.LastError = oneLine(tempErr)
	e.NextAttempt = q.nextAttempt(now, 1)
	if err := d.Commit(e); err != nil {
		return out, err
	}
	out.Queued = pending
	return out, nil
}

// firstAttempt dials and sends the draft once. It returns the
// transaction's error (nil: DATA accepted), or err for a local failure to
// read the draft.
func (q *Queue) firstAttempt(ctx context.Context, d *Draft, e *Entry, dial Dialer) (txErr, err error) {
	msg, err := d.Reader()
	if err != nil {
		return nil, err
	}
	c, derr := dial(ctx, e.Account)
	if derr != nil {
		record(e, nil, derr)
		return derr, nil
	}
	defer c.Close()
	res, serr := c.Send(envelope(e), msg)
	record(e, res, serr)
	return serr, nil
}

// Flush tries the queued messages (with due, only those whose backoff has
// passed) under the queue lock, so that two flushers never send one
// message twice. Messages go out over one connection per account, one
// transaction after the other with RSET between them (RFC 5321 §4.1.1.5).
//
// Without due, Flush waits for a running flush to finish (as long as ctx
// allows). With due — the automatic flush after a send, or a timer — it
// returns at once with Busy set: the running flush does the work.
//
// A connection that can't be made defers all of that account's messages
// (one attempt each, with backoff) without trying them one by one; this
// includes auth and TLS policy refusals, since nobody is watching an
// unattended flush and the config may be fixed before the age limit. A
// message still undelivered at its failed attempt after MaxAge moves to
// failed/ with "expired after 5d: <last error>".
//
// The one duplicate window: a message is removed from the queue (or a
// recipient marked sent) only after the server's 250 to its DATA (RFC
// 5321 §4.1.1.4). If outbox dies after that 250 but before the entry is
// updated on disk, the next flush sends the message to those recipients
// again, once. No client can close this window (RFC 1047 describes it):
// the server's reply and the local write can't be one atomic step.
//
// The returned error is for the flush as a whole (lock, directory
// unreadable, ctx cancelled); per-message trouble is in the report.
func (q *Queue) Flush(ctx context.Context, dial Dialer, due bool) (*FlushReport, error) {
	rep := &FlushReport{}
	unlock, err := q.lock(ctx, "flush", !due)
	if err != nil {
		var qe *Error
		if due && errors.As(err, &qe) && qe.Kind == KindBusy {
			rep.Busy = true
			return rep, nil
		}
		return rep, err
	}
	defer unlock()

	if err := q.clean(); err != nil {
		rep.Errors = append(rep.Errors, err)
	}
	l, err := q.scan()
	if err != nil {
		return rep, err
	}
	now := q.now()
	var order []string
	groups := map[string][]*Entry{}
	for _, id := range l.ids[newDir] {
		e, err := q.load(newDir, id)
		if err != nil {
			rep.Errors = append(rep.Errors, err)
			continue
		}
		if due && e.NextAttempt.After(now) {
			continue
		}
		if _, ok := groups[e.Account]; !ok {
			order = append(order, e.Account)
		}
		groups[e.Account] = append(groups[e.Account], e)
	}
	for _, acct := range order {
		if ctx.Err() != nil {
			break
		}
		q.flushAccount(ctx, dial, acct, groups[acct], rep)
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("queue: flush interrupted: %w", err)
	}
	return rep, nil
}

func (q *Queue) flushAccount(ctx context.Context, dial Dialer, acct string, entries []*Entry, rep *FlushReport) {
	var c *send.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for i, e := range entries {
		if ctx.Err() != nil {
			return
		}
		if c != nil && i > 0 {
			if err := c.Reset(); err != nil {
				c.Close()
				c = nil
			}
		}
		if c == nil {
			var err error
			c, err = dial(ctx, acct)
			if err != nil {
				c = nil
				name := acct
				if name == "" {
					name = "default"
				}
				rep.Errors = append(rep.Errors, fmt.Errorf("account %s: %w (%d message(s) deferred)", name, err, len(entries)-i))
				for _, e := range entries[i:] {
					rep.Tried++
					for j := range e.Rcpts {
						if e.Rcpts[j].State == StatePending {
							e.Rcpts[j].Error = oneLine(err)
						}
					}
					q.settle(e, err, nil, rep, false)
				}
				return
			}
		}
		rep.Tried++
		ok := q.flushOne(c, e, rep)
		if !ok {
			c.Close()
			c = nil
		}
	}
}

// flushOne sends one entry over c and records the result. It reports
// whether the connection is still usable.
func (q *Queue) flushOne(c *send.Client, e *Entry, rep *FlushReport) bool {
	if len(e.PendingAddrs()) == 0 {
		// Left by an interrupted settle: nothing to send, only to file.
		_, permErr, _ := outcome(e, nil)
		q.settle(e, nil, permErr, rep, true)
		return true
	}
	f, err := os.Open(q.path(newDir, e.ID+".eml"))
	if err != nil {
		rep.Errors = append(rep.Errors, &Error{Op: "read", ID: e.ID, Dir: q.Dir, Err: err})
		return true
	}
	res, txErr := c.Send(envelope(e), f)
	f.Close()
	record(e, res, txErr)
	_, permErr, tempErr := outcome(e, txErr)
	q.settle(e, tempErr, permErr, rep, true)
	return txErr == nil || connUsable(txErr)
}

// settle writes an entry's new state after an attempt: removed when all
// is sent, into failed/ when only refusals remain or it is too old,
// else back in new/ with the next attempt time.
func (q *Queue) settle(e *Entry, tempErr, permErr error, rep *FlushReport, report bool) {
	now := q.now()
	pending := len(e.PendingAddrs())
	failed := e.count(StateFailed)
	var err error
	switch {
	case pending == 0 && failed == 0:
		if err = q.remove(newDir, e.ID); err == nil {
			rep.Sent++
		}
	case pending == 0:
		e.Attempts++
		e.LastError = oneLine(permErr)
		// Record the recipients just sent before moving: if the move
		// fails, they must not be sent again.
		if err = q.update(newDir, e); err != nil {
			break
		}
		if err = q.fail(e, failReason(e, permErr)); err == nil {
			rep.Failed++
			if report {
				rep.Errors = append(rep.Errors, fmt.Errorf("%s: kept in failed/: %w", e.ID, permErr))
			}
		}
	default:
		e.Attempts++
		if tempErr != nil {
			e.LastError = oneLine(tempErr)
		}
		if age := e.age(now); age >= q.maxAge() {
			reason := fmt.Sprintf("expired after %s: %s", fmtAge(q.maxAge()), e.LastError)
			if err = q.fail(e, reason); err == nil {
				rep.Failed++
				rep.Errors = append(rep.Errors, fmt.Errorf("%s: %s", e.ID, reason))
			}
			break
		}
		e.NextAttempt = q.nextAttempt(now, e.Attempts)
		if err = q.update(newDir, e); err == nil {
			rep.Deferred++
			if report && tempErr != nil {
				rep.Errors = append(rep.Errors, fmt.Errorf("%s: deferred: %w", e.ID, tempErr))
			}
		}
	}
	if err != nil {
		rep.Errors = append(rep.Errors, err)
	}
}

// envelope is the SMTP envelope for an entry's pending recipients.
func envelope(e *Entry) *send.Envelope {
	return &send.Envelope{
		From:     e.From,
		To:       e.PendingAddrs(),
		Notify:   e.Notify,
		Ret:      e.Ret,
		EnvID:    e.EnvID,
		Body8Bit: e.Body8Bit,
		SMTPUTF8: e.SMTPUTF8,
		Size:     e.Size,
	}
}

// record applies one transaction's result to e's pending recipients.
// When the transaction succeeded (DATA got 250), a recipient the server
// accepted is sent, one it refused at RCPT is failed (5xx) or stays
// pending (4xx). When the transaction failed, nobody got the message: a
// recipient refused with 5xx at RCPT is failed, the rest take the
// transaction's error (permanent → failed, else pending).
func record(e *Entry, res *send.Result, txErr error) {
	results := map[string]*send.RcptResult{}
	if res != nil {
		for i := range res.Rcpts {
			results[res.Rcpts[i].Addr] = &res.Rcpts[i]
		}
	}
	for i := range e.Rcpts {
		r := &e.Rcpts[i]
		if r.State != StatePending {
			continue
		}
		rr, ok := results[r.Addr]
		switch {
		case ok && rr.Err != nil && !rr.Err.Temporary:
			r.State, r.Error, r.err = StateFailed, oneLine(rr.Err), rr.Err
		case ok && rr.Err != nil:
			// Its own 4xx decides, even when the transaction as a
			// whole failed permanently (all refused, some with 5xx).
			r.Error, r.err = oneLine(rr.Err), rr.Err
		case txErr != nil:
			r.Error, r.err = oneLine(txErr), txErr
			if permanent(txErr) {
				r.State = StateFailed
			}
		case ok:
			r.State, r.Error = StateSent, ""
		default:
			// DATA was accepted but send reported nothing for this
			// recipient: keep it pending rather than risk losing it.
			r.Error = "no reply recorded for this recipient"
		}
	}
}

// outcome sums up e after record: the recipients now sent, the first
// permanent refusal and the first temporary error (each nil if none).
func outcome(e *Entry, txErr error) (sent []string, permErr, tempErr error) {
	if txErr != nil {
		if permanent(txErr) {
			permErr = txErr
		} else {
			tempErr = txErr
		}
	}
	for _, r := range e.Rcpts {
		switch {
		case r.State == StateSent:
			sent = append(sent, r.Addr)
		case r.State == StateFailed && permErr == nil:
			permErr = r.cause()
		case r.State == StatePending && tempErr == nil && r.Error != "":
			tempErr = r.cause()
		}
	}
	return sent, permErr, tempErr
}

// cause is the recipient's error: the *send.Error when this process saw
// it, else the text stored in the entry.
func (r *Rcpt) cause() error {
	if r.err != nil {
		return r.err
	}
	return errors.New(r.Addr + ": " + r.Error)
}

// permanent reports whether err is a refusal that retrying won't change.
// Only a *send.Error can say so; anything else (a password source that
// failed, a cancelled context) counts as temporary, so the message waits.
func permanent(err error) bool {
	var se *send.Error
	return errors.As(err, &se) && !se.Temporary
}

// connUsable reports whether the session survives a failed transaction:
// a reply error leaves the dialogue in step; a broken connection, a
// timeout or a garbled reply does not.
func connUsable(err error) bool {
	var se *send.Error
	return errors.As(err, &se) && se.Kind == send.KindReply && se.Code != 421
}

func failReason(e *Entry, txErr error) string {
	if txErr != nil && permanent(txErr) {
		return oneLine(txErr)
	}
	var first string
	n := 0
	for _, r := range e.Rcpts {
		if r.State == StateFailed {
			if n == 0 {
				first = r.Addr + ": " + r.Error
			}
			n++
		}
	}
	if n == 1 {
		return "recipient refused: " + first
	}
	return fmt.Sprintf("%d recipients refused, first %s", n, first)
}

// fmtAge prints the age limit as a person set it: "5d", "36h", "90m".
func fmtAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// oneLine is err's text without line breaks or control characters: the
// text comes from the server and ends up in the JSON and on terminals.
func oneLine(err error) string {
	if err == nil {
		return ""
	}
	b := []rune(err.Error())
	out := b[:0]
	for _, r := range b {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			out = append(out, ' ')
		case r < 0x20 || r == 0x7f:
		default:
			out = append(out, r)
		}
	}
	return string(out)
}
