package pipesmtp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a Deliver that keeps what a real one would commit: only a
// message whose DATA was read to its end.
type recorder struct {
	mu   sync.Mutex
	msgs []delivered
	n    int
}

type delivered struct {
	id   string
	t    Transaction
	data string
}

func (r *recorder) deliver(t *Transaction) Reply {
	b, err := io.ReadAll(t.Data)
	if err != nil {
		return Reply{Code: 451, Text: "read: " + err.Error()}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	id := fmt.Sprintf("ID%04d", r.n)
	r.msgs = append(r.msgs, delivered{id: id, t: *t, data: string(b)})
	return Reply{Code: 250, Enhanced: [3]int{2, 0, 0}, Text: "Ok: queued as " + id}
}

func (r *recorder) all() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivered(nil), r.msgs...)
}

// serve runs a whole session on input and returns what the client read.
// Each part of input between "|" is one write (one read for the server):
// go-smtp's line limit refuses the whole read that holds a long line.
func serve(t *testing.T, input string, o Options) (string, *Result, *recorder) {
	t.Helper()
	rec := &recorder{}
	if o.Deliver == nil {
		o.Deliver = rec.deliver
	}
	var out bytes.Buffer
	pr, pw := io.Pipe()
	defer pr.Close()
	done := make(chan struct{})
	var res *Result
	var err error
	go func() {
		defer close(done)
		res, err = Serve(pr, &out, o)
	}()
	go func() {
		for _, part := range strings.Split(input, "|") {
			if _, err := pw.Write([]byte(part)); err != nil {
				return
			}
		}
		pw.Close()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("session did not end; output so far:\n%s", out.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), res, rec
}

// replies splits the output into one final reply line per entry.
func replies(out string) []string {
	var r []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		l := sc.Text()
		if len(l) >= 4 && l[3] == '-' {
			continue // continuation of a multi-line reply
		}
		r = append(r, l)
	}
	return r
}

func wantReplies(t *testing.T, out string, want ...string) {
	t.Helper()
	got := replies(out)
	if len(got) != len(want) {
		t.Fatalf("got %d replies, want %d:\n%s", len(got), len(want), out)
	}
	for i, w := range want {
		if !regexp.MustCompile("^" + w).MatchString(got[i]) {
			t.Errorf("reply %d = %q, want %q\nwhole output:\n%s", i+1, got[i], w, out)
		}
	}
}

// Symfony Mailer's exact dialogue: HELO, one command at a time, a
// dot-stuffed body, QUIT (research field.md).
func TestSymfonyDialogue(t *testing.T) {
	in := "HELO localhost\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n" +
		"Subject: s\r\n\r\n..leading dot\r\n..\r\nline\r\n.\r\nQUIT\r\n"
	out, res, rec := serve(t, in, Options{Hostname: "web1"})
	wantReplies(t, out, "220 web1 ESMTP", "250 2.0.0 Hello localhost", "250 ", "250 ", "250 ", "354 ",
		`250 2\.0\.0 Ok: queued as ID0001$`, "221 ")
	msgs := rec.all()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.t.From != "app@example.com" || strings.Join(m.t.Rcpts, ",") != "a@example.net,b@example.net" {
		t.Errorf("envelope %q %q", m.t.From, m.t.Rcpts)
	}
	// RFC 5321 §4.5.2: the leading dot is removed; a "." line inside the
	// body (stuffed by the client) is text.
	if m.data != "Subject: s\r\n\r\n.leading dot\r\n.\r\nline\r\n" {
		t.Errorf("data %q", m.data)
	}
	if res.Delivered != 1 || res.Timeout || res.Aborted {
		t.Errorf("result %+v", res)
	}
}

// EHLO advertises what outbox carries on; two transactions in one
// session, bare LF line ends, the ESMTP parameters of MAIL and RCPT.
// Commands may end in a bare LF, and so may message lines, but only
// CRLF.CRLF ends the message (RFC 5321 §4.1.1.4): a bare-LF dot is text,
// else a message could smuggle commands (RFC 5321 §2.3.8).
func TestEHLOTwoTransactions(t *testing.T) {
	in := "EHLO client.example\n" +
		"MAIL FROM:<> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=abc+2Bd\n" +
		"RCPT TO:<x@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x@example.net\n" +
		"DATA\nSubject: one\n\nfirst\n.\nstill text\r\n.\r\n" +
		"MAIL FROM:<me@example.com> SMTPUTF8\nRCPT TO:<ü@example.net>\nDATA\nSubject: two\n\nsecond\r\n.\r\n" +
		"NOOP\nVRFY someone\nRSET\nQUIT\n"
	out, _, rec := serve(t, in, Options{})
	for _, c := range []string{"PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "DSN", "SIZE 67108864"} {
		if !strings.Contains(out, "250-"+c+"\r\n") && !strings.Contains(out, "250 "+c+"\r\n") {
			t.Errorf("EHLO does not offer %s:\n%s", c, out)
		}
	}
	for _, c := range []string{"AUTH", "STARTTLS"} {
		if strings.Contains(out, c) {
			t.Errorf("EHLO offers %s:\n%s", c, out)
		}
	}
	wantReplies(t, out, "220 ", "250 LIMITS", "250 ", "250 ", "354 ", "250 .*queued as ID0001",
		"250 ", "250 ", "354 ", "250 .*queued as ID0002", "250 ", "252 ", "250 ", "221 ")
	msgs := rec.all()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	a, b := msgs[0], msgs[1]
	if a.t.From != "" || a.t.Ret != "HDRS" || a.t.EnvID != "abc+d" || a.t.Body != "8BITMIME" ||
		strings.Join(a.t.Notify, ",") != "FAILURE,DELAY" {
		t.Errorf("first transaction %+v", a.t)
	}
	if a.data != "Subject: one\n\nfirst\n.\nstill text\r\n" {
		t.Errorf("first data %q", a.data)
	}
	if !b.t.UTF8 || b.t.Rcpts[0] != "ü@example.net" || b.t.Notify != nil || b.t.Ret != "" {
		t.Errorf("second transaction %+v", b.t)
	}
}

// Issue 14 point 3: every kind of bad input gets its reply, and nothing
// of a transaction that did not complete reaches Deliver's commit.
func TestBadInputReplies(t *testing.T) {
	long := strings.Repeat("x", 3000)
	cases := []struct {
		name, in string
		o        Options
		want     []string
		n        int // messages delivered
		res      Result
	}{
		{name: "unknown command", in: "HELO a\r\nXYZZ\r\nWIBB now\r\nWIBBLE\r\nQUIT\r\n",
			want: []string{"220 ", "250 ", "500 5.5.2 .*XYZZ.*unrecognized", "500 5.5.2 .*WIBB", "501 5.5.2 Bad command", "221 "}},
		{name: "not implemented", in: "HELO a\r\nHELP\r\nEXPN list\r\nTURN\r\nAUTH PLAIN AGFAYg==\r\nSTARTTLS\r\nQUIT\r\n",
			want: []string{"220 ", "250 ", "502 5.5.1 HELP", "502 5.5.1 EXPN", "502 5.5.1 TURN", "502 5.7.0 Authentication not supported", "502 5.5.1 TLS not supported", "221 "}},
		// RFC 5321 §4.2.4, §4.3.2: a command out of sequence gets 503
		// (go-smtp says 502; replyWriter turns those into 503), outbox's
		// own check (nested MAIL) says 503 too.
		{name: "bad sequence", in: "MAIL FROM:<a@b.c>\r\nAUTH PLAIN AGFAYg==\r\nHELO a\r\nRCPT TO:<a@b.c>\r\nDATA\r\nBDAT 1 LAST\r\nxMAIL FROM:<a@b.c>\r\nMAIL FROM:<d@b.c>\r\nDATA\r\nQUIT\r\n",
			want: []string{"220 ", "503 5.5.1 Please introduce yourself first\\.$", "503 5.5.1 Please introduce yourself", "250 ", "503 5.5.1 Missing MAIL FROM command\\.$", "503 5.5.1 Missing RCPT TO command\\.$", "503 5.5.1 Missing RCPT TO", "250 ", "503 5.5.1 Nested MAIL", "503 5.5.1 Missing RCPT TO", "221 "}},
		// Inside a BDAT transfer (a chunk without LAST), MAIL, RCPT and
		// DATA are out of sequence as well.
		{name: "bad sequence inside BDAT", in: "EHLO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 12\r\nSubject: s\r\nMAIL FROM:<x@y.z>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nBDAT 6 LAST\r\n\r\nhi\r\nQUIT\r\n",
			want: []string{"220 ", "250 ", "250 ", "250 ", "250 2.0.0 Continue", "503 5.5.1 MAIL not allowed during message transfer$", "503 5.5.1 RCPT not allowed during message transfer$", "503 5.5.1 DATA not allowed during message transfer$", "250 .*queued as ID0001", "221 "}, n: 1},
		// RFC 5321 §4.1.1.3 allows only <postmaster> without a domain;
		// go-smtp's parser refuses that one too (README says so).
		{name: "local name without domain", in: "HELO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<root>\r\nRCPT TO:<postmaster>\r\nQUIT\r\n",
			want: []string{"220 ", "250 ", "250 ", "501 5.5.2 Was expecting RCPT arg syntax of TO:<address>$", "501 5.5.2 Was expecting RCPT arg syntax", "221 "}},
		{name: "syntax", in: "HELO\r\nHELO a\r\nMAIL FROM:a@\r\nMAIL TO:<a@b.c>\r\nMAIL FROM:<a@b.c> SIZE=ten\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:\r\nDATA now\r\nQUIT\r\n",
			want: []string{"220 ", "501 ", "250 ", "501 5.5.2 ", "501 5.5.2 ", "501 5.5.4 .*SIZE", "250 ", "501 5.5.2 ", "501 5.5.4 ", "221 "}},
		// "|" splits the input into separate writes (see serve).
		{name: "command line too long", in: "HELO a\r\n|NOOP " + long + "\r\nQUIT\r\n", o: Options{MaxLineLength: 2000},
			want: []string{"220 ", "250 ", "500 5.4.0 Too long line"}},
		{name: "message line too long", in: "HELO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n|Subject: s\r\n\r\n" + long + "\r\n.\r\nQUIT\r\n", o: Options{MaxLineLength: 2000},
			want: []string{"220 ", "250 ", "250 ", "250 ", "354 ", "500 5.5.6 Line too long.*message discarded", "500 5.4.0 Too long line"}},
		{name: "over SIZE at MAIL", in: "EHLO a\r\nMAIL FROM:<a@b.c> SIZE=1001\r\nQUIT\r\n", o: Options{MaxMessageBytes: 1000},
			want: []string{"220 ", "250 ", "552 5.3.4 ", "221 "}},
		{name: "over SIZE in DATA", in: "HELO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: s\r\n\r\n" + strings.Repeat("0123456789\r\n", 100) + ".\r\nNOOP\r\nQUIT\r\n", o: Options{MaxMessageBytes: 1000},
			want: []string{"220 ", "250 ", "250 ", "250 ", "354 ", "552 5.3.4 ", "250 ", "221 "}},
		{name: "EOF inside DATA keeps the earlier message", in: "HELO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: 1\r\n\r\none\r\n.\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: 2\r\n\r\ncut off",
			want: []string{"220 ", "250 ", "250 ", "250 ", "354 ", "250 .*ID0001", "250 ", "250 ", "354 ", "451 4.3.0 Input ended inside DATA"}, n: 1, res: Result{Delivered: 1, Aborted: true}},
		{name: "EOF between commands", in: "HELO a\r\nMAIL FROM:<a@b.c>\r\n",
			want: []string{"220 ", "250 ", "250 "}},
		{name: "too many errors", in: "HELO a\r\nX\r\nX\r\nX\r\nX\r\nNOOP\r\n",
			want: []string{"220 ", "250 ", "501 ", "501 ", "501 ", "501 ", "500 5.5.1 Too many errors"}},
		{name: "rcpt refused by the caller", in: "HELO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bad@b.c>\r\nRCPT TO:<good@b.c>\r\nDATA\r\nQUIT\r\n",
			o:    Options{Rcpt: func(a string) error { return fmt.Errorf("no %s", strings.Split(a, "@")[0]) }},
			want: []string{"220 ", "250 ", "250 ", "553 5.1.3 no bad", "553 5.1.3 no good", "503 5.5.1 Missing RCPT", "221 "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, res, rec := serve(t, c.in, c.o)
			wantReplies(t, out, c.want...)
			if got := len(rec.all()); got != c.n {
				t.Errorf("%d messages delivered, want %d", got, c.n)
			}
			if c.res.Delivered != 0 || c.res.Aborted {
				if *res != c.res {
					t.Errorf("result %+v, want %+v", *res, c.res)
				}
			}
		})
	}
}

// A client that sends nothing gets 421 after the timeout, and the
// session ends: also inside DATA, where the partial message is dropped.
func TestTimeout(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"between commands", "HELO a\r\n", "421 4.4.2 "},
		{"inside DATA", "HELO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: half\r\n", "421 4.4.2 Timeout waiting for message data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			go pw.Write([]byte(c.in))
			var out bytes.Buffer
			rec := &recorder{}
			done := make(chan struct{})
			var res *Result
			go func() {
				defer close(done)
				res, _ = Serve(pr, &out, Options{Timeout: 200 * time.Millisecond, Deliver: rec.deliver})
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("no timeout")
			}
			r := replies(out.String())
			if last := r[len(r)-1]; !strings.HasPrefix(last, c.want) {
				t.Fatalf("last reply %q, want %q\n%s", last, c.want, out.String())
			}
			if !res.Timeout || len(rec.all()) != 0 {
				t.Errorf("result %+v, %d delivered", res, len(rec.all()))
			}
		})
	}
}

// Inside DATA the timeout is an idle timeout: a message that keeps
// coming, slowly, is not cut off.
func TestSlowDataIsNotCutOff(t *testing.T) {
	pr, pw := io.Pipe()
	var out bytes.Buffer
	rec := &recorder{}
	done := make(chan *Result)
	go func() {
		res, _ := Serve(pr, &out, Options{Timeout: 300 * time.Millisecond, Deliver: rec.deliver})
		done <- res
	}()
	pw.Write([]byte("HELO a\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: slow\r\n\r\n"))
	for i := 0; i < 6; i++ { // 6 × 100ms: twice the timeout in all
		time.Sleep(100 * time.Millisecond) // the client's pace, not a wait for the server
		fmt.Fprintf(pw, "line %d\r\n", i)
	}
	pw.Write([]byte(".\r\nQUIT\r\n"))
	res := <-done
	pw.Close()
	if res.Timeout || len(rec.all()) != 1 {
		t.Fatalf("result %+v, %d delivered\n%s", res, len(rec.all()), out.String())
	}
}
