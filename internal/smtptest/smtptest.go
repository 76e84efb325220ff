package smtptest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a test server. The zero value is a STARTTLS server
// offering AUTH PLAIN and LOGIN (after TLS) for user "user", password
// "secret", accepting every message.
type Options struct {
	Mode       string            // "starttls" (default), "tls" (implicit TLS), "none" (plaintext only)
	NoSTARTTLS bool              // in starttls mode: don't offer STARTTLS (a stripped or misconfigured server)
	Users      map[string]string // username → password (or XOAUTH2 token); nil → {"user": "secret"}
	AuthMechs  []string          // offered mechanisms; nil → PLAIN, LOGIN. Also CRAM-MD5, XOAUTH2
	// AllowInsecureAuth offers and accepts AUTH without TLS. Without it,
	// AUTH is only offered after TLS (go-smtp's rule).
	AllowInsecureAuth bool
	RequireAuth       bool  // MAIL before a successful AUTH → 530 5.7.0
	MaxMessageBytes   int64 // advertised in SIZE and enforced; 0 → SIZE without a limit
	EnableDSN         bool
	EnableSMTPUTF8    bool
	// NoPipelining and NoChunking hide PIPELINING (RFC 2920) and
	// CHUNKING (RFC 3030) from the EHLO reply: go-smtp's server always
	// offers both and has no switch. The lines are taken out of the
	// server's output on the connection, so this works in Mode "none"
	// only (go-smtp knows TLS by the connection's type, and after
	// STARTTLS the bytes are encrypted below the filter).
	NoPipelining bool
	NoChunking   bool
	// Hooks: return an error (use *smtp.SMTPError for a precise reply) to
	// refuse. OnData gets the message as received (dot-unstuffed, CRLF).
	OnMail func(from string) error
	OnRcpt func(to string) error
	OnData func(data []byte) error
}

// Message is one message the server accepted.
type Message struct {
	From     string
	To       []string
	Data     []byte
	MailOpts smtp.MailOptions
	RcptOpts map[string]*smtp.RcptOptions
	Auth     string // the authenticated username, "" if none
}

// Server is a running test server on loopback.
type Server struct {
	Addr        string // "127.0.0.1:port"
	Host        string // "127.0.0.1"
	Port        int
	CAFile      string         // PEM file of the server certificate (self-signed, so also the CA)
	Fingerprint string         // "sha256:HEX" of the server certificate
	Pool        *x509.CertPool // holds the certificate; for send.Options.RootCAs
	Cert        *Cert

	srv  *smtp.Server
	opts Options

	mu      sync.Mutex
	msgs    []Message
	changed chan struct{} // closed and replaced on every new message
	conns   int
	debug   bytes.Buffer
}

// Start runs a server on 127.0.0.1:0 until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Mode == "" {
		o.Mode = "starttls"
	}
	if o.Users == nil {
		o.Users = map[string]string{"user": "secret"}
	}
	if o.AuthMechs == nil {
		o.AuthMechs = []string{sasl.Plain, sasl.Login}
	}
	cert := NewCert(t)
	s := &Server{Cert: cert, CAFile: cert.CAFile, Fingerprint: cert.Fingerprint, Pool: cert.Pool, opts: o,
		changed: make(chan struct{})}

	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = o.AllowInsecureAuth
	srv.MaxMessageBytes = o.MaxMessageBytes
	srv.EnableDSN = o.EnableDSN
	srv.EnableSMTPUTF8 = o.EnableSMTPUTF8
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.Debug = debugWriter{s}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert.TLS}}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	var ln net.Listener = &countingListener{Listener: l, s: s}
	switch o.Mode {
	case "starttls":
		if !o.NoSTARTTLS {
			srv.TLSConfig = tlsCfg
		}
	case "tls":
		ln = tls.NewListener(ln, tlsCfg)
	case "none":
	default:
		l.Close()
		t.Fatalf("smtptest: unknown Mode %q", o.Mode)
	}
	if o.NoPipelining || o.NoChunking {
		if o.Mode != "none" {
			l.Close()
			t.Fatalf("smtptest: NoPipelining and NoChunking need Mode \"none\"")
		}
		var hide []string
		if o.NoPipelining {
			hide = append(hide, "250-PIPELINING\r\n")
		}
		if o.NoChunking {
			hide = append(hide, "250-CHUNKING\r\n")
		}
		ln = &hidingListener{Listener: ln, hide: hide}
	}
	s.srv = srv
	addr := l.Addr().(*net.TCPAddr)
	s.Addr, s.Host, s.Port = addr.String(), addr.IP.String(), addr.Port

	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return s
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitMessages waits up to 10 seconds until n messages were accepted and
// returns them; it fails the test otherwise.
func (s *Server) WaitMessages(t testing.TB, n int) []Message {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		msgs, ch := append([]Message(nil), s.msgs...), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("smtptest: waited 10s for %d messages, have %d", n, len(msgs))
			return nil
		}
	}
}

// Transcript returns the server's view of every conversation so far,
// lines as sent on the wire (CRLF). After STARTTLS it shows the decrypted
// commands. Message bodies are included.
func (s *Server) Transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.debug.String()
}

// Connections returns how many TCP connections the server accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

type debugWriter struct{ s *Server }

func (d debugWriter) Write(p []byte) (int, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	return d.s.debug.Write(p)
}

type countingListener struct {
	net.Listener
	s *Server
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.conns++
		l.s.mu.Unlock()
	}
	return c, err
}

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s}, nil
}

type session struct {
	s    *Server
	user string
	msg  Message
}

var _ smtp.AuthSession = (*session)(nil)

func (se *session) AuthMechanisms() []string { return se.s.opts.AuthMechs }

func (se *session) Auth(mech string) (sasl.Server, error) {
	offered := false
	for _, m := range se.s.opts.AuthMechs {
		offered = offered || strings.EqualFold(m, mech)
	}
	if !offered {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	check := func(user, pass string) error {
		want, ok := se.s.opts.Users[user]
		if !ok || want != pass {
			return smtp.ErrAuthFailed
		}
		se.user = user
		return nil
	}
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	case "CRAM-MD5":
		return &cramMD5Server{users: se.s.opts.Users, done: func(u string) { se.user = u }}, nil
	case "XOAUTH2":
		return &xoauth2Server{check: check}, nil
	case sasl.OAuthBearer:
		return oauthBearerServer(check), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (se *session) Mail(from string, opts *smtp.MailOptions) error {
	if se.s.opts.RequireAuth && se.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if f := se.s.opts.OnMail; f != nil {
		if err := f(from); err != nil {
			return err
		}
	}
	se.msg = Message{From: from, Auth: se.user, RcptOpts: map[string]*smtp.RcptOptions{}}
	if opts != nil {
		se.msg.MailOpts = *opts
	}
	return nil
}

func (se *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if f := se.s.opts.OnRcpt; f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	se.msg.To = append(se.msg.To, to)
	se.msg.RcptOpts[to] = opts
	return nil
}

func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			return smtp.ErrDataTooLarge
		}
		return err
	}
	if f := se.s.opts.OnData; f != nil {
		if err := f(data); err != nil {
			return err
		}
	}
	m := se.msg
	m.Data = data
	se.s.mu.Lock()
	se.s.msgs = append(se.s.msgs, m)
	close(se.s.changed)
	se.s.changed = make(chan struct{})
	se.s.mu.Unlock()
	return nil
}

func (se *session) Reset() {
	se.msg = Message{}
}

func (se *session) Logout() error { return nil }

// hidingListener's connections drop whole reply lines from what the
// server writes (see Options.NoPipelining).
type hidingListener struct {
	net.Listener
	hide []string
}

func (l *hidingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &hidingConn{Conn: c, hide: l.hide}, nil
}

type hidingConn struct {
	net.Conn
	hide    []string
	partial []byte
}

func (c *hidingConn) Write(p []byte) (int, error) {
	buf := append(c.partial, p...)
	var out []byte
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		line := buf[:i+1]
		buf = buf[i+1:]
		hidden := false
		for _, h := range c.hide {
			hidden = hidden || string(line) == h
		}
		if !hidden {
			out = append(out, line...)
		}
	}
	c.partial = append([]byte(nil), buf...)
	if len(out) > 0 {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
