package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// stateVersion is the format of a job's state file; a file with another
// version is treated as no history (it is only a hint for the next mail).
const stateVersion = 1

// Tracker keeps the per-job state that `--on change` and `--every` need:
// one small JSON file per job in Dir (the state directory), named by a
// hash of the job's key. Updates are read-modify-write under an exclusive
// flock(2) on a lock file beside it, and the new file replaces the old by
// rename after fsync, so concurrent runs of one job neither lose an update
// nor leave a torn file, and a crash leaves the old state or the new one.
type Tracker struct {
	Dir string
	Now func() time.Time // nil: time.Now; tests inject a clock
}

// Decision is whether to mail a run, and what the mail should say about
// the runs --every held back.
type Decision struct {
	Send bool
	// Held is how many runs of the same class (failures, or successes)
	// were not mailed since Since, the time of the previous mail of that
	// class; only set when Send.
	Held  int
	Since time.Time
	Class string
	Every time.Duration
}

// jobState is the file's content.
type jobState struct {
	Version int                `json:"version"`
	Key     string             `json:"key"`
	Last    *lastRun           `json:"last,omitempty"`
	Windows map[string]*window `json:"windows,omitempty"` // by Class
}

type lastRun struct {
	Outcome string    `json:"outcome"`
	Time    time.Time `json:"time"`
}

// window is the --every window of one class: opened by a mail at Sent;
// Held counts the runs not mailed since.
type window struct {
	Sent time.Time `json:"sent"`
	Held int       `json:"held"`
}

// Decide applies policy p to run r of the job named key, with at most
// one mail per every (0: no limit) per class. Only `change` and --every
// need history; other runs decide without touching the disk.
//
// When the state can't be read or written, Decide still returns the
// policy's answer, with Send true rather than false when in doubt, and an
// error to warn about: a broken state directory must not silence alerts.
func (t *Tracker) Decide(key string, p Policy, every time.Duration, r *Result) (Decision, error) {
	d := Decision{Class: r.Class(), Every: every}
	if p != OnChange && every <= 0 {
		d.Send = p.wants(r, "", false)
		return d, nil
	}
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	fallback := func(err error) (Decision, error) {
		d.Send = p == OnChange || p.wants(r, "", false)
		return d, err
	}
	if err := os.MkdirAll(t.Dir, 0o700); err != nil {
		return fallback(fmt.Errorf("notify: state directory: %w", err))
	}
	base := filepath.Join(t.Dir, stateName(key))
	unlock, err := lockFile(base + ".lock")
	if err != nil {
		return fallback(fmt.Errorf("notify: lock the job state: %w", err))
	}
	defer unlock()

	st, loadErr := loadState(base+".json", key)
	if st.Last != nil {
		d.Send = p.wants(r, st.Last.Outcome, true)
	} else {
		d.Send = p.wants(r, "", false)
	}
	st.Last = &lastRun{Outcome: r.Outcome(), Time: now}
	if d.Send && every > 0 {
		w := st.Windows[d.Class]
		switch {
		case w != nil && now.Before(w.Sent.Add(every)):
			w.Held++
			d.Send = false
		default:
			if w != nil {
				d.Held, d.Since = w.Held, w.Sent
			}
			st.Windows[d.Class] = &window{Sent: now}
		}
	}
	if err := saveState(base+".json", st); err != nil {
		return d, err
	}
	return d, loadErr
}

// stateName is the file name of a job's state: keys are command lines
// with any characters in them, so the name is a hash; the key itself is
// inside the file for people.
func stateName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "run-" + hex.EncodeToString(sum[:12])
}

// loadState reads a job's state. A missing file is no history; a file
// that does not parse (or belongs to another key: a hash collision) is
// replaced, and the error says so.
func loadState(path, key string) (*jobState, error) {
	fresh := &jobState{Version: stateVersion, Key: key, Windows: map[string]*window{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fresh, nil
	}
	if err != nil {
		return fresh, fmt.Errorf("notify: read the job state: %w", err)
	}
	st, err := decodeState(b)
	if err != nil {
		return fresh, fmt.Errorf("notify: job state %s: %w; starting afresh", path, err)
	}
	if st.Key != key {
		return fresh, nil
	}
	return st, nil
}

// decodeState parses a state file, which may have been edited or damaged.
func decodeState(b []byte) (*jobState, error) {
	var st jobState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("unknown format version %d", st.Version)
	}
	if st.Windows == nil {
		st.Windows = map[string]*window{}
	}
	for k, w := range st.Windows {
		if w == nil || w.Held < 0 {
			delete(st.Windows, k)
		}
	}
	return &st, nil
}

// saveState replaces the state file atomically: write a temporary file in
// the same directory, fsync it, rename it over the old one, fsync the
// directory.
func saveState(path string, st *jobState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("notify: encode the job state: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("notify: write the job state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("notify: write the job state: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("notify: write the job state: %w", err)
	}
	return nil
}
