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
// the network: crlf.Writer (line endings) into go-smtp's DATA writer,
// which is net/textproto's DotWriter (dot-stuffing, RFC 5321 §4.5.2).
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
			bw := bufio.NewWriter(io.Discard)
			b.SetBytes(int64(len(tc.in)))
			b.ReportAllocs()
			for b.Loop() {
				dw := textproto.NewWriter(bw).DotWriter()
				cw := crlf.NewWriter(dw)
				cw.Write(tc.in)
				cw.Close()
				dw.Close()
			}
		})
	}
}

// BenchmarkDotWriter isolates the dot-stuffing half of the DATA path: the
// input is already CRLF.
func BenchmarkDotWriter(b *testing.B) {
	in := crlf.Normalize(benchBody(4 << 20))
	bw := bufio.NewWriter(io.Discard)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		dw := textproto.NewWriter(bw).DotWriter()
		dw.Write(in)
		dw.Close()
	}
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
// here; bench/run's row 2 includes that cost.
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

// lineDotWriter is a prototype, for the benchmark only, of dot-stuffing
// done a line at a time on input that crlf.Writer has already normalised
// (every '\n' ends a line): IndexByte finds the line ends instead of
// textproto's byte-at-a-time state machine. BenchmarkDataPathLineDot
// against BenchmarkDataPath shows what moving dot-stuffing into outbox
// would gain.
type lineDotWriter struct {
	w   *bufio.Writer
	mid bool // inside a line
}

func (d *lineDotWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if !d.mid && p[0] == '.' {
			d.w.WriteByte('.')
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			d.w.Write(p)
			d.mid = true
			break
		}
		d.w.Write(p[:i+1])
		d.mid = false
		p = p[i+1:]
	}
	return n, nil
}

func (d *lineDotWriter) Close() error {
	if d.mid {
		d.w.WriteString("\r\n")
	}
	d.w.WriteString(".\r\n")
	return d.w.Flush()
}

func BenchmarkDataPathLineDot(b *testing.B) {
	body := benchBody(4 << 20)
	bw := bufio.NewWriter(io.Discard)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		dw := &lineDotWriter{w: bw}
		cw := crlf.NewWriter(dw)
		cw.Write(body)
		cw.Close()
		dw.Close()
	}
}

// TestLineDotWriter keeps the prototype honest: same bytes as textproto's
// DotWriter for normalised input.
func TestLineDotWriter(t *testing.T) {
	for _, in := range []string{"", "a", ".\r\n", "a\r\n.b\r\n..\r\nc", benchBodyString()} {
		var want, got bytes.Buffer
		tw := textproto.NewWriter(bufio.NewWriter(&want)).DotWriter()
		tw.Write([]byte(in))
		tw.Close()
		lw := &lineDotWriter{w: bufio.NewWriter(&got)}
		lw.Write([]byte(in))
		lw.Close()
		if in == "" {
			// textproto writes an empty line first; go-smtp's DATA of an
			// empty message does too. Not a case outbox sends.
			continue
		}
		if !bytes.Equal(want.Bytes(), got.Bytes()) {
			t.Errorf("%.40q: textproto %.60q, line-wise %.60q", in, want.Bytes(), got.Bytes())
		}
	}
}

func benchBodyString() string { return string(crlf.Normalize(benchBody(10 << 10))) }
