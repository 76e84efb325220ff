package main

// Issue 14 item 7: a line over 998 octets (RFC 5322 §2.1.1, RFC 5321
// §4.5.3.1.6) on every sendmail path. The server is smtptest's go-smtp
// at its default line limit, which refuses such a message with "554 …
// too long a line" — what a strict smarthost does. The message must be
// delivered, with no line over 998 octets, and decode to the text that
// was piped in.

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/outboxmail/outbox/internal/smtptest"
)

// minified is one line of JSON as a cron job prints it: 2,500 octets.
var minified = "[" + strings.Repeat(`{"host":"web1","disk":"/var","used":91,"ok":false},`, 50)[:2498] + "]"

// longestLine is the length of the longest line of b, without its CRLF.
func longestLine(b []byte) int {
	n := 0
	for _, l := range bytes.Split(b, []byte("\r\n")) {
		n = max(n, len(l))
	}
	return n
}

// readerText decodes a delivered message the way a mail reader does:
// the text of each leaf part, in order (quoted-printable and base64
// decoded), and the message header.
func readerText(t *testing.T, data []byte) (mail.Header, []string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("delivered message unreadable: %v", err)
	}
	return m.Header, leafTexts(t, m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
}

func leafTexts(t *testing.T, ctype, cte string, body io.Reader) []string {
	t.Helper()
	if mt, params, err := mime.ParseMediaType(ctype); err == nil && strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		var out []string
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatalf("delivered multipart unreadable: %v", err)
			}
			out = append(out, leafTexts(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)...)
		}
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		raw, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		b, err := decodeBase64(raw)
		if err != nil {
			t.Fatalf("base64: %v", err)
		}
		return []string{string(b)}
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("decoding the delivered text: %v", err)
	}
	return []string{string(b)}
}

// crlfText is text as it arrives: line ends CRLF.
func crlfText(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func TestSendmailLongLines(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: "none"}) // go-smtp's default line limit

	for _, c := range []struct {
		name  string
		args  []string
		stdin string
		want  []string // the decoded text of each part
		check func(t *testing.T, h mail.Header, data []byte)
	}{
		{
			name:  "cron: sendmail -t -i",
			args:  []string{"sendmail", "-t", "-i"},
			stdin: "To: ops@example.net\nSubject: nightly export\n\n" + minified + "\nexit 0\n",
			want:  []string{crlfText(minified + "\nexit 0\n")},
			check: func(t *testing.T, h mail.Header, data []byte) {
				if h.Get("Content-Transfer-Encoding") != "quoted-printable" || h.Get("Mime-Version") != "1.0" {
					t.Errorf("header: %q", data[:bytes.Index(data, []byte("\r\n\r\n"))])
				}
			},
		},
		{
			name:  "recipients as arguments",
			args:  []string{"sendmail", "-i", "ops@example.net"},
			stdin: "Subject: log\n\n" + strings.Repeat("GET /index.html 200 ", 150) + "\n",
			want:  []string{crlfText(strings.Repeat("GET /index.html 200 ", 150) + "\n")},
		},
		{
			name: "multipart: only the part with the long line is re-encoded",
			args: []string{"sendmail", "-t", "-i"},
			stdin: "To: ops@example.net\nSubject: report\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"sep\"\n\n--sep\n" +
				"Content-Type: text/plain; charset=utf-8\n\nSee the attachment.\n--sep\nContent-Type: application/json\n" +
				"Content-Disposition: attachment; filename=\"r.json\"\n\n" + minified + "\n--sep--\n",
			want: []string{"See the attachment.", minified},
			check: func(t *testing.T, h mail.Header, data []byte) {
				if !bytes.Contains(data, []byte("\r\n--sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attachment.\r\n--sep\r\n")) {
					t.Errorf("the short part was changed:\n%s", data)
				}
				if !bytes.Contains(data, []byte("filename=\"r.json\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")) {
					t.Errorf("the long part is not quoted-printable:\n%.2000s", data)
				}
			},
		},
		{
			name:  "a long header line is folded",
			args:  []string{"sendmail", "-t", "-i"},
			stdin: "To: ops@example.net\nSubject: " + strings.TrimSpace(strings.Repeat("disk full on web1 ", 70)) + "\nX-Trace: " + strings.Repeat("hop; ", 300) + "end\n\nbody\n",
			want:  []string{"body\r\n"},
			check: func(t *testing.T, h mail.Header, data []byte) {
				// A reader unfolds it (RFC 5322 §2.2.3) to the same text.
				if got, want := h.Get("Subject"), strings.TrimSpace(strings.Repeat("disk full on web1 ", 70)); got != want {
					t.Errorf("Subject unfolds to %q…", got[:min(len(got), 80)])
				}
				if got := h.Get("X-Trace"); got != strings.Repeat("hop; ", 300)+"end" {
					t.Errorf("X-Trace unfolds to %q…", got[:min(len(got), 80)])
				}
				if h.Get("Content-Transfer-Encoding") != "" {
					t.Errorf("a short body was re-encoded")
				}
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := sendmailEnv(t, srv.Port, "")
			before := len(srv.Messages())
			var stdout, stderr bytes.Buffer
			if code := run(c.args, strings.NewReader(c.stdin), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr: %q", stderr.String())
			}
			msgs := srv.Messages()[before:]
			if len(msgs) != 1 {
				t.Fatalf("%d messages delivered, want 1", len(msgs))
			}
			data := msgs[0].Data
			if n := longestLine(data); n > 998 {
				t.Errorf("a line of %d octets was sent", n)
			}
			if err := crlfOnly(data); err != nil {
				t.Error(err)
			}
			h, texts := readerText(t, data)
			if len(texts) != len(c.want) {
				t.Fatalf("%d parts delivered, want %d", len(texts), len(c.want))
			}
			for i := range texts {
				if texts[i] != c.want[i] {
					t.Errorf("part %d decodes to %.120q…, want %.120q…", i, texts[i], c.want[i])
				}
			}
			if c.check != nil {
				c.check(t, h, data)
			}
			for _, sub := range []string{"new", "tmp", "failed"} {
				if ents, _ := os.ReadDir(filepath.Join(dir, "queue", sub)); len(ents) > 0 {
					t.Errorf("queue/%s holds %d files after the send", sub, len(ents))
				}
			}
		})
	}
}

// A header line with no white space to fold it at within 998 octets is
// refused before anything is queued or sent (exit 65, the field named):
// folding elsewhere would change the field, cutting it would lose data.
// A Subject is text for people: it goes out as RFC 2047 encoded-words.
func TestSendmailUnfoldableHeader(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: "none"})
	dir := sendmailEnv(t, srv.Port, "")
	var stdout, stderr bytes.Buffer
	subject := strings.Repeat("/var/log/app/", 100) // 1,300 octets, no space
	if code := run([]string{"sendmail", "-t", "-i"}, strings.NewReader("To: ops@example.net\nSubject: "+subject+"\n\nbody\n"), &stdout, &stderr); code != 0 {
		t.Fatalf("long Subject: exit %d; stderr %s", code, stderr.String())
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || longestLine(msgs[0].Data) > 998 {
		t.Fatalf("%d messages", len(msgs))
	}
	h, _ := readerText(t, msgs[0].Data)
	if got, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || got != subject {
		t.Errorf("Subject decodes to %.60q… (%v)", got, err)
	}

	in := "To: ops@example.net\nX-Token: " + strings.Repeat("abcd", 300) + "\n\nbody\n"
	if code := run([]string{"sendmail", "-t", "-i"}, strings.NewReader(in), &stdout, &stderr); code != 65 {
		t.Fatalf("exit %d, want 65; stderr %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "X-Token") || !strings.Contains(stderr.String(), "998") {
		t.Errorf("stderr %q does not name the field and the limit", stderr.String())
	}
	if len(srv.Messages()) != 1 {
		t.Errorf("a message was sent")
	}
	for _, sub := range []string{"new", "tmp", "failed"} {
		if ents, _ := os.ReadDir(filepath.Join(dir, "queue", sub)); len(ents) > 0 {
			t.Errorf("queue/%s holds %d files", sub, len(ents))
		}
	}
}

// The test server really refuses what outbox used to send: the long line
// passed on as is gets "554 … too long a line". (Without this, the test
// above would prove nothing.)
func TestSmtptestRefusesLongLines(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: "none"})
	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.net", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "Subject: x\r\n\r\n"+minified+"\r\n")
	err = w.Close()
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 554 || !strings.Contains(se.Message, "too long a line") {
		t.Fatalf("DATA with a %d-octet line: %v, want 554 too long a line", len(minified), err)
	}
}

// 8-bit and long lines, to a server without 8BITMIME: the re-encoding
// makes the part 7-bit, so the message goes out with no 7-bit downgrade
// needed — also a multipart one, which the downgrade can't convert.
func TestSendmailLongLines8BitNo8BitMIME(t *testing.T) {
	srv := startPlainSMTP(t)
	_, portStr, _ := net.SplitHostPort(srv.addr)
	port, _ := strconv.Atoi(portStr)
	sendmailEnv(t, port, "")
	text := strings.Repeat("Sauvegarde terminée sans erreur; ", 80) // 2,720 octets, UTF-8
	for i, c := range []struct{ name, stdin, want string }{
		{"single part", "Subject: cron\n\n" + text + "\n", crlfText(text + "\n")},
		{"multipart", "Subject: cron\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" +
			text + "\n--b--\n", text},
	} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"sendmail", "-i", "root"}, strings.NewReader(c.stdin), &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d; stderr %s", c.name, code, stderr.String())
		}
		msgs := srv.messages()
		if len(msgs) != i+1 {
			t.Fatalf("%s: %d messages on the server, want %d", c.name, len(msgs), i+1)
		}
		// plainSMTP keeps the wire bytes: undo the dot-stuffing.
		data := bytes.ReplaceAll(msgs[i], []byte("\r\n.."), []byte("\r\n."))
		for j, b := range data {
			if b >= 0x80 {
				t.Fatalf("%s: 8-bit byte at %d", c.name, j)
			}
		}
		if n := longestLine(data); n > 998 {
			t.Errorf("%s: a line of %d octets", c.name, n)
		}
		_, texts := readerText(t, data)
		if len(texts) != 1 || texts[0] != c.want {
			t.Errorf("%s: decodes to %.200q", c.name, texts)
		}
	}

	// 8-bit text in another, short part stays 8-bit: a multipart message
	// is not converted to 7-bit (README "8-bit mail"), so it is refused
	// clearly and kept, as without long lines.
	var stdout, stderr bytes.Buffer
	in := "Subject: cron\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nterminée\n--b\n\n" + minified + "\n--b--\n"
	if code := run([]string{"sendmail", "-i", "root"}, strings.NewReader(in), &stdout, &stderr); code != 69 {
		t.Fatalf("8-bit short part: exit %d, want 69; stderr %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "does not offer 8BITMIME") || !strings.Contains(stderr.String(), "failed queue") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// System mode (SPEC §7): the caller's drop file can't be rewritten in the
// maildrop, so root's pickup, which spools it again through the same
// reader, re-encodes it.
func TestMultiUserLongLines(t *testing.T) {
	m := newMuEnv(t)
	m.user("outboxtest1", "To: root\nSubject: export\n\n"+minified+"\n", "sendmail", "-t", "-i")
	if n := len(m.dropped()); n != 1 {
		t.Fatalf("maildrop holds %d files", n)
	}
	m.root("", "queue", "flush")
	got := m.delivered("ops@example.com")
	if len(got) != 1 {
		t.Fatalf("%d messages delivered to root's alias", len(got))
	}
	if n := longestLine(got[0].Data); n > 998 {
		t.Errorf("a line of %d octets", n)
	}
	if _, texts := readerText(t, got[0].Data); len(texts) != 1 || texts[0] != minified+"\r\n" {
		t.Errorf("decodes to %.200q", texts)
	}
}

// The -bs path (Symfony, Laravel) takes the same rewrite: a 2,500-octet
// line in DATA reaches the strict smarthost re-encoded, not refused.
func TestSendmailBSLongLines(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: "none"}) // go-smtp's default line limit
	e := newBSEnv(t, srv)
	out, errs, code := e.dialogue("HELO app\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<ops@example.net>\r\nDATA\r\n" +
		"To: ops@example.net\r\nSubject: export\r\n\r\n" + minified + "\r\n.\r\nQUIT\r\n")
	if code != 0 || len(queueIDs(out)) != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages delivered, want 1\n%s", len(msgs), out)
	}
	if n := longestLine(msgs[0].Data); n > 998 {
		t.Errorf("a line of %d octets was sent", n)
	}
	if _, texts := readerText(t, msgs[0].Data); len(texts) != 1 || texts[0] != minified+"\r\n" {
		t.Errorf("delivered text decodes to %.120q…", texts)
	}
	if q := e.queued("failed"); len(q) > 0 {
		t.Errorf("failed/ holds %v", q)
	}
}
