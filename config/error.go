package config

import (
	"strconv"
	"strings"
)

// Error is a configuration problem: a bad or unreadable file, a bad value,
// a bad OUTBOX_* variable, or a password that no source could supply.
// main maps it to exit code 78 (EX_CONFIG, SPEC §4).
//
// Err, when set, is the cause; errors.Is(err, fs.ErrPermission) is true
// for a file that exists but can't be read, which system mode (SPEC §7)
// uses to fall back to the maildrop.
type Error struct {
	File string // config file, "" when the problem is not in a file
	Line int    // 1-based line in File, 0 when unknown
	Key  string // dotted key ("accounts.work.tls") or variable ("OUTBOX_PORT")
	Msg  string // what is wrong and, when there is one, what to do
	Err  error  // cause, may be nil
}

// Error renders `config: FILE:LINE: KEY: MSG`, leaving out the parts that
// are empty.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	switch {
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("invalid configuration")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
