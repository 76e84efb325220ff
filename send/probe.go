package send

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ProbeResult is what `outbox check` reports about a smarthost. Fields
// are filled as far as the session got: after a TLS policy failure there
// is a greeting and maybe the refused certificate, but no extensions.
type ProbeResult struct {
	Host       string            // host:port
	TLSMode    TLSMode           // as configured
	Greeting   string            // the 220 greeting text, lines joined with "\n"
	Extensions map[string]string // EHLO keywords after TLS (RFC 3207 §4.2), nil when EHLO was not reached
	TLS        *TLSInfo          // nil for a plaintext session, or when the handshake did not happen
	// SizeLimit is the SIZE extension's fixed maximum in bytes
	// (RFC 1870 §4); 0 when SIZE is offered without a limit, -1 when
	// SIZE is not offered (the limit is then unknown).
	SizeLimit int64
	// Auth is the AUTH outcome; nil when the account uses no AUTH
	// (no username, or auth = "none").
	Auth *AuthResult
}

// TLSInfo describes the negotiated TLS session and the server
// certificate. After a certificate failure only Certificate and Trust
// are set, from the certificate that was refused.
type TLSInfo struct {
	Version     string // "TLS 1.3"
	Cipher      string // "TLS_AES_128_GCM_SHA256"
	Certificate *CertInfo
	// Trust says how the certificate was accepted: "system roots",
	// "tls_ca_file", "tls_fingerprint" (the pin replaces the chain), or
	// "refused".
	Trust string
}

// CertInfo is the part of the server's leaf certificate a person checks.
type CertInfo struct {
	Subject     string
	Issuer      string
	NotBefore   time.Time
	NotAfter    time.Time
	DNSNames    []string
	Fingerprint string // the tls_fingerprint form, "sha256:HEX"
}

// AuthResult is whether the configured credentials were accepted.
type AuthResult struct {
	Mechanism string // the SASL mechanism outbox chose, "" when none could be chosen
	Username  string
	OK        bool
}

// Probe connects to the smarthost the way Dial does (same TLS policy,
// same AUTH choice) and reports what it learnt; it never sends MAIL.
// The error is Dial's *Error when the session failed; the result is
// never nil and holds what was seen up to the failure.
//
// When the credentials are refused, a second session without AUTH
// collects the extensions and TLS details, so the report still shows
// what the server offers. Dial is used as it is, so that the probe
// follows every policy Dial applies, including those added later.
func Probe(ctx context.Context, o Options) (*ProbeResult, error) {
	if o.TLS == "" {
		o.TLS = StartTLS
	}
	port := o.Port
	if port == 0 {
		port = map[TLSMode]int{StartTLS: 587, TLS: 465, NoTLS: 25}[o.TLS]
	}
	r := &ProbeResult{Host: net.JoinHostPort(o.Host, strconv.Itoa(port)), TLSMode: o.TLS, SizeLimit: -1}
	useAuth := authWanted(&o)
	if useAuth {
		r.Auth = &AuthResult{Username: o.Username}
	}

	c, g, err := probeDial(ctx, o)
	r.Greeting = g
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Host != "" {
			r.Host = e.Host
		}
		r.TLS = refusedCert(err)
		if !useAuth || !errors.As(err, &e) || e.Op != "auth" {
			return r, err
		}
		// The credentials (or the password source) failed: look at the
		// server once more without AUTH, for the rest of the report.
		o2 := o
		o2.Auth = "none"
		o2.Verbose = nil
		c2, g2, err2 := probeDial(ctx, o2)
		if err2 != nil {
			return r, err
		}
		if r.Greeting == "" {
			r.Greeting = g2
		}
		r.fill(c2)
		r.Auth.Mechanism, _ = chooseMech(&o, r.Extensions["AUTH"], r.Host)
		c2.Close()
		return r, err
	}
	defer c.Close()
	r.fill(c)
	if useAuth {
		r.Auth.Mechanism, _ = chooseMech(&o, r.Extensions["AUTH"], r.Host)
		r.Auth.OK = true
	}
	return r, nil
}

// authWanted mirrors chooseMech's first decision: no AUTH for auth =
// "none", or for "auto" without a username.
func authWanted(o *Options) bool {
	switch strings.ToLower(o.Auth) {
	case "none":
		return false
	case "", "auto":
		return o.Username != ""
	}
	return true
}

// probeDial is Dial with the greeting captured from the transcript: the
// greeting is the only reply Client does not keep.
func probeDial(ctx context.Context, o Options) (*Client, string, error) {
	gw := &greetingWriter{next: o.Verbose}
	o.Verbose = gw
	c, err := Dial(ctx, o)
	return c, gw.greeting(), err
}

func (r *ProbeResult) fill(c *Client) {
	r.Host = c.Host()
	r.Extensions = c.Extensions()
	if v, ok := r.Extensions["SIZE"]; ok {
		// RFC 1870 §4: no number, or 0, means no fixed limit.
		r.SizeLimit = 0
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
			r.SizeLimit = n
		}
	}
	cs, ok := c.TLSState()
	if !ok {
		return
	}
	info := &TLSInfo{Version: tls.VersionName(cs.Version), Cipher: tls.CipherSuiteName(cs.CipherSuite)}
	if len(cs.PeerCertificates) > 0 {
		info.Certificate = certInfo(cs.PeerCertificates[0])
	}
	switch {
	case c.opts.Fingerprint != "":
		info.Trust = "tls_fingerprint"
	case c.opts.CAFile != "" && !chainsToSystem(cs):
		info.Trust = "tls_ca_file"
	case c.opts.RootCAs != nil:
		info.Trust = "test roots"
	default:
		info.Trust = "system roots"
	}
	r.TLS = info
}

// chainsToSystem reports whether the verified chain ends in a system
// root, to tell "system roots" from "tls_ca_file" when both are in use.
func chainsToSystem(cs tls.ConnectionState) bool {
	sys := systemRoots()
	if len(cs.PeerCertificates) == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, ic := range cs.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: sys, Intermediates: inter})
	return err == nil
}

// refusedCert digs the certificate out of a verification failure, so that
// the user sees what the server presented (and its pin) even when outbox
// refused it.
func refusedCert(err error) *TLSInfo {
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) && len(ve.UnverifiedCertificates) > 0 {
		return &TLSInfo{Certificate: certInfo(ve.UnverifiedCertificates[0]), Trust: "refused"}
	}
	return nil
}

func certInfo(c *x509.Certificate) *CertInfo {
	return &CertInfo{
		Subject:     c.Subject.String(),
		Issuer:      c.Issuer.String(),
		NotBefore:   c.NotBefore,
		NotAfter:    c.NotAfter,
		DNSNames:    append([]string(nil), c.DNSNames...),
		Fingerprint: Fingerprint(c),
	}
}

// greetingWriter reads the transcript as it is written and keeps the
// server's first reply (the 220 greeting, RFC 5321 §4.2: "220-" lines
// continue, "220 " ends it), passing everything on to next.
type greetingWriter struct {
	next io.Writer
	mu   sync.Mutex
	buf  []byte
	gr   []string
	done bool
}

func (w *greetingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if !w.done {
		w.buf = append(w.buf, p...)
		for !w.done {
			i := bytes.IndexByte(w.buf, '\n')
			if i < 0 {
				break
			}
			line := string(w.buf[:i])
			w.buf = w.buf[i+1:]
			reply, ok := strings.CutPrefix(line, "S: ")
			if !ok {
				// The client spoke: the greeting is over.
				w.done = true
				break
			}
			if len(reply) < 3 || reply[:3] != "220" || len(reply) > 3 && reply[3] != ' ' && reply[3] != '-' {
				w.done = true
				break
			}
			if len(reply) > 4 {
				w.gr = append(w.gr, reply[4:])
			}
			w.done = len(reply) == 3 || reply[3] == ' '
		}
		if w.done {
			w.buf = nil
		}
	}
	w.mu.Unlock()
	if w.next != nil {
		return w.next.Write(p)
	}
	return len(p), nil
}

func (w *greetingWriter) greeting() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.gr, "\n")
}
