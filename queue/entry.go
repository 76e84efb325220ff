package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// formatVersion is the entry JSON format this outbox writes and reads. A
// file with a higher version is refused with a clear error and never
// deleted: a newer outbox may share the directory (after a downgrade).
const formatVersion = 1

// State is one recipient's delivery state.
type State string

const (
	StatePending State = "pending" // not yet accepted; tried again later
	StateSent    State = "sent"    // accepted by the smarthost; never sent again
	StateFailed  State = "failed"  // refused permanently (5xx); Error says why
)

// Rcpt is one envelope recipient and its state.
type Rcpt struct {
	Addr  string `json:"addr"`
	State State  `json:"state"`
	Error string `json:"error,omitempty"` // the server's refusal, or the last temporary error

	// err is Error as this process saw it (a *send.Error), so a caller
	// can tell a 550 at RCPT from other failures without parsing text.
	err error
}

// Pending returns addrs as recipients in StatePending.
func Pending(addrs []string) []Rcpt {
	r := make([]Rcpt, len(addrs))
	for i, a := range addrs {
		r[i] = Rcpt{Addr: a, State: StatePending}
	}
	return r
}

// Entry is the envelope and delivery state of one queued message; its
// bytes are in ID.eml beside ID.json.
type Entry struct {
	Version  int      `json:"version"`
	ID       string   `json:"id"`
	Account  string   `json:"account,omitempty"` // config account ("" = the default one)
	Owner    string   `json:"owner,omitempty"`   // set by the caller (system mode: the submitting user)
	From     string   `json:"from"`              // MAIL FROM; "" is the null sender <>
	Rcpts    []Rcpt   `json:"rcpts"`
	Notify   []string `json:"notify,omitempty"` // DSN NOTIFY (RFC 3461 §4.1)
	Ret      string   `json:"ret,omitempty"`    // DSN RET (RFC 3461 §4.3)
	EnvID    string   `json:"envid,omitempty"`  // DSN ENVID (RFC 3461 §4.4)
	Body8Bit bool     `json:"body_8bit,omitempty"`
	SMTPUTF8 bool     `json:"smtputf8,omitempty"`
	Size     int64    `json:"size"` // bytes of ID.eml, set by Commit

	Created     time.Time `json:"created"`
	Retried     time.Time `json:"retried,omitzero"` // last `queue retry` of a failed entry; the age limit counts from it
	NextAttempt time.Time `json:"next_attempt"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`

	// Failed is true for an entry in failed/ (the dead-letter folder);
	// Reason says why it is there. The directory is authoritative: Failed
	// is set from it when the entry is read.
	Failed bool   `json:"failed,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// PendingAddrs returns the recipients still to be tried.
func (e *Entry) PendingAddrs() []string {
	var out []string
	for _, r := range e.Rcpts {
		if r.State == StatePending {
			out = append(out, r.Addr)
		}
	}
	return out
}

func (e *Entry) count(s State) int {
	n := 0
	for _, r := range e.Rcpts {
		if r.State == s {
			n++
		}
	}
	return n
}

// age is how long the entry has been waiting, counted from the last
// manual retry of a failed entry if there was one.
func (e *Entry) age(now time.Time) time.Duration {
	start := e.Created
	if e.Retried.After(start) {
		start = e.Retried
	}
	return now.Sub(start)
}

func encodeEntry(e *Entry) ([]byte, error) {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// decodeEntry parses an entry file's bytes. name is the file's ID (from
// its name), used in messages and checked against the content. The
// version is looked at before anything else, so that a newer format is
// reported as such rather than as damage.
func decodeEntry(name string, b []byte) (*Entry, error) {
	var v struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s.json is damaged (%v); inspect it, or remove the entry with outbox queue drop %s", name, err, name)
	}
	switch {
	case v.Version == nil || *v.Version < 1:
		return nil, fmt.Errorf("%s.json has no valid format version; inspect it, or remove the entry with outbox queue drop %s", name, name)
	case *v.Version > formatVersion:
		return nil, fmt.Errorf("%s.json was written by a newer outbox (format %d); upgrade outbox or remove it", name, *v.Version)
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%s.json is damaged (%v); inspect it, or remove the entry with outbox queue drop %s", name, err, name)
	}
	if err := e.check(name); err != nil {
		return nil, fmt.Errorf("%s.json is damaged (%v); inspect it, or remove the entry with outbox queue drop %s", name, err, name)
	}
	return &e, nil
}

// check validates what the queue relies on.
func (e *Entry) check(name string) error {
	if e.ID != name {
		return fmt.Errorf("id %q does not match the file name", e.ID)
	}
	if len(e.Rcpts) == 0 && e.Reason == "" {
		// Only a refused maildrop file (KeepRefused) is kept without
		// recipients, and always with its reason.
		return errors.New("no recipients")
	}
	for _, r := range e.Rcpts {
		switch r.State {
		case StatePending, StateSent, StateFailed:
		default:
			return fmt.Errorf("recipient %q has unknown state %q", r.Addr, r.State)
		}
	}
	return nil
}
