package mime

import (
	"bytes"
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
