package mime

import (
	"fmt"
	"io"
	stdmime "mime"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// extractRecipients implements sendmail -t: the addresses of To, Cc and
// Bcc; or, when any Resent-To, Resent-Cc or Resent-Bcc field exists (the
// message is being resent, RFC 5322 §3.6.6), only those.
func (h *stdinHeader) extractRecipients(info *StdinInfo) error {
	names := map[string]bool{"To": true, "Cc": true, "Bcc": true}
	for _, f := range h.fields {
		if f.name == "Resent-To" || f.name == "Resent-Cc" || f.name == "Resent-Bcc" {
			names = map[string]bool{"Resent-To": true, "Resent-Cc": true, "Resent-Bcc": true}
			break
		}
	}
	seen := map[string]bool{}
	read := map[string]bool{}
	for _, f := range h.fields {
		if !names[f.name] {
			continue
		}
		if !read[f.name] {
			read[f.name] = true
			info.HeadersRead = append(info.HeadersRead, f.name)
		}
		v := f.value()
		addrs, err := stdinParseList(v)
		if err != nil {
			return stdinAddrError(f.name, v, err)
		}
		for _, a := range addrs {
			key := a
			if at := strings.LastIndexByte(a, '@'); at >= 0 {
				key = a[:at] + strings.ToLower(a[at:])
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			info.Recipients = append(info.Recipients, a)
			if !stdinASCII7([]byte(a)) {
				info.SMTPUTF8 = true // RFC 6531: a non-ASCII envelope address
			}
		}
	}
	return nil
}

// stdinAddrParser decodes RFC 2047 display names in any charset: a display
// name is never used for routing, so an unknown charset must not make a
// recipient list unparseable.
var stdinAddrParser = &mail.AddressParser{WordDecoder: &stdmime.WordDecoder{CharsetReader: stdinCharsetReader}}

// stdinCharsetReader converts the charsets mime.WordDecoder doesn't know itself
// (it handles utf-8, us-ascii and iso-8859-1). Latin-1 aliases and
// windows-1252 are converted; any other charset is passed through as is.
func stdinCharsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "latin1", "latin-1", "iso8859-1", "iso_8859-1", "l1", "cp819", "ibm819":
		return &stdinLatin1Reader{r: input}, nil
	case "windows-1252", "cp1252", "x-cp1252":
		return &stdinLatin1Reader{r: input, cp1252: true}, nil
	}
	return input, nil
}

// stdinCP1252 maps windows-1252 bytes 0x80–0x9F; other bytes equal Latin-1.
var stdinCP1252 = [32]rune{
	'€', 0xFFFD, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0xFFFD, 'Ž', 0xFFFD,
	0xFFFD, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0xFFFD, 'ž', 'Ÿ',
}

// stdinLatin1Reader decodes Latin-1 (or windows-1252) to UTF-8. Encoded
// words are short, so reading everything is fine.
type stdinLatin1Reader struct {
	r      io.Reader
	cp1252 bool
	out    []byte
	done   bool
}

func (s *stdinLatin1Reader) Read(p []byte) (int, error) {
	if !s.done {
		in, err := io.ReadAll(s.r)
		if err != nil {
			return 0, err
		}
		for _, c := range in {
			r := rune(c)
			if s.cp1252 && c >= 0x80 && c < 0xA0 {
				r = stdinCP1252[c-0x80]
			}
			s.out = utf8.AppendRune(s.out, r)
		}
		s.done = true
	}
	if len(s.out) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// stdinParseList returns the addr-specs of an address list (RFC 5322
// §3.4). Groups contribute their members; an empty list is no error. Where
// net/mail rejects the list, each element is retried leniently, as
// sendmail is lenient: a bare local name (root, www-data; the caller maps
// it through aliases) is kept, and an element with a bad display name
// (raw Latin-1, say) still yields its <angle-addr>.
func stdinParseList(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	if l, err := stdinAddrParser.ParseList(v); err == nil {
		return stdinAddrSpecs(l), nil
	}
	var out []string
	for _, elem := range addrSplit(v) {
		a, err := stdinParseLenient(elem)
		if err != nil {
			return nil, err
		}
		out = append(out, a...)
	}
	return out, nil
}

func stdinAddrSpecs(l []*mail.Address) []string {
	out := make([]string, 0, len(l))
	for _, a := range l {
		out = append(out, a.Address)
	}
	return out
}

// stdinParseLenient parses one element of an address list that net/mail
// rejected as part of the list.
func stdinParseLenient(elem string) ([]string, error) {
	s := strings.TrimSpace(stdinStripComments(elem))
	// "group:" prefix and ";" suffix (RFC 5322 §3.4 group); the split
	// separated the members.
	if i := strings.IndexByte(s, ':'); i >= 0 && !strings.ContainsAny(s[:i], "\"<@") {
		s = strings.TrimSpace(s[i+1:])
	}
	s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	if s == "" {
		return nil, nil
	}
	if l, err := stdinAddrParser.ParseList(s); err == nil {
		return stdinAddrSpecs(l), nil
	}
	inner := s
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		inner = s[i+1 : len(s)-1]
		if a, err := stdinAddrParser.Parse("<" + inner + ">"); err == nil {
			return []string{a.Address}, nil
		}
	}
	if addrIsLocal(inner) {
		return []string{inner}, nil
	}
	why := "not an address"
	if _, err := stdinAddrParser.Parse(s); err != nil {
		why = strings.TrimPrefix(err.Error(), "mail: ")
	}
	return nil, &stdinBadAddr{elem: s, why: why}
}

// stdinBadAddr is the element of an address list that could not be parsed.
type stdinBadAddr struct{ elem, why string }

func (e *stdinBadAddr) Error() string { return fmt.Sprintf("%q: %s", e.elem, e.why) }

// stdinAddrError makes the *Error (exit 65) for an address field that
// doesn't parse, naming the field and the bad element.
func stdinAddrError(field, value string, err error) error {
	value = strings.TrimSpace(value)
	msg := err.Error()
	if b, ok := err.(*stdinBadAddr); ok && b.elem == value {
		msg = b.why
	}
	return &Error{Field: field, Value: value, Msg: msg + "; fix the " + field + " header", Err: err}
}

// stdinStripComments removes RFC 5322 §3.2.2 comments outside quoted strings.
func stdinStripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (quoted || depth > 0) && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
			continue
		case c == '"' && depth == 0:
			quoted = !quoted
		case c == '(' && !quoted:
			depth++
			continue
		case c == ')' && !quoted && depth > 0:
			depth--
			b.WriteByte(' ')
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}
