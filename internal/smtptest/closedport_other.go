//go:build !unix

package smtptest

import (
	"net"
	"testing"
)

// ClosedPort is a loopback TCP port nothing listens on (best effort here:
// the port is free again once its listener is closed).
func ClosedPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
