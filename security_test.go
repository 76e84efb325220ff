//go:build unix

package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// Issue 5 (security and hostile input), proved at the command line: the
// real run() with the real config, queue and send packages against
// loopback servers, asserting exit codes, what the server saw, what the
// user saw and what stayed on disk. Unit-level proofs live beside the
// packages (send, config, mime, sendmail); this file shows they hold end to
// end. Each test names the issue item it pins down.

const secPassword = "Pa55-w0rd-XyZ"

// secEnv is an isolated user: its own HOME, config dir and queue, no
// OUTBOX_* variables, no keyring or systemd credentials.
type secEnv struct {
	t     *testing.T
	dir   string
	queue string
	conf  string
	log   string // the delivery log file the config names
}

func newSecEnv(t *testing.T) *secEnv {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	e := &secEnv{t: t, dir: dir, queue: filepath.Join(dir, "queue"),
		conf: filepath.Join(home, ".config", "outbox", "config.toml"), log: filepath.Join(dir, "outbox.log")}
	for _, k := range []string{"OUTBOX_CONFIG", "OUTBOX_HOST", "OUTBOX_PORT", "OUTBOX_TLS", "OUTBOX_USERNAME",
		"OUTBOX_PASSWORD", "OUTBOX_FROM", "OUTBOX_ACCOUNT", "CREDENTIALS_DIRECTORY", "DBUS_SESSION_BUS_ADDRESS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
	t.Setenv("OUTBOX_QUEUE_DIR", e.queue)
	return e
}

// config writes the account "test" for addr ("127.0.0.1:port") with tls
// mode; extra lines are added to the account table.
func (e *secEnv) config(addr, mode string, extra ...string) {
	e.t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		e.t.Fatal(err)
	}
	text := fmt.Sprintf("default_domain = \"example.com\"\nlog = %q\n\n[accounts.test]\nhost = %q\nport = %s\ntls = %q\nfrom = \"Sender <sender@example.com>\"\ntimeout = \"5s\"\n%s\n",
		e.log, host, port, mode, strings.Join(extra, "\n"))
	if err := os.MkdirAll(filepath.Dir(e.conf), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.conf, []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// run is the command line args (args[0] is the program name: outbox or
// sendmail) with stdin; it returns the exit status and both streams.
func (e *secEnv) run(stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code = run(args, stdin, &out, &errb)
	return code, out.String(), errb.String()
}

func (e *secEnv) want(code int, args ...string) string {
	e.t.Helper()
	got, _, stderr := e.run(nil, args...)
	if got != code {
		e.t.Fatalf("%q exited %d, want %d; stderr:\n%s", args, got, code, stderr)
	}
	return stderr
}

// queued returns the queue files below sub ("new", "failed").
func (e *secEnv) queued(sub string) []string {
	m, _ := filepath.Glob(filepath.Join(e.queue, sub, "*.eml"))
	return m
}

// keptInFailed asserts the message is in failed/ (dead letter, with its
// body intact) and not in new/: a policy refusal is not retried on its
// own, and it is never lost.
func (e *secEnv) keptInFailed(body string) {
	e.t.Helper()
	failed := e.queued("failed")
	if len(failed) != 1 || len(e.queued("new")) != 0 {
		e.t.Fatalf("queue: failed/ %v, new/ %v; want the message in failed/ only", failed, e.queued("new"))
	}
	b, err := os.ReadFile(failed[0])
	if err != nil || !strings.Contains(string(b), body) {
		e.t.Errorf("failed/ copy %s lacks the body %q: %v", failed[0], body, err)
	}
}

// noPlaintextCommands asserts that none of the client lines is AUTH, MAIL,
// RCPT or DATA.
func noPlaintextCommands(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		up := strings.ToUpper(strings.TrimSpace(l))
		for _, cmd := range []string{"AUTH", "MAIL", "RCPT", "DATA"} {
			if strings.HasPrefix(up, cmd) {
				t.Errorf("client sent %q in plaintext; lines: %q", l, lines)
			}
		}
	}
}

// scriptServer runs fn on each connection of a raw loopback server and
// collects the lines the client sent before TLS.
type scriptServer struct {
	addr string
	mu   sync.Mutex
	seen []string
}

func (s *scriptServer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func newScript(t *testing.T, fn func(s *scriptServer, c net.Conn, r *textproto.Reader, reply func(string))) *scriptServer {
	s := &scriptServer{}
	s.addr = smtptest.Script(t, func(c net.Conn) {
		r := textproto.NewReader(bufio.NewReader(&recorder{c, s}))
		fn(s, c, r, func(lines string) { io.WriteString(c, lines) })
	})
	return s
}

// recorder keeps every byte the client sends in the clear.
type recorder struct {
	net.Conn
	s *scriptServer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.s.mu.Lock()
	for _, l := range strings.Split(string(p[:n]), "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			r.s.seen = append(r.s.seen, l)
		}
	}
	r.s.mu.Unlock()
	return n, err
}

// Issue 5 item 1: STARTTLS not offered (a stripped EHLO), or refused with
// 4xx or 5xx, under tls = "starttls": exit 77, no AUTH/MAIL in plaintext,
// and the message kept in failed/.
func TestSecuritySTARTTLSMissingOrRefused(t *testing.T) {
	t.Run("not offered", func(t *testing.T) {
		e := newSecEnv(t)
		t.Setenv("OUTBOX_PASSWORD", secPassword)
		s := smtptest.Start(t, smtptest.Options{NoSTARTTLS: true, AllowInsecureAuth: true, Users: map[string]string{"user": secPassword}})
		e.config(s.Addr, "starttls", `username = "user"`)
		stderr := e.want(77, "outbox", "send", "--to", "a@example.com", "-s", "x", "-m", "stripped body")
		if !strings.Contains(stderr, "does not offer STARTTLS") || !strings.Contains(stderr, "failed queue") {
			t.Errorf("stderr: %s", stderr)
		}
		noPlaintextCommands(t, strings.Split(s.Transcript(), "\n"))
		if len(s.Messages()) != 0 {
			t.Errorf("delivered in plaintext")
		}
		e.keptInFailed("stripped body")
	})
	for _, reply := range []string{"454 4.7.0 TLS not available due to temporary reason", "502 5.5.1 not implemented", "554 5.7.0 no"} {
		t.Run(reply[:3], func(t *testing.T) {
			e := newSecEnv(t)
			t.Setenv("OUTBOX_PASSWORD", secPassword)
			s := newScript(t, func(s *scriptServer, c net.Conn, r *textproto.Reader, out func(string)) {
				out("220 mx ESMTP\r\n")
				r.ReadLine()
				out("250-mx\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n")
				r.ReadLine()
				out(reply + "\r\n")
				for {
					l, err := r.ReadLine()
					if err != nil {
						return
					}
					if strings.EqualFold(l, "QUIT") {
						out("221 bye\r\n")
						return
					}
					out("250 ok\r\n") // a server that would take anything
				}
			})
			e.config(s.addr, "starttls", `username = "user"`)
			stderr := e.want(77, "outbox", "send", "--to", "a@example.com", "-s", "x", "-m", "refused body")
			if !strings.Contains(stderr, "refused STARTTLS") || !strings.Contains(stderr, reply[:3]) {
				t.Errorf("stderr: %s", stderr)
			}
			noPlaintextCommands(t, s.lines())
			e.keptInFailed("refused body")
		})
	}
}

// Issue 5 item 1: bytes after the STARTTLS reply (CVE-2011-0411 class)
// abort the connection before the handshake: exit 77, not delivered,
// kept in failed/.
func TestSecurityResponseInjection(t *testing.T) {
	e := newSecEnv(t)
	t.Setenv("OUTBOX_PASSWORD", secPassword)
	after := make(chan int, 1)
	s := newScript(t, func(s *scriptServer, c net.Conn, r *textproto.Reader, out func(string)) {
		out("220 mitm ESMTP\r\n")
		r.ReadLine()
		out("250-mitm\r\n250 STARTTLS\r\n")
		r.ReadLine()
		out("220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n")
		b, _ := io.ReadAll(c)
		after <- len(b)
	})
	e.config(s.addr, "starttls", `username = "user"`)
	stderr := e.want(77, "outbox", "send", "--to", "a@example.com", "-s", "x", "-m", "injected body")
	if !strings.Contains(stderr, "response injection") {
		t.Errorf("stderr: %s", stderr)
	}
	if n := <-after; n != 0 {
		t.Errorf("client sent %d bytes after the injected reply; want none (no handshake)", n)
	}
	noPlaintextCommands(t, s.lines())
	e.keptInFailed("injected body")
}

// Issue 5 item 1: certificates are verified by default (no tls_ca_file:
// the self-signed test certificate is untrusted), tls_fingerprint pins
// the leaf (right pin delivers, wrong pin is refused), TLS below 1.2 is
// refused.
func TestSecurityCertificatePolicy(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Users: map[string]string{"user": secPassword}})

	e := newSecEnv(t)
	t.Setenv("OUTBOX_PASSWORD", secPassword)
	e.config(s.Addr, "starttls", `username = "user"`)
	if stderr := e.want(77, "outbox", "send", "--to", "untrusted@example.com", "-s", "x", "-m", "x"); !strings.Contains(stderr, "not trusted") {
		t.Errorf("untrusted: %s", stderr)
	}

	e = newSecEnv(t)
	t.Setenv("OUTBOX_PASSWORD", secPassword)
	e.config(s.Addr, "starttls", `username = "user"`, "tls_fingerprint = \"sha256:"+strings.Repeat("00", 32)+"\"")
	if stderr := e.want(77, "outbox", "send", "--to", "badpin@example.com", "-s", "x", "-m", "x"); !strings.Contains(stderr, s.Fingerprint) {
		t.Errorf("pin mismatch should show the server's pin: %s", stderr)
	}

	e = newSecEnv(t)
	t.Setenv("OUTBOX_PASSWORD", secPassword)
	e.config(s.Addr, "starttls", `username = "user"`, fmt.Sprintf("tls_fingerprint = %q", s.Fingerprint))
	e.want(0, "outbox", "send", "--to", "pinned@example.com", "-s", "x", "-m", "x")
	got := s.Messages()
	if len(got) != 1 || got[0].To[0] != "pinned@example.com" {
		t.Errorf("server got %+v; want only the pinned message", got)
	}

	cert := smtptest.NewCert(t)
	old := newScript(t, func(s *scriptServer, c net.Conn, r *textproto.Reader, out func(string)) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
		if tc.Handshake() == nil {
			io.WriteString(tc, "220 old ESMTP\r\n")
			io.Copy(io.Discard, tc)
		}
	})
	e = newSecEnv(t)
	e.config(old.addr, "tls", fmt.Sprintf("tls_ca_file = %q", cert.CAFile))
	if stderr := e.want(77, "outbox", "send", "--to", "old@example.com", "-s", "x", "-m", "x"); !strings.Contains(stderr, "older than 1.2") {
		t.Errorf("TLS 1.1: %s", stderr)
	}
}

// secrets are the password and the encodings a transcript or a file could
// carry it in: AUTH PLAIN's and LOGIN's base64.
func secrets(user, pw string) []string {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return []string{pw, b64(pw), b64("\x00" + user + "\x00" + pw), b64(user + "\x00" + pw)}
}

func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range secrets("user", secPassword) {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q:\n%s", where, s, text)
		}
	}
}

// Issue 5 item 2: AUTH 535 → exit 77 with the server's text and without
// the password; -v transcripts redact AUTH (PLAIN and LOGIN) and show no
// base64 of the password; AUTH is never sent on a plaintext connection.
func TestSecurityAuth(t *testing.T) {
	t.Run("535", func(t *testing.T) {
		e := newSecEnv(t)
		s := smtptest.Start(t, smtptest.Options{Users: map[string]string{"user": "the-right-one"}})
		e.config(s.Addr, "starttls", `username = "user"`, fmt.Sprintf("tls_ca_file = %q", s.CAFile))
		t.Setenv("OUTBOX_PASSWORD", secPassword)
		code, stdout, stderr := e.run(nil, "outbox", "send", "-v", "--to", "a@example.com", "-s", "x", "-m", "x")
		if code != 77 || !strings.Contains(stderr, "535") || !strings.Contains(stderr, "authentication as \"user\" failed") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
		assertNoSecret(t, "stderr", stderr)
		assertNoSecret(t, "stdout", stdout)
		assertNoSecret(t, "the queue", e.queueText())
		e.assertLogClean()
		e.keptInFailed("x") // fix the password, then `outbox queue retry`
	})
	for _, mech := range []string{"plain", "login"} {
		t.Run("-v "+mech, func(t *testing.T) {
			e := newSecEnv(t)
			s := smtptest.Start(t, smtptest.Options{Users: map[string]string{"user": secPassword}, AuthMechs: []string{strings.ToUpper(mech)}})
			e.config(s.Addr, "starttls", `username = "user"`, fmt.Sprintf("auth = %q", mech), fmt.Sprintf("tls_ca_file = %q", s.CAFile))
			t.Setenv("OUTBOX_PASSWORD", secPassword)
			code, _, stderr := e.run(nil, "outbox", "send", "-v", "--to", "v@example.com", "-s", "x", "-m", "x")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "C: AUTH "+strings.ToUpper(mech)) || !strings.Contains(stderr, "<redacted>") || !strings.Contains(stderr, "S: 235") {
				t.Errorf("transcript lacks the redacted AUTH exchange:\n%s", stderr)
			}
			assertNoSecret(t, "the -v transcript", stderr)
			if m := s.WaitMessages(t, 1); m[0].Auth != "user" {
				t.Errorf("not authenticated: %+v", m[0])
			}
		})
	}
	t.Run("plaintext", func(t *testing.T) {
		e := newSecEnv(t)
		s := smtptest.Start(t, smtptest.Options{Mode: "none", AllowInsecureAuth: true, Users: map[string]string{"user": secPassword}})
		e.config(s.Addr, "none", `username = "user"`)
		t.Setenv("OUTBOX_PASSWORD", secPassword)
		if stderr := e.want(77, "outbox", "send", "--to", "a@example.com", "-s", "x", "-m", "x"); !strings.Contains(stderr, "unencrypted") {
			t.Errorf("stderr: %s", stderr)
		}
		noPlaintextCommands(t, strings.Split(s.Transcript(), "\n"))
		assertNoSecret(t, "the server transcript", s.Transcript())
	})
}

// assertLogClean checks the delivery log (config key log) for the secret.
// Every caller made a delivery attempt, and every attempt writes a line:
// a missing or empty log is a failure, not a pass (issue 17 finding 7).
func (e *secEnv) assertLogClean() {
	e.t.Helper()
	b, err := os.ReadFile(e.log)
	if err != nil {
		e.t.Errorf("no delivery log to check for the secret: %v", err)
		return
	}
	if len(bytes.TrimSpace(b)) == 0 {
		e.t.Errorf("the delivery log %s is empty after a delivery attempt", e.log)
	}
	assertNoSecret(e.t, "the delivery log", string(b))
}

// queueText is every file under the queue directory, concatenated.
func (e *secEnv) queueText() string {
	var b strings.Builder
	filepath.WalkDir(e.queue, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

// Issue 5 item 3: the password is in no queue file (queued with
// OUTBOX_PASSWORD set, -v, a server that is down), and a config holding
// password with a mode looser than 0600 is refused with 78 without
// showing it.
func TestSecuritySecretsAtRest(t *testing.T) {
	e := newSecEnv(t)
	dead := closedPort(t)
	e.config(fmt.Sprintf("127.0.0.1:%d", dead), "starttls", `username = "user"`)
	t.Setenv("OUTBOX_PASSWORD", secPassword)
	code, _, stderr := e.run(nil, "outbox", "send", "-v", "--to", "q@example.com", "-s", "queued", "-m", "queued body")
	if code != 0 || !strings.Contains(stderr, "queued as") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(e.queued("new")) != 1 {
		t.Fatalf("not queued: %v", e.queued("new"))
	}
	assertNoSecret(t, "the queue", e.queueText())
	assertNoSecret(t, "stderr", stderr)
	code, _, stderr = e.run(nil, "sendmail", "-v", "-i", "q2@example.com")
	if code != 0 {
		t.Fatalf("sendmail: exit %d: %s", code, stderr)
	}
	assertNoSecret(t, "the queue", e.queueText())
	e.assertLogClean()

	// `outbox config show`, with the password both in a 0600 file and in
	// OUTBOX_PASSWORD.
	e.config(fmt.Sprintf("127.0.0.1:%d", dead), "starttls", `username = "user"`, fmt.Sprintf("password = %q", secPassword))
	code, stdout, stderr := e.run(nil, "outbox", "config", "show")
	if code != 0 || !strings.Contains(stdout, "<redacted>") {
		t.Errorf("config show: exit %d\n%s%s", code, stdout, stderr)
	}
	assertNoSecret(t, "config show", stdout+stderr)

	os.Unsetenv("OUTBOX_PASSWORD")
	if err := os.Chmod(e.conf, 0o644); err != nil {
		t.Fatal(err)
	}
	stderr = e.want(78, "outbox", "send", "--to", "a@example.com", "-s", "x", "-m", "x")
	if !strings.Contains(stderr, "chmod 600") {
		t.Errorf("stderr: %s", stderr)
	}
	assertNoSecret(t, "stderr", stderr)
	stderr = e.want(78, "sendmail", "-i", "a@example.com")
	assertNoSecret(t, "stderr", stderr)
}

// Issue 5 item 4: CR, LF or NUL in any header value that comes from a flag
// is exit 65, and nothing reaches the server. (NUL can't travel in a real
// argv; run() takes Go strings, so it is tested here too.)
func TestSecurityHeaderInjection(t *testing.T) {
	e := newSecEnv(t)
	s := smtptest.Start(t, smtptest.Options{})
	e.config(s.Addr, "starttls", fmt.Sprintf("tls_ca_file = %q", s.CAFile))
	base := []string{"-m", "body"}
	for _, bad := range []string{"\r", "\n", "\r\n", "\x00"} {
		inj := "x" + bad + "Bcc: victim@example.com"
		for _, args := range [][]string{
			{"outbox", "send", "--to", "a@example.com", "-s", inj},
			{"outbox", "send", "--to", "a@example.com", "-s", "x", "--from", "\"Evil" + bad + "Bcc: v@example.com\" <e@example.com>"},
			{"outbox", "send", "--to", "a@example.com", "-s", "x", "--from", "Evil" + bad + " <e@example.com>"},
			{"outbox", "send", "--to", "a@example.com", "-s", "x", "--reply-to", "r@example.com" + bad + "Bcc: v@example.com"},
			{"outbox", "send", "--to", "a@example.com", "-s", "x", "-H", "X-Tag: " + inj},
			{"outbox", "send", "--to", "a@example.com", "-s", "x", "-H", "X-Tag" + bad + "Bcc: v@example.com"},
			{"outbox", "send", "--to", "\"Name" + bad + "Bcc: v@example.com\" <a@example.com>", "-s", "x"},
			{"outbox", "send", "--to", "a@example.com" + bad + "RCPT TO:<v@example.com>", "-s", "x"},
			{"outbox", "send", "--cc", "a@example.com" + bad, "-s", "x"},
			{"outbox", "send", "--bcc", "a@example.com" + bad + "RCPT TO:<v@example.com>", "-s", "x"},
			{"outbox", "send", "-s", "x", "a@example.com" + bad},
		} {
			if code, _, stderr := e.run(nil, append(args, base...)...); code != 65 || strings.ContainsAny(strings.TrimSuffix(stderr, "\n"), "\r\n\x00") {
				t.Errorf("%q: exit %d, want 65 and a one-line message; stderr: %q", args, code, stderr)
			}
		}
		for _, args := range [][]string{
			{"sendmail", "-i", "-F", "Cron" + bad + "Bcc: v@example.com", "a@example.com"},
			{"sendmail", "-i", "-f", "s@example.com" + bad + "RCPT TO:<v@example.com>", "a@example.com"},
			{"sendmail", "-i", "-f", "\"S" + bad + "\" <s@example.com>", "a@example.com"},
			{"sendmail", "-i", "a@example.com" + bad + "RCPT TO:<v@example.com>"},
		} {
			if code, _, stderr := e.run(strings.NewReader("Subject: x\n\nbody\n"), args...); code != 65 {
				t.Errorf("%q: exit %d, want 65; stderr: %q", args, code, stderr)
			}
		}
	}
	// An RFC 2047 encoded-word that decodes to CR LF is caught after
	// decoding, and the value is quoted safely in the message.
	for _, from := range []string{"=?utf-8?q?Evil=0D=0ABcc=3A_v=40example=2Ecom?= <e@example.com>", "=?utf-8?b?RXZpbA0KQmNjOiB2QGV4YW1wbGUuY29t?= <e@example.com>"} {
		code, _, stderr := e.run(nil, "outbox", "send", "--to", "a@example.com", "-s", "x", "-m", "x", "--from", from)
		if code != 65 || !strings.Contains(stderr, `\r\n`) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("encoded CRLF: exit %d, stderr %q", code, stderr)
		}
	}
	// A bad address is quoted (%q), so a hostile value can't drive the
	// terminal or forge a second line.
	code, _, stderr := e.run(nil, "outbox", "send", "--to", "a@@b\x1b[31m", "-s", "x", "-m", "x")
	if code != 65 || !strings.Contains(stderr, `"a@@b\x1b[31m"`) || strings.Contains(stderr, "\x1b") {
		t.Errorf("bad address: exit %d, stderr %q", code, stderr)
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("server got %d messages", n)
	}
}

// Issue 5 item 4: a stdin body with bare LF, bare CR, NUL and the SMTP
// smuggling sequences (\n.\n, \r.\r, \r\n.\r, a lone ".\n") arrives as ONE
// message, CRLF-only, its dot lines intact, and no second transaction is
// smuggled onto the connection. Without -i, a lone "." line ends the
// message (sendmail's rule) and what follows is not sent at all.
func TestSecuritySmuggling(t *testing.T) {
	e := newSecEnv(t)
	s := smtptest.Start(t, smtptest.Options{})
	e.config(s.Addr, "starttls", fmt.Sprintf("tls_ca_file = %q", s.CAFile))
	smuggle := "MAIL FROM:<evil@example.com>\nRCPT TO:<victim@example.com>\nDATA\nFrom: ceo@example.com\n\nsmuggled\n"
	body := "Subject: smuggle\n\nline1\n.\n" + smuggle + ".\r" + smuggle + "\r.\r" + smuggle + "\r\n.\r" + smuggle + "nul\x00byte\rbare-cr\n.\n"
	code, _, stderr := e.run(strings.NewReader(body), "sendmail", "-i", "one@example.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	msgs := s.WaitMessages(t, 1)
	data := string(msgs[0].Data)
	if err := crlfOnly(msgs[0].Data); err != nil {
		t.Errorf("delivered bytes: %v\n%q", err, data)
	}
	if strings.Contains(data, "\x00") {
		t.Errorf("NUL delivered: %q", data)
	}
	_, sent, _ := strings.Cut(body, "\n\n")
	if want := "\r\n\r\n" + normalize(sent); !strings.HasSuffix(data, want) {
		t.Errorf("delivered\n%q\nwant it to end with\n%q", data, want)
	}

	// Without -i, "." ends the message; the rest is never sent.
	code, _, stderr = e.run(strings.NewReader("Subject: dot\n\nbefore\n.\n"+smuggle+".\n"), "sendmail", "two@example.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	msgs = s.WaitMessages(t, 2)
	if d := string(msgs[1].Data); !strings.HasSuffix(d, "\r\n\r\nbefore\r\n") || strings.Contains(d, "evil") {
		t.Errorf("without -i: %q", d)
	}
	if all := s.Messages(); len(all) != 2 {
		t.Errorf("server got %d messages, want 2: %+v", len(all), all)
	}
	for _, m := range s.Messages() {
		if m.From == "evil@example.com" || strings.Join(m.To, ",") != "one@example.com" && strings.Join(m.To, ",") != "two@example.com" {
			t.Errorf("smuggled transaction: %+v", m)
		}
	}
}

// normalize is what the wire must carry for body text: every CR, LF and
// CRLF a CRLF, NUL bytes dropped (the contract of internal/crlf).
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.ReplaceAll(s, "\n", "\r\n")
	return strings.ReplaceAll(s, "\x00", "")
}

// Issue 5 item 4: header lines over 998 octets are folded, non-UTF-8
// subjects and 8-bit garbage with NULs never panic (run would crash this
// test) and arrive as valid SMTP.
func TestSecurityHostileBytes(t *testing.T) {
	e := newSecEnv(t)
	s := smtptest.Start(t, smtptest.Options{})
	e.config(s.Addr, "starttls", fmt.Sprintf("tls_ca_file = %q", s.CAFile))

	long := strings.Repeat("word ", 1200)
	e.want(0, "outbox", "send", "--to", "long@example.com", "-s", long, "-H", "X-Long: "+long, "-m", "x")
	code, _, stderr := e.run(strings.NewReader("Subject: "+long+"\nX-Long: "+long+"\n\nbody\n"), "sendmail", "-i", "long2@example.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, m := range s.WaitMessages(t, 2) {
		hdr, _, _ := strings.Cut(string(m.Data), "\r\n\r\n")
		for _, line := range strings.Split(hdr, "\r\n") {
			if len(line) > 998 {
				t.Errorf("%v: header line of %d octets: %.60q...", m.To, len(line), line)
			}
		}
	}
	// A 5,000-octet header with no space can't be folded: refused (65),
	// never sent as an over-long line.
	code, _, stderr = e.run(strings.NewReader("X-Unbroken: "+strings.Repeat("y", 5000)+"\n\nbody\n"), "sendmail", "-i", "long3@example.com")
	if code != 65 || !strings.Contains(stderr, "998") {
		t.Errorf("unfoldable header: exit %d: %s", code, stderr)
	}

	rng := rand.New(rand.NewPCG(5, 5))
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	for i, args := range [][]string{
		{"outbox", "send", "--to", "g1@example.com", "-s", "\xff\xfe\xc3(\x00"[:4], "-m", string(garbage[:1000])},
		{"outbox", "send", "--to", "g2@example.com", "-s", "caf\xe9 \x80\x81", "-H", "X-Raw: \xff\xfe", "-m", "x"},
	} {
		code, _, stderr := e.run(nil, args...)
		if code != 0 && code != 65 {
			t.Errorf("%d: exit %d: %s", i, code, stderr)
		}
	}
	for _, in := range [][]byte{garbage, append([]byte("Subject: \xff\xfe\x00\x80\n\n"), garbage...), garbage[:0]} {
		code, _, stderr := e.run(bytes.NewReader(in), "sendmail", "-t", "-i", "g3@example.com")
		if code != 0 && code != 65 && code != 64 {
			t.Errorf("garbage on stdin: exit %d: %s", code, stderr)
		}
	}
	for _, m := range s.Messages() {
		if err := crlfOnly(m.Data); err != nil || bytes.IndexByte(m.Data, 0) >= 0 {
			t.Errorf("%v: bare CR/LF or NUL delivered: %v", m.To, err)
		}
	}
}

// Issue 5 item 4: a big stdin message is streamed: spooled to the queue
// and sent without ever being held in memory. 200 MB go through sendmail
// to a server that discards them; the bytes allocated in total stay far
// below the message size (an io.ReadAll anywhere on the path would
// allocate more than the message).
func TestSecurityBigStdinBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MB")
	}
	const size = 200 << 20
	e := newSecEnv(t)
	got := make(chan int64, 1)
	srv := newScript(t, func(s *scriptServer, c net.Conn, r *textproto.Reader, out func(string)) {
		sink(c, got)
	})
	e.config(srv.addr, "none")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code, _, stderr := e.run(&lineReader{left: size}, "sendmail", "-i", "big@example.com")
	runtime.ReadMemStats(&after)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := <-got; n < size {
		t.Errorf("server got %d bytes, want ≥ %d", n, size)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d MiB in total for a %d MiB message", alloc>>20, size>>20)
	if alloc > 64<<20 {
		t.Errorf("allocated %d MiB for a %d MiB message: something holds the message in memory", alloc>>20, size>>20)
	}
	if len(e.queued("new"))+len(e.queued("failed")) != 0 {
		t.Errorf("delivered message left in the queue")
	}
}

// lineReader yields left bytes of a plain text message: a header, then
// 64-byte lines.
type lineReader struct {
	left int64
	off  int
	hdr  bool
}

const bigLine = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXY\n"

func (r *lineReader) Read(p []byte) (int, error) {
	if !r.hdr {
		r.hdr = true
		n := copy(p, "Subject: big\n\n")
		r.left -= int64(n)
		return n, nil
	}
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], bigLine[r.off:])
		c = int(min(int64(c), r.left))
		r.off = (r.off + c) % len(bigLine)
		n += c
		r.left -= int64(c)
	}
	return n, nil
}

// sink is a minimal plaintext SMTP server that counts the DATA bytes and
// keeps none of them.
func sink(c net.Conn, got chan<- int64) {
	r := bufio.NewReaderSize(c, 64<<10)
	w := func(s string) { io.WriteString(c, s+"\r\n") }
	w("220 sink ESMTP")
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(string(line)))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			w("250-sink\r\n250 8BITMIME")
		case cmd == "DATA":
			w("354 go")
			var n int64
			for {
				l, err := r.ReadSlice('\n')
				if err != nil && err != bufio.ErrBufferFull {
					return
				}
				if string(l) == ".\r\n" {
					break
				}
				n += int64(len(l))
			}
			got <- n
			w("250 ok")
		case cmd == "QUIT":
			w("221 bye")
			return
		default:
			w("250 ok")
		}
	}
}

// Issue 5 item 5: words after "--" are recipients even when they start
// with "-"; -X FILE writes nothing anywhere; -C naming a file another user
// owns is refused (78) before anything is read from it.
func TestSecurityArgumentInjection(t *testing.T) {
	e := newSecEnv(t)
	s := smtptest.Start(t, smtptest.Options{})
	e.config(s.Addr, "starttls", fmt.Sprintf("tls_ca_file = %q", s.CAFile))

	logfile := filepath.Join(e.dir, "x.php")
	code, _, stderr := e.run(strings.NewReader("Subject: x\n\n<?php system($_GET['c']); ?>\n"),
		"sendmail", "-i", "-X", logfile, "-X"+logfile+"2", "--", "-oQ/tmp@example.com", "-X"+logfile+"3@example.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "never writes a traffic log") {
		t.Errorf("no -X warning: %s", stderr)
	}
	m := s.WaitMessages(t, 1)[0]
	if strings.Join(m.To, " ") != "-oQ/tmp@example.com -X"+logfile+"3@example.com" {
		t.Errorf("recipients after --: %q", m.To)
	}
	for _, p := range []string{logfile, logfile + "2", logfile + "3@example.com"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	entries, _ := os.ReadDir(e.dir)
	for _, d := range entries {
		if n := d.Name(); n != "home" && n != "queue" && n != filepath.Base(e.log) {
			t.Errorf("a file appeared: %s", n)
		}
	}

	if os.Geteuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	other := filepath.Join(e.dir, "other.toml")
	text := "[accounts.x]\nhost = \"127.0.0.1\"\npassword_command = [\"/bin/sh\", \"-c\", \"touch " + filepath.Join(e.dir, "pwned") + "\"]\nusername = \"u\"\n"
	if err := os.WriteFile(other, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(other, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"sendmail", "-C", other, "-i", "c@example.com"}, {"sendmail", "-C" + other, "-i", "c@example.com"}, {"outbox", "--config", other, "send", "--to", "c@example.com", "-m", "x"}} {
		code, _, stderr := e.run(strings.NewReader("Subject: x\n\nx\n"), args...)
		if code != 78 || !strings.Contains(stderr, "owned by uid 65534") {
			t.Errorf("%q: exit %d: %s", args, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "pwned")); err == nil {
		t.Errorf("another user's password_command ran")
	}
	if len(s.Messages()) != 1 {
		t.Errorf("sent with another user's config")
	}
}

// Issue 5 item 5: running setuid is not supported: a setuid copy of the
// binary (owned by nobody, run by root: uid 0, euid 65534) refuses with
// 78 before reading any configuration.
func TestSecuritySetuidRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making a setuid binary of another user needs root")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Flags&0x2 != 0 { // ST_NOSUID
		t.Skipf("%s is mounted nosuid", dir)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "outbox")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(bin, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bin, os.ModeSetuid|0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "send", "--to", "a@example.com", "-m", "x")
	cmd.Env = append(os.Environ(), "OUTBOX_QUEUE_DIR="+filepath.Join(dir, "q"))
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 78 || !strings.Contains(string(out), "running setuid (uid 0, effective uid 65534) is not supported") {
		t.Errorf("setuid run: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "q")); err == nil {
		t.Errorf("the setuid run created its queue")
	}
}

// Issue 5 item 3: no flag takes a password, token or secret as its value,
// so none can end up in argv (visible in ps and shell history) by
// design: passwords come from the keyring, password_command, systemd
// credentials, a 0600 file or OUTBOX_PASSWORD. A flag may only say where
// to read one (a bool such as --password-stdin).
func TestSecurityNoSecretInArgv(t *testing.T) {
	parser, err := kong.New(&CLI{}, kong.Name("outbox"), kong.Vars{"version": "test"}, kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(node *kong.Node)
	walk = func(node *kong.Node) {
		for _, f := range node.Flags {
			n++
			name := strings.ToLower(f.Name)
			if strings.HasSuffix(name, "-url") {
				continue // --oauth-token-url names an endpoint, not a secret
			}
			if f.Enum != "" {
				continue // --password-store takes one of fixed words (an enum), never a secret
			}
			if (strings.Contains(name, "password") || strings.Contains(name, "secret") || strings.Contains(name, "token")) && !f.IsBool() {
				t.Errorf("%s --%s takes a value: a secret would be in argv", node.Path(), f.Name)
			}
		}
		for _, p := range node.Positional {
			if name := strings.ToLower(p.Name); strings.Contains(name, "password") || strings.Contains(name, "secret") || strings.Contains(name, "token") {
				t.Errorf("%s <%s> takes a secret as an argument", node.Path(), p.Name)
			}
		}
		for _, c := range node.Children {
			walk(c)
		}
	}
	walk(parser.Model.Node)
	if n < 10 {
		t.Fatalf("walked only %d flags; the model walk is broken", n)
	}
}
