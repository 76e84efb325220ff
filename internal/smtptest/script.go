package smtptest

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Script runs a raw TCP server on 127.0.0.1:0 for faults go-smtp's server
// can't produce (a 421 greeting, a stall, garbage, bytes after the
// STARTTLS reply). Each connection is passed to handle in its own
// goroutine and closed when handle returns. At the end of the test the
// listener and all connections are closed; handle must then return (any
// read or write fails). It returns "127.0.0.1:port".
func Script(t testing.TB, handle func(c net.Conn)) (addr string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("smtptest: Script handler did not return after its connection was closed")
		}
	})
	return l.Addr().String()
}
