//go:build unix

package smtptest

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
)

func TestClosedPortRefuses(t *testing.T) {
	p := ClosedPort(t)
	_, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err == nil {
		l.Close()
		t.Fatal("port could be taken by a listener")
	}
}
