//go:build unix

package oauth

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lock serialises token refreshes of one account across processes (two
// cron jobs sending at once): with a rotating refresh token, the second
// refresh would use a token the first already spent and get
// invalid_grant. flock(2) is dropped by the kernel when a process dies.
func (s *store) lock() (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("oauth: create %s: %w", filepath.Dir(s.path), err)
	}
	name := s.path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("oauth: lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("oauth: lock %s: %w", name, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
