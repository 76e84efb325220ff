package mime

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"testing"

	"github.com/outboxmail/outbox/internal/crlf"
)

// callerSeeds are stdin shapes of real sendmail callers (cron, PHP,
// git send-email, logwatch, Python, Ruby) and the line-end and dot
// corner cases of issue 3.
var callerSeeds = []string{
	"From: \"(Cron Daemon)\" <root>\nTo: root\nSubject: Cron <root@web1> job\nX-Cron-Env: <SHELL=/bin/sh>\n\nout\n.\ndone\n",
	"From: root (Cron Daemon)\nTo: root\nContent-Transfer-Encoding: 8bit\n\nterminée\n",
	"",
	"To: c@example.org\r\nSubject: order\r\nFrom: shop@example.org\r\n\r\nThank you.\n.\nOrder 42\n",
	"From: D <d@example.org>\nTo: m@example.net\nSubject: [PATCH]\n\n+.\n.\n..\n.hidden\n-- \n2.43.0\n",
	"To: root\nSubject: Logwatch\n\n####\n...\n.\nnever sent\n",
	"Subject: cr\rFrom: x@example.net\r\rone\rtwo\r\rthree",
	"Subject: mixed\r\nFrom: x\n\rCR LF\r\nLF\nCR\rCRCRLF\r\r\nend",
	"From me@example.org Thu May 16 10:00:00 2024\nFrom: me@example.org\n\nbody\n",
	"Date: Thu, 16 May 2024 10:00:00 +0000\r\nContent-Type: text/plain;\r\n charset=UTF-8\r\n\r\nWelcome.\r\n",
	"To: a\nBcc: b,\n c\n\n.\r.\r\n.\n\x00.\x00\n",
	"Subject: dot at end\n\nx\n.",
}

// FuzzStdinWire runs a message the whole way to the wire: ReadStdin, the
// send path's crlf.Writer, and SMTP dot-stuffing (net/textproto's
// DotWriter, which go-smtp's DATA uses; RFC 5321 §4.5.2). The wire must
// hold CRLF line ends only, and exactly one end-of-data "\r\n.\r\n", at
// the end — anything else is an SMTP smuggling or truncation bug — and
// the server, unstuffing, must read back exactly what ReadStdin wrote.
func FuzzStdinWire(f *testing.F) {
	for _, s := range callerSeeds {
		f.Add([]byte(s), false, true)
		f.Add([]byte(s), true, false)
	}
	f.Fuzz(func(t *testing.T, in []byte, dotEnds, extract bool) {
		var msg bytes.Buffer
		o := stdinOpts(extract, !dotEnds)
		o.Domain = "example.com"
		if _, err := ReadStdin(&msg, bytes.NewReader(in), o); err != nil {
			return
		}
		var wire bytes.Buffer
		bw := bufio.NewWriter(&wire)
		dw := textproto.NewWriter(bw).DotWriter()
		cw := crlf.NewWriter(dw)
		if _, err := cw.Write(msg.Bytes()); err != nil {
			t.Fatal(err)
		}
		cw.Close()
		dw.Close()
		bw.Flush()
		w := wire.Bytes()
		checkCRLF(t, w)
		if i := bytes.Index(w, []byte("\r\n.\r\n")); i != len(w)-5 {
			t.Fatalf("end of data at %d of %d: %q", i, len(w), w)
		}
		back, err := io.ReadAll(textproto.NewReader(bufio.NewReader(bytes.NewReader(w))).DotReader())
		if err != nil {
			t.Fatal(err)
		}
		// DotReader also turns CRLF into LF; msg holds CRLF only.
		if !bytes.Equal(back, bytes.ReplaceAll(msg.Bytes(), []byte("\r\n"), []byte("\n"))) {
			t.Fatalf("server reads %q, ReadStdin wrote %q", back, msg.Bytes())
		}
	})
}
