package send_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

// Certificate verification is done by send, not crypto/tls, so that the
// system roots are loaded only when tls_ca_file does not vouch for the
// server (see tlsConfig). These tests pin that it still refuses what
// crypto/tls would refuse, with the same errors.

// testCA is a generated certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// file writes the CA certificate as PEM, for tls_ca_file.
func (ca *testCA) file(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// issue signs a certificate; edit adjusts the template (names, validity,
// IsCA for an intermediate).
func (ca *testCA) issue(t *testing.T, edit func(*x509.Certificate)) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "smarthost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// leaf is a server certificate for 127.0.0.1 (IP SAN only) signed by ca.
func (ca *testCA) leaf(t *testing.T, edit func(*x509.Certificate)) tls.Certificate {
	cert, key := ca.issue(t, edit)
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// tlsServer is an implicit-TLS SMTP server presenting chain; it greets,
// answers EHLO without AUTH and hangs up on QUIT.
func tlsServer(t *testing.T, chain tls.Certificate) send.Options {
	t.Helper()
	addr := scriptAddr(t, chain)
	o := scriptOptions(t, addr)
	o.TLS = send.TLS
	o.RootCAs = nil
	o.Username, o.Password = "", nil
	return o
}

func scriptAddr(t *testing.T, chain tls.Certificate) string {
	t.Helper()
	return smtptest.Script(t, func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{chain}})
		if tc.Handshake() != nil {
			return
		}
		s := newScripted(t, tc, nil, nil)
		s.reply("220 tls ESMTP")
		if !s.expect("EHLO ") {
			return
		}
		s.reply("250 tls")
		s.drain()
	})
}

func TestCAFileSkipsSystemRoots(t *testing.T) {
	ca := newTestCA(t, "private CA")
	loads := send.StubSystemRoots(t, x509.NewCertPool())
	o := tlsServer(t, ca.leaf(t, nil))
	o.CAFile = ca.file(t)
	dial(t, o)
	if n := loads.Load(); n != 0 {
		t.Errorf("system roots loaded %d times; tls_ca_file alone vouches for the server", n)
	}
}

// A chain through an intermediate the server sends: the intermediates
// come from the handshake, the root from tls_ca_file.
func TestCAFileIntermediate(t *testing.T) {
	root := newTestCA(t, "root")
	icert, ikey := root.issue(t, func(c *x509.Certificate) {
		c.Subject.CommonName = "intermediate"
		c.KeyUsage = x509.KeyUsageCertSign
		c.ExtKeyUsage = nil
		c.IPAddresses = nil
		c.BasicConstraintsValid, c.IsCA = true, true
	})
	inter := &testCA{cert: icert, key: ikey}
	chain := inter.leaf(t, nil)
	chain.Certificate = append(chain.Certificate, icert.Raw)
	loads := send.StubSystemRoots(t, x509.NewCertPool())
	o := tlsServer(t, chain)
	o.CAFile = root.file(t)
	dial(t, o)
	if n := loads.Load(); n != 0 {
		t.Errorf("system roots loaded %d times", n)
	}

	// Without the intermediate the chain is broken.
	o = tlsServer(t, inter.leaf(t, nil))
	o.CAFile = root.file(t)
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
}

// tls_ca_file is added to the system roots: a server whose certificate
// chains to a system root is still trusted when a CA file is set.
func TestSystemRootsFallback(t *testing.T) {
	private, public := newTestCA(t, "private CA"), newTestCA(t, "public CA")
	loads := send.StubSystemRoots(t, public.pool())
	o := tlsServer(t, public.leaf(t, nil))
	o.CAFile = private.file(t)
	dial(t, o)
	if n := loads.Load(); n != 1 {
		t.Errorf("system roots loaded %d times, want 1 (the fallback)", n)
	}

	// No CA file: the system roots straight away.
	o.CAFile = ""
	dial(t, o)
	if n := loads.Load(); n != 2 {
		t.Errorf("system roots asked for %d times, want 2", n)
	}
}

// Neither the CA file nor the system roots: refused, after trying both,
// with the error crypto/tls gives.
func TestUntrustedWithCAFile(t *testing.T) {
	private, other := newTestCA(t, "private CA"), newTestCA(t, "someone else")
	loads := send.StubSystemRoots(t, x509.NewCertPool())
	o := tlsServer(t, other.leaf(t, nil))
	o.CAFile = private.file(t)
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
	want := "send: certificate of " + net.JoinHostPort(o.Host, strconv.Itoa(o.Port)) +
		" is not trusted: x509: certificate signed by unknown authority (set tls_ca_file, or pin it with tls_fingerprint)"
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant %q", err, want)
	}
	var ve *tls.CertificateVerificationError
	if !errors.As(err, &ve) || len(ve.UnverifiedCertificates) != 1 {
		t.Errorf("error chain lacks the refused certificate: %v", err)
	}
	if n := loads.Load(); n != 1 {
		t.Errorf("system roots loaded %d times, want 1", n)
	}
}

// RootCAs (tests) replaces the system roots and is never mixed with them.
func TestRootCAsOverride(t *testing.T) {
	private, testRoots := newTestCA(t, "private CA"), newTestCA(t, "test roots")
	loads := send.StubSystemRoots(t, x509.NewCertPool())
	o := tlsServer(t, testRoots.leaf(t, nil))
	o.CAFile = private.file(t)
	o.RootCAs = testRoots.pool()
	dial(t, o)
	if n := loads.Load(); n != 0 {
		t.Errorf("system roots loaded %d times with RootCAs set", n)
	}
}

func TestExpiredCertificate(t *testing.T) {
	ca := newTestCA(t, "private CA")
	send.StubSystemRoots(t, x509.NewCertPool())
	o := tlsServer(t, ca.leaf(t, func(c *x509.Certificate) {
		c.NotBefore, c.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	}))
	o.CAFile = ca.file(t)
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
	if !strings.Contains(err.Error(), "is not trusted: x509: certificate has expired or is not yet valid") {
		t.Errorf("Error() = %q", err)
	}
}

func TestWrongHostnameWithCAFile(t *testing.T) {
	ca := newTestCA(t, "private CA")
	send.StubSystemRoots(t, x509.NewCertPool())
	o := tlsServer(t, ca.leaf(t, func(c *x509.Certificate) {
		c.IPAddresses = nil
		c.DNSNames = []string{"mail.example.com"}
	}))
	o.CAFile = ca.file(t)
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
	if !strings.Contains(err.Error(), "is not trusted: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs") {
		t.Errorf("Error() = %q", err)
	}

	// A certificate for another address literal is refused too: the IP
	// SANs are what x509 checks for a literal.
	o = tlsServer(t, ca.leaf(t, func(c *x509.Certificate) { c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 2)} }))
	o.CAFile = ca.file(t)
	_, err = send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
	if !strings.Contains(err.Error(), "certificate is valid for 127.0.0.2, not 127.0.0.1") {
		t.Errorf("Error() = %q", err)
	}
}

// A certificate for a client, not a server (extended key usage), is
// refused as crypto/tls refuses it.
func TestClientOnlyCertificate(t *testing.T) {
	ca := newTestCA(t, "private CA")
	send.StubSystemRoots(t, x509.NewCertPool())
	o := tlsServer(t, ca.leaf(t, func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}))
	o.CAFile = ca.file(t)
	_, err := send.Dial(t.Context(), o)
	wantKind(t, err, send.KindTLSPolicy, false)
	if !strings.Contains(err.Error(), "incompatible key usage") {
		t.Errorf("Error() = %q", err)
	}
}
