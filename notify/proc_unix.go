//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package notify

import (
	"os"
	"os/exec"
	"syscall"
)

// setGroup puts the command in a process group of its own, led by it, so
// that a timeout can end everything it started (timeout(1) does the same).
func setGroup(cmd *exec.Cmd, group bool) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: group}
}

// signalGroup sends sig to the command's process group, or to the command
// alone when it shares outbox's group. Errors (ESRCH: all gone) don't
// matter: the caller waits for the exit either way.
func signalGroup(cmd *exec.Cmd, group bool, sig syscall.Signal) {
	if cmd.Process == nil {
		return
	}
	if group {
		syscall.Kill(-cmd.Process.Pid, sig)
		return
	}
	cmd.Process.Signal(sig)
}

// exitStatus is the status a shell would report: the exit code, or 128+n
// for a death by signal n.
func exitStatus(ps *os.ProcessState) (int, syscall.Signal) {
	if ps == nil {
		return 126, 0
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), ws.Signal()
	}
	return ps.ExitCode(), 0
}

var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGILL: "SIGILL", syscall.SIGTRAP: "SIGTRAP", syscall.SIGABRT: "SIGABRT",
	syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE", syscall.SIGKILL: "SIGKILL",
	syscall.SIGUSR1: "SIGUSR1", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM",
	syscall.SIGXCPU: "SIGXCPU", syscall.SIGXFSZ: "SIGXFSZ", syscall.SIGSYS: "SIGSYS",
}

// lockFile takes an exclusive flock(2) on path, waiting for it: the
// critical section it guards is a few milliseconds of file I/O.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil // closing releases the lock
}

// syncDir makes a rename into dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
