package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// Issue 13: interop with a real Postfix from Debian's packages — the
// server most smarthosts and company relays run, with PIPELINING and
// CHUNKING on by default. outbox talks to a private Postfix (STARTTLS,
// Cyrus SASL), which relays everything to an in-process capture server;
// the test compares what arrives there with what was sent, byte for byte
// (SHA-256) and envelope by envelope.
func TestPostfixInterop(t *testing.T) {
	if why := smtptest.PostfixAvailable(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; test.sh installs postfix and sasl2-bin, so under CI this must run", why)
		}
		t.Skip(why)
	}
	const user, pw = "outbox@outbox.test", "Pf-interop-pw"
	capture := smtptest.Start(t, smtptest.Options{Mode: "none", EnableSMTPUTF8: true})
	pf := smtptest.StartPostfix(t, smtptest.PostfixOptions{
		Relay:  capture.Addr,
		Users:  map[string]string{user: pw},
		Refuse: []string{"refused@example.net"},
	})
	pfAddr := net.JoinHostPort(pf.Host, strconv.Itoa(pf.Port))
	e := newSecEnv(t)
	account := []string{fmt.Sprintf("username = %q", user), fmt.Sprintf("tls_ca_file = %q", pf.Cert.CAFile)}
	e.config(pfAddr, "starttls", account...)
	t.Setenv("OUTBOX_PASSWORD", pw)

	seen := 0 // capture messages already checked
	arrived := func(t *testing.T, n int) []smtptest.Message {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for len(capture.Messages()) < seen+n {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d messages arrived through Postfix; its log:\n%s", len(capture.Messages())-seen, n, tail(pf.Log(), 40))
			}
			time.Sleep(20 * time.Millisecond)
		}
		msgs := capture.Messages()[seen:]
		seen += n
		return msgs
	}

	t.Cleanup(func() {
		// Postfix's smtpd names clients that pipeline where RFC 2920
		// does not allow it.
		if log := pf.Log(); strings.Contains(log, "improper command pipelining") {
			t.Errorf("Postfix saw improper pipelining:\n%s", tail(log, 40))
		}
	})

	t.Run("single send, AUTH PLAIN pipelined, BDAT", func(t *testing.T) {
		msg := "From: Sender <sender@example.com>\r\nTo: one@example.net\r\nSubject: single\r\n" +
			"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <single@example.com>\r\n\r\nHello through Postfix.\r\n"
		code, _, stderr := e.run(strings.NewReader(msg), "sendmail", "-v", "-t", "-i")
		if code != 0 {
			t.Fatalf("exit %d:\n%s\n%s", code, stderr, tail(pf.Log(), 20))
		}
		// On the wire: AUTH leads the first group, MAIL and RCPT follow
		// before its 235 (RFC 4954 §4), and the message goes as BDAT
		// (RFC 3030) after the replies.
		wantOrder(t, stderr, "C: AUTH PLAIN <redacted>", "C: MAIL FROM:<sender@example.com>", "C: RCPT TO:<one@example.net>", "S: 235 ", "C: BDAT ")
		if strings.Contains(stderr, "C: DATA") {
			t.Errorf("DATA used although Postfix offers CHUNKING:\n%s", stderr)
		}
		m := arrived(t, 1)[0]
		sameMessage(t, m, msg, "sender@example.com", "one@example.net")
	})

	t.Run("BDAT with an 8-bit body", func(t *testing.T) {
		msg := "From: Sender <sender@example.com>\r\nTo: utf8@example.net\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n" +
			"Date: Mon, 30 Nov 2026 09:00:01 +0000\r\nMessage-ID: <eightbit@example.com>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			"Grüße aus Köln — ½ € ✓\r\n.\r\n..leading dots stay as they are\r\n\xc3\xa9t\xc3\xa9\r\n"
		code, _, stderr := e.run(strings.NewReader(msg), "sendmail", "-v", "-t", "-i")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "BODY=8BITMIME") || !strings.Contains(stderr, "C: BDAT ") {
			t.Errorf("want MAIL with BODY=8BITMIME and BDAT:\n%s", stderr)
		}
		m := arrived(t, 1)[0]
		sameMessage(t, m, msg, "sender@example.com", "utf8@example.net")
	})

	t.Run("a refused recipient inside the group", func(t *testing.T) {
		code, _, stderr := e.run(nil, "outbox", "send", "-v", "--to", "first@example.net", "--to", "refused@example.net",
			"--to", "last@example.net", "-s", "partial", "-m", "two of three")
		// As without pipelining: the others get it, 67, the refused
		// recipient kept in failed/.
		if code != 67 || !strings.Contains(stderr, "refused@example.net") || !strings.Contains(stderr, "550 5.1.1") {
			t.Fatalf("exit %d, want 67:\n%s", code, stderr)
		}
		wantOrder(t, stderr, "C: RCPT TO:<first@example.net>", "C: RCPT TO:<refused@example.net>", "C: RCPT TO:<last@example.net>", "S: 250 ", "C: BDAT ")
		m := arrived(t, 1)[0]
		if m.From != "sender@example.com" || strings.Join(m.To, ",") != "first@example.net,last@example.net" {
			t.Errorf("envelope %q → %q", m.From, m.To)
		}
		if len(e.queued("failed")) != 1 || len(e.queued("new")) != 0 {
			t.Errorf("queue: failed/ %v new/ %v", e.queued("failed"), e.queued("new"))
		}
		os.RemoveAll(e.queue)
	})

	t.Run("pipelined flush of 200", func(t *testing.T) {
		// Queue 200 messages while the smarthost is unreachable ...
		e.config(fmt.Sprintf("127.0.0.1:%d", closedPort(t)), "starttls", account...)
		want := map[string][32]byte{}
		for i := range 200 {
			body := fmt.Sprintf("message %03d of the flush\n%s\n", i, strings.Repeat("x", i))
			code, _, stderr := e.run(nil, "outbox", "send", "--to", fmt.Sprintf("r%03d@example.net", i), "-s", fmt.Sprintf("flush %03d", i), "-m", body)
			if code != 0 || !strings.Contains(stderr, "queued") {
				t.Fatalf("message %d: exit %d:\n%s", i, code, stderr)
			}
		}
		if n := len(e.queued("new")); n != 200 {
			t.Fatalf("%d messages queued, want 200", n)
		}
		for _, f := range e.queued("new") {
			b, _ := os.ReadFile(f)
			want[rcptOf(b)] = sha256.Sum256(b)
		}
		// ... then flush them over one connection to Postfix.
		before := strings.Count(pf.Log(), ": connect from")
		e.config(pfAddr, "starttls", account...)
		code, _, stderr := e.run(nil, "outbox", "queue", "flush")
		if code != 0 {
			t.Fatalf("flush: exit %d:\n%s", code, stderr)
		}
		if n := len(e.queued("new")) + len(e.queued("failed")); n != 0 {
			t.Fatalf("%d messages left in the queue after the flush: new/ %v failed/ %v\n%s", n, e.queued("new"), e.queued("failed"), stderr)
		}
		if n := strings.Count(pf.Log(), ": connect from") - before; n != 1 {
			t.Errorf("%d connections to Postfix for the flush, want 1", n)
		}
		// Postfix sums up each session's commands, e.g. "ehlo=2
		// starttls=1 auth=1 mail=200 rcpt=200 bdat=200 rset=199 quit=1".
		lines := strings.Split(strings.TrimSpace(pf.Log()), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			if strings.Contains(lines[i], "disconnect from") {
				t.Log(lines[i])
				break
			}
		}
		got := map[string]int{}
		for _, m := range arrived(t, 200) {
			if len(m.To) != 1 {
				t.Fatalf("envelope to %q", m.To)
			}
			got[m.To[0]]++
			data := stripReceived(m.Data)
			if sha256.Sum256(data) != want[m.To[0]] {
				t.Errorf("%s: delivered bytes differ from the queued message", m.To[0])
			}
		}
		for r := range want {
			if got[r] != 1 {
				t.Errorf("%s delivered %d times", r, got[r])
			}
		}
	})
}

// sameMessage checks envelope and bytes: what Postfix relays is the
// message as sent, CRLF, with its own Received header on top.
func sameMessage(t *testing.T, m smtptest.Message, sent, from, to string) {
	t.Helper()
	if m.From != from || len(m.To) != 1 || m.To[0] != to {
		t.Errorf("envelope %q → %q, want %q → %q", m.From, m.To, from, to)
	}
	got, want := sha256.Sum256(stripReceived(m.Data)), sha256.Sum256([]byte(sent))
	if got != want {
		t.Errorf("delivered SHA-256 %x, sent %x\ndelivered:\n%q\nsent:\n%q", got, want, stripReceived(m.Data), sent)
	}
}

// stripReceived removes the Received header fields Postfix prepends.
func stripReceived(b []byte) []byte {
	for bytes.HasPrefix(b, []byte("Received:")) {
		i := bytes.Index(b, []byte("\r\n"))
		for i >= 0 && i+2 < len(b) && (b[i+2] == ' ' || b[i+2] == '\t') {
			j := bytes.Index(b[i+2:], []byte("\r\n"))
			if j < 0 {
				return b
			}
			i += 2 + j
		}
		if i < 0 {
			return b
		}
		b = b[i+2:]
	}
	return b
}

var toHeader = regexp.MustCompile(`(?m)^To: (\S+)\r?$`)

func rcptOf(msg []byte) string {
	if m := toHeader.FindSubmatch(msg); m != nil {
		return strings.Trim(string(m[1]), "<>")
	}
	return ""
}

// wantOrder asserts that the lines appear in text in this order.
func wantOrder(t *testing.T, text string, lines ...string) {
	t.Helper()
	at := 0
	for _, l := range lines {
		i := strings.Index(text[at:], l)
		if i < 0 {
			t.Errorf("%q not found after position %d in:\n%s", l, at, text)
			return
		}
		at += i + len(l)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
