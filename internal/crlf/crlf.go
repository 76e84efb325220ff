package crlf

import (
	"bytes"
	"io"
)

// bufSize is the size of the output buffer. Large enough that a stream of
// short lines becomes few writes to the underlying writer.
const bufSize = 32 * 1024

// Writer turns LF, CRLF and bare CR into CRLF and drops NUL bytes. A CR
// immediately followed by LF is one line end, also when the two arrive in
// different Write calls. Output is buffered: call Flush or Close.
type Writer struct {
	w   io.Writer
	buf []byte
	cr  bool // the last byte seen was a CR (its CRLF is already emitted)
	err error

	// Dot-stuffing mode (NewDotWriter).
	dot  bool
	bol  bool // the next output byte starts a line
	held bool // a CRLF is owed: written before the next byte, or left to the end of data
}

// NewWriter returns a Writer that writes normalised bytes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, bufSize+2)}
}

// NewDotWriter returns a Writer that normalises like NewWriter and also
// dot-stuffs the result for SMTP DATA (RFC 5321 §4.5.2): a line that
// starts with "." gets a second one, so that no line of the message can
// be the lone "." that ends the data. The decision is made on the
// normalised output, so a NUL dropped before a "." does not hide it.
//
// The last line end of the message is held back and never written: what
// the writer produced, followed by "\r\n.\r\n" (the end of mail data,
// RFC 5321 §4.1.1.4), is the complete DATA content, byte for byte what
// NewWriter feeding net/textproto's DotWriter sends — also for an empty
// message and for one without a final line end.
//
// It exists because textproto's DotWriter, which go-smtp's Data uses,
// handles one byte at a time (~300 MB/s); this runs a line at a time.
func NewDotWriter(w io.Writer) *Writer {
	cw := NewWriter(w)
	cw.dot, cw.bol = true, true
	return cw
}

// Write normalises p. It reports len(p) on success, as io.Writer requires,
// even though the number of bytes written to the underlying writer differs.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	for len(p) > 0 {
		if w.cr {
			w.cr = false
			if p[0] == '\n' {
				p = p[1:]
				continue
			}
		}
		// The next special byte: LF is found with the fast IndexByte, and
		// the run before it is checked for the rare CR and NUL.
		end := bytes.IndexByte(p, '\n')
		run := p
		if end >= 0 {
			run = p[:end]
		}
		if i := indexCRNUL(run); i >= 0 {
			end = i
			run = p[:i]
		}
		if err := w.text(run); err != nil {
			return 0, err
		}
		if end < 0 {
			break
		}
		switch p[end] {
		case '\r':
			w.cr = true
			if err := w.lineEnd(); err != nil {
				return 0, err
			}
		case '\n':
			if err := w.lineEnd(); err != nil {
				return 0, err
			}
		case 0:
			// dropped
		}
		p = p[end+1:]
	}
	return n, nil
}

var (
	crlfBytes = []byte("\r\n")
	dotBytes  = []byte(".")
)

// text emits a run of line content (no CR, LF or NUL).
func (w *Writer) text(run []byte) error {
	if !w.dot || len(run) == 0 {
		return w.emit(run)
	}
	if w.held {
		w.held = false
		if err := w.emit(crlfBytes); err != nil {
			return err
		}
	}
	if w.bol {
		w.bol = false
		if run[0] == '.' {
			// RFC 5321 §4.5.2: double a leading period.
			if err := w.emit(dotBytes); err != nil {
				return err
			}
		}
	}
	return w.emit(run)
}

// lineEnd emits CRLF; in dot mode it holds it back until more follows.
func (w *Writer) lineEnd() error {
	if !w.dot {
		return w.emit(crlfBytes)
	}
	if w.held {
		if err := w.emit(crlfBytes); err != nil {
			return err
		}
	}
	w.held, w.bol = true, true
	return nil
}

// indexCRNUL returns the index of the first CR or NUL in b, or -1.
func indexCRNUL(b []byte) int {
	i := bytes.IndexByte(b, '\r')
	if j := bytes.IndexByte(b, 0); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	return i
}

func (w *Writer) emit(b []byte) error {
	for len(b) > 0 {
		room := bufSize - len(w.buf)
		if room <= 0 {
			if err := w.Flush(); err != nil {
				return err
			}
			room = bufSize
		}
		k := min(room, len(b))
		w.buf = append(w.buf, b[:k]...)
		b = b[k:]
	}
	return nil
}

// Flush writes buffered output to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = err
	}
	return err
}

// Close flushes buffered output. It does not close the underlying writer.
// In dot mode the held-back last line end stays unwritten (see
// NewDotWriter).
func (w *Writer) Close() error { return w.Flush() }

// Normalize returns b with every line ending turned into CRLF and NUL bytes
// removed.
func Normalize(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/32)
	w := NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}
