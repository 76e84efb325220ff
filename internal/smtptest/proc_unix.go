//go:build unix

package smtptest

import "syscall"

// processAlive says whether pid still exists (signal 0 checks, sends nothing).
func processAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }
