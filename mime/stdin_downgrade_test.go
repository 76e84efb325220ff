package mime

import (
	"bytes"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
)

// spool is what the sendmail path does before sending: ReadStdin into a
// file (here a buffer).
func spool(t *testing.T, in string) *bytes.Reader {
	t.Helper()
	var b bytes.Buffer
	if _, err := ReadStdin(&b, strings.NewReader(in), stdinOpts(false, true)); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b.Bytes())
}

func TestDowngrade7Bit(t *testing.T) {
	long := strings.Repeat("é", 600) // a 1200-byte line: QP also fixes its length
	for _, c := range []struct {
		name, in   string
		ctype      string
		wantHeader []string // fields, in order, that must be present
		gone       []string // fields that must not be
	}{
		{
			name:  "no MIME header, UTF-8 (cron output)",
			in:    "From: root@example.com\nSubject: cron\n\nSauvegarde terminée = ok\n.\n" + long + "\n",
			ctype: "text/plain; charset=utf-8",
		},
		{
			name:  "no MIME header, Latin-1",
			in:    "Subject: cron\n\nSauvegarde termin\xe9e\n",
			ctype: "text/plain; charset=unknown-8bit",
		},
		{
			name:       "Debian cron: 8bit declared",
			in:         "From: root@example.com\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\n\nterminée\n",
			ctype:      "text/plain; charset=UTF-8",
			wantHeader: []string{"From", "X-Cron-Env"},
		},
		{
			name:  "folded Content-Type kept",
			in:    "Content-Type: text/plain;\n charset=iso-8859-1\nContent-Transfer-Encoding: 8BIT\n\ntermin\xe9e\n",
			ctype: "text/plain; charset=iso-8859-1",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := spool(t, c.in)
			orig, _ := io.ReadAll(src)
			r, size, err := Downgrade7Bit(src)
			if err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(out)) != size {
				t.Errorf("size %d, wrote %d", size, len(out))
			}
			if !stdinASCII7(out) {
				t.Errorf("output has 8-bit bytes")
			}
			checkCRLF(t, out)
			for _, l := range bytes.Split(out, []byte("\r\n")) {
				if len(l) > 998 {
					t.Errorf("line of %d octets", len(l))
				}
			}
			m, err := mail.ReadMessage(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Header.Get("Content-Type"); got != c.ctype {
				t.Errorf("Content-Type %q, want %q", got, c.ctype)
			}
			if m.Header.Get("Content-Transfer-Encoding") != "quoted-printable" || len(m.Header["Content-Transfer-Encoding"]) != 1 {
				t.Errorf("Content-Transfer-Encoding %q", m.Header["Content-Transfer-Encoding"])
			}
			if len(m.Header["Mime-Version"]) != 1 {
				t.Errorf("MIME-Version %q", m.Header["Mime-Version"])
			}
			for _, h := range append(c.wantHeader, "Date", "Message-Id") {
				if m.Header.Get(h) == "" {
					t.Errorf("%s lost", h)
				}
			}
			body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
			if err != nil {
				t.Fatal(err)
			}
			wantBody := orig[bytes.Index(orig, []byte("\r\n\r\n"))+4:]
			if !bytes.Equal(body, wantBody) {
				t.Errorf("decoded body %q, want %q", body, wantBody)
			}
		})
	}
}

func TestDowngrade7BitRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"8-bit header":   "Subject: terminée\n\nterminée\n",
		"multipart":      "Content-Type: multipart/mixed; boundary=x\n\n--x\n\nterminée\n--x--\n",
		"base64 body":    "Content-Transfer-Encoding: base64\n\n\xff\n",
		"binary body":    "Content-Transfer-Encoding: binary\n\n\xff\n",
		"bad type":       "Content-Type: ;;;\n\n\xff\n",
		"message/rfc822": "Content-Type: message/rfc822\n\n\xff\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Downgrade7Bit(spool(t, in))
			if !errors.Is(err, ErrNotConvertible) {
				t.Fatalf("err %v, want ErrNotConvertible", err)
			}
		})
	}
}

// The conversion streams: memory does not grow with the message.
func TestDowngrade7BitStreams(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("Subject: big\r\n\r\n")
	line := []byte("ligne de sortie de cron, terminée ......................\r\n")
	for b.Len() < 8<<20 {
		b.Write(line)
	}
	r, size, err := Downgrade7Bit(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != size {
		t.Fatalf("copied %d (%v), size %d", n, err, size)
	}
}

func FuzzDowngrade7Bit(f *testing.F) {
	f.Add([]byte("Subject: s\n\nterminée\n"))
	f.Add([]byte("Content-Type: text/plain;\n charset=x\nContent-Transfer-Encoding: 8bit\n\n\xe9\xff =\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var b bytes.Buffer
		if _, err := ReadStdin(&b, bytes.NewReader(in), stdinOpts(false, true)); err != nil {
			return
		}
		r, size, err := Downgrade7Bit(bytes.NewReader(b.Bytes()))
		if err != nil {
			if !errors.Is(err, ErrNotConvertible) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		out, err := io.ReadAll(r)
		if err != nil || int64(len(out)) != size {
			t.Fatalf("read %d (%v), size %d", len(out), err, size)
		}
		if !stdinASCII7(out) {
			t.Fatalf("8-bit output: %q", out)
		}
		checkCRLF(t, out)
	})
}
