package mime

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// addrMax is the longest address accepted: a forward-path is at most 256
// octets including the angle brackets (RFC 5321 §4.5.3.1.3).
const addrMax = 254

// nameMax is the longest display name written as a quoted-string; longer
// names are written as encoded-words, which can be folded between words
// and so never push a line past 998 octets.
const nameMax = 200

// ParseAddressList parses a comma-separated address list as given to --to,
// --cc, --bcc, --from or --reply-to: full RFC 5322 addresses ("Zoë
// <zoe@example.com>", groups) via net/mail, and bare local names such as
// "root" or "www-data", returned as Address{Address: "root"} for the caller
// to resolve (aliases, default_domain) before composing. Empty elements are
// skipped; an empty list gives (nil, nil). Any error is a *Error quoting the
// element that failed.
func ParseAddressList(s string) ([]*mail.Address, error) {
	if err := hdrCheckValue("address", s); err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	// The whole list first: net/mail handles groups ("team: a@x, b@y;") and
	// commas inside quoted names, which the split below does not.
	list, err := mail.ParseAddressList(s)
	if err != nil {
		list = nil
		for _, elem := range addrSplit(s) {
			elem = strings.TrimSpace(elem)
			if elem == "" {
				continue
			}
			if addrIsLocal(elem) {
				list = append(list, &mail.Address{Address: elem})
				continue
			}
			a, err := mail.ParseAddress(elem)
			if err != nil {
				return nil, &Error{Field: "address", Value: elem, Msg: strings.TrimPrefix(err.Error(), "mail: "), Err: err}
			}
			list = append(list, a)
		}
	}
	for _, a := range list {
		if err := addrCheck("address", a); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// addrSplit splits at commas outside quoted-strings, comments and angle
// brackets.
func addrSplit(s string) []string {
	_, commas := addrScan(s)
	out := make([]string, 0, len(commas)+1)
	start := 0
	for _, i := range commas {
		out = append(out, s[start:i])
		start = i + 1
	}
	return append(out, s[start:])
}

// addrScan reads an address list the way RFC 5322 quotes it: top[i]
// reports that byte i is outside quoted-strings (§3.2.4) and comments
// (§3.2.2), and commas are the top-level commas outside angle brackets,
// which separate the list's elements (§3.4).
func addrScan(s string) (top []bool, commas []int) {
	top = make([]bool, len(s))
	depth, quoted, angle := 0, false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && (quoted || depth > 0):
			i++ // the escaped byte is not top level either
		case c == '"' && depth == 0:
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		default:
			top[i] = true
			switch c {
			case '<':
				angle = true
			case '>':
				angle = false
			case ',':
				if !angle {
					commas = append(commas, i)
				}
			}
		}
	}
	return top, commas
}

// addrIsLocal reports whether s is a bare local name: a dot-atom of ASCII
// atext without "@" (RFC 5322 §3.2.3), like a Unix user name.
func addrIsLocal(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", rune(c)) {
			return false
		}
	}
	return true
}

// addrCheck rejects what net/mail lets through but a header or an SMTP
// envelope must not carry.
func addrCheck(field string, a *mail.Address) error {
	if a == nil {
		return &Error{Field: field, Msg: "missing (nil address)"}
	}
	if err := hdrCheckValue(field+" display name", a.Name); err != nil {
		return err
	}
	if err := hdrCheckValue(field, a.Address); err != nil {
		return err
	}
	if a.Address == "" {
		return &Error{Field: field, Value: a.Name, Msg: "empty address"}
	}
	if len(a.Address) > addrMax {
		return &Error{Field: field, Value: a.Address, Msg: "longer than 254 octets (RFC 5321 §4.5.3.1.3)"}
	}
	if !utf8.ValidString(a.Address) {
		return &Error{Field: field, Value: a.Address, Msg: "not valid UTF-8"}
	}
	return nil
}

// addrCheckHeader additionally requires a domain: local names must have
// been resolved before the message is composed.
func addrCheckHeader(field string, a *mail.Address) error {
	if err := addrCheck(field, a); err != nil {
		return err
	}
	if !strings.Contains(a.Address, "@") {
		return &Error{Field: field, Value: a.Address, Msg: "has no domain; local names must be resolved (aliases, default_domain) before composing"}
	}
	if _, err := mail.ParseAddress("<" + a.Address + ">"); err != nil {
		return &Error{Field: field, Value: a.Address, Msg: strings.TrimPrefix(err.Error(), "mail: "), Err: err}
	}
	return nil
}

// addrFormat writes one address for a header. ASCII display names are
// quoted by net/mail; names with non-ASCII or control characters, "=?", or
// more than nameMax octets become RFC 2047 encoded-words (§5(3)).
func addrFormat(a *mail.Address) string {
	if a.Name == "" || !addrNameNeedsWords(a.Name) {
		return a.String()
	}
	return hdrEncodeWords(a.Name) + " " + (&mail.Address{Address: a.Address}).String()
}

func addrNameNeedsWords(name string) bool {
	if len(name) > nameMax || strings.Contains(name, "=?") {
		return true
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; (c < 32 && c != '\t') || c > 126 {
			return true
		}
	}
	return false
}

// addrHeader formats an address-list field, folded between addresses and
// between encoded-words, never inside a quoted-string.
func addrHeader(name string, list []*mail.Address) (string, error) {
	var b strings.Builder
	for i, a := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(addrFormat(a))
	}
	return hdrFold(name, b.String(), true)
}

// addrNonASCII reports whether any address (not display name: those are
// encoded) needs SMTPUTF8 (RFC 6531).
func addrNonASCII(lists ...[]*mail.Address) bool {
	for _, l := range lists {
		for _, a := range l {
			if a == nil {
				continue
			}
			for i := 0; i < len(a.Address); i++ {
				if a.Address[i] >= utf8.RuneSelf {
					return true
				}
			}
		}
	}
	return false
}
