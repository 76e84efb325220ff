//go:build unix

package smtptest

import (
	"syscall"
	"testing"
)

// ClosedPort is a loopback TCP port where a connection is refused, and
// stays refused for the whole test: the port is held by a socket that is
// bound but never listens. A port taken from a listener and closed again
// is free for the kernel to hand to the next test's server, which then
// answers the "dead" smarthost (seen under load: a certificate error
// instead of a refused connection).
func ClosedPort(t testing.TB) int {
	t.Helper()
	// No SO_REUSEADDR: a listener (Go sets it) can't share the port.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("closed port: socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("closed port: bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("closed port: getsockname: %v", err)
	}
	return sa.(*syscall.SockaddrInet4).Port
}
