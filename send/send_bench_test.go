package send_test

// Benchmarks of the DATA path for bench/run's targets (issue 8):
// normalisation + dot-stuffing ≥ 500 MB/s on one core with no allocation
// per line, and the cost of one session (Dial with STARTTLS + AUTH).
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./send/

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/textproto"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/outboxmail/outbox/internal/crlf"
	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

// benchBody is about size bytes of 72-byte LF lines, one in ten starting
// with a dot: what cron and scripts pipe into sendmail.
func benchBody(size int) []byte {
	line := bytes.Repeat([]byte("x"), 71)
	dotted := append([]byte("."), line[1:]...)
	var b bytes.Buffer
	b.Grow(size + 80)
	for i := 0; b.Len() < size; i++ {
		if i%10 == 3 {
			b.Write(dotted)
		} else {
			b.Write(line)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkDataPath is what Send does to every byte of a message, without
// the network: crlf's dot mode (line endings and dot-stuffing, RFC 5321
// §4.5.2) writing straight to the connection's writer.
func BenchmarkDataPath(b *testing.B) {
	body := benchBody(4 << 20)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"LF", body},
		{"CRLF", crlf.Normalize(body)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.in)))
			b.ReportAllocs()
			for b.Loop() {
				cw := crlf.NewDotWriter(io.Discard)
				cw.Write(tc.in)
				cw.Close()
			}
		})
	}
}

// BenchmarkDataPathLines is BenchmarkDataPath fed one line per Write, as
// io.Copy from a line-producing pipe can: allocs/op is allocations per
// line (target 0).
func BenchmarkDataPathLines(b *testing.B) {
	line := append(bytes.Repeat([]byte("x"), 71), '\n')
	dotted := append([]byte("."), line[1:]...)
	cw := crlf.NewDotWriter(io.Discard)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%10 == 3 {
			cw.Write(dotted)
		} else {
			cw.Write(line)
		}
		i++
	}
	cw.Close()
}

// BenchmarkDataPathTextproto is the DATA path as go-smtp alone does it:
// crlf.Writer into net/textproto's DotWriter (byte at a time). It is the
// reference BenchmarkDataPath is measured against.
func BenchmarkDataPathTextproto(b *testing.B) {
	body := benchBody(4 << 20)
	bw := bufio.NewWriter(io.Discard)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		dw := textproto.NewWriter(bw).DotWriter()
		cw := crlf.NewWriter(dw)
		cw.Write(body)
		cw.Close()
		dw.Close()
	}
}

// BenchmarkDotWriter isolates the dot-stuffing half of the DATA path: the
// input is already CRLF. "textproto" is go-smtp's writer, "crlf" the one
// Send uses.
func BenchmarkDotWriter(b *testing.B) {
	in := crlf.Normalize(benchBody(4 << 20))
	b.Run("textproto", func(b *testing.B) {
		bw := bufio.NewWriter(io.Discard)
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			dw := textproto.NewWriter(bw).DotWriter()
			dw.Write(in)
			dw.Close()
		}
	})
	b.Run("crlf", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			cw := crlf.NewDotWriter(io.Discard)
			cw.Write(in)
			cw.Close()
		}
	})
}

// discardServer is a loopback go-smtp server that reads and drops every
// message: unlike smtptest it keeps nothing, so a benchmark can send
// gigabytes.
func discardServer(b *testing.B) (addr string, cert *smtptest.Cert) {
	cert = smtptest.NewCert(b)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return discardSession{}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	return l.Addr().String(), cert
}

type discardSession struct{}

func (discardSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (discardSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "user" || pass != "secret" {
			return errors.New("bad credentials")
		}
		return nil
	}), nil
}
func (discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (discardSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset()        {}
func (discardSession) Logout() error { return nil }

func benchOptions(b *testing.B, addr string, cert *smtptest.Cert, mode send.TLSMode) send.Options {
	host, port, _ := net.SplitHostPort(addr)
	p := 0
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	o := send.Options{Host: host, Port: p, TLS: mode, Helo: "bench.example", Timeout: 10 * time.Second, RootCAs: cert.Pool}
	if mode != send.NoTLS {
		o.Username = "user"
		o.Password = func() (string, error) { return "secret", nil }
	}
	return o
}

// BenchmarkSend is the whole Send of a 10 MB message over loopback, one
// connection reused with RSET: the in-process ceiling of rows 4 and 7.
func BenchmarkSend(b *testing.B) {
	body := append([]byte("Subject: bench\n\n"), benchBody(10<<20)...)
	addr, cert := discardServer(b)
	for _, mode := range []send.TLSMode{send.NoTLS, send.StartTLS} {
		b.Run(string(mode), func(b *testing.B) {
			c, err := send.Dial(context.Background(), benchOptions(b, addr, cert, mode))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			env := &send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Send(env, bytes.NewReader(body)); err != nil {
					b.Fatal(err)
				}
				if err := c.Reset(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDialSend is one 2 KB message on a new connection (STARTTLS,
// AUTH PLAIN, MAIL, RCPT, DATA, QUIT): row 2 without the process start.
// The certificate pool is the test's, so the system roots are not loaded
// here; nor are they in bench/run's row 2, whose tls_ca_file vouches for
// the sink (see tlsConfig).
func BenchmarkDialSend(b *testing.B) {
	body := append([]byte("Subject: bench\n\n"), benchBody(2<<10)...)
	addr, cert := discardServer(b)
	o := benchOptions(b, addr, cert, send.StartTLS)
	env := &send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}
	b.ReportAllocs()
	for b.Loop() {
		c, err := send.Dial(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Send(env, bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
