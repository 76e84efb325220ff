package send

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"
	"syscall"

	"github.com/emersion/go-smtp"
)

// Kind classifies an Error so that callers (the queue, main's exit codes)
// can branch without matching strings.
type Kind int

const (
	// KindNetwork: the connection could not be made or was lost.
	KindNetwork Kind = iota + 1
	// KindTimeout: the server did not answer within the timeout.
	KindTimeout
	// KindTLS: the TLS handshake failed for a reason other than policy
	// (I/O error, no common cipher, the port does not speak TLS).
	KindTLS
	// KindTLSPolicy: outbox refused to go on: STARTTLS missing or refused,
	// certificate untrusted or pin mismatch, TLS older than 1.2, response
	// injection, or AUTH that would travel unencrypted.
	KindTLSPolicy
	// KindAuth: the server refused the credentials, or no usable
	// mechanism is offered.
	KindAuth
	// KindReply: the server refused a command (MAIL, RCPT, DATA, ...), or
	// outbox refused locally the way a server would (SIZE, 8BITMIME,
	// SMTPUTF8); Code holds the reply code.
	KindReply
	// KindProtocol: the server's answer was not valid SMTP.
	KindProtocol
	// KindConfig: Options or Envelope are unusable (bad pin, unreadable CA
	// file, password source failed, CR/LF in an address). Nothing was sent.
	KindConfig
)

func (k Kind) String() string {
	switch k {
	case KindNetwork:
		return "network"
	case KindTimeout:
		return "timeout"
	case KindTLS:
		return "tls"
	case KindTLSPolicy:
		return "tls-policy"
	case KindAuth:
		return "auth"
	case KindReply:
		return "reply"
	case KindProtocol:
		return "protocol"
	case KindConfig:
		return "config"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is every error Dial and Send return (except a failure to read the
// message itself, see Send). Fields are filled at construction and are
// read-only afterwards.
type Error struct {
	Op       string // "connect","greeting","ehlo","starttls","auth","mail","rcpt","data","rset"
	Host     string // host:port
	Rcpt     string // for Op "rcpt"
	Code     int    // server reply code, 0 when there was no reply
	Enhanced [3]int // RFC 3463 enhanced status code, zero when absent
	Msg      string // server reply text (lines joined with "\n")
	Kind     Kind
	// Temporary: worth retrying later. 4xx replies, network errors,
	// timeouts and TLS handshake I/O errors are temporary; 5xx replies and
	// policy refusals are not. A garbled reply (KindProtocol) is counted
	// as temporary: it is usually a middlebox or an overloaded server, and
	// the queue's age limit bounds the retries.
	Temporary bool
	Err       error // cause, may be nil

	// text, when set, is the complete sentence Error returns: used for
	// local refusals that need an explanation rather than a reply.
	text string
}

func (e *Error) Unwrap() error { return e.Err }

// Error returns one line for people: what happened, and for the local
// policy refusals also what to do.
func (e *Error) Error() string {
	if e.text != "" {
		return e.text
	}
	var b strings.Builder
	b.WriteString("send: ")
	switch e.Kind {
	case KindNetwork:
		switch e.Op {
		case "connect":
			fmt.Fprintf(&b, "cannot connect to %s", e.Host)
		default:
			fmt.Fprintf(&b, "connection to %s lost during %s", e.Host, opName(e.Op))
		}
		if e.Err != nil {
			b.WriteString(": " + netCause(e.Err))
		}
		return b.String()
	case KindTimeout:
		fmt.Fprintf(&b, "%s did not answer in time during %s", e.Host, opName(e.Op))
		if e.Err != nil && !isTimeout(e.Err) {
			b.WriteString(": " + netCause(e.Err))
		}
		return b.String()
	case KindProtocol:
		fmt.Fprintf(&b, "%s sent an invalid reply during %s", e.Host, opName(e.Op))
		if e.Code != 0 {
			b.WriteString(": " + e.reply())
		} else if e.Err != nil {
			b.WriteString(": " + e.Err.Error())
		}
		return b.String()
	}
	if e.Code != 0 {
		switch e.Op {
		case "rcpt":
			fmt.Fprintf(&b, "RCPT TO:<%s> refused by %s: %s", e.Rcpt, e.Host, e.reply())
		case "mail":
			fmt.Fprintf(&b, "MAIL FROM refused by %s: %s", e.Host, e.reply())
		case "data":
			fmt.Fprintf(&b, "message refused by %s: %s", e.Host, e.reply())
		case "greeting":
			fmt.Fprintf(&b, "%s refused the connection: %s", e.Host, e.reply())
		default:
			fmt.Fprintf(&b, "%s refused %s: %s", e.Host, opName(e.Op), e.reply())
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%s with %s failed", opName(e.Op), e.Host)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// reply formats the server reply as it appeared on the wire, on one line.
func (e *Error) reply() string {
	s := fmt.Sprint(e.Code)
	if e.Enhanced != [3]int{} {
		s += fmt.Sprintf(" %d.%d.%d", e.Enhanced[0], e.Enhanced[1], e.Enhanced[2])
	}
	if e.Msg != "" {
		s += " " + oneLine(e.Msg)
	}
	return s
}

func opName(op string) string {
	switch op {
	case "connect", "greeting":
		return "the greeting"
	case "ehlo":
		return "EHLO"
	case "starttls":
		return "STARTTLS"
	case "auth":
		return "AUTH"
	case "mail":
		return "MAIL FROM"
	case "rcpt":
		return "RCPT TO"
	case "data":
		return "DATA"
	case "rset":
		return "RSET"
	case "quit":
		return "QUIT"
	}
	return op
}

// oneLine joins a multi-line reply and strips control characters, so that
// a hostile server cannot forge lines in the user's terminal or log.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			// C0 and C1 controls (ESC, CSI U+009B): a hostile server's
			// reply must not drive the user's terminal.
			return -1
		}
		return r
	}, s)
}

// netCause shortens Go's "dial tcp 192.0.2.1:587: connect: connection
// refused" to the part a person acts on ("connection refused"); the address
// is already in the message.
func netCause(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return "no such host (check the host name)"
		}
		return dnsErr.Err
	}
	var sysErr *os.SyscallError
	if errors.As(err, &sysErr) {
		return sysErr.Err.Error()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the server closed the connection"
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "timed out"
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	return err.Error()
}

// classify turns an error from go-smtp, net, tls or textproto into an
// *Error for op. An *Error passes through unchanged.
func classify(op, host string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	e = &Error{Op: op, Host: host, Err: err}
	var smtpErr *smtp.SMTPError
	var protoErr textproto.ProtocolError
	switch {
	case errors.As(err, &smtpErr):
		e.Code = smtpErr.Code
		if smtpErr.EnhancedCode != smtp.NoEnhancedCode {
			e.Enhanced = smtpErr.EnhancedCode
		}
		e.Msg = smtpErr.Message
		e.Err = nil // the reply says it all; go-smtp's text would repeat it
		switch {
		case e.Code >= 400 && e.Code < 500:
			e.Temporary = true
		case e.Code >= 500 && e.Code < 600:
		default:
			// A 2xx/3xx where another reply was required (e.g. 250 to
			// DATA instead of 354): the dialogue is out of step.
			e.Kind = KindProtocol
			e.Temporary = true
			return e
		}
		switch op {
		case "auth":
			e.Kind = KindAuth
		case "starttls":
			e.Kind = KindTLSPolicy
			e.Temporary = false
		default:
			e.Kind = KindReply
		}
	case errors.As(err, &protoErr):
		e.Kind = KindProtocol
		e.Temporary = true
	case isTimeout(err):
		e.Kind = KindTimeout
		e.Temporary = true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, context.Canceled):
		e.Kind = KindNetwork
		e.Temporary = true
	default:
		var netErr net.Error
		var opErr *net.OpError
		if errors.As(err, &netErr) || errors.As(err, &opErr) {
			e.Kind = KindNetwork
			e.Temporary = true
		} else {
			// Anything else from go-smtp (a reply it could not parse,
			// "smtp: ..." state errors) means the dialogue went wrong.
			e.Kind = KindProtocol
			e.Temporary = true
		}
	}
	return e
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// classifyHandshake maps a TLS handshake failure. Certificate problems and
// pin mismatches are policy (permanent: retrying won't make the
// certificate trusted); I/O failures are temporary.
func classifyHandshake(op, host string, err error) *Error {
	e := &Error{Op: op, Host: host, Err: err}
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalid     x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		alert       tls.AlertError
	)
	switch {
	case errors.Is(err, errPinMismatch):
		e.Kind = KindTLSPolicy
		e.text = fmt.Sprintf("send: certificate of %s does not match tls_fingerprint (%v); refusing to send", host, err)
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalid), errors.As(err, &verifyErr):
		e.Kind = KindTLSPolicy
		e.text = fmt.Sprintf("send: certificate of %s is not trusted: %s (set tls_ca_file, or pin it with tls_fingerprint)", host, certCause(err))
	case errors.As(err, &alert) && alert == 70, // protocol_version
		strings.Contains(err.Error(), "protocol version"):
		// crypto/tls reports a too-old server version only as text.
		e.Kind = KindTLSPolicy
		e.text = fmt.Sprintf("send: %s offers only TLS versions older than 1.2; refusing to send (%v)", host, err)
	case isTimeout(err):
		e.Kind = KindTimeout
		e.Temporary = true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		e.Kind = KindTLS
		e.Temporary = true
		e.text = fmt.Sprintf("send: TLS handshake with %s failed: the server closed the connection", host)
	default:
		var opErr *net.OpError
		e.Kind = KindTLS
		e.Temporary = errors.As(err, &opErr)
		e.text = fmt.Sprintf("send: TLS handshake with %s failed: %v", host, err)
	}
	return e
}

// certCause keeps the x509 reason and drops crypto/tls's prefix.
func certCause(err error) string {
	var verifyErr *tls.CertificateVerificationError
	if errors.As(err, &verifyErr) && verifyErr.Err != nil {
		return verifyErr.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "tls: failed to verify certificate: ")
}

// toSMTPError parses the RFC 3463 enhanced code at the start of a reply
// into go-smtp's SMTPError, the reply type classify understands.
func toSMTPError(te *textproto.Error) *smtp.SMTPError {
	e := &smtp.SMTPError{Code: te.Code, Message: te.Msg, EnhancedCode: smtp.NoEnhancedCode}
	first, rest, ok := strings.Cut(te.Msg, " ")
	if !ok {
		return e
	}
	var c [3]int
	if n, err := fmt.Sscanf(first, "%d.%d.%d", &c[0], &c[1], &c[2]); err != nil || n != 3 || strings.Count(first, ".") != 2 {
		return e
	}
	e.EnhancedCode = c
	e.Message = strings.ReplaceAll(rest, "\n"+first+" ", "\n")
	return e
}
