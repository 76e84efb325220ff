package mime

import (
	"errors"
	"fmt"
	"io/fs"
)

// Error reports a bad message or address given by the user: a header value
// with a line break, an invalid header name, an address that does not parse.
// main maps it to exit status 65 (EX_DATAERR).
type Error struct {
	Field string // what was wrong: "address", "Subject", "header X-Foo", "From display name", ...
	Value string // the offending value, as given (quoted with %q in Error)
	Msg   string // why it is wrong, and what to do when that is not obvious
	Err   error  // underlying cause, e.g. from net/mail; may be nil
}

// errValueMax bounds how much of a bad value is repeated in an error message:
// the message stays one readable line even for a 5,000-octet header.
const errValueMax = 120

func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Value == "" {
		return fmt.Sprintf("mime: invalid %s: %s", e.Field, msg)
	}
	v := fmt.Sprintf("%q", e.Value)
	if len(e.Value) > errValueMax {
		v = fmt.Sprintf("%q...", e.Value[:errValueMax])
	}
	return fmt.Sprintf("mime: invalid %s %s: %s", e.Field, v, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// FileError reports an attachment or inline file that is missing, unreadable
// or not a regular file. main maps it to exit status 66 (EX_NOINPUT).
type FileError struct {
	Path string // as given on the command line
	Role string // "attachment" or "inline file"; "" reads as "file"
	Err  error
}

func (e *FileError) Error() string {
	role := e.Role
	if role == "" {
		role = "file"
	}
	reason := e.Err
	// The path is already in the message: show "no such file or directory",
	// not "open report.pdf: no such file or directory".
	var pe *fs.PathError
	if errors.As(e.Err, &pe) {
		reason = pe.Err
	}
	return fmt.Sprintf("mime: %s %q: %v", role, e.Path, reason)
}

func (e *FileError) Unwrap() error { return e.Err }
