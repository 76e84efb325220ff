package mime

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	gomime "mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

// Tests added for issue 17's mutation run: each pins a boundary that
// gremlins showed no other test of this package sees.

// Bare local names made of the edge characters of each atext range
// (a z A Z 0 9) are qualified in the header; a name with a character just
// outside them ("[" after Z, ":" after 9, "@" before A) is not a bare name
// and is left as written.
func TestMutationQualifyAtextEdges(t *testing.T) {
	in := "To: a, z, A, Z, 0, 9, aZ09\nCc: x[y\n\nbody\n"
	o := stdinOpts(false, true)
	o.Domain = "example.com"
	var out bytes.Buffer
	if _, err := ReadStdin(&out, strings.NewReader(in), o); err != nil {
		t.Fatal(err)
	}
	want := "To: a@example.com, z@example.com, A@example.com, Z@example.com, 0@example.com, 9@example.com, aZ09@example.com\r\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("got\n%q\nwant a line\n%q", out.String(), want)
	}
	if !strings.Contains(out.String(), "Cc: x[y\r\n") {
		t.Errorf("x[y changed: %q", out.String())
	}
}

// RFC 5321 §4.5.3.1.3: a path holds at most 256 octets, so an address of
// 254 is accepted and one of 255 is refused, naming the limit.
func TestMutationAddressLengthLimit(t *testing.T) {
	local := strings.Repeat("a", 64)
	addr := func(n int) string {
		d := strings.Repeat("d", n-len(local)-1-4)
		return local + "@" + d + ".com"
	}
	if got, err := ParseAddressList(addr(254)); err != nil || len(got) != 1 || got[0].Address != addr(254) {
		t.Fatalf("254 octets: %v, %v", got, err)
	}
	_, err := ParseAddressList(addr(255))
	var e *Error
	if !errors.As(err, &e) || e.Field != "address" || !strings.Contains(e.Msg, "254 octets") {
		t.Fatalf("255 octets: %v", err)
	}
}

// Display names: up to nameMax (200) octets of printable ASCII or tab are
// written as a quoted-string; 201 octets, or a DEL byte, become RFC 2047
// encoded-words. Either way a reader gets the name back.
func TestMutationDisplayNameForm(t *testing.T) {
	for _, c := range []struct {
		name    string
		encoded bool
	}{
		{strings.Repeat("x", 200), false},
		{strings.Repeat("x", 201), true},
		{"a\tb ~", false},
		{"a\x7fb", true},
	} {
		m := composeFixed()
		m.To = []*mail.Address{{Name: c.name, Address: "ops@example.com"}}
		m.Text = "hi\n"
		var out bytes.Buffer
		if _, err := m.WriteTo(&out); err != nil {
			t.Fatalf("%q: %v", c.name, err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		raw := msg.Header.Get("To")
		if got := strings.Contains(raw, "=?"); got != c.encoded {
			t.Errorf("%q: encoded-words %v, want %v: %q", c.name, got, c.encoded, raw)
		}
		list, err := msg.Header.AddressList("To")
		if err != nil || len(list) != 1 || list[0].Name != c.name {
			t.Errorf("%q: reader sees %v, %v", c.name, list, err)
		}
	}
}

// RFC 5322 §3.6: two Message-ID fields given with -H are refused, naming
// the field; two of any other extra field are written as given.
func TestMutationHeaderOnce(t *testing.T) {
	m := composeFixed()
	m.Text = "hi\n"
	m.Headers = []Field{{"X-Tag", "a"}, {"X-Tag", "b"}}
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatalf("two X-Tag: %v", err)
	}
	if !strings.Contains(out.String(), "X-Tag: a\r\nX-Tag: b\r\n") {
		t.Errorf("X-Tag fields: %q", out.String())
	}
	m.Headers = []Field{{"Message-ID", "<a@example.com>"}, {"message-id", "<b@example.com>"}}
	_, err := m.WriteTo(io.Discard)
	var e *Error
	if !errors.As(err, &e) || e.Value != "message-id" || !strings.Contains(e.Msg, "more than once") {
		t.Fatalf("two Message-ID: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// A small message is written only when WriteTo flushes its buffer: the
// writer's error must still reach the caller.
func TestMutationWriteToFlushError(t *testing.T) {
	m := composeFixed()
	m.Text = "hi\n"
	if _, err := m.WriteTo(failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("WriteTo to a failing writer: %v", err)
	}
}

// composeBody composes m and returns its Content-Transfer-Encoding and the
// body bytes as sent.
func composeBody(t *testing.T, m *Compose) (cte, body string) {
	t.Helper()
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(msg.Body)
	return msg.Header.Get("Content-Transfer-Encoding"), string(b)
}

// Text bodies: every line ending (LF, CRLF, bare CR, none at the end)
// becomes exactly one CRLF; a line of 78 octets stays 7bit, one of 79 is
// sent quoted-printable (RFC 5322 §2.1.1's 78 recommended).
func TestMutationTextBody(t *testing.T) {
	for in, want := range map[string]string{
		"hi":           "hi\r\n",
		"a\r\nb":       "a\r\nb\r\n",
		"a\rb\r":       "a\r\nb\r\n",
		"\r\na\n\nb\r": "\r\na\r\n\r\nb\r\n",
	} {
		m := composeFixed()
		m.Text = in
		cte, body := composeBody(t, m)
		if cte != "7bit" || body != want {
			t.Errorf("Text %q: %s %q, want 7bit %q", in, cte, body, want)
		}
	}
	for n, want := range map[int]string{78: "7bit", 79: "quoted-printable"} {
		m := composeFixed()
		m.Text = strings.Repeat("x", n) + "\n"
		if cte, _ := composeBody(t, m); cte != want {
			t.Errorf("line of %d: %s, want %s", n, cte, want)
		}
	}
}

// An empty file is a valid attachment: its part is sent, named, with an
// empty body (io.ReadFull's io.EOF on it is not a read error).
func TestMutationEmptyAttachment(t *testing.T) {
	paths := composeFiles(t, map[string][]byte{"empty.log": nil})
	m := composeFixed()
	m.Text = "see attached\n"
	m.Attach = []string{paths["empty.log"]}
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatalf("empty attachment: %v", err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := gomime.ParseMediaType(msg.Header.Get("Content-Type"))
	r := multipart.NewReader(msg.Body, params["boundary"])
	var names []string
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		if p.FileName() != "" {
			names = append(names, p.FileName())
			if len(b) != 0 {
				t.Errorf("empty.log part body %q", b)
			}
		}
	}
	if strings.Join(names, ",") != "empty.log" {
		t.Errorf("attachments %q in %q", names, out.String())
	}
}

// The error text a user reads: the cause when there is no message of our
// own, and the bad value quoted whole up to 120 octets, cut with "..."
// beyond.
func TestMutationErrorText(t *testing.T) {
	cause := errors.New("no angle-addr")
	if got := (&Error{Field: "To", Value: "x", Err: cause}).Error(); got != `mime: invalid To "x": no angle-addr` {
		t.Errorf("Err only: %q", got)
	}
	if got := (&Error{Field: "To", Value: "x", Msg: "bad", Err: cause}).Error(); got != `mime: invalid To "x": bad` {
		t.Errorf("Msg and Err: %q", got)
	}
	v := strings.Repeat("v", 120)
	if got := (&Error{Field: "Subject", Value: v, Msg: "bad"}).Error(); got != `mime: invalid Subject "`+v+`": bad` {
		t.Errorf("120 octets: %q", got)
	}
	if got := (&Error{Field: "Subject", Value: v + "w", Msg: "bad"}).Error(); got != `mime: invalid Subject "`+v+`"...: bad` {
		t.Errorf("121 octets: %q", got)
	}
}

// composeErr composes m and returns the *Error it is refused with, or nil.
func composeErr(t *testing.T, m *Compose) *Error {
	t.Helper()
	if m.Text == "" {
		m.Text = "hi\n"
	}
	_, err := m.WriteTo(io.Discard)
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *Error: %v", err)
	}
	return e
}

// Header checks at their edges: a value that starts with a line break,
// field names of 200 octets and of "!" and "~" (the ends of ftext,
// RFC 5322 §3.6.8), a Message-ID that fills a 998-octet line exactly, and
// Message-IDs with "!", "~" or a control character.
func TestMutationHeaderEdges(t *testing.T) {
	m := composeFixed()
	m.Subject = "\nBcc: victim@example.net"
	if e := composeErr(t, m); e == nil || e.Field != "Subject" || !strings.Contains(e.Msg, "line break") {
		t.Errorf("Subject starting with LF: %v", e)
	}
	for name, ok := range map[string]bool{
		"!~":                     true,
		strings.Repeat("X", 200): true,
		strings.Repeat("X", 201): false,
	} {
		m := composeFixed()
		m.Headers = []Field{{name, "v"}}
		if e := composeErr(t, m); (e == nil) != ok {
			t.Errorf("header name %.10q (%d octets): %v", name, len(name), e)
		}
	}
	long := func(n int) string { return "<" + strings.Repeat("i", n-len("<@example.com>")) + "@example.com>" }
	for id, ok := range map[string]bool{
		long(998 - len("Message-ID: ")):     true,
		long(998 - len("Message-ID: ") + 1): false,
		"<!a~@example.com>":                 true,
		"<a\x01@example.com>":               false,
		"<a\x7f@example.com>":               false,
	} {
		m := composeFixed()
		m.MessageID = id
		e := composeErr(t, m)
		if (e == nil) != ok || e != nil && e.Field != "Message-ID" {
			t.Errorf("Message-ID %.20q (%d octets): %v", id, len(id), e)
		}
	}
}

// Subjects of printable ASCII, spaces and tabs go out as written; only
// what needs it becomes an encoded-word.
func TestMutationSubjectAsIs(t *testing.T) {
	m := composeFixed()
	m.Text = "hi\n"
	m.Subject = "a b\t~c"
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\r\nSubject: a b\t~c\r\n") {
		t.Errorf("Subject: %q", out.String())
	}
}

// Base64 lines are at most 76 characters (RFC 2045 §6.8) also where the
// encoder's 1,024-octet chunks end mid-line, and decode to the file.
func TestMutationBase64Lines(t *testing.T) {
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i*7 + i/251)
	}
	paths := composeFiles(t, map[string][]byte{"blob.bin": data})
	m := composeFixed()
	m.Text = "x\n"
	m.Attach = []string{paths["blob.bin"]}
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := gomime.ParseMediaType(msg.Header.Get("Content-Type"))
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			t.Fatal("no blob.bin part")
		}
		if p.FileName() != "blob.bin" {
			continue
		}
		// multipart.Part decodes only quoted-printable: this is the raw base64.
		raw, _ := io.ReadAll(p)
		var b64 []byte
		for _, line := range strings.Split(string(raw), "\r\n") {
			if len(line) > 76 {
				t.Fatalf("base64 line of %d", len(line))
			}
			b64 = append(b64, line...)
		}
		got, err := base64.StdEncoding.DecodeString(string(b64))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("decoded %d bytes, %v", len(got), err)
		}
		return
	}
}

// composeSubject returns the Subject line as written, unfolded (RFC 5322
// §2.2.3: CRLF removed), and the Subject a reader decodes from it.
func composeSubject(t *testing.T, subject string) (raw, decoded string) {
	t.Helper()
	m := composeFixed()
	m.Text = "hi\n"
	m.Subject = subject
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(out.String(), "\r\nSubject: ")
	raw, _, _ = strings.Cut(after, "\r\nMessage-ID: ")
	raw = strings.ReplaceAll(raw, "\r\n", "")
	decoded, err := new(gomime.WordDecoder).DecodeHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw, decoded
}

// Subject encoding at its edges: letters and digits at the ends of their
// ranges stay literal in Q; a tie in length between Q and B goes to B; a
// word that fills the 998-octet line with "Subject: " is written as is and
// one octet more is encoded; a run of 100 spaces is kept and longer ones
// encoded. A reader always decodes the Subject given.
func TestMutationSubjectEncoding(t *testing.T) {
	for subject, want := range map[string]string{
		"éazAZ09":                            "=?utf-8?q?=C3=A9azAZ09?=",
		"ééa":                                "=?utf-8?b?w6nDqWE=?=",
		strings.Repeat("x", 989):             strings.Repeat("x", 989),
		"a" + strings.Repeat(" ", 100) + "b": "a" + strings.Repeat(" ", 100) + "b",
	} {
		raw, decoded := composeSubject(t, subject)
		if raw != want || decoded != subject {
			t.Errorf("Subject %.20q: written %.40q, decoded %.20q", subject, raw, decoded)
		}
	}
	for _, subject := range []string{strings.Repeat("x", 990), "a" + strings.Repeat(" ", 101) + "b"} {
		raw, decoded := composeSubject(t, subject)
		if !strings.Contains(raw, "=?utf-8?") || decoded != subject {
			t.Errorf("Subject %.20q (%d octets): written %.40q, decoded %d octets", subject, len(subject), raw, len(decoded))
		}
	}
}

// RFC 2047 §2: an encoded-word is at most 75 characters, also in the Q
// form of text where "." takes three ("=2E").
func TestMutationQWordLength(t *testing.T) {
	subject := "é" + strings.Repeat("abcdefghi.", 20)
	raw, decoded := composeSubject(t, subject)
	if decoded != subject || !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Fatalf("written %q, decoded %q", raw, decoded)
	}
	for _, w := range strings.Fields(raw) {
		if len(w) > 75 {
			t.Errorf("encoded-word of %d: %s", len(w), w)
		}
	}
}

// Folding at its edge: a Subject line of exactly 78 characters stays one
// line, one of 79 is folded before its last word (RFC 5322 §2.1.1, §2.2.3);
// an -H field with an empty value is written "Name:" with nothing after.
func TestMutationFoldEdge(t *testing.T) {
	for n, want := range map[int]string{
		67: "Subject: a " + strings.Repeat("x", 67) + "\r\n",
		68: "Subject: a\r\n " + strings.Repeat("x", 68) + "\r\n",
	} {
		m := composeFixed()
		m.Text = "hi\n"
		m.Subject = "a " + strings.Repeat("x", n)
		m.Headers = []Field{{"X-Empty", ""}}
		var out bytes.Buffer
		if _, err := m.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "\r\n"+want) || !strings.Contains(out.String(), "\r\nX-Empty:\r\n") {
			t.Errorf("Subject of %d: %q", n, out.String())
		}
	}
}

// Display names needing encoded-words are written in outbox's phrase-safe
// Q form (RFC 2047 §5(3)), also with parentheses, where net/mail on its
// own would switch to base64.
func TestMutationDisplayNameQ(t *testing.T) {
	m := composeFixed()
	m.Text = "hi\n"
	m.To = []*mail.Address{{Name: "Build Bot (é)", Address: "ops@example.com"}}
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\r\nTo: =?utf-8?q?Build_Bot_=28=C3=A9=29?= <ops@example.com>\r\n") {
		t.Errorf("got %q", out.String())
	}
}

// A control character in a Subject is never written raw: the word holding
// it becomes an encoded-word, and a reader gets it back.
func TestMutationSubjectControl(t *testing.T) {
	raw, decoded := composeSubject(t, "a\x01b")
	if raw != "=?utf-8?q?a=01b?=" || decoded != "a\x01b" {
		t.Errorf("written %q, decoded %q", raw, decoded)
	}
}
