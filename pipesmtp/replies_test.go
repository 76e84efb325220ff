package pipesmtp

import (
	"bytes"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	repliesIn = "250-Hello a\r\n250 SIZE 10\r\n502 5.5.1 Missing MAIL FROM command.\r\n" +
		"502 5.5.1 HELP command not implemented\r\n502 5.5.1 TLS not supported\r\n" +
		"502 5.5.1 Missing RCPT TO command. (not go-smtp's)\r\n502 5.5.1 Missing RCPT TO command.\r\n354 Go ahead\r\n"
	repliesWant = "250-Hello a\r\n250 SIZE 10\r\n503 5.5.1 Missing MAIL FROM command.\r\n" +
		"502 5.5.1 HELP command not implemented\r\n502 5.5.1 TLS not supported\r\n" +
		"502 5.5.1 Missing RCPT TO command. (not go-smtp's)\r\n503 5.5.1 Missing RCPT TO command.\r\n354 Go ahead\r\n"
)

// Only go-smtp's sequence replies become 503, however the replies are cut
// into writes: several lines in one, a line over several.
func TestReplyWriterAnySplit(t *testing.T) {
	for i := 0; i <= len(repliesIn); i++ {
		for j := i; j <= len(repliesIn); j += 7 {
			var out bytes.Buffer
			w := &replyWriter{out: &out}
			for _, part := range []string{repliesIn[:i], repliesIn[i:j], repliesIn[j:]} {
				if n, err := w.Write([]byte(part)); n != len(part) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", part, n, err)
				}
			}
			if out.String() != repliesWant {
				t.Fatalf("writes cut at %d and %d:\n%s\nwant:\n%s", i, j, out.String(), repliesWant)
			}
		}
	}
}

// A partial line goes out at once unless it may still become a sequence
// reply; one held back goes out as it is when the session closes.
func TestReplyWriterHoldsOnlyWhatItMust(t *testing.T) {
	var out bytes.Buffer
	w := &replyWriter{out: &out}
	step := func(write, want string) {
		t.Helper()
		w.Write([]byte(write))
		if out.String() != want {
			t.Fatalf("after Write(%q): client has %q, want %q", write, out.String(), want)
		}
	}
	step("250 2.0.0 Rog", "250 2.0.0 Rog")
	step("er\r\n502 5.5.1 Miss", "250 2.0.0 Roger\r\n")
	step("ing MAIL FROM command.\r", "250 2.0.0 Roger\r\n")
	step("\n", "250 2.0.0 Roger\r\n503 5.5.1 Missing MAIL FROM command.\r\n")
	step("502 5.5.1 Missing MAIL FROM command.x", "250 2.0.0 Roger\r\n503 5.5.1 Missing MAIL FROM command.\r\n502 5.5.1 Missing MAIL FROM command.x")
	step("\r\n502 5.5", "250 2.0.0 Roger\r\n503 5.5.1 Missing MAIL FROM command.\r\n502 5.5.1 Missing MAIL FROM command.x\r\n")
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "x\r\n502 5.5") {
		t.Fatalf("flush: %q", out.String())
	}
}

// brokenPipe is a client that stops reading: writes fail with EPIPE once
// a reply starting with prefix comes.
type brokenPipe struct {
	prefix string
	broken bool
	out    bytes.Buffer
}

func (b *brokenPipe) Write(p []byte) (int, error) {
	if b.broken || bytes.HasPrefix(p, []byte(b.prefix)) {
		b.broken = true
		return 0, syscall.EPIPE
	}
	return b.out.Write(p)
}

// A client that closes its end of the pipe ends the session at the first
// reply that can't be written, even though its input stays open; the
// message whose 250 was lost is kept and counted. A 221 that can't be
// written after QUIT is no loss.
func TestClientStopsReading(t *testing.T) {
	for _, c := range []struct {
		name, in, breakAt string
		delivered         int
		gone              bool
	}{
		{"before the 250 of a message", "HELO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: s\r\n\r\nx\r\n.\r\n", "250 2.0.0 Ok: queued", 1, true},
		{"before the 221 to QUIT", "HELO a\r\nQUIT\r\n", "221 ", 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			go pw.Write([]byte(c.in)) // and the input stays open
			rec := &recorder{}
			out := &brokenPipe{prefix: c.breakAt}
			done := make(chan *Result, 1)
			go func() {
				res, err := Serve(pr, out, Options{Deliver: rec.deliver, Timeout: time.Minute})
				if err != nil {
					t.Error(err)
				}
				done <- res
			}()
			var res *Result
			select {
			case res = <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("the session goes on after a failed write; client got:\n%s", out.out.String())
			}
			if res.Delivered != c.delivered || len(rec.all()) != c.delivered || res.ClientGone != c.gone || res.Timeout {
				t.Errorf("result %+v, %d kept", *res, len(rec.all()))
			}
		})
	}
}
