package mime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"
)

// ErrNotConvertible says Downgrade7Bit can't make a message 7-bit: its
// 8-bit bytes are in the header, or it is multipart, or its body already
// has an encoding other than 7bit/8bit. Sending it then needs a server
// that offers 8BITMIME.
var ErrNotConvertible = errors.New("message can't be converted to 7-bit")

// Downgrade7Bit makes a single-part message with an 8-bit body 7-bit
// clean, for a server that does not offer 8BITMIME (RFC 6152 §3: the
// client must then convert the message or not send it). The body is
// re-encoded as quoted-printable (RFC 2045 §6.7) and the header gets
// MIME-Version, Content-Type (when missing: text/plain with charset
// utf-8, or unknown-8bit, RFC 1428, when the bytes are not UTF-8) and
// Content-Transfer-Encoding: quoted-printable in place of 7bit/8bit.
// Every other header field stays as it was, in its order.
//
// msg is a message as ReadStdin wrote it (CRLF line ends). It is read
// twice, once to size the result (for SMTP SIZE, RFC 1870) and once
// while the returned reader is read, so the message is never in memory.
// The reader is valid until msg is read or seeked by someone else.
// Errors: ErrNotConvertible (wrapped, with the reason), or an I/O error.
func Downgrade7Bit(msg io.ReadSeeker) (io.Reader, int64, error) {
	if _, err := msg.Seek(0, io.SeekStart); err != nil {
		return nil, 0, fmt.Errorf("mime: 7-bit conversion: %w", err)
	}
	br := bufio.NewReaderSize(msg, stdinBufSize)
	fields, bodyStart, err := downgradeHeader(br)
	if err != nil {
		return nil, 0, err
	}
	var ctype string
	var kept [][]byte
	for _, f := range fields {
		name, value := fieldValue(f)
		switch name {
		case "Content-Type":
			mt, _, err := stdmime.ParseMediaType(value)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: unreadable Content-Type %q", ErrNotConvertible, value)
			}
			if strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") {
				return nil, 0, fmt.Errorf("%w: it is %s (RFC 6152 conversion of each part is not done)", ErrNotConvertible, mt)
			}
			ctype = value
		case "Content-Transfer-Encoding":
			switch strings.ToLower(value) {
			case "7bit", "8bit":
				continue // replaced below
			default:
				return nil, 0, fmt.Errorf("%w: Content-Transfer-Encoding is %s", ErrNotConvertible, value)
			}
		case "Mime-Version":
			continue // added below, once
		}
		kept = append(kept, f)
	}

	// First pass: the charset (when the header names none) and the size.
	if _, err := msg.Seek(bodyStart, io.SeekStart); err != nil {
		return nil, 0, fmt.Errorf("mime: 7-bit conversion: %w", err)
	}
	cnt := &countWriter{w: io.Discard}
	scan := &utf8Scanner{}
	qp := quotedprintable.NewWriter(cnt)
	if _, err := io.Copy(io.MultiWriter(qp, scan), msg); err != nil {
		return nil, 0, fmt.Errorf("mime: 7-bit conversion: read message: %w", err)
	}
	qp.Close()
	if ctype == "" {
		ctype = "text/plain; charset=utf-8"
		if !scan.valid() {
			ctype = "text/plain; charset=unknown-8bit"
		}
	}
	var head bytes.Buffer
	for _, f := range kept {
		head.Write(f)
	}
	fmt.Fprintf(&head, "MIME-Version: 1.0\r\nContent-Type: %s\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", ctype)
	size := int64(head.Len()) + cnt.n

	if _, err := msg.Seek(bodyStart, io.SeekStart); err != nil {
		return nil, 0, fmt.Errorf("mime: 7-bit conversion: %w", err)
	}
	return io.MultiReader(&head, newQPReader(msg)), size, nil
}

// downgradeUnfold removes the line ends of a folded field (RFC 5322
// §2.2.3).
var downgradeUnfold = strings.NewReplacer("\r\n", "", "\r", "", "\n", "")

// downgradeHeader reads the header section: each field with its folded
// lines and line ends, and the offset where the body starts. It refuses
// 8-bit bytes there: they would need RFC 2047 encoding, which changes
// what the sender wrote.
func downgradeHeader(br *bufio.Reader) (fields [][]byte, bodyStart int64, err error) {
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, 0, fmt.Errorf("%w: a header line is longer than %d bytes", ErrNotConvertible, stdinBufSize)
		}
		if err != nil && err != io.EOF {
			return nil, 0, fmt.Errorf("mime: 7-bit conversion: read header: %w", err)
		}
		bodyStart += int64(len(line))
		if bodyStart > MaxStdinHeaderBytes {
			return nil, 0, fmt.Errorf("%w: header larger than %d bytes", ErrNotConvertible, MaxStdinHeaderBytes)
		}
		if !stdinASCII7(line) {
			return nil, 0, fmt.Errorf("%w: the header has 8-bit bytes", ErrNotConvertible)
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return fields, bodyStart, nil // the empty line (or EOF)
		}
		if stdinWSP(line[0]) && len(fields) > 0 {
			fields[len(fields)-1] = append(fields[len(fields)-1], line...)
		} else {
			fields = append(fields, append([]byte(nil), line...))
		}
		if err == io.EOF {
			return fields, bodyStart, nil
		}
	}
}

// utf8Scanner checks, in pieces, whether everything written is UTF-8.
type utf8Scanner struct {
	carry []byte // the start of a rune cut at the end of the last Write
	bad   bool
}

func (s *utf8Scanner) Write(p []byte) (int, error) {
	n := len(p)
	if s.bad {
		return n, nil
	}
	if len(s.carry) > 0 {
		p = append(s.carry, p...)
		s.carry = nil
	}
	for len(p) > 0 {
		if p[0] < utf8.RuneSelf {
			p = p[1:]
			continue
		}
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(p) {
				s.carry = append([]byte(nil), p...)
				return n, nil
			}
			s.bad = true
			return n, nil
		}
		p = p[size:]
	}
	return n, nil
}

func (s *utf8Scanner) valid() bool { return !s.bad && len(s.carry) == 0 }

// qpReader encodes what it reads from src as quoted-printable (CRLF text:
// line ends stay hard line breaks), a chunk at a time.
type qpReader struct {
	src   io.Reader
	out   bytes.Buffer
	qp    *quotedprintable.Writer
	chunk []byte
	done  bool
}

func newQPReader(src io.Reader) *qpReader {
	r := &qpReader{src: src, chunk: make([]byte, 32<<10)}
	r.qp = quotedprintable.NewWriter(&r.out)
	return r
}

func (r *qpReader) Read(p []byte) (int, error) {
	for r.out.Len() == 0 && !r.done {
		n, err := r.src.Read(r.chunk)
		if n > 0 {
			r.qp.Write(r.chunk[:n]) // into a bytes.Buffer: no error
		}
		if err == io.EOF {
			r.qp.Close()
			r.done = true
		} else if err != nil {
			return 0, fmt.Errorf("mime: 7-bit conversion: read message: %w", err)
		}
	}
	if r.out.Len() == 0 {
		return 0, io.EOF
	}
	return r.out.Read(p)
}
