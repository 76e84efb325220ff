package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cert is a freshly generated self-signed ECDSA certificate for
// "localhost", 127.0.0.1 and ::1 (IP SANs), valid for a day.
type Cert struct {
	TLS         tls.Certificate
	X509        *x509.Certificate
	Pool        *x509.CertPool // holds X509 as a root
	CAFile      string         // X509 as PEM, in t.TempDir()
	KeyFile     string         // the private key as PEM (PKCS #8), beside CAFile; for servers that read files
	Fingerprint string         // "sha256:" + hex of the DER bytes
}

// NewCert generates a certificate; use it in Script servers that speak TLS.
func NewCert(t testing.TB) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("smtptest: key: %v", err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "outbox smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	file := filepath.Join(t.TempDir(), "smtptest-ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("smtptest: key: %v", err)
	}
	keyFile := filepath.Join(filepath.Dir(file), "smtptest-key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	sum := sha256.Sum256(der)
	return &Cert{
		KeyFile:     keyFile,
		TLS:         tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert},
		X509:        cert,
		Pool:        pool,
		CAFile:      file,
		Fingerprint: "sha256:" + hex.EncodeToString(sum[:]),
	}
}
