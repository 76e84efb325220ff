package smtptest

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
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

// Fake is a plaintext SMTP server (no TLS, no AUTH) for protocol faults
// go-smtp's server can't produce: replies refused, held back, garbled or
// cut off in the middle of a pipelined window. It speaks enough SMTP for a
// real client: EHLO with Ext, MAIL, RCPT, DATA (dot-unstuffed), BDAT
// (RFC 3030 chunks), RSET, NOOP, QUIT.
type Fake struct {
	Addr string

	mu    sync.Mutex
	msgs  []Message
	cmds  []string
	early int
}

// Early counts MAIL, RCPT, RSET and DATA commands that arrived with more
// input already behind them: pipelining. A lock-step client makes none.
func (f *Fake) Early() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.early
}

// FakeOptions shape a Fake.
type FakeOptions struct {
	Ext []string // EHLO keywords, e.g. "PIPELINING", "CHUNKING", "8BITMIME"
	// Reply may replace the reply to a command: n counts the replies on
	// this connection from 1 (the greeting is 0), cmd is the command line
	// ("." for the end of DATA; "BDAT 12 LAST" after its chunk was read).
	// It returns the reply lines ("" keeps the default), "CLOSE" to drop
	// the connection instead of answering, or "HANG" to answer nothing
	// and take no message from then on, while still reading (and
	// recording) commands: a stuck server. A 421 reply closes the
	// connection after it (RFC 5321 §3.8). Reply is called more than once
	// for a command: it must depend on n and cmd only.
	Reply func(n int, cmd string) string
	// Hold keeps the replies to MAIL, RCPT and RSET back until a command
	// that ends a pipelined group (DATA, BDAT, QUIT, NOOP) arrives
	// (RFC 2920 §3.1): a server that answers late. A client that waits
	// for each reply stalls.
	Hold bool
}

// Messages returns the messages the Fake accepted (final reply 250).
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.msgs...)
}

// Commands returns every command line received, in order.
func (f *Fake) Commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

// StartFake runs a Fake on 127.0.0.1:0 until the test ends.
func StartFake(t testing.TB, o FakeOptions) *Fake {
	f := &Fake{}
	f.Addr = Script(t, func(c net.Conn) { f.serve(c, o) })
	return f
}

func (f *Fake) serve(c net.Conn, o FakeOptions) {
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	n := 0
	var held []string
	closed, hung := false, false
	reply := func(cmd, def string, flush bool) string {
		if closed {
			return ""
		}
		n++
		text := def
		if o.Reply != nil {
			if s := o.Reply(n, cmd); s != "" {
				text = s
			}
		}
		switch {
		case text == "CLOSE":
			closed = true
			w.Flush()
			c.Close()
			return ""
		case text == "HANG":
			hung = true
		}
		if hung {
			// Read on, take nothing, answer nothing: a stuck server.
			return ""
		}
		held = append(held, text)
		if flush || !o.Hold || strings.HasPrefix(text, "421") {
			for _, h := range held {
				w.WriteString(h + "\r\n")
			}
			held = held[:0]
			w.Flush()
		}
		if strings.HasPrefix(text, "421") {
			closed = true
			c.Close()
		}
		return text
	}
	var cur Message
	inTx := false
	reply("greeting", "220 fake ESMTP", true)
	for !closed {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.mu.Lock()
		f.cmds = append(f.cmds, line)
		f.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "MAIL", "RCPT", "RSET", "DATA":
			if r.Buffered() > 0 {
				// More input before this command was answered.
				f.mu.Lock()
				f.early++
				f.mu.Unlock()
			}
		}
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"250-fake"}
			for _, e := range o.Ext {
				lines = append(lines, "250-"+e)
			}
			lines[len(lines)-1] = "250 " + strings.TrimPrefix(lines[len(lines)-1], "250-")
			reply(line, strings.Join(lines, "\r\n"), true)
		case "HELO", "NOOP":
			reply(line, "250 ok", true)
		case "MAIL":
			cur = Message{From: strings.Trim(strings.TrimPrefix(strings.Fields(arg)[0], "FROM:"), "<>")}
			inTx = f.lastOK(o, n+1, line)
			reply(line, "250 2.1.0 ok", false)
		case "RCPT":
			to := strings.Trim(strings.TrimPrefix(strings.Fields(arg)[0], "TO:"), "<>")
			def := "250 2.1.5 ok"
			if !inTx {
				def = "503 5.5.1 MAIL first"
			}
			if inTx && f.lastOK(o, n+1, line) {
				cur.To = append(cur.To, to)
			}
			reply(line, def, false)
		case "RSET":
			cur, inTx = Message{}, false
			reply(line, "250 2.0.0 reset", false)
		case "DATA":
			ok := inTx && len(cur.To) > 0
			def := "354 go ahead"
			if !ok {
				def = "554 5.5.1 no valid recipients"
			}
			// A 354 (even one the hook forces where a server should
			// refuse) puts the server in data mode.
			if text := reply(line, def, true); !strings.HasPrefix(text, "354") {
				continue
			}
			var data []byte
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data = append(data, strings.TrimPrefix(l, ".")...)
			}
			cur.Data = data
			f.finish(o, n+1, ".", &cur, &inTx, &hung, reply)
		case "BDAT":
			fields := strings.Fields(arg)
			size, _ := strconv.Atoi(fields[0])
			chunk := make([]byte, size)
			if _, err := io.ReadFull(r, chunk); err != nil {
				return
			}
			last := len(fields) > 1 && strings.EqualFold(fields[1], "LAST")
			if !inTx || len(cur.To) == 0 {
				reply(line, "554 5.5.1 no valid recipients", true)
				continue
			}
			cur.Data = append(cur.Data, chunk...)
			if !last {
				reply(line, "250 2.0.0 chunk ok", true)
				continue
			}
			f.finish(o, n+1, line, &cur, &inTx, &hung, reply)
		case "QUIT":
			reply(line, "221 bye", true)
			if hung {
				// Stuck: the connection stays open until the client
				// closes it.
				io.Copy(io.Discard, r)
			}
			return
		default:
			reply(line, "502 5.5.2 unknown command", true)
		}
	}
}

// lastOK says whether the reply number n to cmd will be a 2xx/3xx one.
func (f *Fake) lastOK(o FakeOptions, n int, cmd string) bool {
	if o.Reply == nil {
		return true
	}
	s := o.Reply(n, cmd)
	return s == "" || s[0] == '2' || s[0] == '3'
}

func (f *Fake) finish(o FakeOptions, n int, cmd string, cur *Message, inTx, hung *bool, reply func(string, string, bool) string) {
	if f.lastOK(o, n, cmd) && !*hung {
		f.mu.Lock()
		f.msgs = append(f.msgs, *cur)
		f.mu.Unlock()
	}
	*cur, *inTx = Message{}, false
	reply(cmd, "250 2.0.0 queued as FAKE", true)
}

// ReplyTo is a FakeOptions.Reply that answers every command starting
// with prefix with reply, and leaves every other command's reply as is:
// the one fault most scripted tests need.
func ReplyTo(prefix, reply string) func(n int, cmd string) string {
	return func(_ int, cmd string) string {
		if strings.HasPrefix(cmd, prefix) {
			return reply
		}
		return ""
	}
}
