package send

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

type step struct {
	server bool
	text   string
	secret bool // a credential line: must never be shown
}

// dialogue builds an honest AUTH exchange for mech around arbitrary lines
// from both sides (which may, for example, switch the transcript into
// DATA mode or look like an AUTH command).
func dialogue(junkS, junkC, user, pass string, mech byte) []step {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	crlf := func(s string) string {
		if !strings.HasSuffix(s, "\n") {
			s += "\r\n"
		}
		return s
	}
	steps := []step{
		{true, "220 mx ESMTP\r\n", false},
		{false, "EHLO client.example\r\n", false},
		{true, "250-mx\r\n250 AUTH PLAIN LOGIN\r\n", false},
		{true, crlf(junkS), false},
		{false, crlf(junkC), false},
		{true, "250 ok\r\n", false},
	}
	switch mech % 4 {
	case 0:
		steps = append(steps, step{false, "AUTH PLAIN " + b64("\x00"+user+"\x00"+pass) + "\r\n", true})
	case 1:
		steps = append(steps,
			step{false, "AUTH LOGIN\r\n", false},
			step{true, "334 " + b64("Username:") + "\r\n", false},
			step{false, b64(user) + "\r\n", true},
			step{true, "334 " + b64("Password:") + "\r\n", false},
			step{false, b64(pass) + "\r\n", true})
	case 2:
		steps = append(steps,
			step{false, "AUTH CRAM-MD5\r\n", false},
			step{true, "334 " + b64("<1.2@mx>") + "\r\n", false},
			step{false, b64(user+" "+pass) + "\r\n", true})
	case 3:
		steps = append(steps,
			step{false, "auth xoauth2 " + b64("user="+user+"\x01auth=Bearer "+pass+"\x01\x01") + "\r\n", true},
			step{true, "334 eyJzdGF0dXMiOiI0MDEifQ==\r\n", false},
			step{false, "\r\n", false})
	}
	return append(steps,
		step{true, "235 2.7.0 ok\r\n", false},
		step{false, "MAIL FROM:<a@example.com>\r\n", false},
		step{true, "250 ok\r\n", false})
}

func run(steps []step, chunk int) string {
	var out bytes.Buffer
	tr := newTranscript(&out)
	for _, s := range steps {
		b := []byte(s.text)
		for len(b) > 0 {
			n := min(chunk, len(b))
			if s.server {
				tr.fromServer(b[:n])
			} else {
				tr.fromClient(b[:n])
			}
			b = b[n:]
		}
	}
	return out.String()
}

func TestTranscriptRedaction(t *testing.T) {
	for mech := range byte(4) {
		steps := dialogue("250 fine", "NOOP", "me@example.com", "pa55word", mech)
		for _, chunk := range []int{1, 3, 1 << 20} {
			out := run(steps, chunk)
			if strings.Contains(out, "pa55word") || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte("pa55word"))) {
				t.Errorf("mech %d chunk %d: secret shown:\n%s", mech, chunk, out)
			}
			for _, want := range []string{"S: 220 mx ESMTP", "C: EHLO client.example", "C: MAIL FROM:<a@example.com>", "S: 235 2.7.0 ok"} {
				if !strings.Contains(out, want) {
					t.Errorf("mech %d chunk %d: no %q in\n%s", mech, chunk, want, out)
				}
			}
		}
	}
	out := run(dialogue("", "", "u", "p", 0), 5)
	if !strings.Contains(out, "C: AUTH PLAIN <redacted>") {
		t.Errorf("AUTH line not shown redacted:\n%s", out)
	}
}

func TestTranscriptBody(t *testing.T) {
	var out bytes.Buffer
	tr := newTranscript(&out)
	tr.fromClient([]byte("DATA\r\n"))
	tr.fromServer([]byte("354 go\r\n"))
	tr.fromClient([]byte("Subject: x\r\n\r\n..leading dot\r\n250 looks like a reply\r\n"))
	tr.fromClient([]byte(".\r\nQUIT\r\n"))
	tr.fromServer([]byte("250 queued\r\n221 bye\r\n"))
	want := "C: DATA\nS: 354 go\nC: <message: 53 bytes>\nC: .\nC: QUIT\nS: 250 queued\nS: 221 bye\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// FuzzTranscript checks that no credential, nor its base64, reaches the -v
// transcript, however the bytes are split and whatever else was said.
//
// The oracle is differential: the same dialogue with another password of
// the same length (every byte changed) must give a byte-identical
// transcript. Any trace of the password — itself, its base64, a part of
// either, even its length beyond the line's — would make the two differ.
// (A substring search gave false alarms: a junk line "00000" shown as
// "C: 00000" contains the password " 00000".)
func FuzzTranscript(f *testing.F) {
	f.Add("250 ok", "NOOP", "user", "secret-pass", byte(0), uint8(1))
	f.Add("354 go ahead", "RSET", "me@example.com", "hunter2hunter2", byte(1), uint8(7))
	f.Add("334 xx\r\n250-a\r\n", "AUTH", "u", "zzzzzzzz", byte(2), uint8(200))
	f.Add("250 x\r\n", ".\r\nAUTH PLAIN", "x", "Zm9vYmFy", byte(3), uint8(3))
	f.Add("0", "00000", "0", " 00000", byte('\f'), uint8('7'))
	f.Fuzz(func(t *testing.T, junkS, junkC, user, pass string, mech byte, chunk uint8) {
		if pass == "" || strings.ContainsAny(user, "\r\n") {
			return
		}
		other := []byte(pass)
		for i := range other {
			other[i] ^= 0x55
		}
		n := int(chunk)%64 + 1
		out := run(dialogue(junkS, junkC, user, pass, mech), n)
		out2 := run(dialogue(junkS, junkC, user, string(other), mech), n)
		if out != out2 {
			t.Fatalf("the transcript depends on the password:\n%s\n---- with another password:\n%s", out, out2)
		}
	})
}
