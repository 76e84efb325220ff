// Command rttproxy puts distance between bench/run's clients and
// bench/sink: it forwards TCP connections to one address and delays every
// byte by half a round-trip time in each direction, so that a dialogue
// costs what it costs with a smarthost 10 to 150 ms away (issue 13).
//
//	rttproxy -to 127.0.0.1:2525 -rtt 50ms -portfile DIR/proxy50
//
// Each chunk read is stamped with its arrival time and written RTT/2
// later, in order; reading never waits for writing, so the delay adds
// latency without limiting throughput (up to -window bytes in flight per
// direction, far more than a 2-core loopback fills in 150 ms). A
// half-close is passed on at its own due time.
//
// It listens on 127.0.0.1:0 and writes the port, atomically, to
// -portfile. It stops on SIGINT or SIGTERM, when its parent (bench/run)
// is gone, or after -life, whichever comes first: a benchmark that dies
// leaves no proxy behind.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	to := flag.String("to", "", "address to forward to (required)")
	rtt := flag.Duration("rtt", 50*time.Millisecond, "round-trip time to add: half in each direction")
	portfile := flag.String("portfile", "", "file to write the listening port to (required)")
	life := flag.Duration("life", 3*time.Hour, "stop after this long, whatever happens")
	window := flag.Int("window", 64<<20, "bytes in flight per direction before reading waits")
	flag.Parse()
	if *to == "" || *portfile == "" {
		log.Fatal("rttproxy: -to and -portfile are required")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("rttproxy: %v", err)
	}
	tmp := *portfile + ".tmp"
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "%d\n", l.Addr().(*net.TCPAddr).Port), 0o600); err != nil {
		log.Fatalf("rttproxy: %v", err)
	}
	if err := os.Rename(tmp, *portfile); err != nil {
		log.Fatalf("rttproxy: %v", err)
	}
	go stopWhenOrphaned(l, *life)
	p := &proxy{to: *to, delay: *rtt / 2, window: *window}
	if err := p.serve(l); !errors.Is(err, net.ErrClosed) {
		log.Fatalf("rttproxy: %v", err)
	}
}

// stopWhenOrphaned closes l (which ends serve and the process) on a
// signal, when the parent process has gone, or after life.
func stopWhenOrphaned(l net.Listener, life time.Duration) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	parent := os.Getppid()
	deadline := time.After(life)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-sig:
			l.Close()
			return
		case <-deadline:
			l.Close()
			return
		case <-tick.C:
			if os.Getppid() != parent {
				l.Close()
				return
			}
		}
	}
}

// proxy forwards each accepted connection to the address to, delaying
// both directions by delay.
type proxy struct {
	to     string
	delay  time.Duration
	window int // bytes in flight per direction
}

func (p *proxy) serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go p.handle(c)
	}
}

func (p *proxy) handle(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.to)
	if err != nil {
		log.Printf("rttproxy: %v", err)
		return
	}
	defer server.Close()
	var wg sync.WaitGroup
	wg.Go(func() { p.pipe(server, client) })
	wg.Go(func() { p.pipe(client, server) })
	wg.Wait()
}

// chunk is bytes read at one instant; data nil is the end of the
// stream (a half-close, or an error that ends the connection).
type chunk struct {
	data []byte
	due  time.Time
	err  error
}

// pipe copies src to dst, each chunk written delay after it was read.
// The reader goes on reading while the writer waits, so that data in
// flight is like data on a long wire; window bounds it.
func (p *proxy) pipe(dst, src net.Conn) {
	// Capacity: the most chunks the window can hold (a read returns at
	// least one byte; reads here are usually whole segments).
	queue := make(chan chunk, 4096)
	credit := make(chan struct{}, 1) // the writer freed window space
	var mu sync.Mutex
	inFlight := 0
	go func() {
		defer close(queue)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			now := time.Now()
			if n > 0 {
				mu.Lock()
				inFlight += n
				over := inFlight > p.window
				mu.Unlock()
				queue <- chunk{data: buf[:n], due: now.Add(p.delay)}
				for over {
					<-credit
					mu.Lock()
					over = inFlight > p.window
					mu.Unlock()
				}
			}
			if err != nil {
				queue <- chunk{due: now.Add(p.delay), err: err}
				return
			}
		}
	}()
	for c := range queue {
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d) // the chunk's own due time: not a wait for another goroutine
		}
		if c.data == nil {
			if c.err == io.EOF {
				closeWrite(dst) // the sender's FIN, passed on at its due time
			} else {
				dst.Close()
				src.Close()
			}
			continue
		}
		_, err := dst.Write(c.data)
		mu.Lock()
		inFlight -= len(c.data)
		mu.Unlock()
		select {
		case credit <- struct{}{}:
		default:
		}
		if err != nil {
			src.Close() // the reader stops; the queue drains
			dst.Close()
		}
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
		return
	}
	c.Close()
}
