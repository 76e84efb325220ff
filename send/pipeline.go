package send

// The SMTP dialogue after the TLS handshake is written here by hand:
// emersion/go-smtp's client waits for every reply before it writes the
// next command and can't pipeline (upstream issue #203), which costs a
// round trip per command — most of a message's time on a real smarthost
// 10–150 ms away. What is reused: net/textproto for reading replies, the
// EHLO parser and TLS set-up in tls.go, go-sasl's mechanisms, crlf's
// normaliser and dot-stuffer, and go-smtp's SMTPError as the reply type
// classify understands.
//
// Model: commands are written into a buffered writer; each command that
// will get a reply pushes a handler onto a FIFO (c.pending). A reader
// goroutine reads replies as soon as they arrive (so that neither side
// can block the other while a window of messages is in flight: the
// server's replies never pile up unread), and process pops one reply per
// handler, in order (RFC 2920 §3.1: replies come back in the order of the
// commands). Without PIPELINING every command is flushed and its reply
// awaited before the next one: the lock-step dialogue of RFC 5321.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/outboxmail/outbox/internal/crlf"
)

// window bounds how many messages may be in flight (sent, their final
// reply not yet read) on a connection that offers PIPELINING and
// CHUNKING. It is also the most messages whose outcome a lost connection
// can leave unknown at once (see README, "the duplicate window").
const window = 16

// chunkSize is the largest BDAT chunk (RFC 3030 §2). A message up to this
// size goes out as one "BDAT <n> LAST"; a larger one in chunks of this
// size, so that it is never held in memory whole.
const chunkSize = 1 << 20

// Job is one message for Stream.
type Job struct {
	Env *Envelope
	Msg io.Reader
	// Done receives the job's outcome, exactly as Send would return it,
	// once all of the job's replies have arrived. Jobs complete in the
	// order Stream took them, on Stream's goroutine.
	Done func(*Result, error)
}

// reply is one server reply, or the reason none can come (err: the
// connection failed, or the bytes were not an SMTP reply).
type reply struct {
	code int
	msg  string
	err  error
}

// replyQueue is filled by the reader goroutine and emptied by process.
type replyQueue struct {
	mu   sync.Mutex
	q    []reply
	sig  chan struct{} // one token when q may have grown
	done chan struct{} // closed when the reader goroutine has returned
}

func (rq *replyQueue) push(r reply) {
	rq.mu.Lock()
	rq.q = append(rq.q, r)
	rq.mu.Unlock()
	select {
	case rq.sig <- struct{}{}:
	default:
	}
}

func (rq *replyQueue) pop() (reply, bool) {
	rq.mu.Lock()
	defer rq.mu.Unlock()
	if len(rq.q) == 0 {
		return reply{}, false
	}
	r := rq.q[0]
	rq.q = rq.q[1:]
	return r, true
}

func (rq *replyQueue) len() int {
	rq.mu.Lock()
	defer rq.mu.Unlock()
	return len(rq.q)
}

// startReader reads replies from r until it fails (the connection closed,
// a read deadline set by Dial's context, or bytes that are not a reply:
// after those the dialogue can't be trusted to be in step).
func (c *Client) startReader(r io.Reader) {
	rq := &replyQueue{sig: make(chan struct{}, 1), done: make(chan struct{})}
	c.replies = rq
	tp := textproto.NewReader(bufio.NewReader(r))
	go func() {
		defer close(rq.done)
		for {
			code, msg, err := tp.ReadResponse(0)
			rq.push(reply{code, msg, err})
			if err != nil {
				return
			}
		}
	}()
}

// handler is what to do with one expected reply. err is set when the
// reply can't come: it is an *Error already classified for op.
type handler struct {
	op      string
	timeout time.Duration
	fn      func(code int, msg string, err *Error)
}

// cmd writes one command line. A write failure breaks the session; the
// handlers still waiting then learn it from process.
func (c *Client) cmd(line string) {
	if c.broken != nil {
		return
	}
	c.bw.WriteString(line)
	if _, err := c.bw.WriteString("\r\n"); err != nil {
		c.drop(err)
	}
}

// expect queues the handler for the next reply. Without PIPELINING the
// command just written is sent and answered before anything else.
func (c *Client) expect(op string, timeout time.Duration, fn func(int, string, *Error)) {
	c.pending = append(c.pending, handler{op, timeout, fn})
	if !c.pipelining {
		c.flush()
		c.sync()
	}
}

// expectT is expect for a command of transaction t.
func (c *Client) expectT(t *txn, op string, timeout time.Duration, fn func(int, string, *Error)) {
	c.expect(op, timeout, func(code int, msg string, err *Error) {
		if err == nil {
			t.answered = true
		}
		fn(code, msg, err)
	})
}

func (c *Client) flush() {
	if c.broken != nil {
		return
	}
	if err := c.bw.Flush(); err != nil {
		c.drop(err)
	}
}

// sync sends what is buffered and handles every reply still expected.
func (c *Client) sync() {
	c.flush()
	for len(c.pending) > 0 {
		c.process()
	}
}

// poll handles the replies that have already arrived, without waiting.
func (c *Client) poll() {
	for len(c.pending) > 0 && (c.replies.len() > 0 || c.broken != nil) {
		c.process()
	}
}

// process waits for the oldest expected reply and hands it to its
// handler. Once the session is broken, the handlers left get the
// replies that arrived before the break, then the error.
func (c *Client) process() {
	h := c.pending[0]
	c.pending = c.pending[1:]
	r, ok := c.replies.pop()
	if !ok && c.broken == nil {
		// Whatever is still buffered may be what the server must see
		// before it can answer.
		c.flush()
	}
	if !ok && c.broken == nil {
		r, ok = c.wait(h.timeout)
	}
	switch {
	case !ok:
		h.fn(0, "", c.lost(h.op))
	case r.err != nil:
		e := classify(h.op, c.hostport, r.err)
		if c.broken != nil && e.Kind != KindProtocol && e.Kind != KindTimeout {
			// The reader stopped because the connection was dropped:
			// say why it was.
			e = c.lost(h.op)
		}
		c.drop(e)
		h.fn(0, "", e)
	default:
		h.fn(r.code, r.msg, nil)
	}
}

// wait blocks until a reply arrives or timeout passes; a timeout drops
// the connection (the dialogue is out of step from then on).
func (c *Client) wait(timeout time.Duration) (reply, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		if r, ok := c.replies.pop(); ok {
			return r, true
		}
		select {
		case <-c.replies.sig:
		case <-timer.C:
			return reply{err: errTimeout}, true
		}
	}
}

// errTimeout is a reply that did not come within the timeout.
var errTimeout = fmt.Errorf("reply: %w", timeoutError{})

type timeoutError struct{}

func (timeoutError) Error() string   { return "timed out" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// lost is the error for a reply that can't come because the session
// broke earlier.
func (c *Client) lost(op string) *Error {
	cause := c.broken
	var e *Error
	if errors.As(cause, &e) {
		if e.Kind == KindTimeout || e.Kind == KindNetwork {
			cause = e.Err
		} else {
			cause = errors.New(strings.TrimPrefix(e.Error(), "send: "))
		}
	}
	if cause == nil {
		cause = errConnDropped
	}
	return &Error{Op: op, Host: c.hostport, Kind: KindNetwork, Temporary: true, Err: cause}
}

var errConnDropped = errors.New("the connection was dropped")

// replyError is the *Error for an unexpected reply to op.
func (c *Client) replyError(op string, code int, msg string) *Error {
	return classify(op, c.hostport, toSMTPError(&textproto.Error{Code: code, Msg: msg}))
}

// do sends one command, waits for its reply and returns it; used during
// the session's set-up (EHLO, AUTH), which is always lock-step.
func (c *Client) do(op, line string) (int, string, *Error) {
	c.cmd(line)
	var (
		code int
		msg  string
		err  *Error
	)
	c.pending = append(c.pending, handler{op, c.opts.Timeout, func(cd int, m string, e *Error) { code, msg, err = cd, m, e }})
	c.sync()
	return code, msg, err
}

// txn is one message's transaction in flight.
type txn struct {
	job      *Job
	res      *Result
	authErr  *Error // the pipelined AUTH failed
	mailErr  *Error
	fatal    error // RCPT failed in a way that ends the transaction (421, lost)
	accepted int
	allTemp  bool
	first    *Error // first refused recipient
	dataErr  error  // DATA or BDAT refused, lost, or unconfirmed
	readErr  error  // reading the message failed
	go354    bool
	reply    string
	done     bool
	seq      int  // 1 for the first job of a Stream call
	answered bool // a reply to one of its commands arrived
}

// ErrNoReply is in the chain of a Stream job's error when the session
// broke before the server answered any of the job's commands, and the
// job was not the first of its Stream call: another job's failure ended
// the session, and this one can go over a new session at once (the
// queue does that). The first job never gets it, so a caller that
// retries such jobs always makes progress.
var ErrNoReply = errors.New("no reply before the session broke")

type noReplyError struct{ cause error }

func (e *noReplyError) Error() string        { return e.cause.Error() }
func (e *noReplyError) Unwrap() error        { return e.cause }
func (e *noReplyError) Is(target error) bool { return target == ErrNoReply }

// Stream sends the jobs next hands out, one transaction each, until next
// returns nil or the session breaks; it returns once every job it took is
// done. The error is nil when the session can carry more transactions;
// otherwise the rest of the jobs must go over a new one.
//
// With PIPELINING (RFC 2920) and CHUNKING (RFC 3030), transactions go out
// back to back — RSET, MAIL, RCPT..., BDAT <n> LAST and the message, then
// the next — up to window messages ahead of their replies. With
// PIPELINING alone, MAIL, every RCPT and DATA form one group (DATA last,
// RFC 2920 §3.1), the message follows the 354, and the next group rides
// with the message's end. Without PIPELINING, lock-step.
func (c *Client) Stream(next func() *Job) error {
	c.taken = 0
	for c.broken == nil {
		if len(c.pending) == 0 && c.replies.len() > 0 {
			// The connection failed while idle, or a reply nobody asked
			// for arrived (a 421 before closing, or a server out of
			// step): either way the session is over.
			r, _ := c.replies.pop()
			e := &Error{Op: "mail", Host: c.hostport, Kind: KindProtocol, Temporary: true, Code: r.code, Msg: r.msg,
				Err: errors.New("a reply that answers no command")}
			if r.err != nil {
				e = classify("mail", c.hostport, r.err)
			}
			c.drop(e)
			break
		}
		j := next()
		if j == nil {
			break
		}
		c.run(j)
	}
	c.sync()
	if c.broken != nil {
		return c.lost("mail")
	}
	return nil
}

func (c *Client) run(j *Job) {
	env := j.Env
	t := &txn{job: j, res: &Result{Rcpts: make([]RcptResult, 0, len(env.To))}, allTemp: true}
	if err := c.checkEnvelope(env); err != nil {
		c.sync()
		t.done = true
		j.Done(nil, err)
		return
	}
	c.inflight++
	c.taken++
	t.seq = c.taken
	if c.chunking && c.inflight > 1 {
		// The previous transaction's outcome is not known yet; if it
		// failed before BDAT LAST, the server may still hold it open.
		// RSET may appear anywhere in a group (RFC 2920 §3.1) and costs
		// no round trip.
		c.dirty = true
	}
	if c.dirty {
		c.dirty = false
		c.cmd("RSET")
		c.expectT(t, "rset", c.opts.Timeout, func(code int, msg string, err *Error) {
			if err == nil && code != 250 {
				c.drop(c.replyError("rset", code, msg))
			}
		})
	}
	authFlight := c.authLine != ""
	if authFlight {
		// RFC 4954 §4: AUTH PLAIN with its initial response completes in
		// one round trip, so it may lead the first transaction's group.
		// If it fails, what follows is discarded with the connection.
		line := c.authLine
		c.authLine = ""
		c.cmd(line)
		c.expectT(t, "auth", c.opts.Timeout, func(code int, msg string, err *Error) {
			switch {
			case err != nil:
				t.authErr = err
			case code != 235:
				t.authErr = c.authFailure("PLAIN", c.replyError("auth", code, msg))
				c.drop(t.authErr)
			}
		})
	}
	c.cmd(c.mailLine(env))
	c.expectT(t, "mail", c.opts.Timeout, func(code int, msg string, err *Error) {
		switch {
		case err != nil:
			t.mailErr = err
		case code != 250:
			t.mailErr = c.fail(c.replyError("mail", code, msg))
		default:
			c.dirty = true
		}
	})
	if t.mailErr != nil || t.authErr != nil {
		c.finish(t)
		return
	}
	notify := c.notifyParam(env)
	for _, to := range env.To {
		c.cmd("RCPT TO:<" + to + ">" + notify)
		c.expectT(t, "rcpt", c.opts.Timeout, func(code int, msg string, err *Error) {
			if t.mailErr != nil || t.fatal != nil || t.authErr != nil {
				// RFC 2920 §3.1: after a refused MAIL the server refuses
				// the RCPTs of the group too; nothing to learn.
				return
			}
			if err == nil && code/10 == 25 {
				t.res.Rcpts = append(t.res.Rcpts, RcptResult{Addr: to})
				t.accepted++
				return
			}
			e := err
			if e == nil {
				e = c.replyError("rcpt", code, msg)
			}
			e.Rcpt = to
			if e.Kind != KindReply || e.Code == 421 {
				// Connection lost, or 421 "closing" (RFC 5321 §3.8): the
				// transaction is over, not just this recipient.
				t.fatal = c.fail(e)
				return
			}
			t.res.Rcpts = append(t.res.Rcpts, RcptResult{Addr: to, Err: e})
			t.allTemp = t.allTemp && e.Temporary
			if t.first == nil {
				t.first = e
			}
		})
		if t.fatal != nil || c.broken != nil {
			c.finish(t)
			return
		}
	}
	if c.chunking {
		c.bdat(t, authFlight)
		return
	}
	c.data(t)
}

// data is the DATA path: DATA ends the group (RFC 2920 §3.1); the 354
// decides whether the message follows.
func (c *Client) data(t *txn) {
	c.cmd("DATA")
	c.expectT(t, "data", c.opts.Timeout, func(code int, msg string, err *Error) {
		switch {
		case err != nil:
			if t.dataErr == nil {
				t.dataErr = err
			}
		case t.mailErr != nil || t.fatal != nil || t.authErr != nil || t.accepted == 0:
			// RFC 2920 §3.1: the client must check DATA's reply even
			// when no RCPT was accepted. A 354 now can't be answered
			// safely (any content would be a message), so the
			// connection goes.
			if code == 354 {
				c.drop(c.replyError("data", code, msg))
			}
		case code != 354:
			t.dataErr = c.fail(c.replyError("data", code, msg))
		default:
			t.go354 = true
		}
	})
	c.sync()
	if !t.go354 || c.broken != nil {
		c.finish(t)
		return
	}
	cw := crlf.NewDotWriter(c.bw)
	if err := writeData(cw, t.job.Msg); err != nil {
		var we *writeError
		if errors.As(err, &we) {
			t.dataErr = c.fail(classify("data", c.hostport, we.err))
		} else {
			// Never send the final "." after a partial message.
			t.readErr = err
			c.drop(err)
		}
		c.finish(t)
		return
	}
	// The end of mail data (RFC 5321 §4.1.1.4). The next transaction's
	// commands may ride in the same group (RFC 2920 §3.1: "the actual
	// transfer of message content is explicitly allowed to be the first
	// command in a group").
	c.cmd("\r\n.")
	c.dirty = false // the end of data ends the transaction, whatever its reply
	c.expectT(t, "data", c.opts.DataTimeout, func(code int, msg string, err *Error) {
		switch {
		case err != nil:
			t.dataErr = c.unconfirmed(err)
		case code != 250:
			t.dataErr = c.fail(c.replyError("data", code, msg))
		default:
			t.reply = msg
		}
		c.finish(t)
	})
}

// bdat is the CHUNKING path (RFC 3030): the message goes in BDAT chunks,
// its exact byte count announced, without dot-stuffing. With PIPELINING
// the chunks follow MAIL and RCPT without waiting (RFC 3030 §4.2 allows
// BDAT in a pipelined group); the first transaction waits for its AUTH's
// reply first, so that no message bytes go to a server that refused the
// credentials.
func (c *Client) bdat(t *txn, authFlight bool) {
	if authFlight {
		c.sync()
		if t.authErr != nil || t.mailErr != nil || t.fatal != nil || c.broken != nil {
			c.finish(t)
			return
		}
	}
	if (authFlight || !c.pipelining) && t.accepted == 0 {
		// Replies known: no recipient, no message (RFC 3030 §2 would
		// have the server refuse the chunk anyway).
		c.dirty = true
		c.finish(t)
		return
	}
	ch := &chunker{c: c, t: t, buf: c.chunkBuf[:0]}
	cw := crlf.NewWriter(ch)
	_, err := io.Copy(cw, t.job.Msg)
	if err == nil {
		err = cw.Close()
	}
	if err == nil {
		err = ch.last()
	}
	c.chunkBuf = ch.buf[:0]
	if err != nil {
		if c.broken != nil || errors.Is(err, errBroken) {
			if t.dataErr == nil {
				t.dataErr = c.lost("data")
			}
		} else if !errors.Is(err, errChunkRefused) {
			// The message could not be read: BDAT LAST was not sent, so
			// nothing can be delivered. Collect the replies owed, then
			// drop the connection as the DATA path does.
			t.readErr = err
			c.sync()
			c.drop(err)
		}
		c.sync()
		c.dirty = true
		c.finish(t)
		return
	}
	for c.inflight >= window && c.broken == nil {
		c.process()
	}
}

var (
	errBroken       = errors.New("send: session broken")
	errChunkRefused = errors.New("send: chunk refused")
)

// chunker collects normalised message bytes and sends them as BDAT
// chunks of chunkSize.
type chunker struct {
	c       *Client
	t       *txn
	buf     []byte
	lastTwo [2]byte
	n       int64 // bytes seen
	sentAny bool
}

func (ch *chunker) Write(p []byte) (int, error) {
	n := len(p)
	if n >= 2 {
		ch.lastTwo = [2]byte{p[n-2], p[n-1]}
	} else if n == 1 {
		ch.lastTwo = [2]byte{ch.lastTwo[1], p[0]}
	}
	ch.n += int64(n)
	for len(p) > 0 {
		room := chunkSize - len(ch.buf)
		k := min(room, len(p))
		ch.buf = append(ch.buf, p[:k]...)
		p = p[k:]
		if len(ch.buf) == chunkSize {
			if err := ch.send(false); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// last sends what is left as "BDAT <n> LAST". The content is what the DATA
// path delivers: the normalised message with a final CRLF when it lacks
// one (on that path the "\r\n" before "." supplies it), so that both
// paths deliver the same bytes.
func (ch *chunker) last() error {
	if ch.n < 2 || ch.lastTwo != [2]byte{'\r', '\n'} {
		ch.buf = append(ch.buf, '\r', '\n')
	}
	return ch.send(true)
}

func (ch *chunker) send(last bool) error {
	c, t := ch.c, ch.t
	if ch.sentAny {
		// Between chunks: take the replies that are in. After a refusal
		// RFC 3030 §2 forbids further chunks.
		c.poll()
		if t.dataErr != nil || t.mailErr != nil || t.fatal != nil || t.authErr != nil {
			return errChunkRefused
		}
	}
	if c.broken != nil {
		return errBroken
	}
	ch.sentAny = true
	line := fmt.Sprintf("BDAT %d", len(ch.buf))
	timeout := c.opts.Timeout
	if last {
		line += " LAST"
		timeout = c.opts.DataTimeout
	}
	c.cmd(line)
	if _, err := c.bw.Write(ch.buf); err != nil {
		c.drop(err)
		return errBroken
	}
	ch.buf = ch.buf[:0]
	c.expectT(t, "data", timeout, func(code int, msg string, err *Error) {
		failed := t.mailErr != nil || t.fatal != nil || t.authErr != nil || t.accepted == 0
		switch {
		case err != nil:
			if t.dataErr == nil {
				t.dataErr = err
				if last && !failed {
					t.dataErr = c.unconfirmed(err)
				}
			}
		case failed:
			// The refusal RFC 3030 §2 calls for; the transaction's own
			// error says why.
			if code == 250 {
				c.drop(c.replyError("data", code, msg))
			}
		case code != 250:
			if t.dataErr == nil {
				t.dataErr = c.fail(c.replyError("data", code, msg))
			}
		case last && t.dataErr == nil:
			t.reply = msg
			c.dirty = false
		}
		if last {
			c.finish(t)
		}
	})
	if c.broken != nil {
		return errBroken
	}
	return nil
}

// unconfirmed is the error when the reply after the whole message did not
// come: the server may have taken the message.
func (c *Client) unconfirmed(e *Error) *Error {
	if e.Kind == KindTimeout || e.Kind == KindNetwork {
		e.text = fmt.Sprintf("send: %s did not confirm the message (%s); it may have been delivered anyway", c.hostport, netCause(e.Err))
	}
	return e
}

// finish computes the job's outcome — the same as the lock-step Send of
// earlier versions gave — and reports it.
func (c *Client) finish(t *txn) {
	if t.done {
		return
	}
	t.done = true
	c.inflight--
	var err error
	res := t.res
	switch {
	case t.readErr != nil:
		err = fmt.Errorf("send: reading the message: %w", t.readErr)
	case t.authErr != nil:
		res, err = nil, t.authErr
	case t.mailErr != nil:
		res, err = nil, t.mailErr
	case t.fatal != nil:
		err = t.fatal
	case t.accepted == 0 && t.first != nil:
		all := *t.first
		all.Temporary = t.allTemp
		all.text = ""
		if n := len(t.job.Env.To); n > 1 {
			all.text = fmt.Sprintf("send: all %d recipients refused by %s; first: <%s> %s", n, c.hostport, t.first.Rcpt, t.first.reply())
		}
		err = &all
	case t.accepted == 0:
		// No reply for any recipient: the session broke on the way.
		err = c.lost("rcpt")
	case t.dataErr != nil:
		err = t.dataErr
	default:
		res.Reply = oneLine(t.reply)
	}
	var e *Error
	if !t.answered && t.seq > 1 && c.broken != nil && errors.As(err, &e) && error(e) != c.broken && (e.Kind == KindNetwork || e.Kind == KindTimeout) && t.readErr == nil {
		e.Err = &noReplyError{cause: e.Err}
	}
	if err != nil && res != nil && res.Reply != "" {
		res.Reply = ""
	}
	t.job.Done(res, err)
}

// mailLine is the MAIL command with the parameters the server offers
// (the ones go-smtp's client sent: BODY=8BITMIME whenever 8BITMIME is
// offered, SIZE, SMTPUTF8, DSN's RET and ENVID).
func (c *Client) mailLine(env *Envelope) string {
	var b strings.Builder
	fmt.Fprintf(&b, "MAIL FROM:<%s>", env.From)
	if _, ok := c.ext["8BITMIME"]; ok {
		b.WriteString(" BODY=8BITMIME")
	}
	if _, ok := c.ext["SIZE"]; ok && env.Size != 0 {
		fmt.Fprintf(&b, " SIZE=%d", env.Size)
	}
	if env.SMTPUTF8 {
		b.WriteString(" SMTPUTF8")
	}
	if _, ok := c.ext["DSN"]; ok {
		// RFC 3461 §4: the parameters only when the server offers DSN;
		// otherwise the server's defaults apply (failure notices).
		if r := strings.ToUpper(env.Ret); r != "" {
			b.WriteString(" RET=" + r)
		}
		if env.EnvID != "" {
			b.WriteString(" ENVID=" + xtext(env.EnvID))
		}
	}
	return b.String()
}

func (c *Client) notifyParam(env *Envelope) string {
	if _, ok := c.ext["DSN"]; !ok || len(env.Notify) == 0 {
		return ""
	}
	n := make([]string, len(env.Notify))
	for i, v := range env.Notify {
		n[i] = strings.ToUpper(v)
	}
	return " NOTIFY=" + strings.Join(n, ",")
}

// xtext encodes a DSN ENVID (RFC 3461 §4): "+", "=" and anything outside
// "!".."~" become "+HH".
func xtext(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < '!' || ch > '~' || ch == '+' || ch == '=' {
			fmt.Fprintf(&b, "+%02X", ch)
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// plainAuthLine is "AUTH PLAIN <initial response>" (RFC 4616, RFC 4954 §4).
func plainAuthLine(user, pass string) string {
	ir := bytes.Join([][]byte{nil, []byte(user), []byte(pass)}, []byte{0})
	return "AUTH PLAIN " + base64.StdEncoding.EncodeToString(ir)
}
