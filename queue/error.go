package queue

import "fmt"

// Kind classifies an Error so that main can pick the exit code without
// matching strings.
type Kind int

const (
	// KindWrite: the queue directory can't be created or written; the
	// message was not accepted (sysexits EX_CANTCREAT, 73).
	KindWrite Kind = iota + 1
	// KindNotFound: no entry with that ID in new/ or failed/.
	KindNotFound
	// KindFormat: an entry file is damaged, or was written by a newer
	// outbox. It is reported and left alone, never deleted.
	KindFormat
	// KindBusy: another outbox holds the queue lock (a flush is running).
	KindBusy
)

// QueueWrite is the name CONTRACT.md uses for KindWrite.
const QueueWrite = KindWrite

func (k Kind) String() string {
	switch k {
	case KindWrite:
		return "write"
	case KindNotFound:
		return "not-found"
	case KindFormat:
		return "format"
	case KindBusy:
		return "busy"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is the error type of every queue operation that touches the
// directory. Err holds the cause (often an *os.PathError).
type Error struct {
	Kind Kind
	ID   string // the entry concerned, "" for directory-wide errors
	Op   string // "open", "draft", "write", "commit", "fail", "update", "remove", "list", "show", "drop", "retry", "lock", "clean"
	Dir  string // the queue directory
	Err  error
}

func (e *Error) Unwrap() error { return e.Err }

// Error returns one line: what happened, and what to do about it.
func (e *Error) Error() string {
	switch e.Kind {
	case KindWrite:
		what := e.Op
		if e.ID != "" {
			what += " " + e.ID
		}
		return fmt.Sprintf("queue: cannot %s in %s: %v; make the directory writable for this user, or set queue_dir in the config", what, e.Dir, e.Err)
	case KindNotFound:
		return fmt.Sprintf("queue: no message %s in %s (outbox queue list shows the IDs)", e.ID, e.Dir)
	case KindFormat:
		// Err carries the sentence, e.g. "ID.json was written by a newer
		// outbox (format 2); upgrade outbox or remove it".
		return "queue: " + e.Err.Error()
	case KindBusy:
		return fmt.Sprintf("queue: another outbox is flushing %s (it holds %s/lock); try again when it has finished", e.Dir, e.Dir)
	}
	if e.ID != "" {
		return fmt.Sprintf("queue: %s %s: %v", e.Op, e.ID, e.Err)
	}
	return fmt.Sprintf("queue: %s %s: %v", e.Op, e.Dir, e.Err)
}
