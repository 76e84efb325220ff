// Command sink is the SMTP server the benchmark suite (bench/run) sends to:
// one process on 127.0.0.1 that both outbox and msmtp talk to, so that the
// server's cost is the same for both.
//
// It listens three times. The main port speaks STARTTLS (RFC 3207) with a
// certificate generated at start and written to DIR/ca.pem for the clients
// to trust, and requires AUTH PLAIN (RFC 4616) before MAIL. The plain port
// has no TLS and no AUTH: it is for bench/rawclient, the ceiling row.
// go-smtp's server advertises PIPELINING (RFC 2920) and CHUNKING (RFC
// 3030) on both. The third port is the main one without CHUNKING, for the
// "PIPELINING only" rows (nochunk.go says how).
//
// Every accepted message is read to the end, counted and checked: a
// message that carries X-Bench-Body-SHA256 must have a body (the bytes
// after the header's blank line, as received, CRLF) with that digest; one
// that carries X-Bench-Attach-SHA256 must hold a base64 attachment part
// whose decoded bytes have that digest. One line per message goes to
// stdout:
//
//	msg port=tls bytes=2048 check=ok
//
// check is ok, bad or none. When listening, sink writes DIR/ports
// (TLS_PORT=…, PLAIN_PORT=… and NOCHUNK_PORT=… lines, shell-sourceable)
// atomically, so the script can wait for it.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/textproto"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func main() {
	dir := flag.String("dir", "", "directory for ca.pem and ports (required)")
	user := flag.String("user", "bench", "AUTH PLAIN user name")
	pass := flag.String("pass", "bench-secret", "AUTH PLAIN password")
	flag.Parse()
	if *dir == "" {
		log.Fatal("sink: -dir is required")
	}
	if err := run(*dir, *user, *pass); err != nil {
		log.Fatalf("sink: %v", err)
	}
}

func run(dir, user, pass string) error {
	cert, err := newCert(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return err
	}
	out := &lineWriter{w: os.Stdout}

	tlsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	rawNoChunkLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	tlsSrv := newServer(&backend{name: "tls", user: user, pass: pass, auth: true, out: out})
	tlsSrv.TLSConfig = tlsConfig
	plainSrv := newServer(&backend{name: "plain", out: out})
	noChunkSrv := newServer(&backend{name: "nochunk", user: user, pass: pass, auth: true, out: out})
	// The connections are TLS, below go-smtp, which can't tell: AUTH is
	// allowed because noChunkListener makes STARTTLS come first.
	noChunkSrv.AllowInsecureAuth = true
	noChunkLn := &noChunkListener{Listener: rawNoChunkLn, tls: tlsConfig}

	ports := fmt.Sprintf("TLS_PORT=%d\nPLAIN_PORT=%d\nNOCHUNK_PORT=%d\n",
		tlsLn.Addr().(*net.TCPAddr).Port, plainLn.Addr().(*net.TCPAddr).Port, rawNoChunkLn.Addr().(*net.TCPAddr).Port)
	tmp := filepath.Join(dir, "ports.tmp")
	if err := os.WriteFile(tmp, []byte(ports), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "ports")); err != nil {
		return err
	}

	errc := make(chan error, 3)
	go func() { errc <- tlsSrv.Serve(tlsLn) }()
	go func() { errc <- plainSrv.Serve(plainLn) }()
	go func() { errc <- noChunkSrv.Serve(noChunkLn) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sig:
		tlsSrv.Close()
		plainSrv.Close()
		noChunkSrv.Close()
		return nil
	case err := <-errc:
		return err
	}
}

func newServer(be smtp.Backend) *smtp.Server {
	s := smtp.NewServer(be)
	s.Domain = "sink.bench.test"
	s.ReadTimeout = 2 * time.Minute
	s.WriteTimeout = 2 * time.Minute
	s.MaxMessageBytes = 1 << 30
	s.MaxRecipients = 100
	return s
}

// lineWriter serialises the per-message lines of concurrent sessions.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, a...)
}

type backend struct {
	name       string
	user, pass string
	auth       bool // AUTH required before MAIL
	out        *lineWriter
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{b: b}, nil
}

type session struct {
	b      *backend
	authed bool
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.b.user || password != s.b.pass {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.b.auth && !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error { return nil }
func (s *session) Reset()                                       {}
func (s *session) Logout() error                                { return nil }

// Data reads the whole message, whatever happens, and refuses it (554)
// when a digest it carries does not match, so that the client sees the
// failure too.
func (s *session) Data(r io.Reader) error {
	cr := &countReader{r: r}
	check, err := verify(cr)
	io.Copy(io.Discard, cr) // drain whatever verify left
	if err != nil {
		check = "bad"
	}
	s.b.out.printf("msg port=%s bytes=%d check=%s\n", s.b.name, cr.n, check)
	if check == "bad" {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: fmt.Sprintf("digest mismatch: %v", err)}
	}
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// verify checks the digests the message announces; "none" when it
// announces none.
func verify(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil {
		return "bad", fmt.Errorf("header: %w", err)
	}
	bodySum := strings.TrimSpace(h.Get("X-Bench-Body-SHA256"))
	attSum := strings.TrimSpace(h.Get("X-Bench-Attach-SHA256"))
	switch {
	case bodySum != "":
		sum := sha256.New()
		if _, err := io.Copy(sum, br); err != nil {
			return "bad", err
		}
		if got := hex.EncodeToString(sum.Sum(nil)); got != strings.ToLower(bodySum) {
			return "bad", fmt.Errorf("body sha256 %s, header says %s", got, bodySum)
		}
		return "ok", nil
	case attSum != "":
		got, err := attachmentSum(h, br)
		if err != nil {
			return "bad", err
		}
		if got != strings.ToLower(attSum) {
			return "bad", fmt.Errorf("attachment sha256 %s, header says %s", got, attSum)
		}
		return "ok", nil
	}
	return "none", nil
}

// attachmentSum is the SHA-256 of the first base64 part with a
// Content-Disposition of attachment, searched one level of nesting deep
// (multipart/mixed holding multipart/alternative and the attachment).
func attachmentSum(h textproto.MIMEHeader, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return "", fmt.Errorf("not multipart: %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(body, params["boundary"])
	for range 100 {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return "", errors.New("no attachment part")
		}
		if err != nil {
			return "", err
		}
		disp, _, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if disp == "attachment" && strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			sum := sha256.New()
			if _, err := io.Copy(sum, base64.NewDecoder(base64.StdEncoding, p)); err != nil {
				return "", fmt.Errorf("attachment: %w", err)
			}
			return hex.EncodeToString(sum.Sum(nil)), nil
		}
		if pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); strings.HasPrefix(pt, "multipart/") {
			if s, err := attachmentSum(p.Header, p); err == nil {
				return s, nil
			}
		}
	}
	return "", errors.New("no attachment part in the first 100")
}

// newCert generates a self-signed ECDSA certificate for 127.0.0.1 and
// localhost and writes it as PEM to caFile, for both clients to trust
// (msmtp: tls_trust_file; outbox: tls_ca_file).
func newCert(caFile string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
