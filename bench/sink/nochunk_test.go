package main

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The "PIPELINING only" port: STARTTLS offered before TLS, then after it
// PIPELINING and AUTH PLAIN without CHUNKING, and a message goes through
// (issue 13's flush row needs exactly that server).
func TestNoChunkPort(t *testing.T) {
	dir := t.TempDir()
	cert, err := newCert(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := &lineWriter{w: &strings.Builder{}}
	srv := newServer(&backend{name: "nochunk", user: "u", pass: "p", auth: true, out: out})
	srv.AllowInsecureAuth = true
	go srv.Serve(&noChunkListener{Listener: raw, tls: &tls.Config{Certificates: []tls.Certificate{cert}}})
	defer srv.Close()

	// Before TLS, as go-smtp's reply to EHLO on a STARTTLS port reads.
	tc, err := textproto.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, _, err := tc.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	if err := tc.PrintfLine("EHLO client.test"); err != nil {
		t.Fatal(err)
	}
	_, ehlo, err := tc.ReadResponse(250)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ehlo, "\nSTARTTLS\n") || strings.Contains(ehlo, "AUTH") || strings.Contains(ehlo, "CHUNKING") {
		t.Errorf("EHLO before TLS:\n%s\nwant STARTTLS, no AUTH, no CHUNKING", ehlo)
	}

	pem, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	c, err := smtp.DialStartTLS(raw.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for ext, want := range map[string]bool{"PIPELINING": true, "AUTH": true, "CHUNKING": false, "STARTTLS": false} {
		if ok, _ := c.Extension(ext); ok != want {
			t.Errorf("after STARTTLS, %s offered: %v, want %v", ext, ok, want)
		}
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "p")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader("Subject: x\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}
