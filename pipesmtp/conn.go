package pipesmtp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// pipeConn is a net.Conn made of a reader and a writer (stdin and stdout),
// so that go-smtp's server, which serves net.Conns, can serve them.
//
// Written by hand because nothing in the standard library or go-smtp does
// it: go-smtp's command timeout is a read deadline, and a pipe inherited
// as stdin usually is a blocking descriptor that Go's poller can't put a
// deadline on (os.File.SetReadDeadline returns ErrNoDeadline), while making
// it non-blocking would change the file description the parent shares. So
// one goroutine reads ahead one chunk at a time and Read waits for it or
// for the deadline, whichever comes first.
type pipeConn struct {
	out *replyWriter

	chunks chan chunk    // from the reader goroutine
	more   chan struct{} // to it: read the next chunk
	closed chan struct{} // closed by Close
	once   sync.Once

	mu       sync.Mutex
	deadline time.Time
	idle     time.Duration // > 0: each Read waits at most this long (see setIdle)
	end      error         // set by endAfterReply: every later Read fails with it

	// Read's state (go-smtp reads from one goroutine at a time).
	buf     []byte
	err     error       // the reader goroutine's final error, once buf is drained
	pending bool        // a chunk was asked for and not received yet
	timeout atomic.Bool // a read ran into the deadline
	// gone: a reply other than QUIT's 221 could not be written (the
	// client closed its end of the pipe).
	gone atomic.Bool
}

type chunk struct {
	b   []byte
	err error
}

const chunkSize = 32 << 10

func newPipeConn(in io.Reader, out io.Writer) *pipeConn {
	c := &pipeConn{
		out:    &replyWriter{out: out},
		chunks: make(chan chunk),
		more:   make(chan struct{}),
		closed: make(chan struct{}),
	}
	go c.readLoop(in)
	return c
}

// readLoop reads one chunk each time Read asks for one. It ends at the
// first error (EOF included) or when the connection is closed; a read
// blocked in the input is left behind (the process is about to exit).
func (c *pipeConn) readLoop(in io.Reader) {
	for {
		select {
		case <-c.more:
		case <-c.closed:
			return
		}
		b := make([]byte, chunkSize)
		n, err := in.Read(b)
		if n == 0 && err == nil {
			continue // a Reader may return 0, nil; ask again
		}
		select {
		case c.chunks <- chunk{b[:n], err}:
		case <-c.closed:
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *pipeConn) Read(b []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.mu.Lock()
		deadline, end := c.deadline, c.end
		if c.idle > 0 {
			deadline = time.Now().Add(c.idle)
		}
		c.mu.Unlock()
		if end != nil {
			return 0, end
		}
		if !c.pending {
			select {
			case c.more <- struct{}{}:
				c.pending = true
			case <-c.closed:
				return 0, net.ErrClosed
			}
		}
		var (
			expired <-chan time.Time
			timer   *time.Timer
		)
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				c.timeout.Store(true)
				return 0, os.ErrDeadlineExceeded
			}
			timer = time.NewTimer(d)
			expired = timer.C
		}
		var ch chunk
		select {
		case ch = <-c.chunks:
		case <-expired:
			// os.ErrDeadlineExceeded is a net.Error whose Timeout() is
			// true: go-smtp answers it with 421 and ends the session.
			c.timeout.Store(true)
			return 0, os.ErrDeadlineExceeded
		case <-c.closed:
			return 0, net.ErrClosed
		}
		if timer != nil {
			timer.Stop()
		}
		c.pending = false
		c.buf = ch.b
		if ch.err != nil {
			c.err = ch.err
		}
	}
	n := copy(b, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *pipeConn) Write(b []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	n, err := c.out.Write(b)
	if err != nil {
		// The client stopped reading (EPIPE: sendmail -bs catches
		// SIGPIPE): no later reply can reach it, so end the session
		// instead of reading commands whose answers go nowhere. go-smtp
		// ignores write errors, and writes one reply line at a time.
		c.endAfterReply()
		if !bytes.HasPrefix(b, []byte("221 ")) {
			c.gone.Store(true)
		}
	}
	return n, err
}

// endAfterReply makes every later Read fail with io.EOF: go-smtp writes
// the reply it is about to write, then ends the session quietly. For
// states the dialogue can't recover from (a timeout or an over-long line
// inside DATA), where go-smtp would otherwise go on reading commands.
func (c *pipeConn) endAfterReply() {
	c.mu.Lock()
	c.end = io.EOF
	c.mu.Unlock()
}

// setIdle turns the deadline into an idle timeout (d > 0) or back (0).
// Inside DATA, go-smtp's deadline was set once when the DATA command was
// read, and it reads the message in large pieces: with it alone, a large
// message over a slow pipe would be cut off while bytes still flow.
func (c *pipeConn) setIdle(d time.Duration) {
	c.mu.Lock()
	c.idle = d
	c.mu.Unlock()
}

func (c *pipeConn) Close() error {
	var err error
	c.once.Do(func() {
		err = c.out.flush()
		close(c.closed)
	})
	return err
}

func (c *pipeConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *pipeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

// SetWriteDeadline is not supported: a write to a client that stopped
// reading blocks until the client exits (then fails with EPIPE).
func (c *pipeConn) SetWriteDeadline(time.Time) error { return nil }

func (c *pipeConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (c *pipeConn) RemoteAddr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "stdin" }

// oneConnListener hands out one connection, then blocks until that
// connection is closed and reports the listener closed: go-smtp's Serve
// returns then.
type oneConnListener struct {
	c    *pipeConn
	used bool
}

var errListenerDone = errors.New("pipesmtp: session over")

func (l *oneConnListener) Accept() (net.Conn, error) {
	if !l.used {
		l.used = true
		return l.c, nil
	}
	<-l.c.closed
	return nil, errListenerDone
}

func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return pipeAddr{} }
