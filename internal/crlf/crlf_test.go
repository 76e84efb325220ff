package crlf

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"a\rb\r", "a\r\nb\r\n"},
		{"a\r\r\nb", "a\r\n\r\nb"},
		{"a\n\rb", "a\r\n\r\nb"},
		{"x\x00y\n", "xy\r\n"},
		{"\n.\n", "\r\n.\r\n"},
		{"\r.\r", "\r\n.\r\n"},
		{"no newline", "no newline"},
	}
	for _, tt := range tests {
		if got := string(Normalize([]byte(tt.in))); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A CRLF split across two writes is one line end, not two.
func TestSplitCRLF(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	w.Write([]byte("a\r"))
	w.Write([]byte("\nb\r"))
	w.Write([]byte("c"))
	w.Close()
	if got, want := out.String(), "a\r\nb\r\nc"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// reference is the contract written the slow, obvious way, as an oracle
// independent of the streaming code: a CR immediately followed by LF is
// one line end, any other CR or LF is one too, and NUL bytes are dropped
// last (so "\r\x00\n" is two line ends: the CR was not followed by LF).
func reference(in []byte) []byte {
	s := strings.ReplaceAll(string(in), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.ReplaceAll(s, "\n", "\r\n")
	return []byte(strings.ReplaceAll(s, "\x00", ""))
}

// dotReference is NewDotWriter's contract the obvious way: normalise,
// double the "." that starts a line (RFC 5321 §4.5.2), then drop one final
// CRLF, which the end-of-data sequence supplies.
func dotReference(in []byte) []byte {
	lines := strings.SplitAfter(string(reference(in)), "\r\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") {
			lines[i] = "." + l
		}
	}
	return []byte(strings.TrimSuffix(strings.Join(lines, ""), "\r\n"))
}

func TestDotWriter(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"\x00", ""},
		{"\n", ""},
		{"\r", ""},
		{"\n\n", "\r\n"},
		{"a", "a"},
		{"a\n", "a"},
		{"a\r\n", "a"},
		{"a\n\n", "a\r\n"},
		{".", ".."},
		{".\n", ".."},
		{"\n.\n", "\r\n.."},
		{"a\n.b\n..c\nd.\n", "a\r\n..b\r\n...c\r\nd."},
		{"\x00.x", "..x"},         // the dot starts the line once the NUL is gone
		{"a\r\x00.x", "a\r\n..x"}, // CR, then a dot-led line
		{"\r.\r", "\r\n.."},
		{"x.\r\n.", "x.\r\n.."},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 2, 3, len(tt.in) + 1} {
			var out bytes.Buffer
			w := NewDotWriter(&out)
			for p := []byte(tt.in); len(p) > 0; {
				k := min(chunk, len(p))
				w.Write(p[:k])
				p = p[k:]
			}
			w.Close()
			if got := out.String(); got != tt.want {
				t.Errorf("NewDotWriter, chunks of %d, %q = %q, want %q", chunk, tt.in, got, tt.want)
			}
			if ref := string(dotReference([]byte(tt.in))); ref != tt.want {
				t.Errorf("dotReference(%q) = %q, want %q", tt.in, ref, tt.want)
			}
		}
	}
}

// checkWire fails on a NUL, a CR not followed by LF, or an LF not preceded
// by CR.
func checkWire(t *testing.T, got []byte) {
	t.Helper()
	for i, c := range got {
		switch c {
		case 0:
			t.Fatalf("NUL at %d", i)
		case '\r':
			if i+1 >= len(got) || got[i+1] != '\n' {
				t.Fatalf("bare CR at %d in %q", i, got)
			}
		case '\n':
			if i == 0 || got[i-1] != '\r' {
				t.Fatalf("bare LF at %d in %q", i, got)
			}
		}
	}
}

func FuzzWriter(f *testing.F) {
	f.Add([]byte("\r\x00\n.\r\x00.\n"), 1)
	f.Add([]byte("\n.\n\r.\r\r\n.\r"), 2)
	f.Add([]byte("a\nb\r\nc\rd"), 3)
	f.Add([]byte("\r\n.\n\r\x00"), 1)
	f.Fuzz(func(t *testing.T, in []byte, chunk int) {
		if chunk <= 0 {
			chunk = 1
		}
		var out bytes.Buffer
		w := NewWriter(&out)
		for p := in; len(p) > 0; {
			k := min(chunk, len(p))
			w.Write(p[:k])
			p = p[k:]
		}
		w.Close()
		got := out.Bytes()
		if !bytes.Equal(got, Normalize(in)) {
			t.Fatalf("chunked output differs from Normalize")
		}
		if want := reference(in); !bytes.Equal(got, want) {
			t.Fatalf("chunk %d of %q:\ngot  %q\nwant %q", chunk, in, got, want)
		}
		checkWire(t, got)

		// Dot mode, completed with the end-of-data sequence as SMTP sends it.
		out.Reset()
		w = NewDotWriter(&out)
		for p := in; len(p) > 0; {
			k := min(chunk, len(p))
			w.Write(p[:k])
			p = p[k:]
		}
		w.Close()
		got = out.Bytes()
		if want := dotReference(in); !bytes.Equal(got, want) {
			t.Fatalf("dot mode, chunk %d of %q:\ngot  %q\nwant %q", chunk, in, got, want)
		}
		data := append(got, "\r\n.\r\n"...)
		checkWire(t, data)
		if i := bytes.Index(append([]byte("\r\n"), data...), []byte("\r\n.\r\n")); i != len(data)-3 {
			t.Fatalf("dot mode, %q: the data ends early, at %d of %d", in, i, len(data))
		}
	})
}

func BenchmarkWriter(b *testing.B) {
	line := bytes.Repeat([]byte("x"), 71)
	line = append(line, '\n')
	data := bytes.Repeat(line, 1<<14) // ~1.2 MB
	w := NewWriter(io.Discard)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w.Write(data)
	}
	w.Close()
}
