package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/outboxmail/outbox/maillog"
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

	// unsynced: new/ has removals that are not yet fsynced; synced is
	// when it last was (see syncRemovals).
	unsynced bool
	synced   time.Time
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
	out, c, err := q.submit(ctx, d, e, dial, noQueue)
	if c != nil {
		c.Close()
	}
	return out, err
}

// SubmitAndFlush is Submit followed, when the message went out to at
// least one recipient, by the automatic flush of SPEC §5: a due-only
// Flush (see Flush) that sends the queued messages of the same account
// over the connection Submit already has, instead of dialing again. The
// smarthost just took a message, so it is up. The flush never changes the
// message's outcome; its report is returned for the caller to show, and is
// nil when no flush ran.
func (q *Queue) SubmitAndFlush(ctx context.Context, d *Draft, e *Entry, dial Dialer, noQueue bool) (*Outcome, *FlushReport, error) {
	out, c, err := q.submit(ctx, d, e, dial, noQueue)
	if err != nil || len(out.Sent) == 0 {
		if c != nil {
			c.Close()
		}
		return out, nil, err
	}
	rep, ferr := q.flush(ctx, dial, true, e.Account, c)
	if ferr != nil {
		rep.Errors = append(rep.Errors, ferr)
	}
	return out, rep, nil
}

// submit is Submit; it also returns the session when it is still usable
// (the caller closes it).
func (q *Queue) submit(ctx context.Context, d *Draft, e *Entry, dial Dialer, noQueue bool) (*Outcome, *send.Client, error) {
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
		return out, nil, fmt.Errorf("queue: submit %s: no recipients", e.ID)
	}
	if e.Size == 0 {
		e.Size = d.Size()
	}

	at := q.startAttempt(e)
	c, txErr, err := q.firstAttempt(ctx, d, e, dial, at)
	if err != nil {
		if c != nil {
			c.Close()
		}
		d.Discard()
		return out, nil, err
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
		q.logAttempt(e, at, maillog.Sent, nil)
		return out, c, d.Discard()
	case len(pending) == 0:
		e.Attempts = 1
		e.LastError = oneLine(permErr)
		if err := d.Fail(e, failReason(e, txErr)); err != nil {
			return out, c, err
		}
		q.logAttempt(e, at, maillog.Failed, permErr)
		if txErr != nil && permanent(txErr) {
			return out, c, txErr
		}
		return out, c, nil
	case noQueue:
		d.Discard()
		q.logAttempt(e, at, maillog.Failed, tempErr)
		return out, c, tempErr
	}
	e.Attempts = 1
	e.LastError = oneLine(tempErr)
	e.NextAttempt = q.nextAttempt(now, 1)
	if err := d.Commit(e); err != nil {
		return out, c, err
	}
	q.logAttempt(e, at, maillog.Queued, tempErr)
	out.Queued = pending
	return out, c, nil
}

// firstAttempt dials and sends the draft once. It returns the session if
// it is still usable, the transaction's error (nil: DATA accepted), or
// err for a local failure to read the draft.
func (q *Queue) firstAttempt(ctx context.Context, d *Draft, e *Entry, dial Dialer, at *attempt) (c *send.Client, txErr, err error) {
	msg, err := d.Reader()
	if err != nil {
		return nil, nil, err
	}
	c, derr := dial(ctx, e.Account)
	if derr != nil {
		at.hostFrom(derr)
		record(e, nil, derr)
		return nil, derr, nil
	}
	at.host = c.Host()
	env, body := q.prepare(c, e, msg)
	r := body
	if q.Progress != nil {
		r = q.Progress(e, body)
	}
	res, serr := c.Send(env, r)
	if cl, ok := r.(io.Closer); ok && r != body {
		cl.Close()
	}
	record(e, res, serr)
	if serr != nil && !connUsable(serr) {
		c.Close()
		c = nil
	}
	return c, serr, nil
}

// Flush tries the queued messages (with due, only those whose backoff has
// passed) under the queue lock, so that two flushers never send one
// message twice. Messages go out over one connection per account, one
// transaction after the other, with RSET (RFC 5321 §4.1.1.5) only when the
// server may still hold a failed transaction. When the server offers
// PIPELINING (RFC 2920) the transactions stream: with CHUNKING (RFC 3030)
// up to 16 messages go out ahead of their replies; with PIPELINING alone
// the next transaction's commands ride with the previous message's end.
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
// Every flush first cleans up after crashes (see Clean): tmp/ files older
// than a day go.
//
// The one duplicate window: a message is removed from the queue (or a
// recipient marked sent) only after the server's 250 to its DATA or BDAT
// LAST (RFC 5321 §4.1.1.4, RFC 3030 §2). If outbox dies after that 250
// but before the entry is updated on disk, or the connection breaks after
// the message went out but before its 250 arrived (for up to 16 messages
// in flight at once), the next flush sends those messages again, once.
// No client can close this window (RFC 1047 describes it): the server's
// reply and the local write can't be one atomic step.
//
// The returned error is for the flush as a whole (lock, directory
// unreadable, ctx cancelled); per-message trouble is in the report.
func (q *Queue) Flush(ctx context.Context, dial Dialer, due bool) (*FlushReport, error) {
	return q.flush(ctx, dial, due, "", nil)
}

// flush is Flush; c, when not nil, is an open session for account acct,
// used for that account's messages (and closed at the end).
func (q *Queue) flush(ctx context.Context, dial Dialer, due bool, acct string, c *send.Client) (*FlushReport, error) {
	rep := &FlushReport{}
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
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
	defer q.syncRemovals(rep, true)
	rep.synced = time.Now()

	l, err := q.clean()
	if err != nil {
		rep.Errors = append(rep.Errors, err)
	}
	if l == nil {
		// The cleaning stopped before it listed new/ and failed/.
		if l, err = q.scan(); err != nil {
			return rep, err
		}
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
	for _, a := range order {
		if ctx.Err() != nil {
			break
		}
		var open *send.Client
		if a == acct {
			open, c = c, nil
		}
		q.flushAccount(ctx, dial, a, groups[a], rep, open)
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("queue: flush interrupted: %w", err)
	}
	return rep, nil
}

// flushAccount sends entries over one session: c when it is not nil (a
// session that already carried a transaction), else a new one. The
// entries stream (send.Client.Stream): with PIPELINING and CHUNKING the
// next transactions go out while earlier replies are still on their way,
// and each entry's state changes only when its own replies are in. A
// session that breaks leaves every entry whose replies did not come
// pending (deferred); the entries not yet started go over a new session.
func (q *Queue) flushAccount(ctx context.Context, dial Dialer, acct string, entries []*Entry, rep *FlushReport, c *send.Client) {
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	work := entries
	for len(work) > 0 {
		if ctx.Err() != nil {
			return
		}
		if c == nil {
			var err error
			c, err = dial(ctx, acct)
			if err != nil {
				c = nil
				q.deferAll(acct, work, err, rep, true)
				return
			}
		}
		var (
			sessErr   error
			sessEntry *Entry
			again     []*Entry // unanswered when another's failure ended the session
			taken     int
		)
		next := func() *send.Job {
			for len(work) > 0 && sessErr == nil && ctx.Err() == nil {
				e := work[0]
				work = work[1:]
				taken++
				q.syncRemovals(rep, false)
				at := q.startAttempt(e)
				at.host = c.Host()
				rep.Tried++
				if len(e.PendingAddrs()) == 0 {
					// Left by an interrupted settle: nothing to send, only to file.
					_, permErr, _ := outcome(e, nil)
					q.settle(e, nil, permErr, rep, true, nil)
					continue
				}
				f, err := os.Open(q.path(newDir, e.ID+".eml"))
				if err != nil {
					rep.Errors = append(rep.Errors, &Error{Op: "read", ID: e.ID, Dir: q.Dir, Err: err})
					continue
				}
				env, body := q.prepare(c, e, f)
				return &send.Job{Env: env, Msg: body, Done: func(res *send.Result, txErr error) {
					f.Close()
					switch {
					case sessionFailed(txErr):
						// AUTH sent with this transaction (RFC 4954 §4)
						// failed: the session never was usable, as if
						// the dial had failed.
						sessErr, sessEntry = txErr, e
						rep.Tried--
						return
					case errors.Is(txErr, send.ErrNoReply):
						// Not answered at all: another transaction's
						// failure ended the session. Nothing changes;
						// it goes over the next session.
						again = append(again, e)
						rep.Tried--
						return
					}
					record(e, res, txErr)
					_, permErr, tempErr := outcome(e, txErr)
					q.settle(e, tempErr, permErr, rep, true, at)
				}}
			}
			return nil
		}
		err := c.Stream(next)
		if sessErr != nil {
			c.Close()
			c = nil
			rest := append(append([]*Entry{sessEntry}, again...), work...)
			q.deferAll(acct, rest, sessErr, rep, true)
			return
		}
		work = append(again, work...)
		if err != nil && taken == 0 {
			// The session broke before it carried anything (the server
			// closed it at once): like a dial that failed, and no
			// endless redialling.
			c.Close()
			c = nil
			q.deferAll(acct, work, err, rep, true)
			return
		}
		if err != nil {
			c.Close()
			c = nil
		}
	}
}

// sessionFailed reports whether a transaction's error is the session's:
// AUTH, which rides with the first transaction when pipelined.
func sessionFailed(err error) bool {
	var se *send.Error
	return errors.As(err, &se) && se.Op == "auth"
}

// deferAll gives every entry one attempt that failed with the session's
// error err (a dial that failed, or AUTH refused): deferred with backoff,
// not tried one by one. tried: count them in rep.Tried.
func (q *Queue) deferAll(acct string, entries []*Entry, err error, rep *FlushReport, tried bool) {
	name := acct
	if name == "" {
		name = "default"
	}
	rep.Errors = append(rep.Errors, fmt.Errorf("account %s: %w (%d message(s) deferred)", name, err, len(entries)))
	for _, e := range entries {
		at := q.startAttempt(e)
		at.hostFrom(err)
		if tried {
			rep.Tried++
		}
		for j := range e.Rcpts {
			if e.Rcpts[j].State == StatePending {
				e.Rcpts[j].Error = oneLine(err)
			}
		}
		q.settle(e, err, nil, rep, false, at)
	}
}

// syncInterval bounds how long the removal of a delivered message may
// stay un-fsynced during a flush.
const syncInterval = 250 * time.Millisecond

// syncRemovals fsyncs new/ when delivered entries were removed from it
// and syncInterval has passed since the last time (or always, with
// force: at the end of the flush).
//
// Why not after every message: a directory fsync costs milliseconds to
// tens of milliseconds, more than a whole transaction on a reused
// connection, so per-message syncs would make a flush of hundreds of
// messages disk-bound. What it changes: nothing for a killed process (an
// unlink is visible at once to every later reader); after a power loss or
// kernel crash, entries removed in the last syncInterval may come back and
// be sent once more — the same duplicate window as before (the server said
// 250, the removal was not yet durable), a little wider. Acceptance into
// the queue (Commit) and every other state change are still fsynced at
// once.
func (q *Queue) syncRemovals(rep *FlushReport, force bool) {
	if !rep.unsynced || (!force && time.Since(rep.synced) < syncInterval) {
		return
	}
	if err := syncDir(q.path(newDir, "")); err != nil {
		rep.Errors = append(rep.Errors, q.writeErr("remove", "", err))
	}
	rep.unsynced, rep.synced = false, time.Now()
}

// settle writes an entry's new state after an attempt: removed when all
// is sent, into failed/ when only refusals remain or it is too old,
// else back in new/ with the next attempt time. at, when not nil, is the
// attempt to log.
func (q *Queue) settle(e *Entry, tempErr, permErr error, rep *FlushReport, report bool, at *attempt) {
	now := q.now()
	pending := len(e.PendingAddrs())
	failed := e.count(StateFailed)
	var err error
	switch {
	case pending == 0 && failed == 0:
		if err = q.unlink(newDir, e.ID); err == nil {
			rep.unsynced = true
			rep.Sent++
			q.logAttempt(e, at, maillog.Sent, nil)
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
			q.logAttempt(e, at, maillog.Failed, permErr)
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
				q.logAttempt(e, at, maillog.Expired, tempErr)
				rep.Errors = append(rep.Errors, fmt.Errorf("%s: %s", e.ID, reason))
			}
			break
		}
		e.NextAttempt = q.nextAttempt(now, e.Attempts)
		if err = q.update(newDir, e); err == nil {
			rep.Deferred++
			q.logAttempt(e, at, maillog.Deferred, tempErr)
			if report && tempErr != nil {
				rep.Errors = append(rep.Errors, fmt.Errorf("%s: deferred: %w", e.ID, tempErr))
			}
		}
	}
	if err != nil {
		rep.Errors = append(rep.Errors, err)
	}
}

// attempt is what the delivery log needs to know about one try of a
// message beyond its entry.
type attempt struct {
	start time.Time
	host  string
	rcpts int
}

func (q *Queue) startAttempt(e *Entry) *attempt {
	return &attempt{start: time.Now(), rcpts: len(e.PendingAddrs())}
}

// hostFrom takes the smarthost's name from a dial error, when it has one.
func (a *attempt) hostFrom(err error) {
	var se *send.Error
	if errors.As(err, &se) {
		a.host = se.Host
	}
}

// logAttempt hands the attempt's record to q.Log. The error text is only
// that of a *send.Error (built from the server's reply and the network
// error); any other error — a password source that failed, say — is
// logged by its class alone, because its text is not ours to vouch for.
func (q *Queue) logAttempt(e *Entry, at *attempt, res maillog.Result, err error) {
	if q.Log == nil || at == nil {
		return
	}
	r := &maillog.Record{
		Time: q.now(), ID: e.ID, Account: e.Account, Host: at.host, From: e.From,
		Rcpts: at.rcpts, Size: e.Size, Result: res, Duration: time.Since(at.start),
	}
	var se *send.Error
	switch {
	case res == maillog.Sent:
		r.Code = 250
	case errors.As(err, &se):
		r.Code = se.Code
		r.Error = oneLine(se)
	case err != nil:
		r.Error = "local error (not from the server); see outbox queue list"
	}
	q.Log(r)
}

// prepare is the envelope and the bytes for one transaction on c: the
// message as queued, or, when it is 8-bit and the server does not offer
// 8BITMIME, the 7-bit form Convert8Bit makes of it (RFC 6152 §3: an
// 8-bit body must not be sent to a server that did not announce it).
func (q *Queue) prepare(c *send.Client, e *Entry, msg io.ReadSeeker) (*send.Envelope, io.Reader) {
	env := envelope(e)
	if !env.Body8Bit || q.Convert8Bit == nil {
		return env, msg
	}
	if _, ok := c.Extensions()["8BITMIME"]; ok {
		return env, msg
	}
	r, size, err := q.Convert8Bit(msg)
	if err != nil {
		// Not convertible: send it as it is and let send refuse it
		// with its clear "does not offer 8BITMIME" error.
		msg.Seek(0, io.SeekStart)
		return env, msg
	}
	env.Body8Bit, env.Size = false, size
	return env, r
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
