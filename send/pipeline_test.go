package send_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

// streamN sends n messages over c with Stream and returns their errors.
func streamN(t *testing.T, c *send.Client, n int) []error {
	t.Helper()
	errs := make([]error, n)
	done := make([]bool, n)
	i := 0
	err := c.Stream(func() *send.Job {
		if i == n {
			return nil
		}
		k := i
		i++
		body := fmt.Sprintf("Subject: %d\r\n\r\nmessage %d\r\n", k, k)
		return &send.Job{Env: &send.Envelope{From: "a@example.com", To: []string{"b@example.com"}},
			Msg: strings.NewReader(body), Done: func(r *send.Result, err error) {
				if done[k] {
					t.Errorf("job %d done twice", k)
				}
				for j := 0; j < k; j++ {
					if !done[j] {
						t.Errorf("job %d done before job %d", k, j)
					}
				}
				done[k], errs[k] = true, err
			}}
	})
	if err != nil {
		t.Logf("Stream: %v", err)
	}
	for k := range i {
		if !done[k] {
			t.Errorf("job %d taken, never done", k)
		}
	}
	for k := i; k < n; k++ {
		errs[k] = errNotTaken
	}
	return errs
}

// errNotTaken marks the jobs Stream did not take: the session broke first.
var errNotTaken = errors.New("not taken")

func TestStreamChunking(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	c := dial(t, options(s, send.StartTLS))
	for k, err := range streamN(t, c, 50) {
		if err != nil {
			t.Errorf("job %d: %v", k, err)
		}
	}
	if len(s.Messages()) != 50 {
		t.Errorf("%d messages", len(s.Messages()))
		t.Log(s.Transcript())
	}
}

// fakeClient dials a Fake (plaintext, no AUTH).
func fakeClient(t *testing.T, f *smtptest.Fake, timeout time.Duration) *send.Client {
	t.Helper()
	o := scriptOptions(t, f.Addr)
	o.TLS, o.Username, o.Password, o.Timeout, o.DataTimeout = send.NoTLS, "", nil, timeout, timeout
	return dial(t, o)
}

var envAB = &send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}

// TestStreamChunkingBytes: many messages back to back with BDAT, each
// delivered byte for byte as the DATA path would deliver it, over one
// connection, without a single DATA command.
func TestStreamChunkingBytes(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING", "8BITMIME"}})
	c := fakeClient(t, f, 5*time.Second)
	inputs := append([]string{}, send.DataCases...)
	i := 0
	err := c.Stream(func() *send.Job {
		if i == len(inputs) {
			return nil
		}
		in := inputs[i]
		i++
		return &send.Job{Env: envAB, Msg: iotest.HalfReader(strings.NewReader(in)), Done: func(_ *send.Result, err error) {
			if err != nil {
				t.Errorf("%q: %v", in, err)
			}
		}}
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.Messages()
	if len(msgs) != len(inputs) {
		t.Fatalf("%d messages, want %d", len(msgs), len(inputs))
	}
	for k, in := range inputs {
		// What the DATA path delivers: the reference DATA content minus
		// its "\r\n.\r\n" terminator, unstuffed, plus the final CRLF.
		ref := send.DataReference([]byte(in))
		want := strings.ReplaceAll("\n"+string(ref[:len(ref)-3]), "\n..", "\n.")[1:]
		if string(msgs[k].Data) != want {
			t.Errorf("%q: delivered %q, want %q", in, msgs[k].Data, want)
		}
	}
	for _, cmd := range f.Commands() {
		if cmd == "DATA" {
			t.Errorf("DATA sent although CHUNKING is offered")
		}
	}
}

// TestPipelinedGroupsWithLateAnswers: a server that answers MAIL and
// RCPT only when DATA (or BDAT) arrives, as RFC 2920 allows. A client
// that waited for each reply would time out; a pipelining one delivers.
func TestPipelinedGroupsWithLateAnswers(t *testing.T) {
	for _, ext := range [][]string{{"PIPELINING"}, {"PIPELINING", "CHUNKING"}} {
		t.Run(strings.Join(ext, "+"), func(t *testing.T) {
			f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: ext, Hold: true})
			c := fakeClient(t, f, 2*time.Second)
			for k, err := range streamN(t, c, 5) {
				if err != nil {
					t.Errorf("job %d: %v", k, err)
				}
			}
			if n := len(f.Messages()); n != 5 {
				t.Errorf("%d messages delivered, want 5", n)
			}
			if f.Early() == 0 {
				t.Errorf("no command was pipelined")
			}
		})
	}
}

// TestLockStepWithoutPipelining: without PIPELINING every command waits
// for its reply (RFC 5321), and without CHUNKING the message goes as DATA.
func TestLockStepWithoutPipelining(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"8BITMIME"}})
	c := fakeClient(t, f, 5*time.Second)
	for k, err := range streamN(t, c, 3) {
		if err != nil {
			t.Errorf("job %d: %v", k, err)
		}
	}
	if n := len(f.Messages()); n != 3 {
		t.Errorf("%d messages, want 3", n)
	}
	if n := f.Early(); n != 0 {
		t.Errorf("%d commands sent before the previous reply", n)
	}
	if cmds := strings.Join(f.Commands(), "\n"); strings.Contains(cmds, "BDAT") || !strings.Contains(cmds, "DATA") {
		t.Errorf("commands:\n%s", cmds)
	}

	// CHUNKING without PIPELINING: BDAT, each command answered first.
	f = smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"CHUNKING"}})
	c = fakeClient(t, f, 5*time.Second)
	for k, err := range streamN(t, c, 3) {
		if err != nil {
			t.Errorf("CHUNKING job %d: %v", k, err)
		}
	}
	if n, early := len(f.Messages()), f.Early(); n != 3 || early != 0 {
		t.Errorf("CHUNKING only: %d messages, %d commands pipelined", n, early)
	}
	if cmds := strings.Join(f.Commands(), "\n"); !strings.Contains(cmds, "BDAT") || strings.Contains(cmds, "\nDATA") {
		t.Errorf("commands:\n%s", cmds)
	}

	// The same with go-smtp's server, its extensions hidden.
	s := smtptest.Start(t, smtptest.Options{Mode: "none", NoPipelining: true, NoChunking: true})
	var tr bytes.Buffer
	o := options(s, send.NoTLS)
	o.Username, o.Password = "", nil
	o.Verbose = &tr
	sendOne(t, s, o)
	if strings.Contains(tr.String(), "BDAT") || !strings.Contains(tr.String(), "S: 354 ") {
		t.Errorf("transcript:\n%s", tr.String())
	}
}

// TestRefusedMAILInGroup: MAIL refused inside a group; the RCPT and DATA
// behind it are refused too (RFC 2920 §3.1), Send reports the MAIL
// refusal as before, no message byte is sent, and the session goes on.
func TestRefusedMAILInGroup(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING"}, Reply: smtptest.ReplyTo("MAIL FROM:<bad@", "550 5.7.1 sender refused")})
	c := fakeClient(t, f, 5*time.Second)
	res, err := c.Send(&send.Envelope{From: "bad@example.com", To: []string{"b@example.com", "c@example.com"}}, strings.NewReader(msg))
	e := wantKind(t, err, send.KindReply, false)
	if e.Op != "mail" || e.Code != 550 || res != nil {
		t.Errorf("Op %q Code %d Result %v", e.Op, e.Code, res)
	}
	if _, err := c.Send(envAB, strings.NewReader(msg)); err != nil {
		t.Fatalf("next transaction: %v", err)
	}
	cmds := f.Commands()
	want := []string{"MAIL FROM:<bad@example.com> BODY=8BITMIME", "RCPT TO:<b@example.com>", "RCPT TO:<c@example.com>", "DATA", "MAIL FROM:<a@example.com>"}
	if len(cmds) < 6 || strings.Join(cmds[1:6], "|") != strings.Join(want, "|") && strings.Join(cmds[1:6], "|") != strings.ReplaceAll(strings.Join(want, "|"), " BODY=8BITMIME", "") {
		t.Errorf("commands %q", cmds)
	}
	if msgs := f.Messages(); len(msgs) != 1 || msgs[0].From != "a@example.com" {
		t.Errorf("messages %+v", msgs)
	}
}

// TestAllRcptRefusedBeforeBDAT: every RCPT refused while BDAT is already
// on its way; the server refuses the chunk (RFC 3030 §2), nothing is
// delivered, the error is the recipients' as before, and RSET readies
// the session for the next message.
func TestAllRcptRefusedBeforeBDAT(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: smtptest.ReplyTo("RCPT TO:<nobody", "550 5.1.1 no such user")})
	c := fakeClient(t, f, 5*time.Second)
	res, err := c.Send(&send.Envelope{From: "a@example.com", To: []string{"nobody1@example.com", "nobody2@example.com"}}, strings.NewReader(msg))
	e := wantKind(t, err, send.KindReply, false)
	if e.Code != 550 || !strings.Contains(err.Error(), "all 2 recipients refused") || len(res.Refused()) != 2 {
		t.Errorf("Code %d, %v, %+v", e.Code, err, res)
	}
	if n := len(f.Messages()); n != 0 {
		t.Fatalf("%d messages delivered", n)
	}
	if _, err := c.Send(envAB, strings.NewReader(msg)); err != nil {
		t.Fatalf("next transaction: %v", err)
	}
	if cmds := strings.Join(f.Commands(), "\n"); !strings.Contains(cmds, "RSET\nMAIL FROM:<a@example.com>") {
		t.Errorf("no RSET before the next MAIL:\n%s", cmds)
	}
	if n := len(f.Messages()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

// window faults: replies are numbered from the greeting (1) and EHLO
// (2); with PIPELINING and CHUNKING, job 1 takes MAIL 3, RCPT 4, BDAT 5,
// and every later job RSET, MAIL, RCPT, BDAT (its predecessor's outcome
// is unknown when it is written): job k (k ≥ 2) starts at reply 4k-2.
// Reply 15 is job 4's MAIL.
func windowFault(t *testing.T, fault string) ([]error, *smtptest.Fake) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: func(n int, cmd string) string {
		if n == 15 {
			return fault
		}
		return ""
	}})
	c := fakeClient(t, f, 2*time.Second)
	return streamN(t, c, 10), f
}

// checkWindow: the jobs confirmed before the fault are delivered, job 4
// has the fault's error, and the rest have ErrNoReply (temporary): a new
// session may carry them at once. delivered is how many messages the
// server must have taken (-1: the server went on taking messages whose
// replies it garbled — the duplicate window README describes).
func checkWindow(t *testing.T, errs []error, f *smtptest.Fake, delivered int, victim func(error)) {
	t.Helper()
	for k := 0; k < 3; k++ {
		if errs[k] != nil {
			t.Errorf("job %d, confirmed before the fault: %v", k+1, errs[k])
		}
	}
	victim(errs[3])
	for k := 4; k < 10; k++ {
		if !errors.Is(errs[k], send.ErrNoReply) {
			t.Errorf("job %d: %v, want ErrNoReply", k+1, errs[k])
		}
		wantKind(t, errs[k], send.KindNetwork, true)
	}
	if n := len(f.Messages()); delivered >= 0 && n != delivered || n < 3 {
		t.Errorf("%d messages delivered, want %d", n, delivered)
	}
}

func TestWindowConnectionCut(t *testing.T) {
	errs, f := windowFault(t, "CLOSE")
	checkWindow(t, errs, f, 3, func(err error) {
		e := wantKind(t, err, send.KindNetwork, true)
		if errors.Is(err, send.ErrNoReply) || e.Op != "mail" {
			t.Errorf("job 4: %v", err)
		}
	})
}

func TestWindow421(t *testing.T) {
	errs, f := windowFault(t, "421 4.3.2 shutting down")
	checkWindow(t, errs, f, 3, func(err error) {
		e := wantKind(t, err, send.KindReply, true)
		if e.Code != 421 {
			t.Errorf("job 4: %v", err)
		}
	})
}

func TestWindowGarbledReply(t *testing.T) {
	errs, f := windowFault(t, "2x0 what")
	checkWindow(t, errs, f, -1, func(err error) {
		wantKind(t, err, send.KindProtocol, true)
	})
}

func TestWindowNoAnswer(t *testing.T) {
	start := time.Now()
	errs, f := windowFault(t, "HANG")
	checkWindow(t, errs, f, 3, func(err error) {
		wantKind(t, err, send.KindTimeout, true)
	})
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v with a 2s timeout", d)
	}
}

// TestPipelinedAuth: AUTH PLAIN leads the first group (RFC 4954 §4).
// Refused, nothing reaches the server's mailbox, the error is AUTH's as
// Dial's was; accepted, the message goes without an extra round trip.
func TestPipelinedAuth(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{RequireAuth: true})
	o := options(s, send.StartTLS)
	o.PipelineAuth = true
	var tr bytes.Buffer
	o.Verbose = &tr
	m := sendOne(t, s, o)
	if m.Auth != "user" {
		t.Errorf("server saw AUTH %q", m.Auth)
	}
	wantOrder(t, tr.String(), "C: AUTH PLAIN <redacted>", "C: MAIL FROM:<a@example.com>", "C: RCPT TO:<b@example.com>", "S: 235 ", "C: BDAT ")

	// A server that would take mail without AUTH: nothing may reach it
	// once AUTH failed, although MAIL and RCPT were already on their way.
	s = smtptest.Start(t, smtptest.Options{})
	o = options(s, send.StartTLS)
	o.PipelineAuth = true
	o.Password = func() (string, error) { return "wrong", nil }
	c := dial(t, o) // AUTH not sent yet
	_, err := c.Send(envAB, strings.NewReader(msg))
	e := wantKind(t, err, send.KindAuth, false)
	if e.Op != "auth" || e.Code != 535 || !strings.Contains(err.Error(), `authentication as "user" failed`) {
		t.Errorf("Op %q Code %d: %v", e.Op, e.Code, err)
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages delivered after AUTH failed", n)
	}
	if _, err := c.Send(envAB, strings.NewReader(msg)); err == nil {
		t.Errorf("the session went on after AUTH failed")
	}
}

// TestBDATLargeMessage: a message larger than one chunk goes in several
// BDAT chunks, the last with LAST, byte for byte.
func TestBDATLargeMessage(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	var tr bytes.Buffer
	o := options(s, send.StartTLS)
	o.Verbose = &tr
	c := dial(t, o)
	big := strings.Repeat("0123456789 abcdefghijklmnopqrstuvwxyz\r\n", 70000) // 2.7 MB
	if _, err := c.Send(envAB, strings.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	if got := s.WaitMessages(t, 1)[0].Data; string(got) != big {
		t.Errorf("delivered %d bytes, sent %d", len(got), len(big))
	}
	if n := strings.Count(tr.String(), "C: BDAT 1048576\n"); n != 2 || !strings.Contains(tr.String(), " LAST\n") {
		t.Errorf("%d full chunks; transcript:\n%s", n, tr.String())
	}
}

// TestBDATReadError: reading the message fails after a first chunk went
// out; BDAT LAST is never sent, so nothing is delivered.
func TestBDATReadError(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	c := dial(t, options(s, send.StartTLS))
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader(strings.Repeat("x\r\n", 1<<20)), &failingReader{boom})
	if _, err := c.Send(envAB, r); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the read error\n%s", err, s.Transcript())
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages delivered from a failed read", n)
	}
}

func wantOrder(t *testing.T, text string, lines ...string) {
	t.Helper()
	at := 0
	for _, l := range lines {
		i := strings.Index(text[at:], l)
		if i < 0 {
			t.Errorf("%q not found in order in:\n%s", l, text)
			return
		}
		at += i + len(l)
	}
}

// TestWindowBounded: a server that reads on but stops answering gets at
// most window (16) messages ahead of the first missing reply; then the
// client times out, and every message is reported unconfirmed.
func TestWindowBounded(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: func(n int, cmd string) string {
		if n == 5 { // message 1's BDAT LAST
			return "HANG"
		}
		return ""
	}})
	c := fakeClient(t, f, time.Second)
	errs := streamN(t, c, 40)
	wantKind(t, errs[0], send.KindTimeout, true)
	if !strings.Contains(errs[0].Error(), "may have been delivered") {
		t.Errorf("job 1: %v", errs[0])
	}
	for k := 1; k < 16; k++ {
		if errs[k] == nil || errs[k] == errNotTaken {
			t.Errorf("job %d: %v", k+1, errs[k])
		}
	}
	for k := 16; k < 40; k++ {
		if errs[k] != errNotTaken {
			t.Errorf("job %d taken beyond the window: %v", k+1, errs[k])
		}
	}
	bdat := 0
	for _, cmd := range f.Commands() {
		if strings.HasPrefix(cmd, "BDAT") {
			bdat++
		}
	}
	if bdat != 16 {
		t.Errorf("%d messages sent ahead of the first reply, want the window of 16", bdat)
	}
}

// FuzzServerReplies feeds arbitrary server bytes (after the EHLO reply)
// to a pipelined session of three messages. Whatever arrives, Stream
// returns, every job it took is done exactly once and in order (streamN
// checks), a job reported delivered got its final 250, and nothing
// panics. The first byte picks the extensions.
func FuzzServerReplies(f *testing.F) {
	f.Add([]byte("\x03250 ok\r\n250 ok\r\n250 queued\r\n250 reset\r\n250 ok\r\n250 ok\r\n250 queued\r\n"))
	f.Add([]byte("\x01250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n250 ok\r\n250 ok\r\n354 go\r\n250 q\r\n"))
	f.Add([]byte("\x03550 no\r\n503 no\r\n554 no\r\n421 bye\r\n"))
	f.Add([]byte("\x03250-multi\r\n250 line\r\n250 ok\r\n2x0 bad\r\n"))
	f.Add([]byte("\x00250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"))
	f.Add([]byte("\x03250 ok\r\n550 5.1.1 no\r\n554 5.5.1 no rcpt\r\n250 reset\r\n250 ok\r\n250 ok\r\n250 ok\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		var ext []string
		if in[0]&1 != 0 {
			ext = append(ext, "PIPELINING")
		}
		if in[0]&2 != 0 {
			ext = append(ext, "CHUNKING")
		}
		replies := in[1:]
		addr := smtptest.Script(t, func(c net.Conn) {
			r := bufio.NewReader(c)
			io.WriteString(c, "220 fuzz\r\n")
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			io.WriteString(c, "250-fuzz\r\n250 "+strings.Join(append(ext, "8BITMIME"), "\r\n250-")+"\r\n")
			c.Write(replies)
			c.Close()
		})
		o := scriptOptions(t, addr)
		o.TLS, o.Username, o.Password = send.NoTLS, "", nil
		o.Timeout, o.DataTimeout = 2*time.Second, 2*time.Second
		c, err := send.Dial(t.Context(), o)
		if err != nil {
			return
		}
		defer c.Close()
		for k, err := range streamN(t, c, 3) {
			if err == nil && !bytes.Contains(replies, []byte("250")) {
				t.Errorf("job %d delivered without any 250", k)
			}
		}
	})
}

// TestMisbehaving354: a server that refuses MAIL and then answers the
// pipelined DATA with 354 anyway. Whatever is written next would become
// a message, so the connection is dropped at once: nothing delivered,
// and the session says it is gone instead of waiting for replies.
func TestMisbehaving354(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING"}, Reply: func(n int, cmd string) string {
		switch {
		case strings.HasPrefix(cmd, "MAIL"):
			return "550 5.7.1 no"
		case cmd == "DATA":
			return "354 go ahead"
		}
		return ""
	}})
	c := fakeClient(t, f, 2*time.Second)
	_, err := c.Send(envAB, strings.NewReader(msg))
	if e := wantKind(t, err, send.KindReply, false); e.Op != "mail" {
		t.Errorf("Op %q", e.Op)
	}
	start := time.Now()
	_, err = c.Send(envAB, strings.NewReader(msg))
	if err == nil || !strings.Contains(err.Error(), "no longer usable") || time.Since(start) > time.Second {
		t.Errorf("second Send after %v: %v", time.Since(start), err)
	}
	if n := len(f.Messages()); n != 0 {
		t.Errorf("%d delivered", n)
	}
}

// TestIdleClose: the server says 421 and closes while the session is
// idle between transactions (an idle timeout); the next Send fails as a
// temporary error and delivers nothing, never reporting success.
func TestIdleClose(t *testing.T) {
	closed := make(chan struct{})
	addr := smtptest.Script(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		io.WriteString(c, "220 idle\r\n")
		r.ReadString('\n')
		io.WriteString(c, "250-idle\r\n250 PIPELINING\r\n")
		io.WriteString(c, "421 4.4.2 idle timeout\r\n")
		c.Close()
		close(closed)
	})
	o := scriptOptions(t, addr)
	o.TLS, o.Username, o.Password = send.NoTLS, "", nil
	c := dial(t, o)
	<-closed
	// The reader may not have seen the close yet: either way Send fails.
	res, err := c.Send(envAB, strings.NewReader(msg))
	e := wantKind(t, err, asError(t, err).Kind, true)
	if res != nil || e.Kind == send.KindReply && e.Code != 421 {
		t.Errorf("Result %v, error %v", res, err)
	}
}

// TestQuitDoesNotWait: Close sends QUIT and closes without waiting for
// the 221 (issue 13 item 5): a server that never answers QUIT costs
// nothing.
func TestQuitDoesNotWait(t *testing.T) {
	f := smtptest.StartFake(t, smtptest.FakeOptions{Ext: []string{"PIPELINING", "CHUNKING"}, Reply: func(n int, cmd string) string {
		if cmd == "QUIT" {
			return "HANG"
		}
		return ""
	}})
	c := fakeClient(t, f, 5*time.Second)
	if _, err := c.Send(envAB, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	// The QUIT was sent all the same.
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(f.Commands(), "QUIT") {
		if time.Now().After(deadline) {
			t.Fatalf("no QUIT: %q", f.Commands())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
