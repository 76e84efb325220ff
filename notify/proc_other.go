//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos)

package notify

import (
	"os"
	"os/exec"
	"syscall"
)

// Without process groups (Windows), a timeout ends the command itself;
// what it started may outlive it.
func setGroup(*exec.Cmd, bool) {}

func signalGroup(cmd *exec.Cmd, _ bool, _ syscall.Signal) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

func exitStatus(ps *os.ProcessState) (int, syscall.Signal) {
	if ps == nil {
		return 126, 0
	}
	return ps.ExitCode(), 0
}

var signalNames = map[syscall.Signal]string{}

// lockFile does not lock where there is no flock(2): concurrent runs of
// one job may lose an update of its state (never corrupt it: the file is
// replaced by rename).
func lockFile(string) (func(), error) { return func() {}, nil }

func syncDir(string) error { return nil }
