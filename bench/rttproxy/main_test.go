package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

// The proxy is correct when what goes in comes out, whole and in order, in
// both directions, with a half-close passed on — and never sooner than the
// round trip it stands for (a lower bound: how much later is the
// benchmark's business, not a test's).
func TestProxyForwardsInOrderAfterRTT(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c) // until the client's half-close arrives
				c.Close()
			}()
		}
	}()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const rtt = 20 * time.Millisecond
	go (&proxy{to: echo.Addr().String(), delay: rtt / 2, window: 256 << 10}).serve(l)

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// One small exchange: a round trip costs at least rtt.
	start := time.Now()
	if _, err := c.Write([]byte("EHLO x\r\n")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 8)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "EHLO x\r\n" {
		t.Fatalf("echo %q, %v", got, err)
	}
	if d := time.Since(start); d < rtt {
		t.Errorf("round trip took %v, less than the rtt %v", d, rtt)
	}

	// 4 MB in many writes, more than the window: same bytes, same order;
	// then a half-close comes back as the end of the stream.
	want := make([]byte, 4<<20)
	rand.Read(want)
	back := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(c)
		back <- b
	}()
	for p := want; len(p) > 0; {
		n := min(len(p), 1000+len(p)%7000)
		if _, err := c.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	c.(*net.TCPConn).CloseWrite()
	select {
	case b := <-back:
		if !bytes.Equal(b, want) {
			t.Errorf("got %d bytes back, want the %d sent, in order", len(b), len(want))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the half-close never came back as end of stream")
	}
}
