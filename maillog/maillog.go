package maillog

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Result is what happened to a message in one attempt.
type Result string

const (
	Sent     Result = "sent"     // accepted by the smarthost for every pending recipient
	Queued   Result = "queued"   // first attempt failed temporarily; the message waits in the queue
	Deferred Result = "deferred" // a retry from the queue failed temporarily; it waits for the next one
	Failed   Result = "failed"   // refused permanently (kept in failed/), or not accepted at all (--no-queue)
	Expired  Result = "expired"  // older than queue_max_age: moved to failed/
)

// Record is one log line.
type Record struct {
	Time     time.Time
	ID       string // queue ID
	Account  string // config account ("" = default)
	Host     string // smarthost host:port, "" when none was reached
	From     string // envelope sender, "" = <>
	Rcpts    int    // recipients tried in this attempt
	Size     int64  // message bytes
	Result   Result
	Code     int           // SMTP reply code that decided the result, 0 when there was none
	Duration time.Duration // of the attempt (dial included for the first message of a connection)
	Error    string        // one line; "" when sent
}

// String formats r as key=value pairs in a fixed order. Values that are
// empty or hold spaces, quotes, '=' or control characters are quoted with
// Go syntax (strconv.Quote), so each record is one line a script can split
// on spaces.
func (r *Record) String() string {
	var b strings.Builder
	kv := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(quote(v))
	}
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	kv("time", t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	kv("id", r.ID)
	acct := r.Account
	if acct == "" {
		acct = "default"
	}
	kv("account", acct)
	kv("host", r.Host)
	kv("from", "<"+r.From+">")
	kv("rcpts", strconv.Itoa(r.Rcpts))
	kv("size", strconv.FormatInt(r.Size, 10))
	kv("result", string(r.Result))
	kv("code", strconv.Itoa(r.Code))
	kv("duration", strconv.FormatFloat(r.Duration.Seconds(), 'f', 3, 64)+"s")
	if r.Error != "" {
		kv("error", r.Error)
	}
	return b.String()
}

func quote(v string) string {
	if v == "" {
		return `""`
	}
	for _, c := range v {
		if c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f || c > 0x7e {
			return strconv.Quote(v)
		}
	}
	return v
}

// Logger writes records. The zero destination ("" or "none") is a Logger
// that writes nothing.
type Logger interface {
	Log(r *Record) error
	Close() error
}

// Open returns the logger for the config value dest: "syslog", "none" (or
// ""), or a file path, which is created 0600 if missing and appended to.
// An existing file keeps its mode: an administrator may have chosen a
// group-readable log on purpose.
func Open(dest string) (Logger, error) {
	switch dest {
	case "", "none":
		return nop{}, nil
	case "syslog":
		return openSyslog("", "")
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("maillog: open %s: %w", dest, err)
	}
	return &fileLogger{f: f}, nil
}

// Dial returns a syslog logger on a given socket (network "unixgram",
// "udp", ...; tests use a local unixgram listener).
func Dial(network, addr string) (Logger, error) { return openSyslog(network, addr) }

type nop struct{}

func (nop) Log(*Record) error { return nil }
func (nop) Close() error      { return nil }

// fileLogger appends one line per record with a single write(2) on an
// O_APPEND descriptor, so lines of concurrent outbox processes never
// interleave.
type fileLogger struct {
	mu sync.Mutex
	f  *os.File
}

func (l *fileLogger) Log(r *Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.WriteString(r.String() + "\n"); err != nil {
		return fmt.Errorf("maillog: write %s: %w", l.f.Name(), err)
	}
	return nil
}

func (l *fileLogger) Close() error { return l.f.Close() }
