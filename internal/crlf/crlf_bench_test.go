package crlf

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkWriterPerLine writes one line per Write call, as a line-by-line
// producer does: allocs/op is allocations per line (target: 0, issue 8),
// and MB/s includes the per-call overhead that BenchmarkWriter's big
// buffers hide. Mixed line endings: LF, CRLF and a bare CR.
func BenchmarkWriterPerLine(b *testing.B) {
	benchPerLine(b, NewWriter(io.Discard))
}

// BenchmarkDotWriterPerLine is BenchmarkWriterPerLine with dot-stuffing
// (NewDotWriter); one line in four starts with a dot.
func BenchmarkDotWriterPerLine(b *testing.B) {
	benchPerLine(b, NewDotWriter(io.Discard))
}

func benchPerLine(b *testing.B, w *Writer) {
	lines := [][]byte{
		append(bytes.Repeat([]byte("x"), 71), '\n'),
		append(bytes.Repeat([]byte("y"), 70), '\r', '\n'),
		append(bytes.Repeat([]byte("z"), 71), '\r'),
		append(append([]byte("."), bytes.Repeat([]byte("w"), 70)...), '\n'),
	}
	b.SetBytes(72)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w.Write(lines[i%len(lines)])
		i++
	}
	w.Close()
}
