package maildrop

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultDir is the system drop directory. It sits beside root's default
// queue (/var/spool/outbox) and is fixed, not configurable in the config
// file, because the users who write into it can't read that file.
const DefaultDir = "/var/spool/outbox/maildrop"

// Mode is the drop directory's mode: world-writable with the sticky bit
// and no read permission for others (Postfix's maildrop is similar), so a
// user can create a file and rename or remove their own, but can neither
// list the directory nor touch another user's file.
const Mode = 0o733 | fs.ModeSticky

// DefaultMaxSize bounds a drop file: the message plus its envelope. A
// larger file is refused at pickup (and the writer refuses it first).
// 50 MiB is above what common smarthosts accept (Gmail 25 MB, Microsoft
// 365 35 MB after base64 growth, Postfix's default message_size_limit is
// 10 MB) while a user can't fill root's queue with one file.
const DefaultMaxSize = 50 << 20

// tmpSuffix marks a file still being written. A writer renames it to its
// final name only after the envelope is written and the file fsynced.
const tmpSuffix = ".tmp"

// maxEnvelope bounds the envelope JSON (10,000 recipients fit easily).
const maxEnvelope = 8 << 20

// trailerTag starts the last line of a drop file:
//
//	<message bytes><envelope JSON>\nOUTBOX-MAILDROP 1 <message size> <JSON size>\n
//
// The envelope comes after the message because a writer streams the
// message before it knows all recipients (sendmail -t reads them from the
// header); the sizes make the split exact without scanning the message.
const trailerTag = "OUTBOX-MAILDROP"

const formatVersion = 1

// Directory is the drop directory: $OUTBOX_MAILDROP_DIR when it is an
// absolute path (for packagers that move the spool, and for tests), else
// DefaultDir. Writers and root's pickup must agree on it.
func Directory() string {
	if d := os.Getenv("OUTBOX_MAILDROP_DIR"); filepath.IsAbs(d) {
		return d
	}
	return DefaultDir
}

// Envelope is what the caller asked for. Nothing in it says who the
// caller is: that is the file's owner. Rcpts are as the caller gave them
// (local names like "root" included): root resolves them with the
// aliases of the system configuration, which the caller can't read.
type Envelope struct {
	Version int `json:"version"`
	// From is the requested envelope sender (-f, --from); root honours it
	// only for trusted_users. FromSet tells "-f <>" ("" requested) from
	// no request.
	From    string   `json:"from,omitempty"`
	FromSet bool     `json:"from_set,omitempty"`
	Rcpts   []string `json:"rcpts"`
	Notify  []string `json:"notify,omitempty"` // DSN NOTIFY (RFC 3461 §4.1)
	Ret     string   `json:"ret,omitempty"`    // DSN RET (RFC 3461 §4.3)
	EnvID   string   `json:"envid,omitempty"`  // DSN ENVID (RFC 3461 §4.4)
	// FullName is sendmail's -F: the display name of the From that root
	// adds when the message has none.
	FullName string `json:"full_name,omitempty"`
	// Created is when the caller wrote the file, as it claims: shown by
	// queue list, never used for a decision.
	Created time.Time `json:"created"`
}

func (e *Envelope) check() error {
	if e.Version != formatVersion {
		return fmt.Errorf("envelope format %d is not %d", e.Version, formatVersion)
	}
	if len(e.Rcpts) == 0 {
		return errors.New("envelope has no recipients")
	}
	strs := append([]string{e.From, e.Ret, e.EnvID}, e.Rcpts...)
	strs = append(strs, e.Notify...)
	for _, s := range strs {
		if strings.ContainsAny(s, "\r\n\x00") {
			return fmt.Errorf("envelope value %q holds CR, LF or NUL", s)
		}
	}
	return nil
}

// CheckDir verifies that dir is a real drop directory before a user
// writes into it: a directory (not a symlink), owned by root, with the
// sticky bit. Anything else could be another user's trap (a directory
// they can read), so nothing is written there.
func CheckDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("maildrop: %s does not exist: root creates it (outbox queue flush, or the outbox-pickup.path unit)", dir)
		}
		return fmt.Errorf("maildrop: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("maildrop: %s is not a directory", dir)
	}
	if uid, ok := fileOwner(fi); ok && uid != 0 {
		return fmt.Errorf("maildrop: %s is owned by uid %d, not root: refusing to leave mail there", dir, uid)
	}
	if fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("maildrop: %s lacks the sticky bit (want mode 1733): refusing to leave mail there; root can run chmod 1733 %s", dir, dir)
	}
	return nil
}

// File is a drop file being written under its temporary name.
type File struct {
	*os.File
	dir, id string
	size    int64
	max     int64
	done    bool
}

// Create makes dir/ID.tmp, exclusively (O_EXCL: never an existing name,
// never through a symlink), mode 0600. id must be a name without a slash.
func Create(dir, id string) (*File, error) {
	if id == "" || strings.ContainsAny(id, "/.") {
		return nil, fmt.Errorf("maildrop: bad file name %q", id)
	}
	if err := CheckDir(dir); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, id+tmpSuffix), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("maildrop: create a file in %s: %w", dir, err)
	}
	return &File{File: f, dir: dir, id: id, max: DefaultMaxSize}, nil
}

// ErrTooBig is returned by Write when the message passes DefaultMaxSize.
var ErrTooBig = fmt.Errorf("maildrop: the message is larger than %d MiB, the limit for system mode", DefaultMaxSize>>20)

// Write appends message bytes.
func (f *File) Write(p []byte) (int, error) {
	if f.size+int64(len(p)) > f.max {
		return 0, ErrTooBig
	}
	n, err := f.File.Write(p)
	f.size += int64(n)
	return n, err
}

// Commit appends the envelope and the trailer, fsyncs the file and
// renames it to its final name, where pickup takes it. The directory
// itself can't be fsynced by its writers (they may not open it: no read
// permission); if the rename is lost in a crash, pickup still finds the
// complete file under its temporary name (see Open).
func (f *File) Commit(env *Envelope) error {
	if f.done {
		return errors.New("maildrop: file already committed or discarded")
	}
	env.Version = formatVersion
	if env.Created.IsZero() {
		env.Created = time.Now()
	}
	if err := env.check(); err != nil {
		f.Discard()
		return fmt.Errorf("maildrop: %w", err)
	}
	j, err := json.Marshal(env)
	if err != nil {
		f.Discard()
		return fmt.Errorf("maildrop: %w", err)
	}
	tail := fmt.Sprintf("\n%s %d %d %d\n", trailerTag, formatVersion, f.size, len(j))
	if _, err := f.File.Write(append(j, tail...)); err != nil {
		f.Discard()
		return fmt.Errorf("maildrop: write %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		f.Discard()
		return fmt.Errorf("maildrop: fsync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		f.Discard()
		return fmt.Errorf("maildrop: close %s: %w", f.Name(), err)
	}
	f.done = true
	tmp := filepath.Join(f.dir, f.id+tmpSuffix)
	if err := os.Rename(tmp, filepath.Join(f.dir, f.id)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("maildrop: %w", err)
	}
	return nil
}

// Size is the number of message bytes written.
func (f *File) Size() int64 { return f.size }

// Discard removes the file; it does nothing after Commit.
func (f *File) Discard() error {
	if f.done {
		return nil
	}
	f.done = true
	f.Close()
	return os.Remove(filepath.Join(f.dir, f.id+tmpSuffix))
}

// Entry is a name found in the drop directory, as List sees it (Lstat:
// nothing followed).
type Entry struct {
	Name    string
	Owner   int // uid, -1 when unknown
	Size    int64
	ModTime time.Time
	Mode    fs.FileMode
}

// Temporary reports whether the name is a file still being written (or
// left by a writer that crashed before its rename).
func (e *Entry) Temporary() bool { return strings.HasSuffix(e.Name, tmpSuffix) }

// List returns what is in dir, sorted by name; only root (or the
// directory's owner) may read the directory. A missing directory is
// empty.
func List(dir string) ([]*Entry, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("maildrop: list %s: %w", dir, err)
	}
	var out []*Entry
	for _, de := range des {
		fi, err := os.Lstat(filepath.Join(dir, de.Name()))
		if err != nil {
			continue // gone meanwhile: picked up or removed by its owner
		}
		e := &Entry{Name: de.Name(), Owner: -1, Size: fi.Size(), ModTime: fi.ModTime(), Mode: fi.Mode()}
		if uid, ok := fileOwner(fi); ok {
			e.Owner = uid
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Message is a drop file that passed every check, open for reading.
type Message struct {
	Name  string
	Owner int   // the uid that owns the file: the sender's identity
	Size  int64 // message bytes
	Env   *Envelope
	f     *os.File
}

// Body returns the message bytes, read from the checked descriptor.
func (m *Message) Body() io.Reader { return io.NewSectionReader(m.f, 0, m.Size) }

// Close closes the file.
func (m *Message) Close() error { return m.f.Close() }

// Refused is a drop file that pickup must not accept. Reason says why,
// for the record in failed/. Content, when not nil, is the file's bytes
// (a regular file of its owner that is malformed) to keep as evidence;
// it is nil for what must never be read: a symlink's target, a file with
// other names, a special file, or one over the size limit.
type Refused struct {
	Name    string
	Owner   int // -1 when unknown
	Reason  string
	Content io.Reader
	f       *os.File
}

func (r *Refused) Error() string { return "maildrop: " + r.Name + ": " + r.Reason }

// Close releases the file behind Content.
func (r *Refused) Close() error {
	if r.f != nil {
		return r.f.Close()
	}
	return nil
}

// Open checks and opens dir/name for pickup. It returns a *Message, or a
// *Refused error (close it when done), or another error when the file is
// gone or can't be read. max bounds the file size (0: DefaultMaxSize).
//
// The checks, in order: Lstat (a symlink is refused and never followed;
// only regular files with one link — a second link may be another user's
// file); open with O_NOFOLLOW and O_NONBLOCK (a file swapped for a symlink
// or a FIFO in between can't redirect or block the read); fstat of the
// open descriptor, which must be the inode Lstat saw; then the size, the
// trailer and the envelope. The owner comes from that fstat.
func Open(dir, name string, max int64) (*Message, error) {
	if max <= 0 {
		max = DefaultMaxSize
	}
	path := filepath.Join(dir, name)
	refuse := func(owner int, format string, args ...any) error {
		return &Refused{Name: name, Owner: owner, Reason: fmt.Sprintf(format, args...)}
	}
	li, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("maildrop: %w", err)
	}
	owner := -1
	if uid, ok := fileOwner(li); ok {
		owner = uid
	}
	switch {
	case li.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return nil, refuse(owner, "a symbolic link (to %q) in the maildrop: refused, never followed", target)
	case !li.Mode().IsRegular():
		return nil, refuse(owner, "not a regular file (%s) in the maildrop: refused", li.Mode().Type())
	case links(li) != 1:
		return nil, refuse(owner, "has %d hard links (it may be another file's name): refused, not read", links(li))
	case li.Size() > max+maxEnvelope:
		return nil, refuse(owner, "%d bytes, over the limit of %d bytes: refused, not read", li.Size(), max)
	}
	f, err := openNoFollow(path)
	if err != nil {
		if isLoop(err) {
			return nil, refuse(owner, "replaced by a symbolic link while being opened: refused, never followed")
		}
		return nil, fmt.Errorf("maildrop: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("maildrop: %w", err)
	}
	if uid, ok := fileOwner(fi); ok {
		owner = uid
	}
	switch {
	case !fi.Mode().IsRegular() || !os.SameFile(li, fi):
		f.Close()
		return nil, refuse(owner, "replaced while being opened: refused, not read")
	case links(fi) != 1:
		f.Close()
		return nil, refuse(owner, "has %d hard links (it may be another file's name): refused, not read", links(fi))
	case fi.Size() > max+maxEnvelope:
		f.Close()
		return nil, refuse(owner, "%d bytes, over the limit of %d bytes: refused, not read", fi.Size(), max)
	case owner < 0:
		f.Close()
		return nil, refuse(owner, "the owner of the file can't be told on this system: refused")
	}
	env, size, err := readEnvelope(f, fi.Size())
	if err == nil && size > max {
		err = fmt.Errorf("a message of %d bytes, over the limit of %d bytes", size, max)
	}
	if err != nil {
		return nil, &Refused{Name: name, Owner: owner, Reason: "not a well-formed maildrop file: " + err.Error(),
			Content: io.NewSectionReader(f, 0, fi.Size()), f: f}
	}
	return &Message{Name: name, Owner: owner, Size: size, Env: env, f: f}, nil
}

// readEnvelope parses the trailer and the envelope of a file of total
// bytes, and returns the message size.
func readEnvelope(r io.ReaderAt, total int64) (*Envelope, int64, error) {
	tail := int64(128)
	if tail > total {
		tail = total
	}
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, total-tail); err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, err
	}
	return parseTrailer(buf, total, r)
}

// parseTrailer reads the last line of buf (the end of a file of total
// bytes) and the envelope it points at.
func parseTrailer(buf []byte, total int64, r io.ReaderAt) (*Envelope, int64, error) {
	if !bytes.HasSuffix(buf, []byte("\n")) {
		return nil, 0, errors.New("no trailer line at the end")
	}
	i := bytes.LastIndexByte(buf[:len(buf)-1], '\n')
	if i < 0 {
		return nil, 0, errors.New("no trailer line at the end")
	}
	line := string(buf[i+1 : len(buf)-1])
	f := strings.Split(line, " ")
	if len(f) != 4 || f[0] != trailerTag {
		return nil, 0, errors.New("no trailer line at the end")
	}
	if f[1] != strconv.Itoa(formatVersion) {
		return nil, 0, fmt.Errorf("format %q is not %d", f[1], formatVersion)
	}
	msg, err1 := strconv.ParseInt(f[2], 10, 64)
	env, err2 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || msg < 0 || env <= 0 || env > maxEnvelope {
		return nil, 0, fmt.Errorf("bad sizes in the trailer %q", line)
	}
	// The sizes must add up to the file exactly: nothing unaccounted for.
	if msg+env+1+int64(len(line))+1 != total {
		return nil, 0, fmt.Errorf("the trailer's sizes (%d + %d) don't match the file (%d bytes)", msg, env, total)
	}
	j := make([]byte, env)
	if _, err := r.ReadAt(j, msg); err != nil {
		return nil, 0, err
	}
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, 0, fmt.Errorf("envelope: %v", err)
	}
	if err := e.check(); err != nil {
		return nil, 0, err
	}
	return &e, msg, nil
}

// Remove deletes a name from the drop directory (never what a symlink
// points to: unlink(2) removes the link).
func Remove(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("maildrop: %w", err)
	}
	return nil
}

// Prepare creates dir with Mode when it is missing (root's flush and
// install do), and reports a directory whose mode or owner is not the
// drop directory's.
func Prepare(dir string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("maildrop: %w", err)
	}
	// Users must get through the parent (root's queue directory, 0700
	// when the queue made it) to the maildrop: search permission only,
	// so they still can't list it; its tmp/, new/, failed/ stay 0700.
	if fi, err := os.Stat(parent); err == nil && fi.Mode().Perm()&0o011 != 0o011 {
		if err := os.Chmod(parent, fi.Mode()|0o011); err != nil {
			return fmt.Errorf("maildrop: %w", err)
		}
	}
	if err := os.Mkdir(dir, 0o700); err == nil {
		// chmod, not Mkdir's mode: the umask would take the write bits.
		if err := os.Chmod(dir, Mode); err != nil {
			return fmt.Errorf("maildrop: %w", err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("maildrop: %w", err)
	}
	return CheckDir(dir)
}
