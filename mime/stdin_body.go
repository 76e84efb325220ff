package mime

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// stdinBody streams the body into a crlf.Writer, which normalises line
// ends and drops NUL bytes. With dotEnds it finds line starts, using the
// same line ends as crlf.Writer (LF, CRLF, bare CR) so that the lone "."
// it looks for is exactly a "." line of the output; NUL bytes are ignored
// there for the same reason.
type stdinBody struct {
	w       io.Writer
	dotEnds bool

	atLineStart bool // nothing of the current line seen yet
	afterCR     bool // the last line end was a CR: an LF now belongs to it
	dotHeld     bool // the line so far is "." (NULs aside), not yet written
	stopped     bool // a lone "." ended the message
	last        byte // last non-NUL byte written, 0 if none
	eightBit    bool
}

// copy writes first (bytes the header reader already consumed) and then
// the rest of br, straight from br's buffer (no second one). It stops at
// a lone "." with dotEnds, without reading further: sendmail stops
// reading there.
func (b *stdinBody) copy(first []byte, br *bufio.Reader) error {
	if len(first) > 0 {
		if err := b.process(first); err != nil {
			return err
		}
	}
	for !b.stopped {
		if _, err := br.Peek(1); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("mime: read message body: %w", err)
		}
		buf, _ := br.Peek(br.Buffered())
		err := b.process(buf)
		br.Discard(len(buf))
		if err != nil {
			return err
		}
	}
	// A lone "." as the last, unterminated line ends the message as well.
	if b.dotHeld {
		b.stopped = true
	}
	// RFC 5322 §2.1: the body is lines, each ended by CRLF.
	if b.last != 0 && b.last != '\n' && b.last != '\r' {
		return b.emit([]byte{'\n'})
	}
	return nil
}

func (b *stdinBody) emit(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if !b.eightBit && !stdinASCII7(p) {
		b.eightBit = true
	}
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0 {
			b.last = p[i]
			break
		}
	}
	if _, err := b.w.Write(p); err != nil {
		return fmt.Errorf("mime: write message: %w", err)
	}
	return nil
}

func (b *stdinBody) process(p []byte) error {
	if !b.dotEnds {
		return b.emit(p)
	}
	seg := 0 // start of the bytes not written yet
	i := 0
	for i < len(p) {
		c := p[i]
		switch {
		case b.dotHeld:
			switch c {
			case 0:
				i++
				seg = i
			case '\r', '\n':
				b.stopped = true
				b.dotHeld = false
				return b.emit(p[seg:i]) // seg == i; nothing after "." is written
			default:
				b.dotHeld = false
				if err := b.emit([]byte{'.'}); err != nil {
					return err
				}
			}
		case b.atLineStart:
			switch c {
			case '\n': // an empty line, or the LF of a CRLF
				b.afterCR = false
				i++
			case '\r':
				b.afterCR = true
				i++
			case 0:
				b.afterCR = false
				i++
			case '.':
				if err := b.emit(p[seg:i]); err != nil {
					return err
				}
				b.afterCR = false
				b.atLineStart = false
				b.dotHeld = true
				i++
				seg = i
			default:
				b.afterCR = false
				b.atLineStart = false
			}
		default:
			// Inside a line: jump to its end.
			rest := p[i:]
			j := bytes.IndexByte(rest, '\n')
			before := rest
			if j >= 0 {
				before = rest[:j]
			}
			if k := bytes.IndexByte(before, '\r'); k >= 0 {
				j = k
			}
			if j < 0 {
				i = len(p)
				continue
			}
			b.atLineStart = true
			b.afterCR = rest[j] == '\r'
			i += j + 1
		}
	}
	if b.dotHeld {
		return nil // p[seg:] is empty: the held "." waits for the next byte
	}
	return b.emit(p[seg:])
}

// stdinASCII7 reports whether p has no byte >= 0x80, eight bytes at a time.
func stdinASCII7(p []byte) bool {
	for len(p) >= 8 {
		if binary.LittleEndian.Uint64(p)&0x8080808080808080 != 0 {
			return false
		}
		p = p[8:]
	}
	for _, c := range p {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
