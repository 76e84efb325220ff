package crlf

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// writes records what reaches the underlying writer, write by write; after
// failAt writes it fails every write (failAt < 0: never).
type writes struct {
	bytes.Buffer
	sizes  []int
	failAt int
}

var errDisk = errors.New("disk full")

func (w *writes) Write(p []byte) (int, error) {
	if w.failAt >= 0 && len(w.sizes) >= w.failAt {
		w.sizes = append(w.sizes, -1)
		return 0, errDisk
	}
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

// A big message streams: the writer passes it on in chunks of at most
// bufSize as it goes, not all at Close (a 100 MB attachment is never held
// in memory), and short lines are batched into few writes (issue 17:
// no test wrote more than one buffer before).
func TestStreamsInBufferSizedChunks(t *testing.T) {
	for _, dot := range []bool{false, true} {
		out := &writes{failAt: -1}
		w := NewWriter(out)
		if dot {
			w = NewDotWriter(out)
		}
		line := strings.Repeat("x", 99) + "\n" // 101 bytes once normalised
		const lines = 10000
		var want strings.Builder
		for range lines {
			if _, err := w.Write([]byte(line)); err != nil {
				t.Fatal(err)
			}
			want.WriteString(strings.Repeat("x", 99) + "\r\n")
		}
		total := lines * 101
		if got := out.Len(); got < total-bufSize-2 {
			t.Errorf("dot %v: before Close only %d of %d bytes were passed on: the output is held in memory", dot, got, total)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		wantText := want.String()
		if dot {
			wantText = strings.TrimSuffix(wantText, "\r\n") // held back for the end of data
		}
		if out.String() != wantText {
			t.Fatalf("dot %v: output differs from the input normalised (%d bytes, want %d)", dot, out.Len(), len(wantText))
		}
		for i, n := range out.sizes {
			if n > bufSize {
				t.Errorf("dot %v: write %d was %d bytes, more than the %d-byte buffer", dot, i, n, bufSize)
			}
		}
		if maxWrites := total/bufSize + 2; len(out.sizes) > maxWrites {
			t.Errorf("dot %v: %d writes for %d bytes of short lines, want at most %d", dot, len(out.sizes), total, maxWrites)
		}
	}
}

// An error from the underlying writer is returned by the Write that met
// it, and by every later Write, Flush and Close: nothing after a lost
// chunk is passed on as if the message were whole. In dot mode a run of
// empty lines (each a held-back line end) meets the error too.
func TestWriteErrorSticks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dot   bool
		input string
	}{
		{"text", false, strings.Repeat("y", 3*bufSize)},
		{"lines", false, strings.Repeat("line\n", bufSize)},
		{"dot empty lines", true, strings.Repeat("\n", bufSize)},
		{"dot lines", true, strings.Repeat(".x\n", bufSize)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := &writes{failAt: 0}
			w := NewWriter(out)
			if tc.dot {
				w = NewDotWriter(out)
			}
			if _, err := w.Write([]byte(tc.input)); !errors.Is(err, errDisk) {
				t.Fatalf("Write past a full buffer = %v, want the underlying error", err)
			}
			out.failAt = -1 // the disk has room again: the loss must still show
			if _, err := w.Write([]byte("more\n")); !errors.Is(err, errDisk) {
				t.Errorf("the next Write = %v, want the earlier error", err)
			}
			if err := w.Close(); !errors.Is(err, errDisk) {
				t.Errorf("Close = %v, want the earlier error", err)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes passed on after a failed write", out.Len())
			}
		})
	}
}
