package send

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// transcript writes the -v SMTP dialogue: "S: " for server lines, "C: " for
// client lines. It is fed from wireConn, which knows the direction of every
// byte, so a client line that happens to start with three digits is never
// taken for a reply.
//
// Secrets never reach the output (RFC 4954 §4): the argument of an AUTH
// command becomes "<redacted>", and so does every client line while an AUTH
// exchange is in progress (from the AUTH command until the server's first
// reply that is not 334). The message body is not shown: between the 354
// reply and the final "." only its size is reported, as sendmail -v does.
type transcript struct {
	mu  sync.Mutex
	out io.Writer
	err error // first write error; the transcript then stops, the session does not

	client, server []byte // partial line per direction
	cTrunc, sTrunc bool   // current line exceeded maxLine; the rest is dropped

	inAuth bool // AUTH sent and not yet answered with a final non-334 reply
	inData bool // 354 seen, waiting for the client's "." line
	// chunk is the count of BDAT chunk bytes still to come (RFC 3030 §2:
	// the count on the BDAT line, raw bytes after it); chunkLen its size.
	chunk, chunkLen int64
	// body scanner state while inData
	dataBytes int64
	dataLine  []byte // first bytes of the current body line (≤ 3)
}

// maxLine bounds memory per line; SMTP lines are ≤ 1000 octets
// (RFC 5321 §4.5.3.1.6), anything longer is shown cut.
const maxLine = 4096

func newTranscript(w io.Writer) *transcript {
	if w == nil {
		return nil
	}
	return &transcript{out: w}
}

// fromServer and fromClient take raw bytes as they crossed the wire.
func (t *transcript) fromServer(p []byte) {
	if t == nil || len(p) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.server, t.sTrunc = t.lines(p, t.server, t.sTrunc, t.serverLine)
}

func (t *transcript) fromClient(p []byte) {
	if t == nil || len(p) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(p) > 0 {
		if t.inData {
			p = t.body(p)
			continue
		}
		if t.chunk > 0 {
			k := min(t.chunk, int64(len(p)))
			t.chunk -= k
			p = p[k:]
			if t.chunk == 0 {
				t.printString(fmt.Sprintf("C: <message: %d bytes>", t.chunkLen))
			}
			continue
		}
		// Handle one line at a time: a line can switch to data mode.
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i+1]
		}
		t.client, t.cTrunc = t.lines(chunk, t.client, t.cTrunc, t.clientLine)
		p = p[len(chunk):]
	}
}

// lines appends p to the pending line and calls emit for each complete one.
func (t *transcript) lines(p, pending []byte, trunc bool, emit func([]byte, bool)) ([]byte, bool) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		part := p
		if i >= 0 {
			part = p[:i]
		}
		if room := maxLine - len(pending); room > 0 {
			pending = append(pending, part[:min(room, len(part))]...)
		}
		if len(pending)+len(part) > maxLine {
			trunc = true
		}
		if i < 0 {
			break
		}
		emit(bytes.TrimSuffix(pending, []byte("\r")), trunc)
		pending, trunc = pending[:0], false
		p = p[i+1:]
	}
	return pending, trunc
}

func (t *transcript) serverLine(line []byte, trunc bool) {
	t.print("S: ", line, trunc)
	// A final reply line is "ddd " or just "ddd" (RFC 5321 §4.2).
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ') {
		return
	}
	code := string(line[:3])
	switch {
	case code == "334":
		t.inAuth = true
	case code == "354":
		t.inData = true
		t.dataBytes = 0
		t.dataLine = t.dataLine[:0]
		t.inAuth = false
	default:
		t.inAuth = false
	}
}

func (t *transcript) clientLine(line []byte, trunc bool) {
	if t.inAuth {
		t.printString("C: <redacted>")
		return
	}
	fields := bytes.Fields(line)
	if len(fields) >= 1 && bytes.EqualFold(fields[0], []byte("AUTH")) {
		// RFC 4954 §4: AUTH mechanism [initial-response]. From here until
		// the final reply every client line is a credential.
		// PLAIN with its initial response is complete in that line: no
		// client line after it is part of the exchange (the commands
		// pipelined behind it, RFC 4954 §4, are shown).
		t.inAuth = len(fields) < 3 || !bytes.EqualFold(fields[1], []byte("PLAIN"))
		switch len(fields) {
		case 1:
			t.printString("C: AUTH")
		case 2:
			t.printString("C: AUTH " + printable(fields[1]))
		default:
			t.printString("C: AUTH " + printable(fields[1]) + " <redacted>")
		}
		return
	}
	if len(fields) >= 2 && bytes.EqualFold(fields[0], []byte("BDAT")) {
		if n, err := strconv.ParseInt(string(fields[1]), 10, 64); err == nil && n > 0 {
			t.chunk, t.chunkLen = n, n
		}
	}
	t.print("C: ", line, trunc)
}

// body consumes message bytes until the "." line that ends DATA
// (RFC 5321 §4.5.2; the body is already dot-stuffed, so no body line is
// a lone "."). It returns what follows the terminator.
func (t *transcript) body(p []byte) []byte {
	for i, c := range p {
		t.dataBytes++
		if len(t.dataLine) < 3 {
			t.dataLine = append(t.dataLine, c)
		}
		if c != '\n' {
			continue
		}
		if end := string(t.dataLine); end == ".\r\n" || end == ".\n" {
			t.dataBytes -= int64(len(end))
			t.printString(fmt.Sprintf("C: <message: %d bytes>", t.dataBytes))
			t.printString("C: .")
			t.inData = false
			t.dataLine = t.dataLine[:0]
			return p[i+1:]
		}
		t.dataLine = t.dataLine[:0]
	}
	return nil
}

func (t *transcript) print(prefix string, line []byte, trunc bool) {
	s := prefix + printable(line)
	if trunc {
		s += " [...]"
	}
	t.printString(s)
}

func (t *transcript) printString(s string) {
	if t.err != nil {
		return
	}
	_, t.err = io.WriteString(t.out, s+"\n")
}

// printable replaces control characters and invalid UTF-8 so that a hostile
// server cannot drive the user's terminal.
func printable(b []byte) string {
	return string(bytes.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0xfffd {
			return '?'
		}
		return r
	}, b))
}

// wireConn sits directly above the plaintext stream (the TCP connection
// before TLS, the tls.Conn after) and copies the bytes to the transcript.
type wireConn struct {
	net.Conn
	tr *transcript
}

func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.tr.fromServer(p[:n])
	}
	return n, err
}

// Write shows the bytes before they go out: the reader goroutine prints
// the server's answer as soon as it arrives, which may be before Write
// returns.
func (c *wireConn) Write(p []byte) (int, error) {
	c.tr.fromClient(p)
	return c.Conn.Write(p)
}
