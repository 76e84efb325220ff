package send_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

const msg = "From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nHello.\r\n"

func options(s *smtptest.Server, mode send.TLSMode) send.Options {
	return send.Options{
		Host: s.Host, Port: s.Port, TLS: mode, RootCAs: s.Pool,
		Helo: "client.example", Timeout: 5 * time.Second,
		Username: "user", Password: func() (string, error) { return "secret", nil },
	}
}

func dial(t *testing.T, o send.Options) *send.Client {
	t.Helper()
	c, err := send.Dial(t.Context(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sendOne delivers msg to b@example.com and returns what the server got.
func sendOne(t *testing.T, s *smtptest.Server, o send.Options) smtptest.Message {
	t.Helper()
	c := dial(t, o)
	res, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader(msg))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := res.Accepted(); len(got) != 1 || got[0] != "b@example.com" {
		t.Errorf("Accepted = %v", got)
	}
	if res.Reply == "" {
		t.Errorf("Result.Reply is empty")
	}
	m := s.WaitMessages(t, 1)[0]
	if string(m.Data) != msg {
		t.Errorf("server got %q, want %q", m.Data, msg)
	}
	if m.From != "a@example.com" || len(m.To) != 1 || m.To[0] != "b@example.com" {
		t.Errorf("envelope = %q → %q", m.From, m.To)
	}
	return m
}

func asError(t *testing.T, err error) *send.Error {
	t.Helper()
	var e *send.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *send.Error", err, err)
	}
	return e
}

func wantKind(t *testing.T, err error, kind send.Kind, temporary bool) *send.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want Kind %v", kind)
	}
	e := asError(t, err)
	if e.Kind != kind || e.Temporary != temporary {
		t.Fatalf("Kind %v Temporary %v, want %v %v; error: %v", e.Kind, e.Temporary, kind, temporary, err)
	}
	return e
}

func TestAuthMechanisms(t *testing.T) {
	for _, tc := range []struct{ offered, auth string }{
		{"PLAIN", "auto"},
		{"LOGIN", "auto"},
		{"CRAM-MD5", "auto"},
		{"PLAIN", "plain"},
		{"LOGIN", "login"},
		{"CRAM-MD5", "cram-md5"},
		{"XOAUTH2", "xoauth2"},
	} {
		t.Run(tc.offered+"/"+tc.auth, func(t *testing.T) {
			s := smtptest.Start(t, smtptest.Options{AuthMechs: []string{tc.offered}, RequireAuth: true})
			o := options(s, send.StartTLS)
			o.Auth = tc.auth
			var verbose bytes.Buffer
			o.Verbose = &verbose
			m := sendOne(t, s, o)
			if m.Auth != "user" {
				t.Errorf("server saw AUTH user %q, want user", m.Auth)
			}
			if strings.Contains(verbose.String(), "secret") {
				t.Errorf("transcript shows the password:\n%s", verbose.String())
			}
		})
	}
}

func TestAutoPrefersPlain(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{AuthMechs: []string{"CRAM-MD5", "LOGIN", "PLAIN"}})
	sendOne(t, s, options(s, send.StartTLS))
	if tr := s.Transcript(); !strings.Contains(tr, "AUTH PLAIN ") {
		t.Errorf("auto did not choose PLAIN:\n%s", tr)
	}
}

func TestImplicitTLS(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Mode: "tls", RequireAuth: true})
	c := dial(t, options(s, send.TLS))
	st, ok := c.TLSState()
	if !ok || st.Version < tls.VersionTLS12 {
		t.Fatalf("TLSState = %v, %v", st.Version, ok)
	}
	if _, ok := c.Extensions()["AUTH"]; !ok {
		t.Errorf("Extensions() = %v, want AUTH", c.Extensions())
	}
	if _, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if got := s.WaitMessages(t, 1)[0]; string(got.Data) != msg || got.Auth != "user" {
		t.Errorf("server got %q as %q", got.Data, got.Auth)
	}
}

func TestCAFile(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	o := options(s, send.StartTLS)
	o.RootCAs = nil // system roots + CAFile
	o.CAFile = s.CAFile
	sendOne(t, s, o)
}

func TestWrongPassword(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	o := options(s, send.StartTLS)
	o.Password = func() (string, error) { return "hunter2-wrong", nil }
	_, err := send.Dial(t.Context(), o)
	e := wantKind(t, err, send.KindAuth, false)
	if e.Code != 535 {
		t.Errorf("Code = %d, want 535", e.Code)
	}
	msg := err.Error()
	if !strings.Contains(msg, "Authentication failed") || !strings.Contains(msg, `"user"`) {
		t.Errorf("Error() = %q, want the server's text and the username", msg)
	}
	for _, secret := range []string{"hunter2-wrong", base64.StdEncoding.EncodeToString([]byte("\x00user\x00hunter2-wrong"))} {
		if strings.Contains(msg, secret) {
			t.Errorf("Error() shows a secret: %q", msg)
		}
	}
}

func TestAuthTemporary454(t *testing.T) {
	addr := smtptest.Script(t, func(c net.Conn) {
		s := tlsScript(t, c, "250 AUTH PLAIN")
		if s == nil {
			return
		}
		s.expect("AUTH PLAIN ")
		s.reply("454 4.7.0 Temporary authentication failure")
		s.drain() // go-smtp v0.25.1 then sends "*" anyway
	})
	_, err := send.Dial(t.Context(), scriptOptions(t, addr))
	e := wantKind(t, err, send.KindAuth, true)
	if e.Code != 454 {
		t.Errorf("Code = %d", e.Code)
	}
}

func TestNoSTARTTLS(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{NoSTARTTLS: true, AllowInsecureAuth: true})
	_, err := send.Dial(t.Context(), options(s, send.StartTLS))
	wantKind(t, err, send.KindTLSPolicy, false)
	want := fmt.Sprintf(`send: %s does not offer STARTTLS; refusing to send in plaintext (set tls = "tls" for port 465, or fix the server)`, s.Addr)
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err.Error(), want)
	}
	assertNoAuthNoMail(t, s.Transcript())
}

func assertNoAuthNoMail(t *testing.T, transcript string) {
	t.Helper()
	for _, line := range strings.Split(transcript, "\n") {
		up := strings.ToUpper(line)
		if strings.HasPrefix(up, "AUTH") || strings.HasPrefix(up, "MAIL") || strings.HasPrefix(up, "RCPT") {
			t.Errorf("client sent %q; transcript:\n%s", line, transcript)
		}
	}
}

// scripted is a line-oriented view of a Script connection.
type scripted struct {
	t    *testing.T
	c    net.Conn
	r    *textproto.Reader
	mu   *sync.Mutex
	seen *[]string
}

func newScripted(t *testing.T, c net.Conn, mu *sync.Mutex, seen *[]string) *scripted {
	return &scripted{t: t, c: c, r: textproto.NewReader(bufio.NewReader(c)), mu: mu, seen: seen}
}

func (s *scripted) reply(lines ...string) {
	io.WriteString(s.c, strings.Join(lines, "\r\n")+"\r\n")
}

// expect reads a line and reports whether it starts with prefix.
func (s *scripted) expect(prefix string) bool {
	line, err := s.r.ReadLine()
	if err != nil {
		return false
	}
	if s.seen != nil {
		s.mu.Lock()
		*s.seen = append(*s.seen, line)
		s.mu.Unlock()
	}
	if !strings.HasPrefix(strings.ToUpper(line), strings.ToUpper(prefix)) {
		s.t.Errorf("script: got %q, want %q...", line, prefix)
		return false
	}
	return true
}

func (s *scripted) drain() {
	for {
		line, err := s.r.ReadLine()
		if err != nil {
			return
		}
		if s.seen != nil {
			s.mu.Lock()
			*s.seen = append(*s.seen, line)
			s.mu.Unlock()
		}
		if strings.EqualFold(line, "QUIT") {
			s.reply("221 bye")
			return
		}
		s.reply("502 5.5.2 Error: command not recognized")
	}
}

var scriptCert struct {
	once sync.Once
	cert *smtptest.Cert
}

// tlsScript runs greeting, EHLO, STARTTLS and the TLS handshake, then the
// second EHLO answered with ehloTail, and returns the encrypted session.
func tlsScript(t *testing.T, c net.Conn, ehloTail string) *scripted {
	s := newScripted(t, c, nil, nil)
	s.reply("220 script ESMTP")
	if !s.expect("EHLO ") {
		return nil
	}
	s.reply("250-script", "250-AUTH PLAIN LOGIN", "250 STARTTLS")
	if !s.expect("STARTTLS") {
		return nil
	}
	s.reply("220 go ahead")
	tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{scriptTLSCert(t).TLS}})
	if err := tc.Handshake(); err != nil {
		return nil
	}
	s = newScripted(t, tc, nil, nil)
	if !s.expect("EHLO ") {
		return nil
	}
	s.reply("250-script", ehloTail)
	return s
}

func scriptTLSCert(t *testing.T) *smtptest.Cert {
	scriptCert.once.Do(func() { scriptCert.cert = smtptest.NewCert(t) })
	return scriptCert.cert
}

func scriptOptions(t *testing.T, addr string) send.Options {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return send.Options{Host: host, Port: p, RootCAs: scriptTLSCert(t).Pool, Timeout: 5 * time.Second, Helo: "client.example",
		Username: "user", Password: func() (string, error) { return "secret", nil }}
}

func TestSTARTTLSRefused(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	addr := smtptest.Script(t, func(c net.Conn) {
		s := newScripted(t, c, &mu, &seen)
		s.reply("220 script ESMTP")
		s.expect("EHLO client.example")
		s.reply("250-script", "250-AUTH PLAIN", "250 STARTTLS")
		s.expect("STARTTLS")
		s.reply("454 4.7.0 TLS not available due to temporary reason")
		s.drain()
	})
	_, err := send.Dial(t.Context(), scriptOptions(t, addr))
	e := wantKind(t, err, send.KindTLSPolicy, false)
	if e.Code != 454 || !strings.Contains(err.Error(), "refused STARTTLS") || !strings.Contains(err.Error(), "plaintext") {
		t.Errorf("Code %d, Error() = %q", e.Code, err)
	}
	mu.Lock()
	defer mu.Unlock()
	assertNoAuthNoMail(t, strings.Join(seen, "\n"))
}

func TestAuthOnlyBeforeTLSNotUsed(t *testing.T) {
	// The plaintext EHLO offers AUTH; the encrypted one does not. The
	// first list may be forged and must be forgotten (RFC 3207 §4.2).
	addr := smtptest.Script(t, func(c net.Conn) {
		if s := tlsScript(t, c, "250 SIZE 1000000"); s != nil {
			s.drain()
		}
	})
	c, err := send.Dial(t.Context(), scriptOptions(t, addr))
	if err == nil {
		c.Close()
	}
	e := wantKind(t, err, send.KindAuth, false)
	if !strings.Contains(e.Error(), "does not offer AUTH") {
		t.Errorf("Error() = %q", e)
	}
}

func TestUntrustedCertificate(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	o := options(s, send.StartTLS)
	o.RootCAs = nil // system roots only: the test certificate is unknown
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
	if !strings.Contains(err.Error(), "not trusted") || !strings.Contains(err.Error(), "tls_ca_file") {
		t.Errorf("Error() = %q", err)
	}
	assertNoAuthNoMail(t, s.Transcript())
}

func TestFingerprintPin(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	o := options(s, send.StartTLS)
	o.RootCAs = nil // the pin replaces chain verification
	o.Fingerprint = strings.ToUpper(s.Fingerprint[len("sha256:"):])
	o.Fingerprint = "sha256:" + o.Fingerprint
	sendOne(t, s, o)

	o.Fingerprint = "sha256:" + strings.Repeat("ab", 32)
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
	if !strings.Contains(err.Error(), "tls_fingerprint") || !strings.Contains(err.Error(), s.Fingerprint) {
		t.Errorf("Error() = %q, want the server's pin", err)
	}

	o.Fingerprint = "md5:1234"
	_, err = send.Dial(t.Context(), o)
	wantKind(t, err, send.KindConfig, false)
}

func TestOneRecipientRefused(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{OnRcpt: func(to string) error {
		if to == "nobody@example.com" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}})
	c := dial(t, options(s, send.StartTLS))
	to := []string{"b@example.com", "nobody@example.com", "c@example.com"}
	res, err := c.Send(&send.Envelope{From: "a@example.com", To: to}, strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Accepted(); strings.Join(got, ",") != "b@example.com,c@example.com" {
		t.Errorf("Accepted = %v", got)
	}
	ref := res.Refused()
	if len(ref) != 1 || ref[0].Addr != "nobody@example.com" || ref[0].Err.Code != 550 ||
		ref[0].Err.Enhanced != [3]int{5, 1, 1} || ref[0].Err.Temporary || ref[0].Err.Rcpt != "nobody@example.com" {
		t.Fatalf("Refused = %+v", ref)
	}
	want := fmt.Sprintf("send: RCPT TO:<nobody@example.com> refused by %s: 550 5.1.1 no such user", s.Addr)
	if ref[0].Err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", ref[0].Err.Error(), want)
	}
	m := s.WaitMessages(t, 1)[0]
	if strings.Join(m.To, ",") != "b@example.com,c@example.com" {
		t.Errorf("server recipients = %v", m.To)
	}
}

func TestAllRecipientsRefused(t *testing.T) {
	for _, tc := range []struct {
		codes []int
		temp  bool
	}{
		{[]int{550, 550}, false},
		{[]int{450, 451}, true},
		{[]int{451, 550}, false},
	} {
		t.Run(fmt.Sprint(tc.codes), func(t *testing.T) {
			s := smtptest.Start(t, smtptest.Options{OnRcpt: func(to string) error {
				i, _ := strconv.Atoi(to[:1])
				return &smtp.SMTPError{Code: tc.codes[i], Message: "no"}
			}})
			c := dial(t, options(s, send.StartTLS))
			res, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"0@example.com", "1@example.com"}}, strings.NewReader(msg))
			e := wantKind(t, err, send.KindReply, tc.temp)
			if e.Op != "rcpt" || e.Code != tc.codes[0] || res == nil || len(res.Refused()) != 2 {
				t.Errorf("Op %q Code %d Result %+v", e.Op, e.Code, res)
			}
			if !strings.Contains(err.Error(), "all 2 recipients refused") {
				t.Errorf("Error() = %q", err)
			}
			if tr := s.Transcript(); strings.Contains(tr, "DATA") {
				t.Errorf("DATA sent with no recipient:\n%s", tr)
			}
			// The connection is still usable.
			if _, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"9@example.com"}}, strings.NewReader(msg)); err == nil {
				t.Errorf("second Send: want refusal")
			} else if e := asError(t, err); e.Kind != send.KindReply {
				t.Errorf("second Send: %v", err)
			}
		})
	}
}

func TestMultipleTransactions(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	c := dial(t, options(s, send.StartTLS))
	for i := range 3 {
		body := fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i)
		if _, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		if err := c.Reset(); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.WaitMessages(t, 3); string(got[2].Data) != "Subject: 2\r\n\r\nbody 2\r\n" {
		t.Errorf("third message %q", got[2].Data)
	}
	if n := s.Connections(); n != 1 {
		t.Errorf("Connections = %d, want 1", n)
	}
}

func TestGreeting421(t *testing.T) {
	for _, mode := range []send.TLSMode{send.StartTLS, send.NoTLS} {
		t.Run(string(mode), func(t *testing.T) {
			addr := smtptest.Script(t, func(c net.Conn) {
				io.WriteString(c, "421 4.3.2 Too busy, try later\r\n")
			})
			o := scriptOptions(t, addr)
			o.TLS, o.Username = mode, ""
			_, err := send.Dial(t.Context(), o)
			e := wantKind(t, err, send.KindReply, true)
			if e.Op != "greeting" || e.Code != 421 {
				t.Errorf("Op %q Code %d", e.Op, e.Code)
			}
			want := fmt.Sprintf("send: %s refused the connection: 421 4.3.2 Too busy, try later", addr)
			if err.Error() != want {
				t.Errorf("Error() = %q\nwant      %q", err, want)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(smtptest.ClosedPort(t))
	_, err := send.Dial(t.Context(), scriptOptions(t, addr))
	wantKind(t, err, send.KindNetwork, true)
	want := fmt.Sprintf("send: cannot connect to %s: connection refused", addr)
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err, want)
	}
}

func TestCancelledContext(t *testing.T) {
	addr := smtptest.Script(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := send.Dial(ctx, scriptOptions(t, addr))
	wantKind(t, err, send.KindNetwork, true)
}

func TestStallAfterGreeting(t *testing.T) {
	for _, mode := range []send.TLSMode{send.StartTLS, send.NoTLS} {
		t.Run(string(mode), func(t *testing.T) {
			addr := smtptest.Script(t, func(c net.Conn) {
				io.WriteString(c, "220 slow ESMTP\r\n")
				io.Copy(io.Discard, c) // never answers EHLO
			})
			o := scriptOptions(t, addr)
			o.TLS, o.Timeout, o.Username = mode, 300*time.Millisecond, ""
			start := time.Now()
			_, err := send.Dial(t.Context(), o)
			e := wantKind(t, err, send.KindTimeout, true)
			if e.Op != "ehlo" {
				t.Errorf("Op = %q", e.Op)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v with a 300ms timeout", d)
			}
			if !strings.Contains(err.Error(), "did not answer in time during EHLO") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

func TestGarbageReply(t *testing.T) {
	for _, mode := range []send.TLSMode{send.StartTLS, send.NoTLS} {
		t.Run(string(mode), func(t *testing.T) {
			addr := smtptest.Script(t, func(c net.Conn) {
				s := newScripted(t, c, nil, nil)
				s.reply("220 ok ESMTP")
				s.expect("EHLO")
				s.reply("HTTP/1.1 400 Bad Request")
				s.drain()
			})
			o := scriptOptions(t, addr)
			o.TLS, o.Username = mode, ""
			_, err := send.Dial(t.Context(), o)
			wantKind(t, err, send.KindProtocol, true)
			if !strings.Contains(err.Error(), "invalid reply during EHLO") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

func TestResponseInjection(t *testing.T) {
	afterReply := make(chan []byte, 1)
	addr := smtptest.Script(t, func(c net.Conn) {
		s := newScripted(t, c, nil, nil)
		s.reply("220 mitm ESMTP")
		s.expect("EHLO")
		s.reply("250-mitm", "250 STARTTLS")
		s.expect("STARTTLS")
		// One write: the attacker's line rides along with the 220 and
		// would be read as the answer to the first command after TLS.
		io.WriteString(c, "220 go ahead\r\n250 injected\r\n")
		b, _ := io.ReadAll(c)
		afterReply <- b
	})
	_, err := send.Dial(t.Context(), scriptOptions(t, addr))
	wantKind(t, err, send.KindTLSPolicy, false)
	if !strings.Contains(err.Error(), "response injection") {
		t.Errorf("Error() = %q", err)
	}
	if b := <-afterReply; len(b) != 0 {
		t.Errorf("client sent %q after the injected reply; want no handshake at all", b)
	}
}

func TestLineEndingsAndDots(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	c := dial(t, options(s, send.StartTLS))
	// Bare LF, bare CR, CRLF; "\n.\n" (the smuggling sequence) in the
	// body; a line starting with a dot; no final line end.
	in := "Subject: x\n\nline1\rline2\nline3\r\n.\nMAIL FROM:<evil@example.com>\n.\r\n..two\nend"
	want := "Subject: x\r\n\r\nline1\r\nline2\r\nline3\r\n.\r\nMAIL FROM:<evil@example.com>\r\n.\r\n..two\r\nend\r\n"
	if _, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	// A second transaction proves the connection stayed in step.
	if _, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	got := s.WaitMessages(t, 2)
	if string(got[0].Data) != want {
		t.Errorf("server got\n%q\nwant\n%q", got[0].Data, want)
	}
	if got[1].From != "a@example.com" || string(got[1].Data) != msg || len(s.Messages()) != 2 {
		t.Errorf("second message %+v", got[1])
	}
}

// TestDataWire captures the bytes between the 354 reply and the end of
// the data on a real connection and compares them with what go-smtp's own
// DATA writer (textproto's DotWriter) sends: Send writes the body itself
// (see writeData), and the server must not be able to tell.
func TestDataWire(t *testing.T) {
	got := make(chan []byte, 1)
	addr := smtptest.Script(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		io.WriteString(c, "220 wire ESMTP\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"):
				io.WriteString(c, "250-wire\r\n250 8BITMIME\r\n")
			case cmd == "DATA":
				io.WriteString(c, "354 go ahead\r\n")
				var data []byte
				for {
					l, err := r.ReadSlice('\n')
					data = append(data, l...)
					if err != nil {
						return
					}
					if string(l) == ".\r\n" {
						break
					}
				}
				got <- data
				io.WriteString(c, "250 2.0.0 queued as X\r\n")
			case cmd == "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default:
				io.WriteString(c, "250 ok\r\n")
			}
		}
	})
	o := scriptOptions(t, addr)
	o.TLS, o.Username, o.Password = send.NoTLS, "", nil
	var tr bytes.Buffer
	o.Verbose = &tr
	c := dial(t, o)
	env := &send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}
	inputs := append(send.DataCases, strings.Repeat("line\n.dot\r\nx\r", 10000))
	for _, in := range inputs {
		tr.Reset()
		if _, err := c.Send(env, iotest.HalfReader(strings.NewReader(in))); err != nil {
			t.Fatalf("%.40q: %v", in, err)
		}
		want := send.DataReference([]byte(in))
		// The server read up to the first "." line: nothing was left over
		// for the next transaction to trip on (the next Send proves it).
		if b := <-got; !bytes.Equal(b, want) {
			t.Errorf("%.40q: wire\n%.80q\nwant\n%.80q", in, b, want)
		}
		// -v summarises the body as before: its size up to the "." line.
		if line := fmt.Sprintf("C: <message: %d bytes>\nC: .\n", len(want)-3); !strings.Contains(tr.String(), line) {
			t.Errorf("%.40q: transcript lacks %q:\n%s", in, line, tr.String())
		}
	}
}

func TestAuthOverPlaintextRefused(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Mode: "none", AllowInsecureAuth: true})
	o := options(s, send.NoTLS)
	asked := false
	o.Password = func() (string, error) { asked = true; return "secret", nil }
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
	if !strings.Contains(err.Error(), "unencrypted") {
		t.Errorf("Error() = %q", err)
	}
	if asked {
		t.Errorf("the password was requested")
	}
	assertNoAuthNoMail(t, s.Transcript())

	o.Auth = "none"
	sendOne(t, s, o)
	for _, line := range strings.Split(s.Transcript(), "\n") {
		if strings.HasPrefix(line, "AUTH") {
			t.Errorf("AUTH sent with auth = none: %q", line)
		}
	}
}

func TestPlaintextNoAuth(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Mode: "none"})
	o := options(s, send.NoTLS)
	o.Username, o.Auth = "", "auto"
	c := dial(t, o)
	if _, ok := c.TLSState(); ok {
		t.Errorf("TLSState ok on a plaintext session")
	}
	if _, err := c.Send(&send.Envelope{From: "", To: []string{"b@example.com"}}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if m := s.WaitMessages(t, 1)[0]; m.From != "" || string(m.Data) != msg {
		t.Errorf("got %+v", m)
	}
}

func TestVerboseTranscriptRedacted(t *testing.T) {
	const pw = "s3cret-Pa55"
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		t.Run(mech, func(t *testing.T) {
			s := smtptest.Start(t, smtptest.Options{AuthMechs: []string{mech}, Users: map[string]string{"user": pw}})
			o := options(s, send.StartTLS)
			o.Password = func() (string, error) { return pw, nil }
			var buf bytes.Buffer
			o.Verbose = &buf
			sendOne(t, s, o)
			tr := buf.String()
			b64 := base64.StdEncoding.EncodeToString
			for _, secret := range []string{pw, b64([]byte(pw)), b64([]byte("\x00user\x00" + pw)), b64([]byte("user"))} {
				if strings.Contains(tr, secret) {
					t.Errorf("transcript contains %q:\n%s", secret, tr)
				}
			}
			for _, want := range []string{"S: 220 ", "C: EHLO client.example", "C: STARTTLS", "C: AUTH " + mech, "S: 235 ", "C: MAIL FROM:<a@example.com>", "C: BDAT ", "C: <message: ", "S: 250 "} {
				if !strings.Contains(tr, want) {
					t.Errorf("transcript lacks %q:\n%s", want, tr)
				}
			}
			if strings.Contains(tr, "Hello.") {
				t.Errorf("transcript shows the message body:\n%s", tr)
			}
		})
	}
}

func TestSizeExceeded(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{MaxMessageBytes: 100})
	c := dial(t, options(s, send.StartTLS))
	_, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}, Size: 1000}, strings.NewReader(msg))
	e := wantKind(t, err, send.KindReply, false)
	if e.Code != 552 || !strings.Contains(err.Error(), "server limit: 100 bytes") {
		t.Errorf("Code %d, Error() = %q", e.Code, err)
	}
	if strings.Contains(s.Transcript(), "MAIL FROM") {
		t.Errorf("MAIL sent for a message over the limit")
	}
	// Within the limit, SIZE is declared.
	if _, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}, Size: int64(len(msg))}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if m := s.WaitMessages(t, 1)[0]; m.MailOpts.Size != int64(len(msg)) {
		t.Errorf("SIZE = %d", m.MailOpts.Size)
	}
}

func TestSMTPUTF8AndDSN(t *testing.T) {
	plain := smtptest.Start(t, smtptest.Options{})
	c := dial(t, options(plain, send.StartTLS))
	_, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}, SMTPUTF8: true}, strings.NewReader(msg))
	wantKind(t, err, send.KindReply, false)
	if !strings.Contains(err.Error(), "SMTPUTF8") {
		t.Errorf("Error() = %q", err)
	}

	s := smtptest.Start(t, smtptest.Options{EnableSMTPUTF8: true, EnableDSN: true})
	c = dial(t, options(s, send.StartTLS))
	env := &send.Envelope{From: "jörg@example.com", To: []string{"b@example.com"}, SMTPUTF8: true, Body8Bit: true,
		Notify: []string{"failure", "delay"}, Ret: "hdrs", EnvID: "id-1"}
	if _, err := c.Send(env, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	m := s.WaitMessages(t, 1)[0]
	if !m.MailOpts.UTF8 || m.MailOpts.Body != smtp.Body8BitMIME || m.MailOpts.Return != smtp.DSNReturnHeaders || m.MailOpts.EnvelopeID != "id-1" {
		t.Errorf("MAIL options %+v", m.MailOpts)
	}
	if ro := m.RcptOpts["b@example.com"]; ro == nil || fmt.Sprint(ro.Notify) != "[FAILURE DELAY]" {
		t.Errorf("RCPT options %+v", ro)
	}
}

func TestPasswordSourceError(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	o := options(s, send.StartTLS)
	cause := &sourceError{"no password source yielded"}
	o.Password = func() (string, error) { return "", cause }
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindConfig, false)
	var se *sourceError
	if !errors.As(err, &se) {
		t.Errorf("errors.As does not find the password source's error in %v", err)
	}
	assertNoAuthNoMail(t, s.Transcript())
}

type sourceError struct{ msg string }

func (e *sourceError) Error() string { return e.msg }

func TestMessageReadErrorSendsNoDot(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	c := dial(t, options(s, send.StartTLS))
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("Subject: partial\r\n\r\n"), &failingReader{boom})
	_, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, r)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the read error", err)
	}
	// No final "." was sent, so the server can't have accepted anything.
	if n := len(s.Messages()); n != 0 {
		t.Errorf("server accepted %d messages from a failed read", n)
	}
	if _, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader(msg)); err == nil {
		t.Errorf("Send on a dropped connection succeeded")
	}
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestDataRefused(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{OnData: func([]byte) error {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "spam"}
	}})
	c := dial(t, options(s, send.StartTLS))
	_, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader(msg))
	e := wantKind(t, err, send.KindReply, false)
	if e.Op != "data" || e.Code != 554 {
		t.Errorf("Op %q Code %d", e.Op, e.Code)
	}
	want := fmt.Sprintf("send: message refused by %s: 554 5.7.1 spam", s.Addr)
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err, want)
	}
}

func TestOldTLSRefused(t *testing.T) {
	cert := scriptTLSCert(t)
	addr := smtptest.Script(t, func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert.TLS},
			MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
		if tc.Handshake() == nil {
			io.WriteString(tc, "220 old ESMTP\r\n")
			io.Copy(io.Discard, tc)
		}
	})
	o := scriptOptions(t, addr)
	o.TLS = send.TLS
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
	if !strings.Contains(err.Error(), "older than 1.2") {
		t.Errorf("Error() = %q", err)
	}
}

func TestClosedAfterGreeting(t *testing.T) {
	addr := smtptest.Script(t, func(c net.Conn) { io.WriteString(c, "220 bye\r\n") })
	o := scriptOptions(t, addr)
	o.TLS, o.Username = send.NoTLS, ""
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindNetwork, true)
	// EOF or RST, depending on timing.
	if want := fmt.Sprintf("send: connection to %s lost during EHLO: ", addr); !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Error() = %q\nwant      %q...", err, want)
	}
}

func TestNoConfirmationAfterData(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := smtptest.Start(t, smtptest.Options{OnData: func([]byte) error { <-release; return nil }})
	o := options(s, send.StartTLS)
	o.Timeout, o.DataTimeout = 2*time.Second, time.Second // DataTimeout is raised to Timeout
	c := dial(t, o)
	_, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader(msg))
	e := wantKind(t, err, send.KindTimeout, true)
	if e.Op != "data" || !strings.Contains(err.Error(), "may have been delivered") {
		t.Errorf("Op %q, Error() = %q", e.Op, err)
	}
}

func TestXOAUTH2WrongToken(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{AuthMechs: []string{"XOAUTH2"}})
	o := options(s, send.StartTLS)
	o.Auth = "xoauth2"
	o.Password = func() (string, error) { return "expired-token", nil }
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindAuth, false)
	if strings.Contains(err.Error(), "expired-token") {
		t.Errorf("Error() shows the token: %q", err)
	}
}

func TestExplicitMechanismNotOffered(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{AuthMechs: []string{"PLAIN"}})
	o := options(s, send.StartTLS)
	o.Auth = "cram-md5"
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindAuth, false)
	if !strings.Contains(err.Error(), "does not offer AUTH CRAM-MD5 (it offers PLAIN)") {
		t.Errorf("Error() = %q", err)
	}
}

func TestContextCancelsWaitingDial(t *testing.T) {
	addr := smtptest.Script(t, func(c net.Conn) {
		io.WriteString(c, "220 slow ESMTP\r\n")
		io.Copy(io.Discard, c)
	})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := send.Dial(ctx, scriptOptions(t, addr)) // Timeout is 5s
	wantKind(t, err, send.KindNetwork, true)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancel took %v", d)
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "gave up") {
		t.Errorf("err = %v", err)
	}
}

// Issue 5 item 1/2: the capability list is read again after TLS and the
// plaintext one forgotten: before TLS the server offers PLAIN and LOGIN,
// after TLS only LOGIN, so auth = "auto" must say AUTH LOGIN (with the
// plaintext list it would pick PLAIN).
func TestAutoUsesPostTLSList(t *testing.T) {
	got := make(chan string, 1)
	addr := smtptest.Script(t, func(c net.Conn) {
		s := tlsScript(t, c, "250 AUTH LOGIN")
		if s == nil {
			return
		}
		line, _ := s.r.ReadLine()
		got <- line
		s.reply("535 5.7.8 no")
		s.drain()
	})
	_, err := send.Dial(t.Context(), scriptOptions(t, addr))
	wantKind(t, err, send.KindAuth, false)
	if line := <-got; !strings.EqualFold(line, "AUTH LOGIN") {
		t.Errorf("client said %q, want AUTH LOGIN (the only mechanism offered after TLS)", line)
	}
}

// Issue 5 item 1: the extensions a Client reports are those of the
// encrypted session only.
func TestExtensionsArePostTLS(t *testing.T) {
	addr := smtptest.Script(t, func(c net.Conn) {
		s := tlsScript(t, c, "250 8BITMIME")
		if s != nil {
			s.drain()
		}
	})
	o := scriptOptions(t, addr)
	o.Username = ""
	c := dial(t, o)
	ext := c.Extensions()
	if _, ok := ext["8BITMIME"]; !ok {
		t.Errorf("post-TLS 8BITMIME missing: %v", ext)
	}
	for _, k := range []string{"AUTH", "STARTTLS"} {
		if _, ok := ext[k]; ok {
			t.Errorf("pre-TLS %s kept: %v", k, ext)
		}
	}
}

// Issue 5: a hostile server's reply text can't drive the user's terminal
// or forge lines: C0 and C1 controls (ESC, CSI U+009B) are removed from
// errors and from Result.Reply, and shown as "?" in the -v transcript.
func TestServerTextSanitised(t *testing.T) {
	const evil = "\x1b[2J\x1b]0;pwned\x07\u009b31m\rforged\r\nline"
	s := smtptest.Start(t, smtptest.Options{OnRcpt: func(to string) error {
		if to == "evil@example.com" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: evil}
		}
		return nil
	}})
	o := options(s, send.StartTLS)
	var tr bytes.Buffer
	o.Verbose = &tr
	c := dial(t, o)
	_, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"evil@example.com"}}, strings.NewReader(msg))
	e := wantKind(t, err, send.KindReply, false)
	for where, text := range map[string]string{"Error()": err.Error(), "transcript": tr.String()} {
		if strings.ContainsAny(text, "\x1b\x07\u009b\r") {
			t.Errorf("%s carries control characters: %q", where, text)
		}
	}
	if !strings.Contains(e.Error(), "forged") {
		t.Errorf("the text itself is lost: %q", e.Error())
	}
}
