//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package queue

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// syncDir fsyncs a directory so that the renames into it survive a crash
// (rename(2) is atomic but not durable until the directory is synced).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		// EINVAL: the file system can't sync directories (some FUSE
		// mounts); nothing better is possible there.
		return err
	}
	return nil
}

// tryLock takes an exclusive flock(2) on f without blocking. flock locks
// belong to the open file description, so they also exclude a second
// Queue in the same process, and the kernel drops them when the process
// dies: no stale lock after a crash.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return false, nil
	}
	return false, err
}

func unlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// checkOwner refuses a queue directory that someone else could read or
// change: it must belong to this user and not be writable by group or
// others. The queue holds whole messages; a directory another user made
// first (say, in a shared temporary directory) would hand them the mail.
func checkOwner(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	switch {
	case !fi.IsDir():
		return errors.New("not a directory (a symbolic link or a file is in its place)")
	case int(st.Uid) != os.Geteuid():
		return fmt.Errorf("owned by uid %d, not by this user (uid %d)", st.Uid, os.Geteuid())
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("writable by group or others (mode %#o): chmod go-w it", fi.Mode().Perm())
	}
	return nil
}
