package mime

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Header line limits (RFC 5322 §2.1.1): lines SHOULD be at most 78
// characters and MUST be at most 998, excluding CRLF.
const (
	hdrSoftMax = 78
	hdrHardMax = 998
	// hdrNameMax bounds -H names so that "Name: " plus one encoded-word
	// always fits in hdrHardMax; RFC 5322 sets no limit of its own.
	hdrNameMax = 200
	// encWordMax is the longest encoded-word allowed (RFC 2047 §2).
	encWordMax = 75
)

// Field is one extra header field given with -H "Name: value".
type Field struct{ Name, Value string }

// ParseField splits a -H argument "Name: value" into a Field and validates
// it like Validate does. The value is trimmed of surrounding white space.
func ParseField(s string) (Field, error) {
	if err := hdrCheckValue("header", s); err != nil {
		return Field{}, err
	}
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return Field{}, &Error{Field: "header", Value: s, Msg: `expected "Name: value"`}
	}
	f := Field{Name: strings.TrimRight(name, " \t"), Value: strings.Trim(value, " \t")}
	if err := hdrCheckName(f.Name); err != nil {
		return Field{}, err
	}
	return f, nil
}

// hdrCheckValue rejects CR, LF and NUL in a header value given by the user:
// they would let it start a new header field (header injection) or end the
// header block. Rejecting, rather than encoding, makes a script's mistake
// visible instead of sending a mangled message.
func hdrCheckValue(field, v string) error {
	if i := strings.IndexAny(v, "\r\n\x00"); i >= 0 {
		what := "a line break (CR or LF)"
		if v[i] == 0 {
			what = "a NUL byte"
		}
		return &Error{Field: field, Value: v, Msg: "contains " + what + "; header values must be one line"}
	}
	return nil
}

// hdrCheckName checks a field name against RFC 5322 §3.6.8:
// field-name = 1*ftext, ftext = %d33-57 / %d59-126 (printable ASCII but ':').
func hdrCheckName(name string) error {
	if name == "" {
		return &Error{Field: "header name", Value: name, Msg: `empty; expected "Name: value"`}
	}
	if len(name) > hdrNameMax {
		return &Error{Field: "header name", Value: name, Msg: fmt.Sprintf("longer than %d characters", hdrNameMax)}
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return &Error{Field: "header name", Value: name,
				Msg: "may hold only printable ASCII characters other than ':' and no spaces (RFC 5322 §3.6.8)"}
		}
	}
	return nil
}

// hdrReserved lists the fields outbox writes itself and that -H may not set,
// with what to use instead. Date and Message-ID are not here: -H replaces the
// generated ones (useful for reproducible messages and threading).
var hdrReserved = map[string]string{
	"bcc":                       "Bcc recipients go only in the envelope (RFC 5322 §3.6.3); use --bcc",
	"from":                      "use --from",
	"to":                        "use --to",
	"cc":                        "use --cc",
	"reply-to":                  "use --reply-to",
	"subject":                   "use --subject",
	"mime-version":              "outbox writes the MIME structure itself",
	"content-type":              "outbox writes the MIME structure itself; use --html or --attach",
	"content-transfer-encoding": "outbox writes the MIME structure itself",
}

// hdrCheckExtra validates one -H field, including names outbox owns.
func hdrCheckExtra(f Field) error {
	if err := hdrCheckName(f.Name); err != nil {
		return err
	}
	lower := strings.ToLower(f.Name)
	if hint, ok := hdrReserved[lower]; ok {
		return &Error{Field: "header name", Value: f.Name, Msg: "cannot be set with -H: " + hint}
	}
	if strings.HasPrefix(lower, "content-") {
		return &Error{Field: "header name", Value: f.Name, Msg: "cannot be set with -H: outbox writes the MIME structure itself"}
	}
	field := "header " + f.Name
	if err := hdrCheckValue(field, f.Value); err != nil {
		return err
	}
	switch lower {
	case "date":
		if _, err := mail.ParseDate(strings.TrimSpace(f.Value)); err != nil {
			return &Error{Field: field, Value: f.Value, Msg: "not an RFC 5322 date (RFC 5322 §3.3)", Err: err}
		}
	case "message-id":
		if err := checkMessageID(field, strings.TrimSpace(f.Value)); err != nil {
			return err
		}
	}
	return nil
}

// checkMessageID accepts "<left@right>" without white space or extra angle
// brackets (RFC 5322 §3.6.4 msg-id, simplified).
func checkMessageID(field, id string) error {
	if err := hdrCheckValue(field, id); err != nil {
		return err
	}
	inner, ok := strings.CutPrefix(id, "<")
	if ok {
		inner, ok = strings.CutSuffix(inner, ">")
	}
	left, right, at := strings.Cut(inner, "@")
	if !ok || !at || left == "" || right == "" || len(id) > hdrHardMax-len("Message-ID: ") ||
		strings.ContainsAny(inner, "<> \t") || strings.Count(inner, "@") != 1 || !isPrintableASCII(inner) {
		return &Error{Field: field, Value: id, Msg: "expected <unique@domain> (RFC 5322 §3.6.4)"}
	}
	return nil
}

// NewMessageID returns a new Message-ID "<random@domain>" (RFC 5322
// §3.6.4). The random part has 130 bits from crypto/rand, so it is unique
// without coordination. domain "" becomes "localhost".
func NewMessageID(domain string) string {
	if domain == "" {
		domain = "localhost"
	}
	return "<" + strings.ToLower(rand.Text()) + "@" + domain + ">"
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}

// hdrNeedsWords reports whether an unstructured value must be written as
// RFC 2047 encoded-words: it has non-ASCII or control characters, something
// a reader would take for an encoded-word ("=?"), a word too long to fold
// under the 998-octet limit behind "name: ", or a long run of white space
// (a folded line may not be white space only, RFC 5322 §3.2.2, so such a
// run cannot be folded either).
func hdrNeedsWords(name, v string) bool {
	if strings.Contains(v, "=?") {
		return true
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 32 && c != '\t') || c > 126 {
			return true
		}
	}
	for unit := range hdrUnits(v, false) {
		if hdrUnitTooLong(name, unit) {
			return true
		}
	}
	return false
}

// wsRunMax is the longest run of white space written as is.
const wsRunMax = 100

func hdrUnitTooLong(name, unit string) bool {
	word := strings.TrimLeft(unit, " \t")
	return len(unit)-len(word) > wsRunMax || len(name)+2+len(unit) > hdrHardMax
}

// hdrEncodeWords writes s as RFC 2047 encoded-words in UTF-8, separated by
// spaces so the result can be folded between them; each word is at most 75
// characters and never splits a UTF-8 sequence (RFC 2047 §5). The Q form
// uses only the characters allowed in a phrase (RFC 2047 §5(3)), so the
// result is valid in a Subject, a -H value and a display name alike. Q or B
// is chosen: Q, which stays half readable, unless B is at least a fifth
// shorter (mostly non-Latin text). Invalid UTF-8 is replaced by U+FFFD: the
// charset label must be true.
func hdrEncodeWords(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	q := hdrEncode(s, 'q')
	b := hdrEncode(s, 'b')
	if len(b)*5 <= len(q)*4 {
		return b
	}
	return q
}

const (
	encPrefixQ = "=?utf-8?q?"
	encPrefixB = "=?utf-8?b?"
	encSuffix  = "?="
	encUpper   = "0123456789ABCDEF"
)

// qLiteral reports whether c may stand for itself in a Q encoded-word in a
// phrase (RFC 2047 §5(3)).
func qLiteral(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '!' || c == '*' || c == '+' || c == '-' || c == '/'
}

func qLen(c byte) int {
	if qLiteral(c) || c == ' ' {
		return 1
	}
	return 3
}

func hdrEncode(s string, enc byte) string {
	var out strings.Builder
	room := encWordMax - len(encPrefixQ) - len(encSuffix)
	for len(s) > 0 {
		// Take whole runes while the encoded form still fits in one word.
		n, size := 0, 0
		for n < len(s) {
			_, rl := utf8.DecodeRuneInString(s[n:])
			var next int
			if enc == 'b' {
				next = (n + rl + 2) / 3 * 4
			} else {
				next = size
				for i := n; i < n+rl; i++ {
					next += qLen(s[i])
				}
			}
			if next > room {
				break
			}
			n += rl
			size = next
		}
		if out.Len() > 0 {
			out.WriteByte(' ')
		}
		chunk := s[:n]
		s = s[n:]
		if enc == 'b' {
			out.WriteString(encPrefixB)
			out.WriteString(base64.StdEncoding.EncodeToString([]byte(chunk)))
		} else {
			out.WriteString(encPrefixQ)
			for i := 0; i < len(chunk); i++ {
				c := chunk[i]
				switch {
				case c == ' ':
					out.WriteByte('_')
				case qLiteral(c):
					out.WriteByte(c)
				default:
					out.WriteByte('=')
					out.WriteByte(encUpper[c>>4])
					out.WriteByte(encUpper[c&0x0f])
				}
			}
		}
		out.WriteString(encSuffix)
	}
	return out.String()
}

// hdrUnstructured formats an unstructured field (Subject, -H values) as a
// folded header line ending in CRLF. Only the words that need it become
// encoded-words, runs of them together, so an ASCII subject with one "für"
// stays readable; the white space before a run stays outside it, where it
// is kept by decoders (RFC 2047 §6.2).
func hdrUnstructured(name, value string) (string, error) {
	if !hdrNeedsWords(name, value) {
		return hdrFold(name, value, false)
	}
	var out strings.Builder
	var run strings.Builder // words to encode together, with the space between them
	flush := func() {
		if run.Len() > 0 {
			out.WriteString(hdrEncodeWords(run.String()))
			run.Reset()
		}
	}
	for unit := range hdrUnits(value, false) {
		word := strings.TrimLeft(unit, " \t")
		space := unit[:len(unit)-len(word)]
		if hdrNeedsWords(name, word) || hdrUnitTooLong(name, unit) {
			if run.Len() == 0 && space != "" {
				// One literal space separates the run from the text before
				// it; the rest is encoded, so it survives and can be folded.
				out.WriteString(space[:1])
				space = space[1:]
			}
			run.WriteString(space)
			run.WriteString(word)
			continue
		}
		flush()
		out.WriteString(unit)
	}
	flush()
	return hdrFold(name, out.String(), false)
}

// hdrFold folds "name: value" at white space (RFC 5322 §2.2.3) so lines
// stay within 78 characters where the value allows, and returns it with a
// trailing CRLF. The CRLF is inserted before existing white space, so
// unfolding restores the value exactly. In structured fields
// it never folds inside a quoted-string. A line that would still exceed 998
// octets is an error: callers encode long words first, so it means a bug.
func hdrFold(name, value string, structured bool) (string, error) {
	var b strings.Builder
	b.Grow(len(name) + len(value) + 8)
	b.WriteString(name)
	b.WriteByte(':')
	lineLen := len(name) + 1
	first := true
	for unit := range hdrUnits(value, structured) {
		if first {
			b.WriteByte(' ')
			lineLen++
			first = false
		} else if lineLen+len(unit) > hdrSoftMax {
			b.WriteString("\r\n")
			lineLen = 0
		}
		b.WriteString(unit)
		lineLen += len(unit)
		if lineLen > hdrHardMax {
			return "", fmt.Errorf("mime: header %s: line longer than %d octets", name, hdrHardMax)
		}
	}
	b.WriteString("\r\n")
	return b.String(), nil
}

// hdrUnits splits v into foldable units: the first word, then each run of
// white space with the word after it. A unit never consists of white space
// only, so a folded line never does either (RFC 5322 §3.2.2).
func hdrUnits(v string, structured bool) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		start, i := 0, 0
		inQuote := false
		for i < len(v) {
			c := v[i]
			if structured && inQuote && c == '\\' {
				i += 2
				continue
			}
			if structured && c == '"' {
				inQuote = !inQuote
			}
			if (c == ' ' || c == '\t') && !inQuote && i > start && v[i-1] != ' ' && v[i-1] != '\t' {
				if !yield(v[start:i]) {
					return
				}
				start = i
			}
			i++
		}
		if start < len(v) {
			yield(v[start:])
		}
	}
}
