// Command rawclient is the ceiling of the benchmark suite (bench/run, row
// 7): the least a program can do to hand a message to an SMTP server. No
// TLS, no AUTH, no MIME, no queue: EHLO, then MAIL, RCPT and DATA as one
// pipelined batch (RFC 2920), the message from a file with its LF line
// endings turned into CRLF and leading dots doubled (RFC 5321 §4.5.2),
// through one 64 KiB buffer.
//
//	rawclient -addr 127.0.0.1:PORT < message
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/textproto"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "", "host:port of a plaintext SMTP server")
	from := flag.String("from", "bench@bench.test", "MAIL FROM")
	to := flag.String("to", "rcpt@bench.test", "RCPT TO")
	flag.Parse()
	if err := send(*addr, *from, *to, os.Stdin); err != nil {
		log.Fatalf("rawclient: %v", err)
	}
}

func send(addr, from, to string, msg io.Reader) error {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Minute))
	r := textproto.NewReader(bufio.NewReader(conn))
	w := bufio.NewWriterSize(conn, 64<<10)
	expect := func(code int) error {
		_, _, err := r.ReadResponse(code)
		return err
	}
	if err := expect(220); err != nil {
		return err
	}
	fmt.Fprintf(w, "EHLO rawclient.bench.test\r\n")
	if err := w.Flush(); err != nil {
		return err
	}
	if err := expect(250); err != nil {
		return err
	}
	fmt.Fprintf(w, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n", from, to)
	if err := w.Flush(); err != nil {
		return err
	}
	for _, code := range []int{250, 250, 354} {
		if err := expect(code); err != nil {
			return err
		}
	}
	br := bufio.NewReaderSize(msg, 64<<10)
	midline := false // the last ReadSlice ended inside an over-long line
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !midline && line[0] == '.' {
				w.WriteByte('.')
			}
			w.Write(line)
			midline = true
			continue
		}
		if len(line) > 0 {
			if !midline && line[0] == '.' {
				w.WriteByte('.')
			}
			n := len(line)
			if line[n-1] == '\n' {
				n--
				if n > 0 && line[n-1] == '\r' {
					n--
				}
			}
			w.Write(line[:n])
			w.WriteString("\r\n")
		}
		midline = false
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	w.WriteString(".\r\nQUIT\r\n")
	if err := w.Flush(); err != nil {
		return err
	}
	if err := expect(250); err != nil {
		return err
	}
	return expect(221)
}
