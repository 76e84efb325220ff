package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
)

// noChunkListener's connections hide CHUNKING (RFC 3030) from go-smtp's
// EHLO reply: go-smtp v0.25's server always offers it and has no switch,
// and the "PIPELINING only" benchmark rows need a server without it.
//
// A filter on the reply must see it in clear, so TLS has to sit below
// the filter rather than inside go-smtp: the connection answers STARTTLS
// itself (RFC 3207 §4: the client sends nothing more until the 220, then
// starts over with EHLO), and adds STARTTLS to the EHLO reply before TLS,
// which go-smtp, given no TLS config, does not offer (and it takes AUTH
// out of that reply, as go-smtp does before TLS). Written by hand: no
// library rewrites a server's capabilities. It relies on go-smtp writing
// (and flushing) its replies one line at a time, as net/textproto's
// PrintfLine does.
type noChunkListener struct {
	net.Listener
	tls *tls.Config
}

func (l *noChunkListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &noChunkConn{Conn: c, raw: c, tls: l.tls, br: bufio.NewReader(c)}, nil
}

type noChunkConn struct {
	net.Conn               // the TCP connection, then the TLS one over it
	raw      net.Conn      // the TCP connection
	tls      *tls.Config   //
	br       *bufio.Reader // reads raw, a line at a time, until STARTTLS
	pending  []byte        // the rest of a line the caller had no room for
	secure   bool          // TLS is up
}

func (c *noChunkConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	if c.secure {
		return c.Conn.Read(p)
	}
	line, err := c.br.ReadBytes('\n')
	if err == nil && strings.EqualFold(strings.TrimSpace(string(line)), "STARTTLS") {
		if c.br.Buffered() > 0 {
			return 0, errors.New("sink: commands pipelined after STARTTLS (RFC 3207 §4)")
		}
		if _, err := io.WriteString(c.raw, "220 2.0.0 Ready to start TLS\r\n"); err != nil {
			return 0, err
		}
		tc := tls.Server(c.raw, c.tls)
		if err := tc.Handshake(); err != nil {
			return 0, err
		}
		c.Conn, c.secure = tc, true
		return c.Conn.Read(p)
	}
	n := copy(p, line)
	c.pending = line[n:]
	return n, err
}

func (c *noChunkConn) Write(p []byte) (int, error) {
	line := string(p)
	switch {
	case line == "250-CHUNKING\r\n", !c.secure && strings.HasPrefix(line, "250-AUTH "):
		return len(p), nil // no AUTH before TLS either, as on the main port
	case !c.secure && strings.HasPrefix(line, "250-Hello "):
		if _, err := c.Conn.Write(p); err != nil {
			return 0, err
		}
		_, err := io.WriteString(c.Conn, "250-STARTTLS\r\n")
		return len(p), err
	}
	return c.Conn.Write(p)
}
