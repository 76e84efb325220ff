package send_test

// Tests written to kill the mutants gremlins left alive in send (issue 17,
// "Mutation testing as a habit"; scripts/mutation send). Each asserts what
// the caller sees: the commands on the wire at a scripted server, the
// per-recipient results, the error's kind, code and op.

import (
	"context"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

// mailAndRcpt returns the MAIL and RCPT lines a Fake received.
func mailAndRcpt(f *smtptest.Fake) []string {
	var out []string
	for _, c := range f.Commands() {
		if strings.HasPrefix(c, "MAIL ") || strings.HasPrefix(c, "RCPT ") {
			out = append(out, c)
		}
	}
	return out
}

// TestEnvelopeAtTheEdges: the envelope checks made before MAIL accept
// what sits exactly on their limits and refuse what lies one step past
// them, with the op a caller files the error under.
func TestEnvelopeAtTheEdges(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"SIZE 100", "DSN", "8BITMIME"}})
	c := fakeClient(t, f, 5*time.Second)
	ok := func(env *send.Envelope) {
		t.Helper()
		if _, err := c.Send(env, strings.NewReader(msg)); err != nil {
			t.Errorf("%+v: %v", env, err)
		}
	}
	refused := func(env *send.Envelope, op string, kind send.Kind) *send.Error {
		t.Helper()
		_, err := c.Send(env, strings.NewReader(msg))
		if err == nil {
			t.Errorf("%+v accepted", env)
			return &send.Error{}
		}
		e := asError(t, err)
		if e.Op != op || e.Kind != kind {
			t.Errorf("%+v: Op %q Kind %v, want %q %v: %v", env, e.Op, e.Kind, op, kind, err)
		}
		return e
	}
	to := []string{"b@example.com"}

	// RFC 1870: a message exactly at the limit is within it.
	ok(&send.Envelope{From: "a@example.com", To: to, Size: 100})
	if e := refused(&send.Envelope{From: "a@example.com", To: to, Size: 101}, "mail", send.KindReply); e.Code != 552 {
		t.Errorf("Size 101: code %d, want 552", e.Code)
	}
	// RFC 3461 §4.1: NEVER alone is fine; only combined is it refused.
	ok(&send.Envelope{From: "a@example.com", To: to, Notify: []string{"never"}})
	refused(&send.Envelope{From: "a@example.com", To: to, Notify: []string{"NEVER", "FAILURE"}}, "rcpt", send.KindConfig)
	// ENVID: printable ASCII is 0x20..0x7e, both ends included; xtext
	// (RFC 3461 §4) leaves "!" and "~" as they are and encodes the space.
	ok(&send.Envelope{From: "a@example.com", To: to, EnvID: " !~"})
	refused(&send.Envelope{From: "a@example.com", To: to, EnvID: "a\x1f"}, "mail", send.KindConfig)
	refused(&send.Envelope{From: "a@example.com", To: to, EnvID: "a\x7f"}, "mail", send.KindConfig)
	// A bad sender is MAIL's problem, a bad recipient RCPT's.
	refused(&send.Envelope{From: "a<b@example.com", To: to}, "mail", send.KindConfig)
	refused(&send.Envelope{From: "a@example.com", To: []string{"b@example.com", "c>@example.com"}}, "rcpt", send.KindConfig)

	want := []string{
		"MAIL FROM:<a@example.com> BODY=8BITMIME SIZE=100",
		"RCPT TO:<b@example.com>",
		"MAIL FROM:<a@example.com> BODY=8BITMIME",
		"RCPT TO:<b@example.com> NOTIFY=NEVER",
		"MAIL FROM:<a@example.com> BODY=8BITMIME ENVID=+20!~",
		"RCPT TO:<b@example.com>",
	}
	if got := mailAndRcpt(f); !slices.Equal(got, want) {
		t.Errorf("on the wire:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSizeLimitZero: "SIZE 0" (or SIZE without a number) announces no
// fixed limit (RFC 1870 §4): any size goes.
func TestSizeLimitZero(t *testing.T) {
	for _, ext := range []string{"SIZE 0", "SIZE"} {
		f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{ext}})
		c := fakeClient(t, f, 5*time.Second)
		if _, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}, Size: 1 << 40}, strings.NewReader(msg)); err != nil {
			t.Errorf("%s: %v", ext, err)
		}
	}
}

// TestReplyCodeClasses: RCPT replies at the edges of the classes of RFC
// 5321 §4.2.1 — 400 and 499 are temporary refusals, 500 and 599
// permanent ones, each kept per recipient; 600 is no SMTP reply class at
// all: the dialogue is out of step and the transaction ends.
func TestReplyCodeClasses(t *testing.T) {
	codes := map[string]string{"r400": "400 4.0.0 try later", "r499": "499 nope", "r500": "500 5.0.0 no", "r599": "599 never"}
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING"}, Reply: func(n int, cmd string) string {
		for k, v := range codes {
			if strings.Contains(cmd, "<"+k+"@") {
				return v
			}
		}
		if strings.Contains(cmd, "<r600@") {
			return "600 what"
		}
		return ""
	}})
	c := fakeClient(t, f, 5*time.Second)
	to := []string{"ok@example.com", "r400@example.com", "r499@example.com", "r500@example.com", "r599@example.com"}
	res, err := c.Send(&send.Envelope{From: "a@example.com", To: to}, strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Accepted(); !slices.Equal(got, []string{"ok@example.com"}) {
		t.Errorf("accepted %v", got)
	}
	want := map[string]bool{"r400@example.com": true, "r499@example.com": true, "r500@example.com": false, "r599@example.com": false}
	for _, r := range res.Refused() {
		if r.Err.Kind != send.KindReply || r.Err.Temporary != want[r.Addr] || r.Err.Rcpt != r.Addr {
			t.Errorf("%s: Kind %v Temporary %v Rcpt %q: %v", r.Addr, r.Err.Kind, r.Err.Temporary, r.Err.Rcpt, r.Err)
		}
		delete(want, r.Addr)
	}
	if len(want) != 0 {
		t.Errorf("no result for %v", want)
	}
	if len(f.Messages()) != 1 {
		t.Errorf("%d messages delivered", len(f.Messages()))
	}

	_, err = c.Send(&send.Envelope{From: "a@example.com", To: []string{"r600@example.com"}}, strings.NewReader(msg))
	e := wantKind(t, err, send.KindProtocol, true)
	if e.Code != 600 || e.Op != "rcpt" {
		t.Errorf("600: Code %d Op %q", e.Code, e.Op)
	}
}

// TestReplyTextControls: the server's text reaches the user without C0
// and C1 controls (0x00–0x1f, 0x7f, 0x80–0x9f), and with every printable
// character at their edges (space, "~", U+00A0) kept.
func TestReplyTextControls(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Reply: smtptest.ReplyTo("RCPT", "550 5.1.1 a\x1fb c\x7fd e\u0080f\u009fg\u00a0h ~")})
	c := fakeClient(t, f, 5*time.Second)
	_, err := c.Send(envAB, strings.NewReader(msg))
	wantKind(t, err, send.KindReply, false)
	if !strings.Contains(err.Error(), "ab cd efg\u00a0h ~") {
		t.Errorf("Error() = %q", err.Error())
	}
}

// wireCommands is a Fake's commands after EHLO.
func wireCommands(f *smtptest.Fake) []string {
	cmds := f.Commands()
	for i, c := range cmds {
		if strings.HasPrefix(c, "EHLO") {
			return cmds[i+1:]
		}
	}
	return cmds
}

// TestStreamCommandsExact: the exact commands a three-message Stream
// puts on the wire. With CHUNKING, the first transaction has no RSET (a
// fresh session holds no transaction) and every later one starts with
// RSET (its predecessor's outcome is unknown when it is written); with
// PIPELINING alone, DATA ends each group and no RSET is needed after a
// message the server confirmed.
func TestStreamCommandsExact(t *testing.T) {
	for _, tc := range []struct {
		ext  []string
		want []string
	}{
		{[]string{"PIPELINING", "CHUNKING"}, []string{
			"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "BDAT 25 LAST",
			"RSET", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "BDAT 25 LAST",
			"RSET", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "BDAT 25 LAST", "QUIT"}},
		{[]string{"PIPELINING"}, []string{
			"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA",
			"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA",
			"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA", "QUIT"}},
		{[]string{"CHUNKING"}, []string{
			"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "BDAT 25 LAST",
			"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "BDAT 25 LAST",
			"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "BDAT 25 LAST", "QUIT"}},
	} {
		t.Run(strings.Join(tc.ext, "+"), func(t *testing.T) {
			f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: tc.ext})
			c := fakeClient(t, f, 5*time.Second)
			for k, err := range streamN(t, c, 3) {
				if err != nil {
					t.Errorf("job %d: %v", k, err)
				}
			}
			c.Close()
			deadline := time.Now().Add(5 * time.Second)
			for !slices.Contains(f.Commands(), "QUIT") && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if got := wireCommands(f); !slices.Equal(got, tc.want) {
				t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if n := len(f.Messages()); n != 3 {
				t.Errorf("%d messages", n)
			}
		})
	}
}

// TestZeroTimeoutsMeanDefaults: Options.Timeout 0 is 30 s and
// DataTimeout 0 is 10 minutes (never "no time at all"): a session with
// both zero delivers, and with Timeout short and DataTimeout 0 the reply
// after the message is awaited longer than Timeout (RFC 5321 §4.5.3.2.6).
func TestZeroTimeoutsMeanDefaults(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}})
	o := scriptOptions(t, f.Addr)
	o.TLS, o.Username, o.Password, o.Timeout, o.DataTimeout = send.NoTLS, "", nil, 0, 0
	c := dial(t, o)
	if _, err := c.Send(envAB, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}

	// A server that scans the message for 3× Timeout before its 250.
	const timeout = 100 * time.Millisecond
	slow := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"CHUNKING"}, Reply: func(n int, cmd string) string {
		if strings.HasSuffix(cmd, " LAST") {
			<-time.After(3 * timeout) // the server's own pace, not a wait for the client
		}
		return ""
	}})
	o = scriptOptions(t, slow.Addr)
	o.TLS, o.Username, o.Password, o.Timeout, o.DataTimeout = send.NoTLS, "", nil, timeout, 0
	c = dial(t, o)
	if _, err := c.Send(envAB, strings.NewReader(msg)); err != nil {
		t.Fatalf("DataTimeout 0 gave up before the server's reply: %v", err)
	}
}

// TestRcpt421EndsTransaction: a 421 to the second RCPT (RFC 5321 §3.8:
// the server is closing) ends the whole transaction even though the
// first recipient was accepted: the error is the 421 for that recipient,
// nothing is delivered, and the session says it is gone.
func TestRcpt421EndsTransaction(t *testing.T) {
	for _, ext := range [][]string{{"PIPELINING", "CHUNKING"}, {"PIPELINING"}, nil} {
		t.Run(strings.Join(ext, "+"), func(t *testing.T) {
			f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: ext, Reply: smtptest.ReplyTo("RCPT TO:<c@", "421 4.3.2 closing")})
			c := fakeClient(t, f, 2*time.Second)
			_, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com", "c@example.com"}}, strings.NewReader(msg))
			e := wantKind(t, err, send.KindReply, true)
			if e.Code != 421 || e.Op != "rcpt" || e.Rcpt != "c@example.com" {
				t.Errorf("Code %d Op %q Rcpt %q: %v", e.Code, e.Op, e.Rcpt, err)
			}
			if n := len(f.Messages()); n != 0 {
				t.Errorf("%d delivered", n)
			}
			_, err = c.Send(envAB, strings.NewReader(msg))
			if err == nil || !strings.Contains(err.Error(), "no longer usable") {
				t.Errorf("next Send: %v", err)
			}
		})
	}
}

// TestOneRecipientRefusedAlone: a one-recipient transaction whose
// recipient is refused reports that recipient's own reply, not "all 1
// recipients refused".
func TestOneRecipientRefusedAlone(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: smtptest.ReplyTo("RCPT", "550 5.1.1 no such user")})
	c := fakeClient(t, f, 2*time.Second)
	_, err := c.Send(envAB, strings.NewReader(msg))
	e := wantKind(t, err, send.KindReply, false)
	want := "send: RCPT TO:<b@example.com> refused by " + f.Addr + ": 550 5.1.1 no such user"
	if e.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", e.Error(), want)
	}
}

// TestEndOfDataRefused: the reply to the end of the message refuses it
// (554 after DATA's ".", or after BDAT LAST): a permanent error for op
// "data" with the server's code, no queue id, and the session still
// usable for the next message.
func TestEndOfDataRefused(t *testing.T) {
	for _, ext := range [][]string{{"PIPELINING", "CHUNKING"}, {"PIPELINING"}, nil} {
		t.Run(strings.Join(ext, "+"), func(t *testing.T) {
			f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: ext, Reply: func(n int, cmd string) string {
				if (cmd == "." || strings.HasSuffix(cmd, " LAST")) && n < 8 {
					return "554 5.7.1 spam"
				}
				return ""
			}})
			c := fakeClient(t, f, 2*time.Second)
			res, err := c.Send(envAB, strings.NewReader(msg))
			e := wantKind(t, err, send.KindReply, false)
			if e.Code != 554 || e.Op != "data" || res != nil && res.Reply != "" {
				t.Errorf("Code %d Op %q Result %+v: %v", e.Code, e.Op, res, err)
			}
			if res, err := c.Send(envAB, strings.NewReader(msg)); err != nil || !strings.Contains(res.Reply, "FAKE") {
				t.Errorf("next Send: %+v %v", res, err)
			}
			if n := len(f.Messages()); n != 1 {
				t.Errorf("%d delivered, want 1", n)
			}
		})
	}
}

// TestPipelinedAuthRefusedSaysWhy: AUTH PLAIN refused inside the first
// group (RFC 4954 §4) reads exactly as the same refusal at Dial does,
// hint included: the user is told to check the username and password.
func TestPipelinedAuthRefusedSaysWhy(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	o := options(s, send.StartTLS)
	o.Auth = "plain"
	o.Password = func() (string, error) { return "wrong", nil }
	_, dialErr := send.Dial(t.Context(), o)
	if dialErr == nil {
		t.Fatal("Dial with a wrong password succeeded")
	}
	o.PipelineAuth = true
	c := dial(t, o)
	_, err := c.Send(envAB, strings.NewReader(msg))
	wantKind(t, err, send.KindAuth, false)
	if err.Error() != dialErr.Error() || !strings.HasSuffix(err.Error(), " (check the username and password)") {
		t.Errorf("pipelined: %q\nat Dial:   %q", err, dialErr)
	}
}

// TestInvalidReplyText: an invalid reply is quoted to the user: a code
// outside the SMTP classes with its text, a line that is no reply at all
// as the parser's complaint about it.
func TestInvalidReplyText(t *testing.T) {
	for reply, want := range map[string]string{"600 what": ": 600 what", "2x0 what": "2x0 what"} {
		f := smtptest.StartFake(t, smtptest.FakeOptions{Reply: func(n int, cmd string) string {
			if strings.HasPrefix(cmd, "MAIL") {
				return reply
			}
			return ""
		}})
		c := fakeClient(t, f, 2*time.Second)
		_, err := c.Send(envAB, strings.NewReader(msg))
		wantKind(t, err, send.KindProtocol, true)
		if prefix := "send: " + f.Addr + " sent an invalid reply during MAIL FROM"; !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: Error() = %q", reply, err)
		}
	}
}

// TestConnectErrorCause: a connect failure that is neither a refusal
// nor a timeout is reported by its cause alone, without Go's "dial tcp"
// prefix (the address is already in the message).
func TestConnectErrorCause(t *testing.T) {
	_, err := send.Dial(t.Context(), send.Options{Host: "127.0.0.1", Port: 70000, TLS: send.NoTLS, Timeout: time.Second})
	wantKind(t, err, send.KindNetwork, true)
	if want := "send: cannot connect to 127.0.0.1:70000: address 70000: invalid port"; err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err, want)
	}
}

// TestBreakCauseNamed: the error of a job whose session broke says why
// it broke. The server hangs at job 2's RSET: job 1 is delivered, and
// jobs 2 and 3 (never answered: ErrNoReply) read "timed out", not the
// "use of closed network connection" of the socket closed behind them.
// The server closing the connection at job 4's MAIL reads as that.
func TestBreakCauseNamed(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: func(n int, cmd string) string {
		if n == 6 {
			return "HANG"
		}
		return ""
	}})
	c := fakeClient(t, f, 300*time.Millisecond)
	errs := streamN(t, c, 3)
	if errs[0] != nil {
		t.Errorf("job 1: %v", errs[0])
	}
	for k := 1; k < 3; k++ {
		wantKind(t, errs[k], send.KindNetwork, true)
		if msg := errs[k].Error(); !strings.Contains(msg, "timed out") || strings.Contains(msg, "closed network connection") {
			t.Errorf("job %d: %q", k+1, msg)
		}
	}

	errs, _ = windowFault(t, "CLOSE")
	for k := 3; k < 5; k++ {
		if msg := errs[k].Error(); !strings.HasSuffix(msg, "lost during MAIL FROM: the server closed the connection") || strings.Count(msg, "lost during") != 1 {
			t.Errorf("job %d: %q", k+1, msg)
		}
	}
}

// syncBuffer is a transcript the test may read while the session's
// reader goroutine writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestIdle421Quoted: a server that says 421 and closes while the session
// is idle: once that reply is in, the next Send fails at once, quoting
// the server's 421 (not a bare "invalid reply"), and delivers nothing.
func TestIdle421Quoted(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: func(n int, cmd string) string {
		if strings.HasSuffix(cmd, " LAST") {
			return "250 2.0.0 queued\r\n421 4.4.2 idle timeout"
		}
		return ""
	}})
	o := scriptOptions(t, f.Addr)
	var tr syncBuffer
	o.TLS, o.Username, o.Password, o.Timeout, o.Verbose = send.NoTLS, "", nil, 2*time.Second, &tr
	c := dial(t, o)
	if _, err := c.Send(envAB, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(tr.String(), "S: 421 ") {
		if time.Now().After(deadline) {
			t.Fatalf("no 421 read:\n%s", tr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, err := c.Send(envAB, strings.NewReader(msg))
	if err == nil || !strings.Contains(err.Error(), "421 4.4.2 idle timeout") {
		t.Errorf("Send after the idle 421: %v", err)
	}
	if n := len(f.Messages()); n != 1 {
		t.Errorf("%d delivered, want 1", n)
	}
}

// TestRSETRefusedEndsSession: a server that refuses RSET may still hold
// a transaction; the session ends there. The transaction pipelined behind
// the RSET is reported delivered if its replies arrived before the client
// read the refusal, else as a temporary failure (to be sent again); the
// next Send fails at once, quoting the refusal, instead of using the
// session.
func TestRSETRefusedEndsSession(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: func(n int, cmd string) string {
		if cmd == "RSET" {
			return "502 5.5.2 no RSET here"
		}
		return ""
	}})
	c := fakeClient(t, f, 2*time.Second)
	errs := streamN(t, c, 2)
	if errs[0] != nil {
		t.Errorf("job 1: %v", errs[0])
	}
	if errs[1] != nil && !asError(t, errs[1]).Temporary {
		t.Errorf("job 2: %v", errs[1])
	}
	if _, err := c.Send(envAB, strings.NewReader(msg)); err == nil || !strings.Contains(err.Error(), "no longer usable") || !strings.Contains(err.Error(), "502 5.5.2 no RSET here") {
		t.Errorf("Send after the refused RSET: %v", err)
	}
}

// TestRefusedChunkStopsMessage: once the client has read a server's
// refusal of a chunk in the middle of a message, it sends no further
// chunk and no BDAT LAST (RFC 3030 §2): the message is refused with the
// server's code, not delivered.
func TestRefusedChunkStopsMessage(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: func(n int, cmd string) string {
		if cmd == "BDAT 1048576" {
			return "554 5.3.4 chunk refused"
		}
		return ""
	}})
	o := scriptOptions(t, f.Addr)
	var tr syncBuffer
	o.TLS, o.Username, o.Password, o.Timeout, o.DataTimeout, o.Verbose = send.NoTLS, "", nil, 2*time.Second, 2*time.Second, &tr
	c := dial(t, o)
	line := strings.Repeat("x", 1023) + "\n"
	// The rest of the message is handed out only once the client has read
	// the refusal of the first MiB (its transcript shows it).
	body := io.MultiReader(strings.NewReader(strings.Repeat(line, 1024)), &gate{tr: &tr, r: strings.NewReader(strings.Repeat(line, 3*1024))})
	_, err := c.Send(envAB, body)
	e := wantKind(t, err, send.KindReply, false)
	if e.Code != 554 || e.Op != "data" {
		t.Errorf("Code %d Op %q", e.Code, e.Op)
	}
	for _, cmd := range f.Commands() {
		if strings.HasSuffix(cmd, " LAST") {
			t.Errorf("BDAT LAST after a refused chunk: %q", f.Commands())
		}
	}
	if n := len(f.Messages()); n != 0 {
		t.Errorf("%d delivered", n)
	}
}

// gate reads from r once the transcript shows the server's reply want
// ("S: 554 " when empty).
type gate struct {
	tr   *syncBuffer
	want string
	r    io.Reader
}

func (g *gate) Read(p []byte) (int, error) {
	deadline := time.Now().Add(5 * time.Second)
	want := g.want
	if want == "" {
		want = "S: 554 "
	}
	for !strings.Contains(g.tr.String(), want) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return g.r.Read(p)
}

// TestChunk421: a 421 to a chunk in the middle of a message (RFC 5321
// §3.8: the server is closing). Once the client has read it, the message
// stops there: a temporary error with the server's 421 for op "data",
// nothing delivered, and the session is over.
func TestChunk421(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: func(n int, cmd string) string {
		if cmd == "BDAT 1048576" {
			return "421 4.3.2 shutting down"
		}
		return ""
	}})
	o := scriptOptions(t, f.Addr)
	var tr syncBuffer
	o.TLS, o.Username, o.Password, o.Timeout, o.DataTimeout, o.Verbose = send.NoTLS, "", nil, 2*time.Second, 2*time.Second, &tr
	c := dial(t, o)
	line := strings.Repeat("x", 1023) + "\n"
	body := io.MultiReader(strings.NewReader(strings.Repeat(line, 1024)), &gate{tr: &tr, want: "S: 421 ", r: strings.NewReader(strings.Repeat(line, 2*1024))})
	_, err := c.Send(envAB, body)
	e := wantKind(t, err, send.KindReply, true)
	if e.Code != 421 || e.Op != "data" {
		t.Errorf("Code %d Op %q: %v", e.Code, e.Op, err)
	}
	if n := len(f.Messages()); n != 0 {
		t.Errorf("%d delivered", n)
	}
	if _, err := c.Send(envAB, strings.NewReader(msg)); err == nil || !strings.Contains(err.Error(), "no longer usable") {
		t.Errorf("Send after the 421: %v", err)
	}
}

// TestChunkBoundaries: a message of uneven pieces (bare LF lines that
// grow by a CR each, read a few bytes at a time) still goes in chunks of
// exactly 1 MiB, then the rest with LAST, byte for byte; and so do the
// DATA path's cases read one byte at a time.
func TestChunkBoundaries(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}})
	c := fakeClient(t, f, 5*time.Second)
	var b strings.Builder
	for i := 0; b.Len() < 2500000; i++ {
		b.WriteString(strings.Repeat("y", i%97) + "\n")
	}
	big := b.String()
	if _, err := c.Send(envAB, iotest.HalfReader(strings.NewReader(big))); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(big, "\n", "\r\n")
	if msgs := f.Messages(); len(msgs) != 1 || string(msgs[0].Data) != want {
		t.Fatalf("delivered %d messages", len(msgs))
	}
	var chunks []string
	for _, cmd := range f.Commands() {
		if strings.HasPrefix(cmd, "BDAT") {
			chunks = append(chunks, cmd)
		}
	}
	if len(chunks) != 3 || chunks[0] != "BDAT 1048576" || chunks[1] != "BDAT 1048576" || chunks[2] != "BDAT "+strconv.Itoa(len(want)-2<<20)+" LAST" {
		t.Errorf("chunks %q", chunks)
	}

	// The normaliser hands the message on in 32 KiB blocks; here the last
	// block is the final LF alone, its CR the end of the block before: the
	// message already ends in CRLF and gets no second one.
	edge := strings.Repeat("x", 32<<10-1) + "\r\n"
	if _, err := c.Send(envAB, strings.NewReader(edge)); err != nil {
		t.Fatal(err)
	}
	if msgs := f.Messages(); string(msgs[len(msgs)-1].Data) != edge {
		t.Errorf("a message ending in CRLF across a 32 KiB block: delivered %d bytes, want %d", len(msgs[len(msgs)-1].Data), len(edge))
	}

	for _, in := range send.DataCases {
		if _, err := c.Send(envAB, iotest.OneByteReader(strings.NewReader(in))); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		ref := send.DataReference([]byte(in))
		want := strings.ReplaceAll("\n"+string(ref[:len(ref)-3]), "\n..", "\n.")[1:]
		msgs := f.Messages()
		if got := string(msgs[len(msgs)-1].Data); got != want {
			t.Errorf("%q one byte at a time: delivered %q, want %q", in, got, want)
		}
	}
}

// TestHELOFallback: a server that answers EHLO with 500 or 502 gets HELO
// (RFC 5321 §4.1.1.1) and a session without extensions: plain DATA,
// lock-step, no MAIL parameters. One that refuses HELO too fails Dial
// with that reply.
func TestHELOFallback(t *testing.T) {
	for _, refusal := range []string{"500 5.5.1 what", "502 5.5.2 not here"} {
		f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING", "8BITMIME"}, Reply: func(n int, cmd string) string {
			if strings.HasPrefix(cmd, "EHLO") {
				return refusal
			}
			return ""
		}})
		c := fakeClient(t, f, 2*time.Second)
		if _, err := c.Send(envAB, strings.NewReader(msg)); err != nil {
			t.Fatalf("%s: %v", refusal, err)
		}
		want := []string{"EHLO client.example", "HELO client.example", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA"}
		if got := f.Commands(); !slices.Equal(got, want) {
			t.Errorf("%s: commands %q", refusal, got)
		}
		if f.Early() != 0 || len(c.Extensions()) != 0 {
			t.Errorf("%s: %d pipelined, extensions %v", refusal, f.Early(), c.Extensions())
		}
	}

	f := smtptest.StartFake(t, smtptest.FakeOptions{Reply: func(n int, cmd string) string {
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			return "502 5.5.2 not here"
		case strings.HasPrefix(cmd, "HELO"):
			return "554 5.7.1 go away"
		}
		return ""
	}})
	o := scriptOptions(t, f.Addr)
	o.TLS, o.Username, o.Password = send.NoTLS, "", nil
	_, err := send.Dial(t.Context(), o)
	e := wantKind(t, err, send.KindReply, false)
	if e.Op != "ehlo" || e.Code != 554 {
		t.Errorf("Op %q Code %d: %v", e.Op, e.Code, err)
	}
	// Any other EHLO refusal is final: no HELO.
	f = smtptest.StartFake(t, smtptest.FakeOptions{Reply: smtptest.ReplyTo("EHLO", "554 5.7.1 go away")})
	o = scriptOptions(t, f.Addr)
	o.TLS, o.Username, o.Password = send.NoTLS, "", nil
	if _, err := send.Dial(t.Context(), o); err == nil || slices.Contains(f.Commands(), "HELO client.example") {
		t.Errorf("EHLO 554: %v, commands %q", err, f.Commands())
	}
}

// TestDefaultHeloLiteral: without a configured helo, on a machine whose
// name is no FQDN, EHLO carries the address literal of our end of the
// connection (RFC 5321 §4.1.4), "[127.0.0.1]" over IPv4.
func TestDefaultHeloLiteral(t *testing.T) {
	if h, _ := os.Hostname(); strings.Contains(h, ".") {
		t.Skipf("host name %q is a FQDN: EHLO uses it, not the literal", h)
	}
	f := smtptest.StartFake(t, smtptest.FakeOptions{})
	o := scriptOptions(t, f.Addr)
	o.TLS, o.Username, o.Password, o.Helo = send.NoTLS, "", nil, ""
	dial(t, o)
	if cmds := f.Commands(); len(cmds) == 0 || cmds[0] != "EHLO [127.0.0.1]" {
		t.Errorf("commands %q", cmds)
	}
}

// TestResetRefused: Reset reports a refused RSET with the server's
// reply, and a session whose RSET was accepted goes on.
func TestResetRefused(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Reply: func(n int, cmd string) string {
		if cmd == "RSET" && n > 4 {
			return "502 5.5.2 no RSET here"
		}
		return ""
	}})
	c := fakeClient(t, f, 2*time.Second)
	if err := c.Reset(); err != nil {
		t.Fatalf("first RSET: %v", err)
	}
	if _, err := c.Send(envAB, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	err := c.Reset()
	e := wantKind(t, err, send.KindReply, false)
	if e.Op != "rset" || e.Code != 502 {
		t.Errorf("Op %q Code %d: %v", e.Op, e.Code, err)
	}
}

// TestDialDeadlinePassed: a caller whose deadline has passed before the
// connection is made gets a timeout (temporary), not a network failure.
func TestDialDeadlinePassed(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{})
	o := scriptOptions(t, f.Addr)
	o.TLS, o.Username, o.Password = send.NoTLS, "", nil
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := send.Dial(ctx, o)
	if e := wantKind(t, err, send.KindTimeout, true); e.Op != "connect" {
		t.Errorf("Op %q: %v", e.Op, err)
	}
}
