package send

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/outboxmail/outbox/internal/crlf"
)

// TLSMode is how the connection is protected.
type TLSMode string

const (
	StartTLS TLSMode = "starttls" // plaintext connect, then STARTTLS (RFC 3207); the default
	TLS      TLSMode = "tls"      // implicit TLS from the first byte (RFC 8314, port 465)
	NoTLS    TLSMode = "none"     // plaintext; AUTH is then refused
)

// DefaultTimeout is used when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// DefaultDataTimeout is used when Options.DataTimeout is zero: RFC 5321
// §4.5.3.2.6 asks clients to wait 10 minutes for the reply to the end of
// the message, because the server may be scanning it. Giving up earlier
// risks a duplicate: the server may accept the message after we left.
const DefaultDataTimeout = 10 * time.Minute

// Options describe one smarthost and how to talk to it.
type Options struct {
	Host        string
	Port        int     // 0 → 587 for starttls, 465 for tls, 25 for none
	TLS         TLSMode // "" → starttls
	CAFile      string  // extra PEM bundle added to the system roots
	Fingerprint string  // "sha256:HEX" pin of the leaf certificate; replaces CA verification
	Helo        string  // "" → the host name if it is a FQDN, else the local address literal
	// Timeout bounds connecting and each command's reply; 0 → 30s.
	Timeout time.Duration
	// DataTimeout bounds the wait for the reply after the message;
	// 0 → 10 minutes, never less than Timeout. (Added to the contract.)
	DataTimeout time.Duration
	Auth        string // "auto" (""), "plain", "login", "cram-md5", "xoauth2", "none"
	Username    string
	// Password is called at most once, only when AUTH will be sent over
	// TLS. Its error is kept in the chain (errors.As finds it).
	Password func() (string, error)
	// Verbose, when set, receives the SMTP dialogue with AUTH payloads
	// redacted and the message body summarised.
	Verbose io.Writer
	// PipelineAuth lets AUTH PLAIN ride with the first transaction when
	// the server offers PIPELINING (RFC 4954 §4), saving a round trip;
	// Dial then returns before the credentials are checked. For callers
	// that send; `outbox check` leaves it off to report AUTH itself.
	PipelineAuth bool
	RootCAs      *x509.CertPool // tests only: replaces the system roots
}

// Envelope is one transaction's SMTP envelope (RFC 5321 §2.3.1).
type Envelope struct {
	From     string   // MAIL FROM address; "" is the null sender <>
	To       []string // RCPT TO addresses
	Notify   []string // DSN NOTIFY (RFC 3461 §4.1); sent only if the server offers DSN
	Ret      string   // DSN RET: "FULL" or "HDRS"
	EnvID    string   // DSN ENVID
	Body8Bit bool     // BODY=8BITMIME is required (RFC 6152); error if not offered
	SMTPUTF8 bool     // SMTPUTF8 is required (RFC 6531); error if not offered
	Size     int64    // SIZE= declaration (RFC 1870), checked against the server's limit
}

// Result is the outcome of a transaction whose DATA was accepted.
type Result struct {
	Rcpts []RcptResult // in Envelope.To order
	Reply string       // the server's reply text to the end of DATA (often holds a queue id)
}

// RcptResult is one recipient's outcome; Err is nil when accepted.
type RcptResult struct {
	Addr string
	Err  *Error
}

// Accepted lists the recipients the server accepted.
func (r *Result) Accepted() []string {
	var out []string
	for _, rc := range r.Rcpts {
		if rc.Err == nil {
			out = append(out, rc.Addr)
		}
	}
	return out
}

// Refused lists the recipients the server refused, with their errors.
func (r *Result) Refused() []RcptResult {
	var out []RcptResult
	for _, rc := range r.Rcpts {
		if rc.Err != nil {
			out = append(out, rc)
		}
	}
	return out
}

// Client is one ESMTP session with a smarthost, ready for transactions
// after Dial. It is not safe for concurrent use.
type Client struct {
	opts     Options
	hostport string
	raw      net.Conn  // the TCP connection
	wire     *wireConn // the plaintext stream (raw, or TLS above it)
	tlsConn  *tls.Conn
	ext      map[string]string
	broken   error // set when the connection can't be used any more

	bw         *bufio.Writer // commands and message bytes, to wire
	replies    *replyQueue   // filled by the reader goroutine
	pending    []handler     // one per reply still expected, in order
	pipelining bool          // PIPELINING offered (RFC 2920)
	chunking   bool          // CHUNKING offered (RFC 3030)
	inflight   int           // transactions started and not finished
	taken      int           // jobs taken by the current Stream call
	dirty      bool          // the server may hold an open transaction: RSET first
	authLine   string        // AUTH PLAIN to send with the first transaction
	chunkBuf   []byte
}

// Dial connects, reads the greeting, says EHLO, applies the TLS policy
// (STARTTLS or implicit TLS, certificate checks) and authenticates. The
// context bounds the whole of Dial; Timeout bounds each step.
//
// With Options.PipelineAuth, AUTH PLAIN on a server that offers
// PIPELINING is not sent here but leads the first transaction's group
// (RFC 4954 §4): its failure is then Send's (or the first Stream job's)
// error, with Op "auth", as it would have been Dial's.
func Dial(ctx context.Context, o Options) (*Client, error) {
	if o.TLS == "" {
		o.TLS = StartTLS
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.DataTimeout <= 0 {
		o.DataTimeout = DefaultDataTimeout
	}
	o.DataTimeout = max(o.DataTimeout, o.Timeout)
	if o.Port == 0 {
		o.Port = map[TLSMode]int{StartTLS: 587, TLS: 465, NoTLS: 25}[o.TLS]
	}
	hostport := net.JoinHostPort(o.Host, strconv.Itoa(o.Port))
	c := &Client{opts: o, hostport: hostport}

	var cfg *tls.Config
	switch o.TLS {
	case StartTLS, TLS:
		var err error
		if cfg, err = tlsConfig(&o, hostport); err != nil {
			return nil, err
		}
	case NoTLS:
	default:
		return nil, &Error{Op: "connect", Host: hostport, Kind: KindConfig,
			text: fmt.Sprintf("send: unknown tls mode %q (want starttls, tls or none)", o.TLS)}
	}
	if o.Host == "" {
		return nil, &Error{Op: "connect", Host: hostport, Kind: KindConfig, text: "send: no host configured"}
	}

	d := net.Dialer{Timeout: o.Timeout}
	raw, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		e := classify("connect", hostport, err)
		if e.Kind == KindProtocol {
			e.Kind = KindNetwork
		}
		return nil, e
	}
	c.raw = raw
	// Cancelling ctx interrupts whatever step is waiting.
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if err := c.start(ctx, raw, cfg); err != nil {
		raw.Close()
		c.stopReader()
		var e *Error
		if ctx.Err() != nil && errors.As(err, &e) {
			switch e.Kind {
			case KindTimeout, KindNetwork, KindTLS, KindProtocol:
				// The step failed because the caller gave up, not the server.
				e.Kind, e.Temporary, e.Err = KindNetwork, true, ctx.Err()
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					e.Kind = KindTimeout
				}
				e.text = fmt.Sprintf("send: gave up on %s during %s: %v", hostport, opName(e.Op), netCause(ctx.Err()))
			}
		}
		return nil, err
	}
	return c, nil
}

func (c *Client) start(ctx context.Context, raw net.Conn, cfg *tls.Config) error {
	o := &c.opts
	tr := newTranscript(o.Verbose)
	helo := o.Helo
	if helo == "" {
		helo = defaultHelo(raw)
	}
	if strings.ContainsAny(helo, " \r\n\x00") {
		return &Error{Op: "ehlo", Host: c.hostport, Kind: KindConfig, text: fmt.Sprintf("send: helo %q is not a host name", helo)}
	}

	switch o.TLS {
	case StartTLS:
		w := &wireConn{Conn: raw, tr: tr}
		if err := plainStart(ctx, w, c.hostport, helo, o.Timeout); err != nil {
			return err
		}
		if err := c.handshake(ctx, raw, cfg); err != nil {
			return err
		}
		c.wire = &wireConn{Conn: c.tlsConn, tr: tr}
	case TLS:
		if err := c.handshake(ctx, raw, cfg); err != nil {
			return err
		}
		c.wire = &wireConn{Conn: c.tlsConn, tr: tr}
	default:
		c.wire = &wireConn{Conn: raw, tr: tr}
	}
	c.bw = bufio.NewWriterSize(&deadlineWriter{w: c.wire, conn: c.wire, timeout: o.Timeout}, 8<<10)
	c.startReader(c.wire)

	if o.TLS != StartTLS {
		// The greeting (RFC 5321 §4.2); after STARTTLS none comes (RFC
		// 3207 §4.2: the session restarts with EHLO).
		var code int
		var msg string
		var err *Error
		c.pending = append(c.pending, handler{"greeting", o.Timeout, func(cd int, m string, e *Error) { code, msg, err = cd, m, e }})
		c.sync()
		if err != nil {
			return err
		}
		if code != 220 {
			return c.replyError("greeting", code, msg)
		}
	}
	// After STARTTLS this is the second EHLO, the only list that counts
	// (RFC 3207 §4.2).
	code, msg, err := c.do("ehlo", "EHLO "+helo)
	if err != nil {
		return err
	}
	switch {
	case code == 250:
		c.ext = parseEHLO(msg)
	case code == 500 || code == 502:
		// RFC 5321 §4.1.1.1: no EHLO, no extensions; HELO then.
		code, msg, err = c.do("ehlo", "HELO "+helo)
		if err != nil {
			return err
		}
		if code != 250 {
			return c.replyError("ehlo", code, msg)
		}
		c.ext = map[string]string{}
	default:
		return c.replyError("ehlo", code, msg)
	}
	_, c.pipelining = c.ext["PIPELINING"]
	_, c.chunking = c.ext["CHUNKING"]

	mech, e := chooseMech(o, c.ext["AUTH"], c.hostport)
	if e != nil {
		return e
	}
	if mech == "" {
		return nil
	}
	if c.tlsConn == nil {
		// SPEC §3: never a password over plaintext, whatever the config.
		return &Error{Op: "auth", Host: c.hostport, Kind: KindTLSPolicy,
			text: fmt.Sprintf(`send: refusing to send the password for %q to %s unencrypted (tls = "none"); use tls = "starttls" or "tls", or auth = "none"`, o.Username, c.hostport)}
	}
	if o.Password == nil {
		return &Error{Op: "auth", Host: c.hostport, Kind: KindConfig,
			text: fmt.Sprintf("send: no password source for %s at %s", o.Username, c.hostport)}
	}
	return c.authenticate(mech)
}

func (c *Client) handshake(ctx context.Context, raw net.Conn, cfg *tls.Config) error {
	tc := tls.Client(raw, cfg)
	raw.SetDeadline(time.Now().Add(c.opts.Timeout))
	err := tc.HandshakeContext(ctx)
	raw.SetDeadline(time.Time{})
	if err != nil {
		op := "starttls"
		if c.opts.TLS == TLS {
			op = "connect"
		}
		return classifyHandshake(op, c.hostport, err)
	}
	c.tlsConn = tc
	return nil
}

// defaultHelo is the machine's name when it looks like a FQDN, else the
// address literal of our end of the connection (RFC 5321 §4.1.4: EHLO
// carries a FQDN or, failing that, an address literal).
func defaultHelo(conn net.Conn) string {
	if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") && validHostname(h) {
		return h
	}
	if a, ok := conn.LocalAddr().(*net.TCPAddr); ok {
		if ip4 := a.IP.To4(); ip4 != nil {
			return "[" + ip4.String() + "]"
		}
		return "[IPv6:" + a.IP.String() + "]"
	}
	return "localhost"
}

func validHostname(h string) bool {
	for _, r := range h {
		if !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return !strings.HasPrefix(h, ".") && !strings.HasSuffix(h, ".")
}

// TLSState reports the TLS connection state; ok is false for a plaintext
// session. Its VerifiedChains is empty: send checks the chain itself (see
// tlsConfig), not crypto/tls.
func (c *Client) TLSState() (tls.ConnectionState, bool) {
	if c.tlsConn == nil {
		return tls.ConnectionState{}, false
	}
	return c.tlsConn.ConnectionState(), true
}

// Extensions returns the server's EHLO keywords (upper case) and their
// parameters, as offered on the encrypted connection when TLS is used.
func (c *Client) Extensions() map[string]string { return maps.Clone(c.ext) }

// Host returns "host:port" of the server.
func (c *Client) Host() string { return c.hostport }

// Send runs one transaction: MAIL, RCPT for each recipient, and, when at
// least one was accepted, the message — with BDAT (RFC 3030) when the
// server offers CHUNKING, else DATA. msg is streamed: its line endings
// become CRLF (no bare CR or LF reaches the server: SMTP smuggling, see
// internal/crlf); for DATA it is dot-stuffed (RFC 5321 §4.5.2; see
// writeData). With PIPELINING the commands go in one group (see Stream).
//
// err != nil means the transaction failed as a whole (an *Error); the
// Result may still be non-nil and then holds the recipients' replies seen
// so far. If reading msg fails, the connection is dropped before the end
// of the message so that no truncated message is delivered, and the read
// error is returned wrapped, not as an *Error.
func (c *Client) Send(env *Envelope, msg io.Reader) (*Result, error) {
	if c.broken != nil {
		return nil, c.unusable()
	}
	var (
		res  *Result
		err  error
		took bool
	)
	c.Stream(func() *Job {
		if took {
			return nil
		}
		took = true
		return &Job{Env: env, Msg: msg, Done: func(r *Result, e error) { res, err = r, e }}
	})
	if !took {
		// The session ended before the transaction could start (the
		// server closed it while idle).
		return nil, c.unusable()
	}
	return res, err
}

// checkEnvelope refuses, before MAIL, what the server has said it can't
// take, with the reply a server would give, so that callers treat it the
// same way.
func (c *Client) checkEnvelope(env *Envelope) *Error {
	for i, a := range append([]string{env.From}, env.To...) {
		if strings.ContainsAny(a, "\r\n\x00<>") {
			op := "mail"
			if i > 0 {
				op = "rcpt"
			}
			return &Error{Op: op, Host: c.hostport, Kind: KindConfig,
				text: fmt.Sprintf("send: address %q contains characters not allowed in SMTP", a)}
		}
	}
	if len(env.To) == 0 {
		return &Error{Op: "rcpt", Host: c.hostport, Kind: KindConfig, text: "send: no recipients"}
	}
	if v, ok := c.ext["SIZE"]; ok && env.Size > 0 {
		// RFC 1870 §4: "SIZE 0" or no number means no fixed limit.
		if limit, err := strconv.ParseInt(v, 10, 64); err == nil && limit > 0 && env.Size > limit {
			return &Error{Op: "mail", Host: c.hostport, Kind: KindReply, Code: 552, Enhanced: [3]int{5, 3, 4},
				Msg:  fmt.Sprintf("message size %d exceeds fixed maximum message size %d", env.Size, limit),
				text: fmt.Sprintf("send: the message (%d bytes) is larger than %s accepts (server limit: %d bytes)", env.Size, c.hostport, limit)}
		}
	}
	if _, ok := c.ext["8BITMIME"]; env.Body8Bit && !ok {
		return &Error{Op: "mail", Host: c.hostport, Kind: KindReply, Code: 554, Enhanced: [3]int{5, 6, 3},
			Msg:  "8BITMIME not offered",
			text: fmt.Sprintf("send: the message has 8-bit content but %s does not offer 8BITMIME (RFC 6152); encode the body (quoted-printable or base64)", c.hostport)}
	}
	if _, ok := c.ext["SMTPUTF8"]; env.SMTPUTF8 && !ok {
		return &Error{Op: "mail", Host: c.hostport, Kind: KindReply, Code: 553, Enhanced: [3]int{5, 6, 7},
			Msg:  "SMTPUTF8 not offered",
			text: fmt.Sprintf("send: the message has non-ASCII addresses or headers but %s does not offer SMTPUTF8 (RFC 6531)", c.hostport)}
	}
	if _, ok := c.ext["DSN"]; ok {
		switch strings.ToUpper(env.Ret) {
		case "", "FULL", "HDRS":
		default:
			return &Error{Op: "mail", Host: c.hostport, Kind: KindConfig, text: fmt.Sprintf("send: DSN RET %q is not FULL or HDRS", env.Ret)}
		}
		never := false
		for _, n := range env.Notify {
			switch strings.ToUpper(n) {
			case "NEVER":
				never = true
			case "SUCCESS", "FAILURE", "DELAY":
			default:
				return &Error{Op: "rcpt", Host: c.hostport, Kind: KindConfig, text: fmt.Sprintf("send: DSN NOTIFY %q is not NEVER, SUCCESS, FAILURE or DELAY", n)}
			}
		}
		if never && len(env.Notify) > 1 {
			// RFC 3461 §4.1: NEVER stands alone.
			return &Error{Op: "rcpt", Host: c.hostport, Kind: KindConfig, text: "send: DSN NOTIFY NEVER can't be combined with other values"}
		}
		for _, r := range env.EnvID {
			if r < 0x20 || r > 0x7e {
				return &Error{Op: "mail", Host: c.hostport, Kind: KindConfig, text: fmt.Sprintf("send: DSN ENVID %q must be printable ASCII", env.EnvID)}
			}
		}
	}
	return nil
}

// unusable is Send's error on a session that broke before it started.
func (c *Client) unusable() *Error {
	return &Error{Op: "mail", Host: c.hostport, Kind: KindNetwork, Temporary: true, Err: c.broken,
		text: fmt.Sprintf("send: connection to %s is no longer usable: %v", c.hostport, c.broken)}
}

// fail marks the connection unusable after a network-level failure, so
// the next Send says so instead of writing into a dead stream.
func (c *Client) fail(e *Error) *Error {
	if e.Kind != KindReply || e.Code == 421 {
		c.drop(e)
	}
	return e
}

func (c *Client) drop(err error) {
	if c.broken == nil {
		c.broken = err
	}
	c.raw.Close()
	c.stopReader()
}

// stopReader waits for the reader goroutine, after the connection was
// closed, so that nothing reaches the transcript after Close or a failed
// Dial returns, and every reply that arrived before is queued.
func (c *Client) stopReader() {
	if c.replies != nil {
		<-c.replies.done
	}
}

// Reset sends RSET (RFC 5321 §4.1.1.5) to start a fresh transaction on the
// same connection.
func (c *Client) Reset() error {
	if c.broken != nil {
		return &Error{Op: "rset", Host: c.hostport, Kind: KindNetwork, Temporary: true, Err: c.broken}
	}
	c.sync()
	code, msg, err := c.do("rset", "RSET")
	if err == nil && code != 250 {
		err = c.fail(c.replyError("rset", code, msg))
	}
	if err != nil {
		return err
	}
	c.dirty = false
	return nil
}

// Close says QUIT and closes the connection. It does not wait for the
// 221 (RFC 5321 §4.1.1.10): every outcome is known by then, and waiting
// would cost a round trip for nothing.
func (c *Client) Close() error {
	if c.broken != nil {
		return nil
	}
	c.sync()
	if c.broken != nil {
		return nil
	}
	c.cmd("QUIT")
	c.flush()
	c.broken = net.ErrClosed
	if c.tlsConn != nil {
		// close_notify, bounded: crypto/tls gives it 5 seconds.
		c.tlsConn.SetWriteDeadline(time.Now().Add(time.Second))
		c.tlsConn.Close()
	}
	c.raw.Close()
	c.stopReader()
	return nil
}

// writeData streams msg after the 354 reply, normalised and dot-stuffed
// (RFC 5321 §4.5.2) by cw, into the session's buffered writer. cw holds
// back the message's last line end, if it has one; the "\r\n." that the
// caller writes next (then CRLF: the end of mail data, RFC 5321
// §4.1.1.4) supplies it. The bytes on the wire are those go-smtp's DATA
// writer (net/textproto's DotWriter, one byte at a time, ~300 MB/s) sent
// before this client was written by hand (TestDataWire, FuzzDataPath).
//
// An error from reading msg is returned as is; one from writing is a
// *writeError.
func writeData(cw *crlf.Writer, msg io.Reader) error {
	if _, err := io.Copy(cw, msg); err != nil {
		return err
	}
	return cw.Close()
}

// deadlineWriter puts a write deadline on every write to the server
// (commands, and each piece of a message): a server that stops reading
// would otherwise block us forever.
type deadlineWriter struct {
	w       io.Writer
	conn    net.Conn
	timeout time.Duration
}

type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.conn.SetWriteDeadline(time.Now().Add(d.timeout))
	n, err := d.w.Write(p)
	d.conn.SetWriteDeadline(time.Time{})
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}
