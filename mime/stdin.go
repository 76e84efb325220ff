package mime

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outboxmail/outbox/internal/crlf"
)

// Limits on the header section read from stdin. The header is held in memory
// to be parsed; the body never is.
const (
	// MaxStdinHeaderBytes bounds the raw size of the header section.
	MaxStdinHeaderBytes = 1 << 20
	// MaxStdinHeaderFields bounds the number of header fields.
	MaxStdinHeaderFields = 10000

	// stdinMaxLine is the line length limit of RFC 5322 §2.1.1 (998
	// octets, excluding the CRLF).
	stdinMaxLine = 998

	stdinBufSize = 64 << 10
)

// StdinOptions says how ReadStdin treats a message read the way sendmail(8)
// reads it.
type StdinOptions struct {
	// DotEnds: a line consisting of a lone "." ends the message; it is not
	// written and the rest of the input is not read (sendmail without -i).
	DotEnds bool
	// ExtractRecipients (-t): collect the addresses of To, Cc and Bcc, or only
	// of Resent-To, Resent-Cc and Resent-Bcc when any of those is present;
	// Bcc and Resent-Bcc are removed from the output (RFC 5322 §3.6.3).
	ExtractRecipients bool
	// From is the field value added when the message has no From field,
	// already formatted (e.g. `"Cron Daemon" <root@example.com>`). Empty: no
	// From is added.
	From string
	// Date is used for a Date field when the message has none; the zero time
	// means time.Now().
	Date time.Time
	// MessageID (with angle brackets) is added when the message has no
	// Message-ID. Empty: no Message-ID is added.
	MessageID string
	// Domain, when set, is appended to bare local names in the address
	// fields of the header ("To: root" becomes "To: root@Domain"), as
	// Postfix does for locally submitted mail: a smarthost must not get
	// an addr-spec without a domain (RFC 5322 §3.4.1). Recipients are
	// extracted before this, so -t still sees "root" and can map it
	// through aliases.
	Domain string
}

// StdinInfo describes the message ReadStdin wrote.
type StdinInfo struct {
	// Recipients are the addr-specs found with ExtractRecipients, in order,
	// without duplicates. Local names without "@" (root) are kept as they
	// are; groups contribute their members ("undisclosed-recipients:;"
	// contributes nothing).
	Recipients []string
	// HeadersRead names the address fields recipients were read from
	// (canonical spelling, e.g. "To", "Resent-Cc"), each once. Empty when
	// ExtractRecipients is false or no such field exists.
	HeadersRead []string
	// FromHeader is the From field value as sent, unfolded and trimmed.
	FromHeader string
	// FromAddress is the addr-spec of the first mailbox of FromHeader, or ""
	// when it can't be parsed.
	FromAddress string
	// Body8Bit reports bytes >= 0x80 in the body, or in a header field
	// that does not carry addresses (raw 8-bit Subject): the message is
	// not 7-bit clean and needs BODY=8BITMIME (RFC 6152).
	Body8Bit bool
	// SMTPUTF8 reports raw (not RFC 2047 encoded) non-ASCII bytes in a field
	// that carries addresses, or in an extracted recipient: RFC 6531/6532.
	SMTPUTF8 bool
	// LongLines reports a body line longer than 998 octets (RFC 5322
	// §2.1.1). Reencoded says the message in dst was then rewritten so
	// that it has none, without changing the text a reader sees
	// (stdin_longlines.go); that needs dst to be a Respooler (a queue
	// draft is), else the message is left as it was read.
	LongLines, Reencoded bool
	// Size is the number of bytes in dst.
	Size int64
}

// ReadStdin reads an RFC 5322 message from src the way sendmail(8) does and
// writes it, normalised, to dst: every line ending (LF, CRLF, bare CR)
// becomes CRLF and NUL bytes are dropped, so no bare CR or LF ever reaches
// the SMTP layer (RFC 5321 §2.3.8; SMTP smuggling, CVE-2023-51764); a
// leading mbox "From " line is dropped; header lines longer than 998 octets
// are folded (RFC 5322 §2.1.1); missing Date, From and Message-ID fields are
// appended after the existing ones, which are kept as they were.
//
// Choices, where sendmail and Postfix leave room:
//   - A lone "." (DotEnds) ends the message wherever it appears, also in the
//     header section or as the last line without a line end; reading stops
//     there, as sendmail does. NUL bytes are ignored when looking for it, and
//     a bare CR ends a line as LF does, because that is what the output shows.
//   - The first line that is neither a field nor a continuation ends the
//     header; the missing empty line is inserted before it. When that is the
//     first line, the whole input is body.
//   - A header line that can't be folded to 998 octets is an *Error: it is
//     not truncated; only a Subject or Comments of UTF-8 text is
//     re-encoded instead (RFC 2047 encoded-words, see stdinField.fold).
//   - A body with a line over 998 octets (RFC 5322 §2.1.1; RFC 5321
//     §4.5.3.1.6 servers refuse it) is re-encoded when dst is a
//     Respooler: quoted-printable for the part that holds the line, and
//     the other rules of stdin_longlines.go. Shorter lines are kept as
//     they are.
//   - A body that does not end with a line end gets one (RFC 5322 §2.1).
//   - Resent-* fields get no generated Resent-Date/From/Message-ID.
//
// The header section is read into memory (at most MaxStdinHeaderBytes and
// MaxStdinHeaderFields); the body is streamed with constant memory, also
// when it is re-encoded (two more passes, over dst).
// Problems with the message are returned as *Error (exit 65) before
// anything is written; read and write errors are wrapped. On error dst may
// hold a partial message and must be discarded.
func ReadStdin(dst io.Writer, src io.Reader, o StdinOptions) (*StdinInfo, error) {
	for _, f := range []struct{ name, v string }{{"From", o.From}, {"Message-ID", o.MessageID}, {"domain", o.Domain}} {
		if strings.ContainsAny(f.v, "\r\n\x00") {
			return nil, &Error{Field: f.name, Value: f.v, Msg: "contains a line break or NUL byte"}
		}
	}
	br := bufio.NewReaderSize(src, stdinBufSize)
	h, err := readStdinHeader(br, o.DotEnds)
	if err != nil {
		return nil, err
	}
	info := &StdinInfo{}
	if err := h.analyse(info, o); err != nil {
		return nil, err
	}
	lines, err := h.outputLines(info, o)
	if err != nil {
		return nil, err
	}

	out := &longLineWriter{w: dst} // counts, and notes lines over 998 octets
	cw := crlf.NewWriter(out)
	for _, l := range lines {
		cw.Write(l)
		cw.Write(stdinCRLF)
	}
	cw.Write(stdinCRLF) // the empty line that ends the header section
	header8Bit := info.Body8Bit
	if !h.stopped {
		body := &stdinBody{w: cw, dotEnds: o.DotEnds, atLineStart: true}
		if err := body.copy(h.rest, br); err != nil {
			return nil, err
		}
		info.Body8Bit = info.Body8Bit || body.eightBit
	}
	if err := cw.Close(); err != nil {
		return nil, fmt.Errorf("mime: write message: %w", err)
	}
	info.Size = out.n
	if out.long {
		// See stdin_longlines.go: a line over 998 octets is re-encoded
		// in two more streaming passes over what was just written.
		info.LongLines = true
		done, eightBit, size, err := respoolLongLines(dst)
		if err != nil {
			return nil, err
		}
		if done {
			info.Reencoded = true
			info.Size = size
			info.Body8Bit = header8Bit || eightBit
		}
	}
	return info, nil
}

var stdinCRLF = []byte("\r\n")

// stdinField is one header field as read: its physical lines without line
// ends and NUL bytes, the first one starting with "Name:".
type stdinField struct {
	name  string // canonical (textproto) spelling
	lines [][]byte
}

// value returns the field body unfolded (RFC 5322 §2.2.3: a line end
// followed by WSP is removed), without the name and colon.
func (f *stdinField) value() string {
	first := f.lines[0]
	first = first[bytes.IndexByte(first, ':')+1:]
	if len(f.lines) == 1 {
		return string(first)
	}
	var b strings.Builder
	b.Write(first)
	for _, l := range f.lines[1:] {
		b.Write(l)
	}
	return b.String()
}

type stdinHeader struct {
	fields  []*stdinField
	rest    []byte // raw bytes of the line that ended the header, already read: body
	stopped bool   // a lone "." ended the message inside the header section
}

func stdinErrTooLarge() error {
	return &Error{Field: "header section", Msg: fmt.Sprintf("larger than %d bytes or %d fields; is this a message?", MaxStdinHeaderBytes, MaxStdinHeaderFields)}
}

// readStdinHeader reads the header section. It ends at the first empty line
// (consumed), at the first line that is neither a field nor a continuation
// (kept in rest: it is the first body line), at a lone "." with dotEnds, or
// at EOF. A first line that is not a field means there is no header at all.
func readStdinHeader(br *bufio.Reader, dotEnds bool) (*stdinHeader, error) {
	h := &stdinHeader{}
	budget := MaxStdinHeaderBytes
	for n := 0; ; n++ {
		raw, complete, err := stdinReadLine(br, budget)
		if err != nil {
			return nil, fmt.Errorf("mime: read message: %w", err)
		}
		if len(raw) == 0 { // EOF
			return h, nil
		}
		budget -= len(raw)
		line := stdinStripLine(raw)
		if !complete {
			// The line did not fit in the budget: a header field that
			// long is an error; anything else is the body.
			if (len(h.fields) > 0 && stdinWSP(line[0])) || stdinFieldStart(line) {
				return nil, stdinErrTooLarge()
			}
			h.rest = raw
			return h, nil
		}
		switch {
		case n == 0 && bytes.HasPrefix(line, []byte("From ")):
			// mbox separator ("From sender date"): not part of the message.
			continue
		case dotEnds && len(line) == 1 && line[0] == '.':
			h.stopped = true
			return h, nil
		case len(line) == 0:
			return h, nil
		case stdinWSP(line[0]) && len(h.fields) > 0:
			f := h.fields[len(h.fields)-1]
			f.lines = append(f.lines, line)
		case stdinFieldStart(line):
			if len(h.fields) >= MaxStdinHeaderFields {
				return nil, stdinErrTooLarge()
			}
			name := string(bytes.TrimRight(line[:bytes.IndexByte(line, ':')], " \t"))
			h.fields = append(h.fields, &stdinField{
				name:  textproto.CanonicalMIMEHeaderKey(name),
				lines: [][]byte{line},
			})
		default:
			// Not a header line: the body starts here. Without a
			// preceding empty line RFC 5322 §2.1 is violated; the empty
			// line is written before it.
			h.rest = raw
			return h, nil
		}
	}
}

// stdinReadLine reads one line ended by LF, CRLF or a bare CR (the line ends
// crlf.Writer recognises, so the header is parsed as it will be sent),
// including its line end. It reads at most max bytes; complete is false when
// the line was cut there. At EOF it returns no bytes.
func stdinReadLine(br *bufio.Reader, max int) (raw []byte, complete bool, err error) {
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return raw, true, nil
		} else if err != nil {
			return nil, false, err
		}
		buf, _ := br.Peek(br.Buffered())
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			if len(raw)+len(buf) > max {
				k := max - len(raw)
				raw = append(raw, buf[:k]...)
				br.Discard(k)
				return raw, false, nil
			}
			raw = append(raw, buf...)
			br.Discard(len(buf))
			continue
		}
		end := i + 1
		if len(raw)+end > max {
			k := max - len(raw)
			raw = append(raw, buf[:k]...)
			br.Discard(k)
			return raw, false, nil
		}
		raw = append(raw, buf[:end]...)
		br.Discard(end)
		if buf[i] == '\r' {
			// CRLF is one line end, also when the LF is not buffered yet.
			next, err := br.Peek(1)
			if err == nil && next[0] == '\n' {
				raw = append(raw, '\n')
				br.Discard(1)
			} else if err != nil && err != io.EOF {
				return nil, false, err
			}
		}
		return raw, true, nil
	}
}

// stdinStripLine returns the line without its line end and without NUL bytes
// (crlf.Writer drops them from the output, so they are not parsed either).
func stdinStripLine(raw []byte) []byte {
	l := bytes.TrimRight(raw, "\r\n")
	if bytes.IndexByte(l, 0) < 0 {
		return l
	}
	out := make([]byte, 0, len(l))
	for _, c := range l {
		if c != 0 {
			out = append(out, c)
		}
	}
	return out
}

func stdinWSP(c byte) bool { return c == ' ' || c == '\t' }

// stdinFieldStart reports whether line starts a header field: a field name of
// printable ASCII other than ":" (RFC 5322 §3.6.8 ftext), optional WSP
// (obsolete syntax, §4.5) and a colon.
func stdinFieldStart(line []byte) bool {
	i := 0
	for i < len(line) && line[i] >= 33 && line[i] <= 126 && line[i] != ':' {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(line) && stdinWSP(line[i]) {
		i++
	}
	return i < len(line) && line[i] == ':'
}

// stdinAddrFields are the fields that carry addresses: raw non-ASCII bytes in
// them need SMTPUTF8 (RFC 6532 §3.2).
var stdinAddrFields = map[string]bool{
	"From": true, "Sender": true, "Reply-To": true, "To": true, "Cc": true, "Bcc": true,
	"Resent-From": true, "Resent-Sender": true, "Resent-To": true, "Resent-Cc": true,
	"Resent-Bcc": true, "Return-Path": true, "Disposition-Notification-To": true,
	"Errors-To": true, "Mail-Followup-To": true, "Mail-Reply-To": true,
}

// analyse extracts recipients (with ExtractRecipients), drops Bcc fields
// when they were used, and fills the header part of info.
func (h *stdinHeader) analyse(info *StdinInfo, o StdinOptions) error {
	if o.ExtractRecipients {
		if err := h.extractRecipients(info); err != nil {
			return err
		}
		// RFC 5322 §3.6.3: Bcc recipients must not be shown to the others.
		kept := h.fields[:0]
		for _, f := range h.fields {
			if f.name != "Bcc" && f.name != "Resent-Bcc" {
				kept = append(kept, f)
			}
		}
		h.fields = kept
	}
	h.qualify(o.Domain)
	for _, f := range h.fields {
		if stdinHasNonASCII(f.lines) {
			if stdinAddrFields[f.name] {
				info.SMTPUTF8 = true
			} else {
				info.Body8Bit = true
			}
		}
		if f.name == "From" && info.FromHeader == "" {
			info.FromHeader = strings.TrimSpace(f.value())
		}
	}
	return nil
}

func stdinHasNonASCII(lines [][]byte) bool {
	for _, l := range lines {
		if !stdinASCII7(l) {
			return true
		}
	}
	return false
}

// outputLines returns the header lines to write, folded, with the missing
// fields appended (after the existing ones, as Postfix does).
func (h *stdinHeader) outputLines(info *StdinInfo, o StdinOptions) ([][]byte, error) {
	var have struct{ date, from, msgid bool }
	var out [][]byte
	for _, f := range h.fields {
		switch f.name {
		case "Date":
			have.date = true
		case "From":
			have.from = true
		case "Message-Id":
			have.msgid = true
		}
		var err error
		if out, err = f.fold(out); err != nil {
			return nil, err
		}
	}
	add := func(name, value string) error {
		var err error
		out, err = stdinFold(out, []byte(name+": "+value), len(name), name)
		return err
	}
	if !have.date {
		d := o.Date
		if d.IsZero() {
			d = time.Now()
		}
		// RFC 5322 §3.3 date-time.
		if err := add("Date", d.Format("Mon, 02 Jan 2006 15:04:05 -0700")); err != nil {
			return nil, err
		}
	}
	if !have.from && o.From != "" {
		if err := add("From", o.From); err != nil {
			return nil, err
		}
		info.FromHeader = strings.TrimSpace(o.From)
		if !stdinASCII7([]byte(o.From)) {
			info.SMTPUTF8 = true
		}
	}
	if !have.msgid && o.MessageID != "" {
		if err := add("Message-ID", o.MessageID); err != nil {
			return nil, err
		}
	}
	if info.FromHeader != "" {
		if l, err := stdinParseList(info.FromHeader); err == nil && len(l) > 0 {
			info.FromAddress = l[0]
		}
	}
	return out, nil
}

// fold appends the field's lines to out, folded to 998 octets. A line
// with no white space to fold at is an error, except in an unstructured
// field (Subject, Comments: RFC 5322 §3.6.5) of UTF-8 text without
// encoded-words: that one is rewritten as RFC 2047 encoded-words, which
// a reader decodes to the same text (§6.2: the white space between
// adjacent encoded-words is not part of it), one to a line.
func (f *stdinField) fold(out [][]byte) ([][]byte, error) {
	before := out
	for i, l := range f.lines {
		from := 0
		if i == 0 {
			from = bytes.IndexByte(l, ':')
		}
		var err error
		if out, err = stdinFold(out, l, from, f.name); err != nil {
			if v := strings.TrimSpace(f.value()); (f.name == "Subject" || f.name == "Comments") &&
				utf8.ValidString(v) && !strings.Contains(v, "=?") {
				out = before
				for i, w := range stdinEncodedWords(v) {
					if i == 0 {
						w = f.name + ": " + w
					} else {
						w = " " + w // RFC 5322 §2.2.3 folding
					}
					out = append(out, []byte(w))
				}
				return out, nil
			}
			return nil, err
		}
	}
	return out, nil
}

// stdinEncodedWords is v as "=?utf-8?b?…?=" words of at most 64
// characters, each holding whole UTF-8 characters (RFC 2047 §5), one to a
// line: a line holding encoded-words is limited to 76 characters (§2),
// and "Comments: " and one word make 74.
func stdinEncodedWords(v string) []string {
	var words []string
	for len(v) > 0 {
		n := min(len(v), 39) // 39 octets make 52 base64 characters
		for n < len(v) && !utf8.RuneStart(v[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(v[:n]))+"?=")
		v = v[n:]
	}
	return words
}

// stdinFold appends line to out, folded (RFC 5322 §2.2.3: a CRLF inserted
// before a WSP) into pieces of at most 998 octets (§2.1.1). Folds are made
// only after index from (the colon of a field's first line), and never
// leave a piece that is whitespace only. When no such fold exists it
// returns an *Error naming the field: folding elsewhere would change the
// field, and truncating would lose data.
func stdinFold(out [][]byte, line []byte, from int, field string) ([][]byte, error) {
	last := len(line) - 1 // the rest after a fold must hold more than WSP
	for last > 0 && stdinWSP(line[last]) {
		last--
	}
	for len(line) > stdinMaxLine {
		first := from // and so must the piece before it
		for first < len(line) && stdinWSP(line[first]) {
			first++
		}
		cut := -1
		for i := min(stdinMaxLine, last); i > first; i-- {
			if stdinWSP(line[i]) {
				cut = i
				break
			}
		}
		if cut < 0 {
			return nil, &Error{Field: "header " + field, Value: string(line[:min(len(line), 240)]),
				Msg: "line longer than 998 octets with no space to fold it at (RFC 5322 §2.1.1); shorten it"}
		}
		out = append(out, line[:cut])
		line = line[cut:]
		last -= cut
		from = 0
	}
	return append(out, line), nil
}
