package queue

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/outboxmail/outbox/maildrop"
	"github.com/outboxmail/outbox/maillog"
)

// Directory names under Queue.Dir.
const (
	tmpDir    = "tmp"
	newDir    = "new"
	failedDir = "failed"
	lockFile  = "lock"
)

// DefaultMaxAge is how long a message may wait before it moves to failed/
// (SPEC §5 queue_max_age; Postfix's maximal_queue_lifetime is also 5 days).
const DefaultMaxAge = 5 * 24 * time.Hour

// orphanAge is how old a leftover file (a draft in tmp/ whose process
// died, a message file without its entry) must be before Clean removes
// it. A day is far longer than any live spool or commit takes.
const orphanAge = 24 * time.Hour

// Queue is a queue directory. Its methods are safe to use from several
// processes at once: flushes take Dir/lock, and new entries appear
// atomically. A Queue value itself is not for concurrent use by
// goroutines while its fields change.
type Queue struct {
	Dir string

	// MaxAge: a message still undelivered after this long (counted from
	// Created, or from its last manual retry) moves to failed/ at its
	// next failed attempt. 0 means DefaultMaxAge.
	MaxAge time.Duration

	// Log, when set, is called once per delivery attempt of a message
	// (in Submit and in Flush) with its line for the delivery log (SPEC §2
	// log). It runs while the flush holds the lock: it must not block.
	Log func(*maillog.Record)

	// Progress, when set, wraps the message as Submit streams it to the
	// server during DATA: a person may be watching a big message go out.
	// If the returned reader is an io.Closer, it is closed when DATA ends
	// (to finish the bar). Flush does not use it.
	Progress func(e *Entry, msg io.Reader) io.Reader

	// Convert8Bit, when set, re-encodes an 8-bit message for a server
	// that does not offer 8BITMIME (RFC 6152): it returns the 7-bit
	// message and its size, or an error when the message can't be
	// converted (then it goes out as is and send refuses it clearly).
	// main sets it to mime.Downgrade7Bit; queue does not parse messages.
	Convert8Bit func(msg io.ReadSeeker) (io.Reader, int64, error)

	// Now and Jitter are for tests; nil means time.Now and ±10% random.
	Now    func() time.Time
	Jitter func(time.Duration) time.Duration

	// maildrop: Dir is a drop directory (OpenMaildrop), not a queue.
	maildrop bool
}

// Open returns the queue in dir, creating dir and its subdirectories
// (mode 0700) when they are missing.
//
// An existing directory keeps its mode: an administrator may have set up a
// shared spool on purpose, and chmod on someone else's directory is not
// ours to do. Files outbox writes are always 0600.
func Open(dir string) (*Queue, error) {
	if dir == "" {
		return nil, &Error{Kind: KindWrite, Op: "create the queue directory", Dir: "(none)", Err: errors.New("no queue directory set")}
	}
	for _, d := range []string{dir, join(dir, tmpDir), join(dir, newDir), join(dir, failedDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, &Error{Kind: KindWrite, Op: "create the queue directory", Dir: dir, Err: err}
		}
	}
	if err := checkOwner(dir); err != nil {
		return nil, &Error{Kind: KindWrite, Op: "use the queue directory", Dir: dir, Err: err}
	}
	return &Queue{Dir: dir}, nil
}

func (q *Queue) now() time.Time {
	if q.Now != nil {
		return q.Now()
	}
	return time.Now()
}

func (q *Queue) maxAge() time.Duration {
	if q.MaxAge > 0 {
		return q.MaxAge
	}
	return DefaultMaxAge
}

func (q *Queue) path(sub, name string) string { return join(q.Dir, sub, name) }

func (q *Queue) writeErr(op, id string, err error) *Error {
	return &Error{Kind: KindWrite, Op: op, ID: id, Dir: q.Dir, Err: err}
}

// Draft is a message being spooled into tmp/ID.eml. It is written once,
// then committed into new/ (Commit), kept in failed/ (Fail), or thrown
// away (Discard). After Commit or Fail, Discard does nothing, so
// `defer d.Discard()` is the usual pattern.
type Draft struct {
	q    *Queue
	id   string
	f    *os.File
	w    *bufio.Writer
	size int64
	err  error // first write error; sticky
	done bool
	drop *maildrop.File // system mode: the draft is a maildrop file (see OpenMaildrop)
}

// NewDraft creates tmp/ID.eml for a new message.
func (q *Queue) NewDraft() (*Draft, error) {
	id := newID(q.now())
	if q.maildrop {
		mf, err := maildrop.Create(q.Dir, id)
		if err != nil {
			return nil, q.writeErr("create a message file", "", err)
		}
		return &Draft{q: q, id: id, f: mf.File, drop: mf, w: bufio.NewWriterSize(mf, 64<<10)}, nil
	}
	return q.newDraft(id)
}

func (q *Queue) newDraft(id string) (*Draft, error) {
	f, err := os.OpenFile(q.path(tmpDir, id+".eml"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, q.writeErr("create a message file", "", err)
	}
	return &Draft{q: q, id: id, f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// ID is the queue ID the message will have.
func (d *Draft) ID() string { return d.id }

// Write appends to the message. A failure (disk full) is an *Error of
// KindWrite and sticks: later writes and Commit return it too.
func (d *Draft) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.done {
		return 0, d.q.writeErr("write", d.id, os.ErrClosed)
	}
	n, err := d.w.Write(p)
	d.size += int64(n)
	if err != nil {
		d.err = d.q.writeErr("write", d.id, err)
		return n, d.err
	}
	return n, nil
}

func (d *Draft) flush() error {
	if d.err != nil {
		return d.err
	}
	if err := d.w.Flush(); err != nil {
		d.err = d.q.writeErr("write", d.id, err)
	}
	return d.err
}

// Reader returns the message written so far, from its first byte, read
// from the file (never held in memory). It does not disturb Write.
func (d *Draft) Reader() (io.ReadSeeker, error) {
	if d.done {
		return nil, d.q.writeErr("read", d.id, os.ErrClosed)
	}
	if err := d.flush(); err != nil {
		return nil, err
	}
	return io.NewSectionReader(d.f, 0, d.size), nil
}

// Size is the number of bytes written.
func (d *Draft) Size() int64 { return d.size }

// Respool replaces the message written so far with what rewrite writes
// while reading the old one (mime.ReadStdin re-encodes a message with
// over-long lines this way). The new bytes go to a second file in tmp/,
// renamed over the first only when rewrite succeeded, so memory stays
// flat and a failure leaves the old message whole. A maildrop draft is
// not rewritten (false): root's pickup spools it again, and rewrites it
// then.
func (d *Draft) Respool(rewrite func(old io.ReadSeeker, w io.Writer) error) (bool, error) {
	if d.drop != nil {
		return false, nil
	}
	old, err := d.Reader()
	if err != nil {
		return false, err
	}
	path := d.q.path(tmpDir, d.id+".eml")
	f, err := os.CreateTemp(d.q.path(tmpDir, ""), d.id+".eml.*")
	if err != nil {
		return false, d.q.writeErr("rewrite", d.id, err)
	}
	nd := &Draft{q: d.q, id: d.id, f: f, w: bufio.NewWriterSize(f, 64<<10)}
	err = rewrite(old, nd)
	if err == nil {
		err = nd.flush()
	}
	f.Close()
	if err != nil {
		os.Remove(f.Name())
		return false, err
	}
	// Both files are closed for the rename (Windows refuses to rename an
	// open file), then the new one is opened in the old one's place.
	d.f.Close()
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		d.err = d.q.writeErr("rewrite", d.id, err)
		return false, d.err
	}
	nf, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		d.err = d.q.writeErr("rewrite", d.id, err)
		return false, d.err
	}
	d.f, d.w, d.size = nf, bufio.NewWriterSize(nf, 64<<10), nd.size
	return true, nil
}

// Commit makes the draft a queue entry in new/: fsync the message, write
// tmp/ID.json and fsync it, rename the message into new/, then the JSON
// (its presence in new/ is the commit point), then fsync new/. e.ID,
// Version and Size are set; Created and NextAttempt default to now;
// recipients without a state become pending. On error nothing is left.
func (d *Draft) Commit(e *Entry) error { return d.finish(e, newDir, "", "commit") }

// Fail keeps the draft as a dead letter in failed/ with reason, the same
// way Commit does in new/. The message is kept: `outbox queue retry ID`
// puts it back.
func (d *Draft) Fail(e *Entry, reason string) error {
	return d.finish(e, failedDir, reason, "keep the failed message")
}

func (d *Draft) finish(e *Entry, sub, reason, op string) (err error) {
	if d.done {
		return d.q.writeErr(op, d.id, errors.New("draft already committed or discarded"))
	}
	if d.drop != nil {
		return d.q.writeErr(op, d.id, errors.New("a maildrop draft is committed with Drop"))
	}
	if len(e.Rcpts) == 0 && reason == "" {
		return fmt.Errorf("queue: %s %s: no recipients", op, d.id)
	}
	if err := d.flush(); err != nil {
		return err
	}
	q := d.q
	now := q.now()
	e.Version = formatVersion
	e.ID = d.id
	e.Size = d.size
	if e.Created.IsZero() {
		e.Created = now
	}
	if e.NextAttempt.IsZero() {
		e.NextAttempt = now
	}
	for i := range e.Rcpts {
		if e.Rcpts[i].State == "" {
			e.Rcpts[i].State = StatePending
		}
	}
	e.Failed = sub == failedDir
	if e.Failed {
		e.Reason = reason
	}
	b, err := encodeEntry(e)
	if err != nil {
		return fmt.Errorf("queue: %s %s: %w", op, d.id, err)
	}

	tmpEml, tmpJSON := q.path(tmpDir, d.id+".eml"), q.path(tmpDir, d.id+".json")
	dstEml, dstJSON := q.path(sub, d.id+".eml"), q.path(sub, d.id+".json")
	defer func() {
		if err != nil {
			// Nothing half-made stays behind: the caller reports that
			// the message was not accepted.
			os.Remove(dstJSON)
			os.Remove(dstEml)
			os.Remove(tmpJSON)
			os.Remove(tmpEml)
			d.Discard()
		}
	}()
	if err := d.f.Sync(); err != nil {
		return q.writeErr(op, d.id, err)
	}
	if err := d.f.Close(); err != nil {
		return q.writeErr(op, d.id, err)
	}
	d.done = true
	// A fresh mtime tells Clean that a message file without its JSON is a
	// commit in progress, not an orphan, however long the spool took.
	os.Chtimes(tmpEml, now, now)
	if err := writeFileSync(tmpJSON, b); err != nil {
		return q.writeErr(op, d.id, err)
	}
	if err := os.Rename(tmpEml, dstEml); err != nil {
		return q.writeErr(op, d.id, err)
	}
	if err := os.Rename(tmpJSON, dstJSON); err != nil {
		return q.writeErr(op, d.id, err)
	}
	if err := syncDir(q.path(sub, "")); err != nil {
		return q.writeErr(op, d.id, err)
	}
	return nil
}

// Discard removes the draft. It does nothing after Commit or Fail.
func (d *Draft) Discard() error {
	if d.done {
		return nil
	}
	d.done = true
	if d.drop != nil {
		if err := d.drop.Discard(); err != nil {
			return d.q.writeErr("remove", d.id, err)
		}
		return nil
	}
	d.f.Close()
	if err := removeIfExists(d.q.path(tmpDir, d.id+".eml")); err != nil {
		return d.q.writeErr("remove", d.id, err)
	}
	return nil
}

// update replaces sub/ID.json with e: write tmp/ID.json.*, fsync, rename
// over, fsync the directory.
func (q *Queue) update(sub string, e *Entry) error {
	e.Version = formatVersion
	e.Failed = sub == failedDir
	b, err := encodeEntry(e)
	if err != nil {
		return fmt.Errorf("queue: update %s: %w", e.ID, err)
	}
	f, err := os.CreateTemp(q.path(tmpDir, ""), e.ID+".json.*")
	if err != nil {
		return q.writeErr("update", e.ID, err)
	}
	_, err = f.Write(b)
	if err := closeSynced(f, err); err != nil {
		return q.writeErr("update", e.ID, err)
	}
	if err := os.Rename(f.Name(), q.path(sub, e.ID+".json")); err != nil {
		os.Remove(f.Name())
		return q.writeErr("update", e.ID, err)
	}
	if err := syncDir(q.path(sub, "")); err != nil {
		return q.writeErr("update", e.ID, err)
	}
	return nil
}

// remove deletes an entry: the JSON first (uncommit), then the message.
func (q *Queue) remove(sub, id string) error {
	if err := q.unlink(sub, id); err != nil {
		return err
	}
	if err := syncDir(q.path(sub, "")); err != nil {
		return q.writeErr("remove", id, err)
	}
	return nil
}

// unlink is remove without the directory fsync; the caller syncs (see
// syncRemovals).
func (q *Queue) unlink(sub, id string) error {
	if err := removeIfExists(q.path(sub, id+".json")); err != nil {
		return q.writeErr("remove", id, err)
	}
	if err := removeIfExists(q.path(sub, id+".eml")); err != nil {
		return q.writeErr("remove", id, err)
	}
	return nil
}

// move carries an entry from one of new/, failed/ to the other: link (or
// copy) the message, commit the JSON in the destination, then remove the
// source. A crash in between leaves the entry in both directories; scan
// resolves that in favour of failed/ (see twins in scan).
func (q *Queue) move(from, to string, e *Entry) error {
	if err := linkOrCopy(q.path(from, e.ID+".eml"), q.path(to, e.ID+".eml")); err != nil {
		return q.writeErr("move", e.ID, err)
	}
	if err := syncDir(q.path(to, "")); err != nil {
		return q.writeErr("move", e.ID, err)
	}
	if err := q.update(to, e); err != nil {
		return err
	}
	return q.remove(from, e.ID)
}

// fail moves an entry from new/ to failed/ with reason.
func (q *Queue) fail(e *Entry, reason string) error {
	e.Reason = reason
	return q.move(newDir, failedDir, e)
}

// listing is what scan finds in new/ and failed/.
type listing struct {
	ids     map[string][]string // sub → committed IDs (JSON present), sorted
	orphans map[string][]string // sub → IDs with a message but no JSON
	twins   []string            // IDs committed in both: an interrupted move
}

// scan reads the directory names (not the files). An ID committed in both
// new/ and failed/ counts as failed: moving new→failed commits failed/
// before removing new/ (so failed wins is right), and an interrupted
// retry (failed→new) is simply undone.
func (q *Queue) scan() (*listing, error) {
	l := &listing{ids: map[string][]string{}, orphans: map[string][]string{}}
	have := map[string]map[string]int{} // sub → id → bit 1 json, 2 eml
	for _, sub := range []string{newDir, failedDir} {
		des, err := os.ReadDir(q.path(sub, ""))
		if err != nil {
			return nil, &Error{Op: "list", Dir: q.Dir, Err: err}
		}
		m := map[string]int{}
		for _, de := range des {
			name := de.Name()
			id, ext, _ := strings.Cut(name, ".")
			if !validID(id) || !de.Type().IsRegular() {
				continue
			}
			switch ext {
			case "json":
				m[id] |= 1
			case "eml":
				m[id] |= 2
			}
		}
		have[sub] = m
	}
	for _, sub := range []string{newDir, failedDir} {
		for id, bits := range have[sub] {
			switch {
			case sub == newDir && bits&1 != 0 && have[failedDir][id]&1 != 0:
				l.twins = append(l.twins, id)
			case bits&1 != 0:
				l.ids[sub] = append(l.ids[sub], id)
			case bits&2 != 0:
				l.orphans[sub] = append(l.orphans[sub], id)
			}
		}
		sort.Strings(l.ids[sub])
	}
	return l, nil
}

// load reads sub/ID.json.
func (q *Queue) load(sub, id string) (*Entry, error) {
	b, err := os.ReadFile(q.path(sub, id+".json"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &Error{Kind: KindNotFound, ID: id, Op: "read", Dir: q.Dir, Err: err}
		}
		return nil, &Error{Op: "read", ID: id, Dir: q.Dir, Err: err}
	}
	e, err := decodeEntry(id, b)
	if err != nil {
		return nil, &Error{Kind: KindFormat, ID: id, Op: "read", Dir: q.Dir, Err: err}
	}
	if _, err := os.Stat(q.path(sub, id+".eml")); err != nil {
		return nil, &Error{Kind: KindFormat, ID: id, Op: "read", Dir: q.Dir,
			Err: fmt.Errorf("%s.json has no message file %s.eml beside it (%v); remove the entry with outbox queue drop %s", id, id, err, id)}
	}
	e.Failed = sub == failedDir
	return e, nil
}

// List returns the entries of new/ and failed/ (Failed set), sorted by
// ID. An entry left in both by an interrupted move is listed once, as
// failed. Entries that can't be read (damaged, or from a newer outbox) are
// skipped, never deleted; they are reported together in the error, and
// the readable entries are returned anyway. So is an entry whose message
// file is missing (an orphan: no crash of this outbox leaves one, since
// Commit renames the message first). The slice is nil only when the
// queue itself could not be read: one bad entry never hides the others.
func (q *Queue) List() ([]*Entry, error) {
	l, err := q.scan()
	if err != nil {
		return nil, err
	}
	out := []*Entry{}
	var errs []error
	for _, sub := range []string{newDir, failedDir} {
		for _, id := range l.ids[sub] {
			e, err := q.load(sub, id)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, errors.Join(errs...)
}

// find locates a committed entry by ID.
func (q *Queue) find(op, id string) (string, *Entry, error) {
	if !validID(id) {
		return "", nil, &Error{Kind: KindNotFound, ID: id, Op: op, Dir: q.Dir, Err: errors.New("not a queue ID")}
	}
	for _, sub := range []string{failedDir, newDir} {
		e, err := q.load(sub, id)
		var qe *Error
		if errors.As(err, &qe) && qe.Kind == KindNotFound {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		return sub, e, nil
	}
	return "", nil, &Error{Kind: KindNotFound, ID: id, Op: op, Dir: q.Dir, Err: os.ErrNotExist}
}

// Show returns an entry and its message file, opened for reading; the
// caller closes it. f.Name() is the message's path.
func (q *Queue) Show(id string) (*Entry, *os.File, error) {
	sub, e, err := q.find("show", id)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(q.path(sub, id+".eml"))
	if err != nil {
		return nil, nil, &Error{Op: "show", ID: id, Dir: q.Dir, Err: err}
	}
	return e, f, nil
}

// Drop deletes an entry from new/ or failed/. It waits for no one: when a
// flush holds the lock it returns a KindBusy error.
func (q *Queue) Drop(id string) error {
	unlock, err := q.tryLock("drop")
	if err != nil {
		return err
	}
	defer unlock()
	sub, _, err := q.find("drop", id)
	if err != nil {
		var qe *Error
		if !errors.As(err, &qe) || qe.Kind != KindFormat {
			return err
		}
		// A damaged or newer-format entry is dropped on request: that is
		// the way out the error message offers.
		sub = newDir
		if _, serr := os.Stat(q.path(failedDir, id+".json")); serr == nil {
			sub = failedDir
		}
	}
	if sub == failedDir {
		// A twin left by an interrupted move goes too.
		if err := q.remove(newDir, id); err != nil {
			return err
		}
	}
	return q.remove(sub, id)
}

// Retry makes an entry due now. An entry in failed/ goes back to new/
// with its failed recipients pending again, its attempt count reset and
// its age counted from now. KindBusy when a flush holds the lock.
func (q *Queue) Retry(id string) error {
	unlock, err := q.tryLock("retry")
	if err != nil {
		return err
	}
	defer unlock()
	sub, e, err := q.find("retry", id)
	if err != nil {
		return err
	}
	return q.retry(sub, e)
}

// RetryAll does Retry for every entry, queued or failed. Unreadable
// entries are reported and left alone.
func (q *Queue) RetryAll() error {
	unlock, err := q.tryLock("retry")
	if err != nil {
		return err
	}
	defer unlock()
	entries, lerr := q.List()
	errs := []error{lerr}
	for _, e := range entries {
		sub := newDir
		if e.Failed {
			sub = failedDir
		}
		errs = append(errs, q.retry(sub, e))
	}
	return errors.Join(errs...)
}

func (q *Queue) retry(sub string, e *Entry) error {
	now := q.now()
	e.NextAttempt = now
	if sub == newDir {
		return q.update(newDir, e)
	}
	if len(e.Rcpts) == 0 {
		return fmt.Errorf("queue: %s has no recipients (%s); inspect it with outbox queue show %s, or drop it", e.ID, e.Reason, e.ID)
	}
	for i := range e.Rcpts {
		if e.Rcpts[i].State == StateFailed {
			e.Rcpts[i].State = StatePending
		}
	}
	e.Attempts = 0
	e.Retried = now
	e.Reason = ""
	return q.move(failedDir, newDir, e)
}

// Clean removes what crashes leave behind: files in tmp/ older than a
// day, message files without an entry older than a day, and the new/
// half of an interrupted move. It takes the lock (KindBusy when a flush
// is running: the flush cleans too).
func (q *Queue) Clean() error {
	unlock, err := q.tryLock("clean")
	if err != nil {
		return err
	}
	defer unlock()
	_, err = q.clean()
	return err
}

// clean is Clean under a lock the caller holds. It returns the listing
// it made of new/ and failed/ (nil when it could not make one): the
// cleaning changes none of its committed IDs, so a flush need not read
// the directories again.
func (q *Queue) clean() (*listing, error) {
	now := q.now()
	var errs []error
	old := func(path string) bool {
		fi, err := os.Lstat(path)
		return err == nil && now.Sub(fi.ModTime()) > orphanAge
	}
	des, err := os.ReadDir(q.path(tmpDir, ""))
	if err != nil {
		return nil, q.writeErr("clean", "", err)
	}
	for _, de := range des {
		if p := q.path(tmpDir, de.Name()); de.Type().IsRegular() && old(p) {
			errs = append(errs, removeIfExists(p))
		}
	}
	l, err := q.scan()
	if err != nil {
		return nil, err
	}
	for _, id := range l.twins {
		errs = append(errs, q.remove(newDir, id))
	}
	for _, sub := range []string{newDir, failedDir} {
		for _, id := range l.orphans[sub] {
			p := q.path(sub, id+".eml")
			if old(p) {
				errs = append(errs, removeIfExists(p))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return l, q.writeErr("clean", "", err)
	}
	return l, nil
}

// lock takes Dir/lock, waiting while ctx allows when wait is set. It
// returns the release function.
func (q *Queue) lock(ctx context.Context, op string, wait bool) (func(), error) {
	f, err := os.OpenFile(q.path(lockFile, ""), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, q.writeErr("open the lock file", "", err)
	}
	// flock has no timeout; poll so that ctx (SIGINT, a deadline) can end
	// the wait. A flush holds the lock for seconds to minutes, so a poll
	// interval of a fraction of a second costs nothing.
	tick := time.NewTicker(100*time.Millisecond + time.Duration(rand.IntN(50))*time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, &Error{Op: "lock", Dir: q.Dir, Err: err}
		}
		if ok {
			return func() { unlock(f); f.Close() }, nil
		}
		if !wait {
			f.Close()
			return nil, &Error{Kind: KindBusy, Op: op, Dir: q.Dir}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("queue: waiting for %s/lock: %w", q.Dir, ctx.Err())
		case <-tick.C:
		}
	}
}

func (q *Queue) tryLock(op string) (func(), error) {
	return q.lock(context.Background(), op, false)
}
