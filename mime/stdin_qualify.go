package mime

import (
	"bytes"
	"strings"
)

// stdinQualifyFields are the address fields whose bare local names get a
// domain. Postfix rewrites the same ones for local submissions
// (append_at_myorigin, cleanup's header rewriting); a smarthost would
// otherwise receive "From: <root>", which RFC 5322 §3.4.1 does not allow
// (an addr-spec has a domain) and which many providers refuse.
var stdinQualifyFields = map[string]bool{
	"From": true, "Sender": true, "Reply-To": true, "To": true, "Cc": true, "Bcc": true,
	"Resent-From": true, "Resent-Sender": true, "Resent-To": true, "Resent-Cc": true, "Resent-Bcc": true,
	"Errors-To": true, "Disposition-Notification-To": true, "Return-Receipt-To": true,
	"Mail-Followup-To": true, "Mail-Reply-To": true,
}

// qualify appends "@"+domain to every bare local name in the address
// fields, in place and keeping everything else of the field as it was
// (display names, comments, folding). Only the local name is changed, so
// a field outbox can't read is left alone rather than rewritten.
func (h *stdinHeader) qualify(domain string) {
	if domain == "" {
		return
	}
	for _, f := range h.fields {
		if !stdinQualifyFields[f.name] {
			continue
		}
		// The field's lines joined with "\n", which the scanner treats as
		// folding white space; insertions never touch it, so splitting
		// again gives the same lines, some longer (folded on output).
		joined := string(bytes.Join(f.lines, []byte("\n")))
		colon := strings.IndexByte(joined, ':')
		v, changed := stdinQualify(joined[colon+1:], domain)
		if !changed {
			continue
		}
		parts := strings.Split(joined[:colon+1]+v, "\n")
		f.lines = f.lines[:0]
		for _, p := range parts {
			f.lines = append(f.lines, []byte(p))
		}
	}
}

// stdinQualify returns the address list v with "@"+domain inserted after
// each mailbox whose addr-spec is a bare dot-atom ("root", `"Cron Daemon"
// <root>`, "root (Cron Daemon)"), and whether anything changed. Quoted
// strings, comments (RFC 5322 §3.2.2) and groups (§3.4) are understood;
// an element that is not a bare local name is not touched.
func stdinQualify(v, domain string) (string, bool) {
	top, commas := addrScan(v)
	var at []int // insertion points, ascending
	start := 0
	for _, end := range append(commas, len(v)) {
		if p := stdinQualifyElement(v, top, start, end); p >= 0 {
			at = append(at, p)
		}
		start = end + 1
	}
	if len(at) == 0 {
		return v, false
	}
	var b strings.Builder
	prev := 0
	for _, p := range at {
		b.WriteString(v[prev:p])
		b.WriteString("@" + domain)
		prev = p
	}
	b.WriteString(v[prev:])
	return b.String(), true
}

// stdinQualifyElement returns where "@domain" goes in the list element
// v[a:b], or -1 when it is not a bare local name.
func stdinQualifyElement(v string, top []bool, a, b int) int {
	// A group's "display-name:" before its first member and ";" after
	// its last (outside angle brackets; a route "<@x:y>" is inside).
	lt := -1
	for i := a; i < b; i++ {
		if !top[i] {
			continue
		}
		switch v[i] {
		case '<':
			lt = i
		case ':':
			if lt < 0 {
				a = i + 1
			}
		case ';':
			if lt < 0 {
				b = i
			}
		}
	}
	if lt >= 0 { // name-addr: only the angle-addr matters
		gt := strings.IndexByte(v[lt:b], '>')
		if gt < 0 {
			return -1
		}
		inner := v[lt+1 : lt+gt]
		t := strings.TrimRight(inner, " \t\r\n")
		if !addrIsLocal(strings.TrimLeft(t, " \t\r\n")) {
			return -1
		}
		return lt + 1 + len(t)
	}
	// A bare addr-spec, perhaps with comments around it: the top-level
	// text must be one local name, in one piece.
	first, last := -1, -1
	for i := a; i < b; i++ {
		if top[i] && !stdinFWS(v[i]) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return -1
	}
	for i := first; i <= last; i++ {
		if !top[i] || stdinFWS(v[i]) {
			return -1
		}
	}
	if !addrIsLocal(v[first : last+1]) {
		return -1
	}
	return last + 1
}

func stdinFWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
