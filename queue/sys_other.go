//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos)

package queue

import "os"

// syncDir is a no-op where directories can't be opened for fsync
// (Windows); NTFS journals renames itself.
func syncDir(string) error { return nil }

// tryLock always succeeds here: these platforms have no flock(2), and a
// lock file made with O_EXCL would outlive a crashed flusher and block
// every later flush. outbox's multi-flusher setups (systemd timer plus
// sendmail's automatic flush) are Unix; on other systems two concurrent
// flushes may send a message twice.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) error { return nil }

// checkOwner has no owner to check where files have no Unix owner.
func checkOwner(string) error { return nil }
