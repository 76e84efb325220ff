package mime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"net/textproto"
	"strings"
)

// Over-long lines (issue 14). RFC 5322 §2.1.1 and RFC 5321 §4.5.3.1.6
// limit a line to 998 octets; strict servers (go-smtp's, by default over
// 2000) refuse the whole message with "554 too long a line". A cron job
// that prints one line of minified JSON must still reach its reader, so
// ReadStdin re-encodes such a message before it is queued, the way the
// 7-bit downgrade re-encodes an 8-bit one for a server without 8BITMIME
// (Downgrade7Bit), but for every server, since no server is obliged to
// take a longer line.
//
// Where: at spool time, not at send time. ReadStdin streams stdin into
// the queue's draft and only learns that a body line is too long after
// the header is written, so it notes the fact while streaming (one short
// scan per 1000 octets written, longLineWriter) and, only then, rewrites
// the draft in two more streaming passes over it (Respooler, queue's
// Draft.Respool): memory stays bounded for any size, a message without long
// lines costs nothing more, the queue holds exactly what goes out (its
// SIZE, `outbox queue show`), and every path that spools through
// ReadStdin gets it: sendmail -t, recipients as arguments, -bs, and root's
// maildrop pickup. A send-time conversion would instead scan every
// message again before every attempt, to know its SIZE before MAIL.
//
// What a reader sees does not change; per part (RFC 2045 §6):
//   - 7bit, 8bit, binary or no Content-Transfer-Encoding: the body is
//     re-encoded as quoted-printable (RFC 2045 §6.7), which a reader
//     decodes back to the same text; the part is then 7-bit, so a message
//     whose only 8-bit content was there no longer needs 8BITMIME.
//   - quoted-printable: valid QP has no line over 76 characters; a longer
//     line gets soft line breaks ("=" CRLF, §6.7 rule 5), never inside an
//     "=XX" escape. Decoding is unchanged.
//   - base64: a longer line is cut into 76-character lines; decoders
//     ignore line breaks (§6.8).
//   - multipart: each part on its own; the preamble and epilogue, which
//     readers ignore (RFC 2046 §5.1.1), are cut at 998 octets. No line
//     the rewrite makes starts with "-" (QP writes "=2D"), so none can
//     read as a delimiter of the parts around it.
//   - message/rfc822 and message/global: the enclosed message is handled
//     the same way (its body can't be re-encoded itself: RFC 2046
//     §5.2.1 allows only 7bit, 8bit and binary there).
//   - any other encoding (x-uuencode…), other message/* types, and parts
//     whose header can't be read (no empty line after it, too large): left
//     as they are. The server may refuse them, as before.
//
// Header lines of enclosed parts and messages longer than 998 octets are
// folded at a space (RFC 5322 §2.2.3); one with no space to fold at is
// left as it is. The message's own header is folded by ReadStdin, which
// refuses one it can't fold (but encodes a Subject: stdinField.fold).

// Respooler is a destination ReadStdin can read back and replace: a
// queue draft. ReadStdin uses it only when the message needs rewriting.
type Respooler interface {
	// Respool calls rewrite with what was written so far (from its first
	// byte) and a writer for the replacement, which takes its place when
	// rewrite returns nil. It returns false, without calling rewrite, when
	// this destination can't be rewritten (then the message stays as it
	// was written).
	Respool(rewrite func(old io.ReadSeeker, w io.Writer) error) (bool, error)
}

// longLineWriter passes writes on, counts them (n) and notes whether a
// line longer than stdinMaxLine went by. The input is CRLF text; the
// check is that every window of stdinMaxLine+2 octets holds an LF, looked
// for near the window's end first, so a stream of short lines costs one
// short scan per window, not a call per line.
type longLineWriter struct {
	w    io.Writer
	n    int64
	cur  int // octets since the last LF
	long bool
}

func (l *longLineWriter) Write(p []byte) (int, error) {
	if !l.long {
		l.scan(p)
	}
	n, err := l.w.Write(p)
	l.n += int64(n)
	return n, err
}

func (l *longLineWriter) scan(p []byte) {
	for len(p) > 0 {
		// The LF of a line of 998 octets is at index 999 of the line (after
		// its CR): it must come within room octets.
		room := stdinMaxLine + 2 - l.cur
		if len(p) < room {
			if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
				l.cur = len(p) - i - 1
			} else {
				l.cur += len(p)
			}
			return
		}
		// Any LF in the window's last 128 octets moves the next window
		// on by at least 870: look there first, with the fast IndexByte.
		tail := max(0, room-128)
		i := bytes.IndexByte(p[tail:room], '\n')
		if i >= 0 {
			i += tail
		} else if i = bytes.LastIndexByte(p[:tail], '\n'); i < 0 {
			l.long = true
			return
		}
		p, l.cur = p[i+1:], 0
	}
}

// rewriteLongLines copies msg, a message as ReadStdin writes it (CRLF
// line ends, header lines of at most 998 octets), to w with every line
// over 998 octets re-encoded as the comment above says. It reads msg
// twice: once to find which parts hold such lines (and whether their
// 8-bit text is UTF-8), because a part's header must say its encoding
// before its body; then to write. It returns whether the body of the
// result still has 8-bit bytes.
func rewriteLongLines(w io.Writer, msg io.ReadSeeker) (eightBit bool, err error) {
	var plan []leafInfo
	for pass := 0; pass < 2; pass++ {
		if _, err := msg.Seek(0, io.SeekStart); err != nil {
			return false, fmt.Errorf("mime: re-encode long lines: %w", err)
		}
		rw := &rewriter{br: bufio.NewReaderSize(msg, stdinBufSize), planning: pass == 0, plan: plan}
		rw.out = &eightBitWriter{w: io.Discard}
		if !rw.planning {
			rw.out.w = w
		}
		rw.message()
		if err := rw.err(); err != nil {
			return false, err
		}
		plan = rw.plan
		eightBit = rw.out.eightBit
	}
	return eightBit, nil
}

// leafInfo is what the planning pass learns about a part that is not
// multipart: whether a body line is over 998 octets, and its 8-bit text.
type leafInfo struct {
	long, eightBit, notUTF8 bool
}

// eightBitWriter writes to w and, once body is set, notes 8-bit bytes.
type eightBitWriter struct {
	w        io.Writer
	body     bool
	eightBit bool
	err      error
}

func (e *eightBitWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.body && !e.eightBit && !stdinASCII7(p) {
		e.eightBit = true
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = fmt.Errorf("mime: re-encode long lines: write: %w", err)
	}
	return n, e.err
}

// rewriter walks the MIME structure of one message, line by line. The
// same walk runs twice: planning (writes to nowhere, appends to plan) and
// writing (takes the plan's entries in the same order).
type rewriter struct {
	br       *bufio.Reader
	out      *eightBitWriter
	planning bool
	plan     []leafInfo
	next     int // the next plan entry, when writing

	bounds []string // delimiters ("--" + boundary) of the enclosing multiparts, innermost last
	depth  int
	line   []byte // the current line, with its CRLF; empty at EOF
	full   bool   // line is whole (not a fragment of a line over the buffer's size)
	eof    bool
	rerr   error
}

// maxDepth bounds nested multiparts and messages: deeper ones are copied.
const maxDepth = 50

func (r *rewriter) err() error {
	if r.rerr != nil {
		return fmt.Errorf("mime: re-encode long lines: read: %w", r.rerr)
	}
	return r.out.err
}

// readLine makes the next line (or, for a line longer than the buffer,
// its next fragment) current.
func (r *rewriter) readLine() {
	if r.eof {
		r.line = nil
		return
	}
	line, err := r.br.ReadSlice('\n')
	r.full = err != bufio.ErrBufferFull
	if err != nil && err != bufio.ErrBufferFull {
		r.eof = true
		if err != io.EOF {
			r.rerr = err
		}
	}
	r.line = line
}

func (r *rewriter) write(p []byte) { r.out.Write(p) } // errors are sticky in out

// delimiter reports whether the current line is a delimiter of an
// enclosing multipart (RFC 2046 §5.1.1: "--" boundary, "--" for the
// last, then optional white space).
func (r *rewriter) delimiter() bool {
	if !r.full || len(r.line) < 3 || r.line[0] != '-' || r.line[1] != '-' {
		return false
	}
	for _, b := range r.bounds {
		if isDelimiter(r.line, b) {
			return true
		}
	}
	return false
}

func isDelimiter(line []byte, delim string) bool {
	if !bytes.HasPrefix(line, []byte(delim)) {
		return false
	}
	rest := bytes.TrimSuffix(line[len(delim):], []byte("\r\n"))
	rest = bytes.TrimPrefix(rest, []byte("--"))
	return len(bytes.Trim(rest, " \t")) == 0
}

// message handles the whole input: its header is ReadStdin's, already
// folded.
func (r *rewriter) message() {
	r.readLine()
	r.entity("text/plain", true)
	// Whatever follows (nothing, for a well-formed message) is copied.
	r.copyRest()
}

// header reads a header section: the fields (each with its continuation
// lines and CRLFs), and whether it ended properly with an empty line
// (consumed). ok is false when it did not: EOF, a delimiter or a line
// that is not a field came first, or it is too large; the lines read so
// far are then in fields, to be written as they were.
func (r *rewriter) header() (fields [][]byte, ok bool) {
	size := 0
	for {
		switch {
		case len(r.line) == 0:
			return fields, false
		// Twice ReadStdin's limits: the fields it adds and its folds.
		case !r.full || size+len(r.line) > 2*MaxStdinHeaderBytes || len(fields) >= 2*MaxStdinHeaderFields:
			return fields, false
		case r.delimiter():
			return fields, false
		case string(r.line) == "\r\n":
			r.readLine()
			return fields, true
		case stdinWSP(r.line[0]) && len(fields) > 0:
			fields[len(fields)-1] = append(fields[len(fields)-1], r.line...)
		case stdinFieldStart(r.line):
			fields = append(fields, append([]byte(nil), r.line...))
		default:
			return fields, false
		}
		size += len(r.line)
		r.readLine()
	}
}

// fieldValue returns the name (canonical) and unfolded value of a field.
func fieldValue(f []byte) (name, value string) {
	n, v, _ := strings.Cut(string(f), ":")
	return textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(n)), strings.TrimSpace(downgradeUnfold.Replace(v))
}

// entity handles one header and body: the message, a part, or an
// enclosed message (top: a message, whose header gets MIME-Version when
// the rewrite needs it). defType is the Content-Type when there is none
// (RFC 2045 §5.2, RFC 2046 §5.1.5 for multipart/digest). It ends at EOF
// or at a delimiter of an enclosing multipart, which stays current.
func (r *rewriter) entity(defType string, top bool) {
	fields, ok := r.header()
	if !ok {
		// Any 8-bit byte from here on counts (only the message's own
		// header is not body, and ReadStdin's is always well-formed).
		r.out.body = true
		for _, f := range fields {
			r.write(f)
		}
		r.copyBody()
		return
	}
	if r.depth >= maxDepth {
		r.writeFields(fields, top)
		r.copyBody()
		return
	}
	// The first of repeated fields counts, as for most readers.
	ctype, cte := defType, ""
	var params map[string]string
	var seenType, seenCTE bool
	for _, f := range fields {
		switch name, value := fieldValue(f); {
		case name == "Content-Type" && !seenType:
			seenType = true
			mt, p, err := stdmime.ParseMediaType(value)
			if err != nil {
				ctype = "text/plain" // RFC 2045 §5.2
				continue
			}
			ctype, params = mt, p
		case name == "Content-Transfer-Encoding" && !seenCTE:
			seenCTE = true
			cte = strings.ToLower(value)
		}
	}
	identity := cte == "" || cte == "7bit" || cte == "8bit" || cte == "binary"
	r.depth++
	defer func() { r.depth-- }()
	switch {
	case strings.HasPrefix(ctype, "multipart/") && params["boundary"] != "" && identity:
		r.multipart(fields, top, ctype, params["boundary"])
	case (ctype == "message/rfc822" || ctype == "message/global") && identity:
		r.writeFields(fields, top)
		r.out.body = true
		r.entity("text/plain", true)
	case identity && !strings.HasPrefix(ctype, "message/") && !strings.HasPrefix(ctype, "multipart/"):
		r.leaf(fields, top, hasField(fields, "Content-Type"))
	case cte == "quoted-printable" || cte == "base64":
		r.writeFields(fields, top)
		r.out.body = true
		r.rewrap(cte == "base64")
	default:
		r.writeFields(fields, top)
		r.copyBody()
	}
}

func hasField(fields [][]byte, name string) bool {
	for _, f := range fields {
		if n, _ := fieldValue(f); n == name {
			return true
		}
	}
	return false
}

// writeFields writes a header section and its empty line; lines over 998
// octets (only possible below the top) are folded where a space allows.
func (r *rewriter) writeFields(fields [][]byte, top bool) {
	for _, f := range fields {
		r.writeField(f)
	}
	r.write(stdinCRLF)
	if top {
		r.out.body = true
	}
}

func (r *rewriter) writeField(f []byte) {
	from := bytes.IndexByte(f, ':') // folds only after the name's colon
	for len(f) > 0 {
		i := bytes.Index(f, stdinCRLF)
		if i < 0 {
			r.write(f)
			return
		}
		line := f[:i]
		f = f[i+2:]
		if len(line) > stdinMaxLine {
			if folded, err := stdinFold(nil, line, max(from, 0), ""); err == nil {
				for _, l := range folded {
					r.write(l)
					r.write(stdinCRLF)
				}
				from = 0
				continue
			}
		}
		r.write(line)
		r.write(stdinCRLF)
		from = 0
	}
}

// copyBody copies lines up to a delimiter of an enclosing multipart (or
// EOF), as they are.
func (r *rewriter) copyBody() {
	for len(r.line) > 0 && !r.delimiter() {
		r.write(r.line)
		r.readLine()
	}
}

func (r *rewriter) copyRest() {
	for len(r.line) > 0 {
		r.write(r.line)
		r.readLine()
	}
}

// multipart handles a multipart body: preamble, parts, epilogue.
func (r *rewriter) multipart(fields [][]byte, top bool, ctype, boundary string) {
	delim := "--" + boundary
	if top && !r.planning && r.changes() && !hasField(fields, "Mime-Version") {
		fields = append(fields, []byte("MIME-Version: 1.0\r\n"))
	}
	r.writeFields(fields, top)
	r.out.body = true
	outer := r.bounds
	r.bounds = append(outer[:len(outer):len(outer)], delim)
	defer func() { r.bounds = outer }()
	partType := "text/plain"
	if ctype == "multipart/digest" {
		partType = "message/rfc822"
	}
	r.ignorable() // preamble
	for len(r.line) > 0 && r.full && isDelimiter(r.line, delim) {
		closing := bytes.HasPrefix(bytes.TrimPrefix(r.line, []byte(delim)), []byte("--"))
		r.write(r.line)
		r.readLine()
		if closing {
			r.ignorable() // epilogue
			return
		}
		r.entity(partType, false)
	}
	// EOF, or an outer delimiter: this multipart was not closed.
}

// ignorable copies a preamble or epilogue up to a delimiter, cutting lines
// over 998 octets: readers ignore this text, so a line break in it changes
// nothing they see. A cut never makes a line that looks like a delimiter.
func (r *rewriter) ignorable() {
	col := 0
	for len(r.line) > 0 && !r.delimiter() {
		p := r.line
		for len(p) > 0 {
			n := bytes.IndexByte(p, '\n') + 1
			if n == 0 {
				n = len(p)
			}
			text := n // octets of line content, without the CRLF
			if p[n-1] == '\n' {
				text = n - 2
			}
			if col+text <= stdinMaxLine {
				r.write(p[:n])
				col += n
				if p[n-1] == '\n' {
					col = 0
				}
				p = p[n:]
				continue
			}
			cut := stdinMaxLine - col
			if cut <= 0 {
				r.write(stdinCRLF)
				col = 0
				continue
			}
			for cut > 1 && p[cut] == '-' {
				cut-- // a new line starting with "-" could read as a delimiter
			}
			r.write(p[:cut])
			r.write(stdinCRLF)
			p, col = p[cut:], 0
		}
		r.readLine()
	}
}

// changes reports whether a leaf after the current point of the plan is
// re-encoded (for MIME-Version on a multipart message).
func (r *rewriter) changes() bool {
	for _, l := range r.plan[r.next:] {
		if l.long {
			return true
		}
	}
	return false
}

// leaf handles a part that is not multipart, with an identity encoding:
// when a body line is too long, it is re-encoded as quoted-printable.
func (r *rewriter) leaf(fields [][]byte, top, hasType bool) {
	if r.planning {
		r.writeFields(fields, top)
		r.plan = append(r.plan, r.scanLeaf())
		return
	}
	info := r.plan[r.next]
	r.next++
	if !info.long {
		r.writeFields(fields, top)
		r.copyBody()
		return
	}
	var kept [][]byte
	hasVersion := false
	for _, f := range fields {
		switch n, _ := fieldValue(f); n {
		case "Content-Transfer-Encoding":
			continue // replaced below
		case "Mime-Version":
			hasVersion = true
		}
		kept = append(kept, f)
	}
	if top && !hasVersion {
		kept = append(kept, []byte("MIME-Version: 1.0\r\n"))
	}
	if !hasType && info.eightBit {
		// The default, US-ASCII (RFC 2045 §5.2), is not what the 8-bit
		// text is; label it as Downgrade7Bit does.
		cs := "utf-8"
		if info.notUTF8 {
			cs = "unknown-8bit" // RFC 1428
		}
		kept = append(kept, []byte("Content-Type: text/plain; charset="+cs+"\r\n"))
	}
	kept = append(kept, []byte("Content-Transfer-Encoding: quoted-printable\r\n"))
	r.writeFields(kept, top)
	r.out.body = true
	qp := &qpEncoder{w: r.out}
	for len(r.line) > 0 && !r.delimiter() {
		qp.Write(r.line) // errors are sticky in r.out
		r.readLine()
	}
	qp.Close()
}

// qpEncoder encodes CRLF text as quoted-printable (RFC 2045 §6.7): CRLF
// stays a line break, lines get soft breaks to stay within 76 octets,
// "=", control and 8-bit octets and white space before a line end are
// escaped. It is written by hand for one rule mime/quotedprintable's
// Writer does not follow: a line that starts with "-" starts with "=2D",
// so no encoded line can read as a multipart delimiter ("--boundary",
// RFC 2046 §5.1.1) of the parts around it.
type qpEncoder struct {
	w    io.Writer
	line []byte // the output line being built, at most 76 octets
}

const qpMax = 76

func (e *qpEncoder) Write(p []byte) (int, error) {
	for _, c := range p {
		switch {
		case c == '\r':
			// Line ends are CRLF (ReadStdin's output): the LF ends it.
		case c == '\n':
			e.endLine()
			e.line = append(e.line, '\r', '\n')
			e.flush()
		default:
			literal := c >= 33 && c <= 126 && c != '=' || c == ' ' || c == '\t'
			n := 1
			if !literal {
				n = 3
			}
			if len(e.line)+n > qpMax-1 { // room for the "=" of a soft break
				e.softBreak()
			}
			if len(e.line) == 0 && c == '-' {
				literal = false
			}
			if literal {
				e.line = append(e.line, c)
			} else {
				e.line = fmt.Appendf(e.line, "=%02X", c)
			}
		}
	}
	return len(p), nil
}

// endLine escapes white space at the end of the line (RFC 2045 §6.7
// rule 3: it may be lost in transport).
func (e *qpEncoder) endLine() {
	n := len(e.line)
	if n == 0 || (e.line[n-1] != ' ' && e.line[n-1] != '\t') {
		return
	}
	ws := e.line[n-1]
	e.line = e.line[:n-1]
	if len(e.line)+3 > qpMax {
		e.softBreak()
	}
	e.line = fmt.Appendf(e.line, "=%02X", ws)
}

func (e *qpEncoder) softBreak() {
	e.line = append(e.line, qpSoftBreak...)
	e.flush()
}

func (e *qpEncoder) flush() {
	e.w.Write(e.line) // the caller's writer keeps its error
	e.line = e.line[:0]
}

// Close writes a last line that has no line end.
func (e *qpEncoder) Close() {
	e.endLine()
	e.flush()
}

// scanLeaf reads a leaf's body (planning) and says what it holds.
func (r *rewriter) scanLeaf() leafInfo {
	var info leafInfo
	var u utf8Scanner
	col := 0
	for len(r.line) > 0 && !r.delimiter() {
		l := r.line
		col += len(l)
		if l[len(l)-1] == '\n' {
			if col > stdinMaxLine+2 {
				info.long = true
			}
			col = 0
		} else if col > stdinMaxLine+2 {
			info.long = true
		}
		if !stdinASCII7(l) {
			info.eightBit = true
			u.Write(l)
		}
		r.readLine()
	}
	info.notUTF8 = !u.valid()
	return info
}

// rewrap handles a quoted-printable or base64 body: lines over 998 octets
// are cut into lines of at most 76 octets (for QP, 75 and a soft line
// break); shorter lines are left alone. It streams: a line longer than
// the read buffer is cut as its pieces arrive.
func (r *rewriter) rewrap(base64 bool) {
	for len(r.line) > 0 && !r.delimiter() {
		if r.full && len(r.line) <= stdinMaxLine+2 {
			r.write(r.line)
			r.readLine()
			continue
		}
		// A long line, possibly in fragments: cut it as it streams.
		col := 0
		var prev1, prev2 byte // the last two octets of the output line
		for {
			p := r.line
			last := r.full
			for i := 0; i < len(p); i++ {
				c := p[i]
				if c == '\r' || c == '\n' {
					r.write(p[i:])
					break
				}
				if base64 {
					if col == 76 {
						r.write(stdinCRLF)
						col = 0
					}
				} else if col >= stdinMaxLine-1 || (col+qpNeed(c) > 75 && qpCanBreak(prev2, prev1)) {
					// Past 997 octets the line is cut wherever it is:
					// only invalid QP (a long run of "=") gets there.
					r.write(qpSoftBreak)
					col, prev1, prev2 = 0, 0, 0
					if c == '-' {
						// A line starting with "-" could read as a
						// multipart delimiter; "=2D" decodes the same.
						r.write(qpDash)
						col, prev1 = 3, 'D'
						continue
					}
				}
				r.write(p[i : i+1])
				col++
				prev2, prev1 = prev1, c
			}
			r.readLine()
			if last || len(r.line) == 0 {
				break
			}
		}
	}
}

// qpNeed is the room an encoded unit starting with c may need: three
// octets for an "=XX" escape.
func qpNeed(c byte) int {
	if c == '=' {
		return 3
	}
	return 1
}

// qpCanBreak reports whether a soft line break may go after prev2 and
// prev1 without changing what a decoder reads: not inside an "=XX"
// escape, and not right after an "=" (an "=" that is not an escape is
// read as itself, but not at the end of a line).
func qpCanBreak(prev2, prev1 byte) bool {
	return prev1 != '=' && prev2 != '='
}

var (
	qpSoftBreak = []byte("=\r\n") // RFC 2045 §6.7 rule 5
	qpDash      = []byte("=2D")
)

// respoolLongLines rewrites what ReadStdin wrote to dst when it had lines
// over 998 octets. done is false when dst can't be rewritten.
func respoolLongLines(dst io.Writer) (done, eightBit bool, size int64, err error) {
	rs, ok := dst.(Respooler)
	if !ok {
		return false, false, 0, nil
	}
	done, err = rs.Respool(func(old io.ReadSeeker, w io.Writer) error {
		cnt := &countWriter{w: w}
		var err error
		eightBit, err = rewriteLongLines(cnt, old)
		size = cnt.n
		return err
	})
	if err != nil {
		var me *Error
		if !errors.As(err, &me) {
			err = fmt.Errorf("mime: re-encode long lines: %w", err)
		}
	}
	return done, eightBit, size, err
}
