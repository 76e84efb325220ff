package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/outboxmail/outbox/maildrop"
)

// OpenMaildrop returns a Queue for a user in system mode (SPEC §7): its
// drafts are files in the drop directory dir, committed with Draft.Drop
// for root's pickup. It has no tmp/, new/ or failed/ and can't deliver or
// list. dir must already exist as a drop directory (maildrop.CheckDir).
func OpenMaildrop(dir string) (*Queue, error) {
	if err := maildrop.CheckDir(dir); err != nil {
		return nil, &Error{Kind: KindWrite, Op: "use the maildrop", Dir: dir, Err: err}
	}
	return &Queue{Dir: dir, maildrop: true}, nil
}

// IsMaildrop reports whether q was opened with OpenMaildrop.
func (q *Queue) IsMaildrop() bool { return q.maildrop }

// Drop commits a draft of a maildrop Queue: the envelope is appended, the
// file fsynced and renamed to its final name. On error the file is gone
// and the message was not accepted (KindWrite, 73).
func (d *Draft) Drop(env *maildrop.Envelope) error {
	if d.drop == nil {
		return d.q.writeErr("drop", d.id, errors.New("not a maildrop draft"))
	}
	if d.done {
		return d.q.writeErr("drop", d.id, errors.New("draft already committed or discarded"))
	}
	if err := d.flush(); err != nil {
		d.Discard()
		return err
	}
	d.done = true
	if err := d.drop.Commit(env); err != nil {
		return d.q.writeErr("drop", d.id, err)
	}
	return nil
}

// NewDraftID is NewDraft with a given ID: pickup reuses the drop file's
// name, so that a pickup interrupted after the commit and before the
// drop file's removal finds the entry (Has) instead of queueing the
// message twice. A leftover tmp/ID.eml of such a pickup is replaced. Call
// it under the lock (Locked).
func (q *Queue) NewDraftID(id string) (*Draft, error) {
	if !validID(id) {
		return nil, &Error{Kind: KindNotFound, ID: id, Op: "draft", Dir: q.Dir, Err: errors.New("not a queue ID")}
	}
	if err := removeIfExists(q.path(tmpDir, id+".eml")); err != nil {
		return nil, q.writeErr("create a message file", id, err)
	}
	return q.newDraft(id)
}

// ValidID reports whether s has the shape of a queue ID.
func ValidID(s string) bool { return validID(s) }

// Has reports whether an entry with this ID is committed in new/ or failed/.
func (q *Queue) Has(id string) bool {
	if !validID(id) {
		return false
	}
	for _, sub := range []string{newDir, failedDir} {
		if _, err := os.Stat(q.path(sub, id+".json")); err == nil {
			return true
		}
	}
	return false
}

// KeepRefused records a refused maildrop file in failed/ with reason, so
// that root sees it in queue list and nothing is silently deleted. content
// is the file's bytes when they may be kept (nil: an empty message file,
// e.g. for a symlink, whose target is never read). e may carry what is
// known (Owner); it is kept without recipients when there are none.
func (q *Queue) KeepRefused(id string, content io.Reader, e *Entry, reason string) error {
	var d *Draft
	var err error
	if validID(id) && !q.Has(id) {
		d, err = q.NewDraftID(id)
	} else {
		d, err = q.NewDraft()
	}
	if err != nil {
		return err
	}
	if content != nil {
		if _, err := io.Copy(d, content); err != nil {
			d.Discard()
			return fmt.Errorf("queue: keep the refused maildrop file %s: %w", id, err)
		}
	}
	e.ID = d.ID()
	if err := d.Fail(e, reason); err != nil {
		return err
	}
	return nil
}

// Locked runs fn holding the queue lock, waiting for it when wait is set
// (else KindBusy). Pickup runs under it, so that two flushes never take
// one drop file twice.
func (q *Queue) Locked(ctx context.Context, wait bool, fn func() error) error {
	unlock, err := q.lock(ctx, "pick up", wait)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}
