package send

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"testing"
	"testing/iotest"

	"github.com/outboxmail/outbox/internal/crlf"
)

// dataReference is what Send used to put on the wire after the 354 reply:
// crlf.Writer feeding go-smtp's DATA writer, net/textproto's DotWriter,
// then its Close. writeData must produce the same bytes.
func dataReference(msg []byte) []byte {
	var buf bytes.Buffer
	dw := textproto.NewWriter(bufio.NewWriter(&buf)).DotWriter()
	cw := crlf.NewWriter(dw)
	cw.Write(msg)
	cw.Close()
	dw.Close()
	return buf.Bytes()
}

// dataWire is writeData as Send runs it: cw writes to the stream directly;
// dc, a fresh DotWriter on a buffered writer over the same stream (what
// go-smtp's Data returns), is closed afterwards, as CloseWithResponse does.
func dataWire(t testing.TB, msg io.Reader) []byte {
	var buf bytes.Buffer
	dc := textproto.NewWriter(bufio.NewWriter(&buf)).DotWriter()
	if err := writeData(crlf.NewDotWriter(&buf), msg); err != nil {
		t.Fatal(err)
	}
	if err := dc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var dataCases = []string{
	"",
	"\x00",
	"a",
	"a\n",
	"a\r\n",
	"a\r",
	"\n",
	"\r\n",
	"\n\n",
	"\r\n\r\n",
	".",
	".\n",
	".\r\n",
	"..",
	"a\n.\n",
	"a\r\n.\r\n",
	"a\n.",
	"a\n..\n.b\n",
	"\n.\nMAIL FROM:<evil@example.com>\n.\r\n", // SMTP smuggling
	"a\r.\r",
	"\x00.x\n",
	"Subject: x\n\nline1\rline2\nline3\r\n.\nMAIL FROM:<evil@example.com>\n.\r\n..two\nend",
}

func TestDataPathBytes(t *testing.T) {
	inputs := append([]string(nil), dataCases...)
	big := bytes.Repeat([]byte("line\n.dot\r\nx\r"), 10000) // several buffer flushes
	inputs = append(inputs, string(big), string(big)+"tail")
	for _, in := range inputs {
		want := dataReference([]byte(in))
		readers := map[string]io.Reader{
			"whole":   bytes.NewReader([]byte(in)),
			"onebyte": iotest.OneByteReader(bytes.NewReader([]byte(in))),
			"half":    iotest.HalfReader(bytes.NewReader([]byte(in))),
		}
		for name, r := range readers {
			if got := dataWire(t, r); !bytes.Equal(got, want) {
				t.Errorf("%s %.60q:\ngot  %.80q\nwant %.80q", name, in, got, want)
			}
		}
	}
}

func FuzzDataPath(f *testing.F) {
	for _, in := range dataCases {
		f.Add([]byte(in), 3)
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk int) {
		var r io.Reader = bytes.NewReader(in)
		if chunk > 0 {
			r = &chunkReader{b: in, n: chunk}
		}
		got := dataWire(t, r)
		if want := dataReference(in); !bytes.Equal(got, want) {
			t.Fatalf("%q in chunks of %d:\ngot  %q\nwant %q", in, chunk, got, want)
		}
		// No bare CR or LF, and the data ends at the end and nowhere else.
		for i, c := range got {
			if c == '\r' && (i+1 == len(got) || got[i+1] != '\n') || c == '\n' && (i == 0 || got[i-1] != '\r') {
				t.Fatalf("bare CR or LF at %d in %q", i, got)
			}
		}
		if i := bytes.Index(append([]byte("\r\n"), got...), []byte("\r\n.\r\n")); i != len(got)-3 {
			t.Fatalf("%q: the data ends at %d of %d", in, i, len(got))
		}
	})
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}
