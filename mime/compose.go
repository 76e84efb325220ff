// Why not github.com/jordan-wright/email: it builds the whole message in
// memory (measured 7.5× a 25 MB attachment; outbox's budget is 3×) and has no
// way to inject MIME boundaries for golden tests. This composer is built on
// the standard library instead and streams: mime/multipart (SetBoundary) for
// the structure, RFC 2047 encoded-words for headers, mime/quotedprintable for
// text, encoding/base64 behind a 76-column line writer for files, net/mail
// for addresses, mime.TypeByExtension then http.DetectContentType for
// attachment types. Attachments are opened one at a time while writing.

package mime

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	gomime "mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Compose is a message built from send flags. Validate it, then WriteTo
// streams it; WriteTo validates again, so a forgotten Validate cannot let a
// header injection through.
type Compose struct {
	From    *mail.Address
	To, Cc  []*mail.Address
	Bcc     []*mail.Address // envelope only: never written (RFC 5322 §3.6.3)
	ReplyTo []*mail.Address
	Subject string
	Text    string // text/plain body
	HTML    string // text/html body; with Text → multipart/alternative
	Attach  []string
	Inline  []string // files referenced from HTML as cid:<base name>
	Headers []Field  // extra -H fields
	Date    time.Time
	// MessageID is "<unique@domain>", normally NewMessageID(domain). A -H
	// Date or Message-ID replaces the generated one.
	MessageID string
	// Boundary returns the boundary of each multipart, called in document
	// order (outermost first). nil: random ones from mime/multipart.
	Boundary func() string
}

// Info describes what the composed message needs from the SMTP server.
type Info struct {
	Body8Bit bool // always false: Compose uses 7-bit transfer encodings only
	SMTPUTF8 bool // an address (not a display name) has non-ASCII characters (RFC 6531)
}

// Info reports the SMTP extensions the message needs. Bcc counts: its
// addresses go into RCPT TO.
func (m *Compose) Info() Info {
	return Info{SMTPUTF8: addrNonASCII([]*mail.Address{m.From}, m.To, m.Cc, m.Bcc, m.ReplyTo)}
}

// Validate checks every header value given by the user and every file.
// Header problems are *Error (exit 65); missing, unreadable or non-regular
// attachment and inline files are *FileError (exit 66).
func (m *Compose) Validate() error {
	if err := m.validateHeaders(); err != nil {
		return err
	}
	for _, p := range m.Attach {
		if err := checkFile(p, "attachment"); err != nil {
			return err
		}
	}
	seen := map[string]string{}
	for _, p := range m.Inline {
		if err := checkFile(p, "inline file"); err != nil {
			return err
		}
		cid := contentID(p)
		if prev, ok := seen[cid]; ok {
			return &Error{Field: "inline file", Value: p,
				Msg: fmt.Sprintf("has the same Content-ID <%s> as %q; rename one of them", cid, prev)}
		}
		seen[cid] = p
	}
	return nil
}

func (m *Compose) validateHeaders() error {
	if m.From == nil {
		return &Error{Field: "From", Msg: "missing; set --from or the account's from"}
	}
	if err := addrCheckHeader("From", m.From); err != nil {
		return err
	}
	for _, l := range []struct {
		field string
		list  []*mail.Address
	}{{"To", m.To}, {"Cc", m.Cc}, {"Reply-To", m.ReplyTo}} {
		for _, a := range l.list {
			if err := addrCheckHeader(l.field, a); err != nil {
				return err
			}
		}
	}
	for _, a := range m.Bcc {
		// Envelope only, but a CR/LF would reach the RCPT command.
		if err := addrCheckHeader("Bcc", a); err != nil {
			return err
		}
	}
	if err := hdrCheckValue("Subject", m.Subject); err != nil {
		return err
	}
	if m.MessageID != "" {
		if err := checkMessageID("Message-ID", m.MessageID); err != nil {
			return err
		}
	}
	once := map[string]bool{}
	for _, f := range m.Headers {
		if err := hdrCheckExtra(f); err != nil {
			return err
		}
		// RFC 5322 §3.6: at most one Date and one Message-ID.
		if l := strings.ToLower(f.Name); l == "date" || l == "message-id" {
			if once[l] {
				return &Error{Field: "header name", Value: f.Name, Msg: "given more than once (RFC 5322 §3.6 allows one)"}
			}
			once[l] = true
		}
	}
	return nil
}

// checkFile opens nothing that could block: a FIFO (e.g. -a <(cmd)) would
// hang Validate and could not be read twice, so only regular files pass.
func checkFile(path, role string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return &FileError{Path: path, Role: role, Err: err}
	}
	if fi.IsDir() {
		return &FileError{Path: path, Role: role, Err: errors.New("is a directory")}
	}
	if !fi.Mode().IsRegular() {
		return &FileError{Path: path, Role: role, Err: errors.New("not a regular file")}
	}
	f, err := os.Open(path)
	if err != nil {
		return &FileError{Path: path, Role: role, Err: err}
	}
	return f.Close()
}

// contentID is the Content-ID (without angle brackets) of an inline file:
// its base name, with every character that is not atext or "." replaced by
// "_", so HTML refers to it as <img src="cid:logo.png">.
func contentID(path string) string {
	name := []byte(filepath.Base(path))
	for i, c := range name {
		if !addrIsLocal(string(c)) && c != '.' {
			name[i] = '_'
		}
	}
	if len(name) == 0 {
		return "inline"
	}
	return string(name)
}

// WriteTo validates the message and writes it to w: CRLF line endings, no
// line over 998 octets (RFC 5322 §2.1.1), 7-bit transfer encodings only.
// Files are read while writing, one at a time; a file that fails is a
// *FileError.
func (m *Compose) WriteTo(w io.Writer) (int64, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	err := m.write(bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return cw.n, err
}

// countWriter counts the bytes written through it: the message size that
// WriteTo, ReadStdin and Downgrade7Bit report (SMTP SIZE, RFC 1870).
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (m *Compose) write(w io.Writer) error {
	var hdr strings.Builder
	add := func(line string, err error) error {
		hdr.WriteString(line)
		return err
	}
	var extraDate, extraID string
	for _, f := range m.Headers {
		switch strings.ToLower(f.Name) {
		case "date":
			extraDate = strings.TrimSpace(f.Value)
		case "message-id":
			extraID = strings.TrimSpace(f.Value)
		}
	}
	date := extraDate
	if date == "" {
		d := m.Date
		if d.IsZero() {
			d = time.Now()
		}
		// RFC 5322 §3.3 date-time, e.g. "Fri, 14 Mar 2025 09:26:53 +0100".
		date = d.Format(time.RFC1123Z)
	}
	id := extraID
	if id == "" {
		id = m.MessageID
	}
	if id == "" {
		id = NewMessageID("")
	}
	hdr.WriteString("Date: " + date + "\r\n")
	if err := add(addrHeader("From", []*mail.Address{m.From})); err != nil {
		return err
	}
	if len(m.ReplyTo) > 0 {
		if err := add(addrHeader("Reply-To", m.ReplyTo)); err != nil {
			return err
		}
	}
	switch {
	case len(m.To) > 0:
		if err := add(addrHeader("To", m.To)); err != nil {
			return err
		}
	case len(m.Cc) == 0:
		// Bcc only: say so instead of leaving no destination field, as
		// Postfix does (undisclosed_recipients_header; RFC 5322 §3.6.3).
		hdr.WriteString("To: undisclosed-recipients:;\r\n")
	}
	if len(m.Cc) > 0 {
		if err := add(addrHeader("Cc", m.Cc)); err != nil {
			return err
		}
	}
	if m.Subject != "" {
		if err := add(hdrUnstructured("Subject", strings.TrimSpace(m.Subject))); err != nil {
			return err
		}
	}
	hdr.WriteString("Message-ID: " + id + "\r\n")
	for _, f := range m.Headers {
		switch strings.ToLower(f.Name) {
		case "date", "message-id":
			continue
		}
		if err := add(hdrUnstructured(f.Name, strings.Trim(f.Value, " \t"))); err != nil {
			return err
		}
	}
	hdr.WriteString("MIME-Version: 1.0\r\n")
	if _, err := io.WriteString(w, hdr.String()); err != nil {
		return err
	}
	return m.writeTop(w, m.tree())
}

// composeNode is one MIME entity of the message tree.
type composeNode struct {
	subtype  string // multipart subtype, "" for a leaf
	children []*composeNode
	ctype    string // leaf text: media type
	text     string
	file     string // leaf file: path
	role     string // "attachment" or "inline file"
}

// tree lays out the MIME structure:
//
//	mixed( alternative( text, related( html, inline... ) ), attachment... )
//
// dropping every multipart that would have one child. Text comes before
// HTML: the last alternative is the preferred one (RFC 2046 §5.1.4).
// Inline files without HTML have nothing to refer to them and are shown as
// inline parts of the mixed multipart.
func (m *Compose) tree() *composeNode {
	var body *composeNode
	text := &composeNode{ctype: "text/plain", text: m.Text}
	if m.HTML == "" {
		body = text
	} else {
		html := &composeNode{ctype: "text/html", text: m.HTML}
		if len(m.Inline) > 0 {
			rel := &composeNode{subtype: "related", children: []*composeNode{html}}
			for _, p := range m.Inline {
				rel.children = append(rel.children, &composeNode{file: p, role: "inline file"})
			}
			html = rel
		}
		body = html
		if m.Text != "" {
			body = &composeNode{subtype: "alternative", children: []*composeNode{text, html}}
		}
	}
	var rest []*composeNode
	if m.HTML == "" {
		for _, p := range m.Inline {
			rest = append(rest, &composeNode{file: p, role: "inline file"})
		}
	}
	for _, p := range m.Attach {
		rest = append(rest, &composeNode{file: p, role: "attachment"})
	}
	if len(rest) == 0 {
		return body
	}
	mixed := &composeNode{subtype: "mixed"}
	// An empty text body next to attachments is noise: leave it out.
	if body.subtype != "" || body.text != "" || body.ctype == "text/html" {
		mixed.children = append(mixed.children, body)
	}
	mixed.children = append(mixed.children, rest...)
	return mixed
}

// boundary returns the next boundary: injected by tests, else random.
func (m *Compose) boundary() string {
	if m.Boundary != nil {
		return m.Boundary()
	}
	return multipart.NewWriter(io.Discard).Boundary()
}

// multipartType is the Content-Type value of a multipart node.
func multipartType(n *composeNode, boundary string) (string, error) {
	params := map[string]string{"boundary": boundary}
	if n.subtype == "related" {
		params["type"] = "text/html" // the root part's type (RFC 2387 §3.1)
	}
	return foldedValue("Content-Type", gomime.FormatMediaType("multipart/"+n.subtype, params))
}

// foldedValue folds a structured value as it will appear after "key: ".
func foldedValue(key, v string) (string, error) {
	line, err := hdrFold(key, v, true)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimPrefix(line, key+": "), "\r\n"), nil
}

// writeTop writes the MIME header fields that end the message header, the
// empty line, and the body.
func (m *Compose) writeTop(w io.Writer, n *composeNode) error {
	if n.subtype == "" {
		h := textHeader(n)
		if _, err := io.WriteString(w, "Content-Type: "+h["Content-Type"][0]+
			"\r\nContent-Transfer-Encoding: "+h["Content-Transfer-Encoding"][0]+"\r\n\r\n"); err != nil {
			return err
		}
		return writeText(w, n.text)
	}
	b := m.boundary()
	ct, err := multipartType(n, b)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "Content-Type: "+ct+"\r\n\r\n"); err != nil {
		return err
	}
	return m.writeMultipart(w, n, b)
}

// writeMultipart writes the parts of n and its closing delimiter; the
// header naming boundary b has been written by the caller.
func (m *Compose) writeMultipart(w io.Writer, n *composeNode, b string) error {
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(b); err != nil {
		return fmt.Errorf("mime: boundary %q: %w", b, err)
	}
	for _, c := range n.children {
		switch {
		case c.file != "":
			if err := m.writeFile(mw, c); err != nil {
				return err
			}
		case c.subtype != "":
			cb := m.boundary()
			ct, err := multipartType(c, cb)
			if err != nil {
				return err
			}
			pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {ct}})
			if err != nil {
				return err
			}
			if err := m.writeMultipart(pw, c, cb); err != nil {
				return err
			}
		default:
			pw, err := mw.CreatePart(textHeader(c))
			if err != nil {
				return err
			}
			if err := writeText(pw, c.text); err != nil {
				return err
			}
		}
	}
	return mw.Close()
}

// textHeader is the part header of a text leaf: quoted-printable when the
// text has non-ASCII or control characters or lines over 78 characters
// (RFC 2045 §6.7, RFC 5322 §2.1.1), else 7bit.
func textHeader(n *composeNode) textproto.MIMEHeader {
	cte := "7bit"
	if needsQP(n.text) {
		cte = "quoted-printable"
	}
	return textproto.MIMEHeader{
		"Content-Type":              {n.ctype + "; charset=utf-8"},
		"Content-Transfer-Encoding": {cte},
	}
}

func needsQP(s string) bool {
	col := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n' || c == '\r':
			col = 0
		case c >= 0x7f || (c < 32 && c != '\t'):
			return true
		default:
			col++
			if col > hdrSoftMax {
				return true
			}
		}
	}
	return false
}

// writeText writes a text body with CRLF line endings (LF, CRLF and bare CR
// all become CRLF, as mime/quotedprintable does) and a final line break.
func writeText(w io.Writer, s string) error {
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\r") {
		s += "\n"
	}
	if needsQP(s) {
		qw := quotedprintable.NewWriter(w)
		if _, err := io.WriteString(qw, s); err != nil {
			return err
		}
		return qw.Close()
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/32)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			b.WriteString("\r\n")
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\n':
			b.WriteString("\r\n")
		default:
			b.WriteByte(c)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sniffLen is how much http.DetectContentType looks at.
const sniffLen = 512

// writeFile streams one attachment or inline file as a base64 part. The
// media type comes from the extension, else from the first 512 bytes.
func (m *Compose) writeFile(mw *multipart.Writer, n *composeNode) error {
	f, err := os.Open(n.file)
	if err != nil {
		return &FileError{Path: n.file, Role: n.role, Err: err}
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	k, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return &FileError{Path: n.file, Role: n.role, Err: err}
	}
	head = head[:k]
	name := filepath.Base(n.file)
	ctype := gomime.TypeByExtension(filepath.Ext(name))
	// Many mime.types files map .bin, .dat and friends to octet-stream,
	// which says nothing: the content may.
	if ctype == "" || strings.HasPrefix(ctype, "application/octet-stream") {
		ctype = http.DetectContentType(head)
	}
	mt, params, err := gomime.ParseMediaType(ctype)
	if err != nil {
		mt, params = "application/octet-stream", map[string]string{}
	}
	// name= is obsolete (RFC 2183 took over) but some clients still read it.
	params["name"] = name
	disp := "attachment"
	if n.role == "inline file" {
		disp = "inline"
	}
	h := textproto.MIMEHeader{}
	fold := func(key, v string) error {
		fv, err := foldedValue(key, v)
		h[key] = []string{fv}
		return err
	}
	// FormatMediaType applies RFC 2231 (filename*=utf-8''...) to non-ASCII
	// names; the base name only, never the directory (RFC 2183 §2.3).
	if err := fold("Content-Type", gomime.FormatMediaType(mt, params)); err != nil {
		return err
	}
	if err := fold("Content-Disposition", gomime.FormatMediaType(disp, map[string]string{"filename": name})); err != nil {
		return err
	}
	h["Content-Transfer-Encoding"] = []string{"base64"}
	if disp == "inline" {
		h["Content-ID"] = []string{"<" + contentID(n.file) + ">"}
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, &b64Lines{w: pw})
	if _, err := enc.Write(head); err != nil {
		return err
	}
	if _, err := io.Copy(enc, fileReader{f: f, path: n.file, role: n.role}); err != nil {
		return err
	}
	return enc.Close()
}

// fileReader tags read errors as *FileError, so that they are told apart
// from errors writing the message.
type fileReader struct {
	f          *os.File
	path, role string
}

func (r fileReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if err != nil && err != io.EOF {
		err = &FileError{Path: r.path, Role: r.role, Err: err}
	}
	return n, err
}

// b64Lines breaks base64 output into lines of 76 characters (RFC 2045
// §6.8), with CRLF between lines and none after the last: the boundary
// delimiter that follows starts with its own CRLF (RFC 2046 §5.1.1).
type b64Lines struct {
	w   io.Writer
	col int
}

const b64LineLen = 76

// composeCRLF is shared so that writing a line end allocates nothing.
var composeCRLF = []byte("\r\n")

func (l *b64Lines) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if l.col == b64LineLen {
			if _, err := l.w.Write(composeCRLF); err != nil {
				return n, err
			}
			l.col = 0
		}
		k := min(len(p), b64LineLen-l.col)
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		l.col += k
		n += k
		p = p[k:]
	}
	return n, nil
}
