package send

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"
)

var errPinMismatch = errors.New("certificate pin mismatch")

// tlsConfig builds the client configuration: certificates verified against
// the system roots plus CAFile (or RootCAs in tests), ServerName = Host, at
// least TLS 1.2. With a Fingerprint the pin replaces chain verification:
// the user has said which certificate to trust, which is how self-signed
// smarthosts are used safely.
//
// Chain verification is done in VerifyConnection rather than by crypto/tls
// (InsecureSkipVerify only turns off crypto/tls's own copy of the same
// check) so that the system roots are loaded only when needed: parsing
// them costs 13–17 ms of CPU, most of a message's cost for a sendmail
// process. With a CAFile that the server chains to, they are never loaded.
func tlsConfig(o *Options, hostport string) (*tls.Config, error) {
	cfg := &tls.Config{
		ServerName: o.Host,
		MinVersion: tls.VersionTLS12,
	}
	if o.Fingerprint != "" {
		pin, err := parsePin(o.Fingerprint)
		if err != nil {
			return nil, &Error{Op: "connect", Host: hostport, Kind: KindConfig, Err: err,
				text: fmt.Sprintf("send: tls_fingerprint %q is not valid: %v (want \"sha256:\" and 64 hex digits)", o.Fingerprint, err)}
		}
		cfg.InsecureSkipVerify = true // replaced by the pin check below
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: no certificate", errPinMismatch)
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare(sum[:], pin) != 1 {
				return fmt.Errorf("%w: server has sha256:%s", errPinMismatch, hex.EncodeToString(sum[:]))
			}
			return nil
		}
		return cfg, nil
	}
	v := &chainVerifier{host: o.Host, base: o.RootCAs}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, &Error{Op: "connect", Host: hostport, Kind: KindConfig, Err: err,
				text: fmt.Sprintf("send: cannot read tls_ca_file: %v", err)}
		}
		v.ca = x509.NewCertPool()
		if !v.ca.AppendCertsFromPEM(pem) {
			return nil, &Error{Op: "connect", Host: hostport, Kind: KindConfig,
				text: fmt.Sprintf("send: tls_ca_file %s holds no PEM certificate", o.CAFile)}
		}
		v.caPEM = pem
	}
	cfg.InsecureSkipVerify = true // replaced by v.verify
	cfg.VerifyConnection = v.verify
	return cfg, nil
}

// systemRoots loads the system's CA certificates once per process, on
// first use. A variable so that tests can count the loads and stand in
// roots of their own.
var systemRoots = sync.OnceValue(func() *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		// No system roots: only CAFile can vouch for the server. Never
		// nil, which x509 would take as "the system roots" again.
		return x509.NewCertPool()
	}
	return pool
})

// chainVerifier checks the server's chain the way crypto/tls does
// (VerifyOptions with DNSName = the configured host, which x509 matches
// against IP SANs when it is an address literal; the peer's other
// certificates as intermediates; now; server-auth usage) against the
// union of the system roots (or base) and the CAFile certificates. The
// CAFile alone is tried first: when it vouches for the server, the union
// would too, and the system roots need not be loaded.
type chainVerifier struct {
	host  string
	base  *x509.CertPool // Options.RootCAs; nil: the system roots
	ca    *x509.CertPool // CAFile's certificates; nil without one
	caPEM []byte
}

func (v *chainVerifier) verify(cs tls.ConnectionState) error {
	certs := cs.PeerCertificates
	if len(certs) == 0 {
		// crypto/tls refuses an empty Certificate message before this.
		return &tls.CertificateVerificationError{Err: errors.New("the server sent no certificate")}
	}
	opts := x509.VerifyOptions{DNSName: v.host, Intermediates: x509.NewCertPool()}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	if v.ca != nil {
		opts.Roots = v.ca
		if _, err := certs[0].Verify(opts); err == nil {
			return nil
		}
	}
	// The error that counts is the one against all trusted roots, as
	// crypto/tls would report it (classifyHandshake reads it).
	opts.Roots = v.roots()
	if _, err := certs[0].Verify(opts); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
	}
	return nil
}

// roots is the full set of trusted roots: the system's (or base) plus
// CAFile (SPEC: tls_ca_file is added to the system roots).
func (v *chainVerifier) roots() *x509.CertPool {
	pool := v.base
	if pool == nil {
		pool = systemRoots()
	}
	if v.caPEM == nil {
		return pool
	}
	pool = pool.Clone()
	pool.AppendCertsFromPEM(v.caPEM)
	return pool
}

// parsePin accepts "sha256:HEX", HEX in either case, with or without the
// colons openssl prints between bytes.
func parsePin(s string) ([]byte, error) {
	algo, h, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(algo, "sha256") {
		return nil, errors.New(`missing "sha256:" prefix`)
	}
	b, err := hex.DecodeString(strings.ReplaceAll(h, ":", ""))
	if err != nil {
		return nil, errors.New("not hexadecimal")
	}
	if len(b) != sha256.Size {
		return nil, fmt.Errorf("%d bytes, want %d", len(b), sha256.Size)
	}
	return b, nil
}

// Fingerprint returns the pin of a certificate in the form tls_fingerprint
// takes ("sha256:" + lowercase hex of the SHA-256 of its DER bytes), for
// `outbox check` to print.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// plainStart runs the unencrypted part of a STARTTLS session (RFC 3207 §4):
// greeting, EHLO, STARTTLS. Before TLS starts, its read buffer is checked:
// bytes after the 220 reply were sent before TLS by whoever controls the
// path, and are meant to be read as answers to commands we send after TLS
// (CVE-2011-0411 class; Poddebniak et al., "Why TLS is better without
// STARTTLS", 2021). go-smtp's startTLS drops such bytes without a word
// and no library checks this, so it is written by hand.
func plainStart(ctx context.Context, conn net.Conn, hostport, helo string, timeout time.Duration) error {
	r := bufio.NewReader(conn)
	rd := textproto.NewReader(r)
	wr := textproto.NewWriter(bufio.NewWriter(conn))
	step := func(op string, expect int, cmd string) (int, string, error) {
		if err := ctx.Err(); err != nil {
			return 0, "", classify(op, hostport, err)
		}
		conn.SetDeadline(time.Now().Add(timeout))
		if cmd != "" {
			if err := wr.PrintfLine("%s", cmd); err != nil {
				return 0, "", classify(op, hostport, err)
			}
		}
		code, msg, err := rd.ReadResponse(expect)
		if err != nil {
			var te *textproto.Error
			if errors.As(err, &te) {
				return code, msg, classify(op, hostport, toSMTPError(te))
			}
			return code, msg, classify(op, hostport, err)
		}
		return code, msg, nil
	}
	defer conn.SetDeadline(time.Time{})

	if _, _, err := step("greeting", 220, ""); err != nil {
		return err
	}

	code, msg, err := step("ehlo", 250, "EHLO "+helo)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && (code == 500 || code == 502) {
			// RFC 5321 §4.1.1.1: no EHLO, no extensions, so no STARTTLS.
			return noSTARTTLS(hostport)
		}
		return err
	}
	if _, ok := parseEHLO(msg)["STARTTLS"]; !ok {
		return noSTARTTLS(hostport)
	}
	if _, _, err := step("starttls", 220, "STARTTLS"); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code != 0 && e.Kind != KindProtocol {
			// RFC 3207 §4: 454 (or anything else) means no TLS; never fall
			// back to plaintext.
			e.Kind = KindTLSPolicy
			e.Temporary = false
			e.text = fmt.Sprintf("send: %s refused STARTTLS (%s); refusing to send in plaintext", hostport, e.reply())
		}
		return err
	}
	if n := r.Buffered(); n > 0 {
		return &Error{Op: "starttls", Host: hostport, Kind: KindTLSPolicy,
			text: fmt.Sprintf("send: %s sent %d unexpected bytes after its STARTTLS reply (response injection); aborted before TLS — something on the path may be tampering with the connection", hostport, n)}
	}
	return nil
}

func noSTARTTLS(hostport string) *Error {
	return &Error{Op: "starttls", Host: hostport, Kind: KindTLSPolicy,
		text: fmt.Sprintf(`send: %s does not offer STARTTLS; refusing to send in plaintext (set tls = "tls" for port 465, or fix the server)`, hostport)}
}

// parseEHLO reads the extension lines of an EHLO reply (RFC 5321 §4.1.1.1;
// the first line is the greeting). Keys are upper case. Old servers'
// "AUTH=LOGIN PLAIN" is read as AUTH too.
func parseEHLO(msg string) map[string]string {
	ext := make(map[string]string)
	lines := strings.Split(msg, "\n")
	for _, line := range lines[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		k = strings.ToUpper(k)
		if rest, ok := strings.CutPrefix(k, "AUTH="); ok {
			if _, seen := ext["AUTH"]; !seen {
				ext["AUTH"] = strings.TrimSpace(rest + " " + v)
			}
			continue
		}
		if k != "" {
			ext[k] = v
		}
	}
	return ext
}
