package pipesmtp

import (
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Limits of a session, RFC 5321 §4.5.3.
const (
	// DefaultTimeout is how long the server waits for a command, or for
	// more of a message inside DATA: RFC 5321 §4.5.3.2.7's five minutes.
	DefaultTimeout = 5 * time.Minute
	// DefaultMaxMessageBytes is advertised with SIZE (RFC 1870) and
	// enforced: a larger message gets 552 and nothing of it is kept.
	DefaultMaxMessageBytes = 64 << 20
	// DefaultMaxLineLength bounds one line, command or message text. It is
	// far above RFC 5321 §4.5.3.1.6's 1000 octets on purpose: a message
	// line that long is re-encoded on its way to the smarthost, as on
	// sendmail's other paths, instead of refused. A longer line gets 500.
	DefaultMaxLineLength = 1 << 20
	// MaxRecipients per transaction (RFC 5321 §4.5.3.1.8 asks for at
	// least 100); more get 452 4.5.3, as the RFC says.
	MaxRecipients = 1000
)

// Options configure Serve.
type Options struct {
	Hostname        string        // in the greeting; "localhost" when empty
	Timeout         time.Duration // 0: DefaultTimeout
	MaxMessageBytes int64         // 0: DefaultMaxMessageBytes
	MaxLineLength   int           // 0: DefaultMaxLineLength

	// Rcpt checks one RCPT TO address before it is accepted; an error is
	// the reply (a *Reply as is, anything else as 553 5.1.3).
	// nil accepts every address go-smtp could parse.
	Rcpt func(addr string) error
	// Deliver takes one complete transaction. It must read t.Data to its
	// end and return only once the message is safe (sent, or committed to
	// a queue); its Reply is the answer to the final dot. When reading
	// t.Data fails, the Reply is not used: the session answers for the
	// input (552, 500, or nothing at EOF).
	Deliver func(t *Transaction) Reply
	// Log receives go-smtp's reports of internal errors (a panic in a
	// handler); nil discards them.
	Log io.Writer
}

// Transaction is one MAIL ... DATA exchange.
type Transaction struct {
	From  string // MAIL FROM reverse-path; "" is the null sender <>
	Rcpts []string
	// Notify is the NOTIFY of the first recipient that gave one (RFC 3461
	// §4.1): outbox keeps one DSN request per message.
	Notify []string
	Ret    string // RET=FULL or HDRS (RFC 3461 §4.3), upper case
	EnvID  string // ENVID (RFC 3461 §4.4), xtext-decoded
	UTF8   bool   // SMTPUTF8 given (RFC 6531)
	Body   string // BODY=7BIT or 8BITMIME (RFC 6152), upper case; "" if absent
	// Data is the message, dot-unstuffed, with the line ends the client
	// sent; it ends at the final dot.
	Data io.Reader
}

// Reply is an SMTP reply: code, enhanced status code (RFC 3463; zero for
// none) and one line of text.
type Reply struct {
	Code     int
	Enhanced [3]int
	Text     string
}

// Error makes a *Reply an error, for Options.Rcpt to return.
func (r *Reply) Error() string { return r.Text }

// Result says how a session ended.
type Result struct {
	Delivered int // transactions answered with 2xx
	// Timeout: the client sent nothing for Timeout; it got 421 (RFC 5321
	// §4.5.3.2.7 lets the server close then).
	Timeout bool
	// Aborted: the input ended inside DATA; that message was dropped.
	Aborted bool
	// ClientGone: a reply could not be written (the client closed its
	// end of the pipe), and the session ended there. Every transaction
	// counted in Delivered is kept, even if its 250 was the reply lost.
	ClientGone bool
}

// Serve holds one SMTP dialogue on in and out until QUIT, the end of the
// input, a timeout, or too many errors (go-smtp ends a session after its
// fourth bad command). It never returns an error for anything the client
// sends: bad input gets a reply.
func Serve(in io.Reader, out io.Writer, o Options) (*Result, error) {
	if o.Deliver == nil {
		return nil, errors.New("pipesmtp: no Deliver function")
	}
	if o.Hostname == "" {
		o.Hostname = "localhost"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.MaxLineLength <= 0 {
		o.MaxLineLength = DefaultMaxLineLength
	}
	conn := newPipeConn(in, out)
	res := &Result{}
	be := &backend{o: &o, conn: conn, res: res}
	s := smtp.NewServer(be)
	s.Domain = o.Hostname
	s.ReadTimeout = o.Timeout
	s.MaxMessageBytes = o.MaxMessageBytes
	s.MaxLineLength = o.MaxLineLength
	s.MaxRecipients = MaxRecipients
	// What outbox carries on to the smarthost (issue 14): go-smtp always
	// offers PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, CHUNKING and SIZE.
	s.EnableSMTPUTF8 = true
	s.EnableDSN = true
	// Lets AUTH reach Auth above (502) instead of go-smtp's "523 TLS is
	// required", which would suggest that STARTTLS could help.
	s.AllowInsecureAuth = true
	logTo := o.Log
	if logTo == nil {
		logTo = io.Discard
	}
	s.ErrorLog = log.New(logTo, "sendmail -bs: ", 0)
	err := s.Serve(&oneConnListener{c: conn})
	if err != nil && !errors.Is(err, errListenerDone) {
		return res, fmt.Errorf("pipesmtp: %w", err)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	res.Timeout = res.Timeout || conn.timeout.Load()
	res.ClientGone = conn.gone.Load()
	return res, nil
}

type backend struct {
	o    *Options
	conn *pipeConn
	mu   sync.Mutex
	res  *Result
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{b: b}, nil
}

type session struct {
	b *backend
	t *Transaction // nil between transactions
}

// AuthMechanisms and Auth make AUTH a clean 502 "not supported" (no
// mechanism is advertised): the client is a local process, and this pipe
// carries no credentials.
func (s *session) AuthMechanisms() []string { return nil }

func (s *session) Auth(string) (sasl.Server, error) { return nil, smtp.ErrAuthUnsupported }

func (s *session) Reset()        { s.t = nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.t != nil {
		// RFC 5321 §4.1.1.2: MAIL inside a transaction is a bad sequence.
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Nested MAIL command: finish this transaction with DATA, or send RSET first"}
	}
	t := &Transaction{From: from}
	if opts != nil {
		t.Ret = string(opts.Return)
		t.EnvID = opts.EnvelopeID
		t.UTF8 = opts.UTF8
		t.Body = string(opts.Body)
	}
	s.t = t
	return nil
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if s.b.o.Rcpt != nil {
		if err := s.b.o.Rcpt(to); err != nil {
			var r *Reply
			if errors.As(err, &r) {
				return &smtp.SMTPError{Code: r.Code, EnhancedCode: smtp.EnhancedCode(r.Enhanced), Message: oneLine(r)}
			}
			return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: oneLine(err)}
		}
	}
	s.t.Rcpts = append(s.t.Rcpts, to)
	if opts != nil && len(opts.Notify) > 0 && s.t.Notify == nil {
		for _, n := range opts.Notify {
			s.t.Notify = append(s.t.Notify, string(n))
		}
	}
	return nil
}

func (s *session) Data(r io.Reader) error {
	t := s.t
	if t == nil { // go-smtp checks MAIL and RCPT first; never reached
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "MAIL and RCPT first"}
	}
	dr := &dataReader{r: r}
	t.Data = dr
	s.b.conn.setIdle(s.b.o.Timeout)
	rep := s.b.o.Deliver(t)
	s.b.conn.setIdle(0)
	// Whatever Deliver did, the input decides first: a message that did
	// not arrive whole was not accepted, and Deliver has kept nothing.
	switch {
	case dr.err == nil:
	case errors.Is(dr.err, smtp.ErrDataTooLarge):
		return smtp.ErrDataTooLarge // 552 5.3.4, RFC 1870 §6.2
	case errors.Is(dr.err, smtp.ErrTooLongLine):
		s.b.conn.endAfterReply()
		// RFC 5321 §4.5.3.1.9 names this reply ("500 Line too long").
		return &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 6}, Message: fmt.Sprintf("Line too long (over %d bytes); message discarded, closing", s.b.o.MaxLineLength)}
	case isTimeout(dr.err):
		s.b.conn.endAfterReply()
		s.b.mu.Lock()
		s.b.res.Timeout = true
		s.b.mu.Unlock()
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Timeout waiting for message data; message discarded, closing"}
	default: // EOF or a read error inside DATA: the client is gone
		s.b.conn.endAfterReply()
		s.b.mu.Lock()
		s.b.res.Aborted = true
		s.b.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Input ended inside DATA; message discarded"}
	}
	if rep.Code < 200 || rep.Code > 599 {
		rep = Reply{Code: 451, Enhanced: [3]int{4, 3, 0}, Text: "internal error: no reply for this message"}
	}
	if rep.Code/100 == 2 {
		s.b.mu.Lock()
		s.b.res.Delivered++
		s.b.mu.Unlock()
	}
	if rep.Code == 250 && rep.Enhanced == [3]int{} {
		rep.Enhanced = [3]int{2, 0, 0}
	}
	return &smtp.SMTPError{Code: rep.Code, EnhancedCode: smtp.EnhancedCode(rep.Enhanced), Message: oneLine(errors.New(rep.Text))}
}

// dataReader is DATA's reader as Deliver sees it: it remembers the first
// error other than the end of the message.
type dataReader struct {
	r   io.Reader
	err error
}

func (d *dataReader) Read(b []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(b)
	if err != nil && err != io.EOF {
		d.err = err
	}
	return n, err
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// oneLine keeps reply text on one line: go-smtp would turn a line break
// into a multi-line reply, and a CR or LF from an error must never reach
// the client as protocol.
func oneLine(err error) string {
	s := strings.TrimSpace(err.Error())
	s = strings.NewReplacer("\r\n", "; ", "\n", "; ", "\r", " ").Replace(s)
	if s == "" {
		s = "Ok"
	}
	return s
}
