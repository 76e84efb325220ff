package send

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
)

func probeOpts(s *smtptest.Server, mode TLSMode) Options {
	return Options{Host: s.Host, Port: s.Port, TLS: mode, RootCAs: s.Pool, Timeout: probeTimeout,
		Username: "user", Password: func() (string, error) { return "secret", nil }}
}

const probeTimeout = 10 * time.Second // generous; never reached when things work

func TestProbeStartTLS(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{MaxMessageBytes: 1 << 20})
	var tr strings.Builder
	o := probeOpts(s, StartTLS)
	o.Verbose = &tr
	r, err := Probe(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Greeting, "ESMTP") {
		t.Errorf("greeting %q", r.Greeting)
	}
	if r.TLS == nil || r.TLS.Version == "" || r.TLS.Cipher == "" || r.TLS.Certificate == nil {
		t.Fatalf("TLS info %+v", r.TLS)
	}
	if got := r.TLS.Certificate.Fingerprint; got != s.Fingerprint {
		t.Errorf("fingerprint %s, want %s", got, s.Fingerprint)
	}
	if r.TLS.Certificate.Subject != "CN=outbox smtptest" {
		t.Errorf("subject %q", r.TLS.Certificate.Subject)
	}
	if r.SizeLimit != 1<<20 {
		t.Errorf("size limit %d", r.SizeLimit)
	}
	if r.Auth == nil || !r.Auth.OK || r.Auth.Mechanism != "PLAIN" {
		t.Errorf("auth %+v", r.Auth)
	}
	if _, ok := r.Extensions["STARTTLS"]; ok {
		t.Errorf("extensions are the pre-TLS list: %v", r.Extensions)
	}
	// The caller's transcript still gets everything, AUTH redacted, and
	// no transaction was started.
	if !strings.Contains(tr.String(), "C: AUTH PLAIN <redacted>") || strings.Contains(tr.String(), "MAIL FROM") {
		t.Errorf("transcript:\n%s", tr.String())
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages sent by a probe", n)
	}
}

func TestProbeImplicitTLSAndPlain(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Mode: "tls"})
	r, err := Probe(context.Background(), probeOpts(s, TLS))
	if err != nil {
		t.Fatal(err)
	}
	if r.Greeting == "" || r.TLS == nil || r.TLS.Trust != "test roots" || r.SizeLimit != 0 || !r.Auth.OK {
		t.Errorf("implicit TLS: %+v tls=%+v auth=%+v", r, r.TLS, r.Auth)
	}

	p := smtptest.Start(t, smtptest.Options{Mode: "none"})
	o := probeOpts(p, NoTLS)
	o.Username = ""
	r, err = Probe(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.TLS != nil || r.Auth != nil || r.Greeting == "" || r.Extensions == nil {
		t.Errorf("plaintext: %+v", r)
	}
}

func TestProbeWrongPassword(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	o := probeOpts(s, StartTLS)
	o.Password = func() (string, error) { return "wrong", nil }
	r, err := Probe(context.Background(), o)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAuth || e.Temporary {
		t.Fatalf("err = %v, want a permanent KindAuth *Error", err)
	}
	// The report still shows what the server offers.
	if r.Auth == nil || r.Auth.OK || r.Auth.Mechanism != "PLAIN" || r.Extensions["AUTH"] == "" || r.TLS == nil {
		t.Errorf("result %+v auth=%+v", r, r.Auth)
	}
}

func TestProbeUntrustedCertificate(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	o := probeOpts(s, StartTLS)
	o.RootCAs = smtptest.NewCert(t).Pool // trusts some other certificate
	r, err := Probe(context.Background(), o)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTLSPolicy {
		t.Fatalf("err = %v, want KindTLSPolicy", err)
	}
	if r.TLS == nil || r.TLS.Trust != "refused" || r.TLS.Certificate.Fingerprint != s.Fingerprint {
		t.Errorf("refused certificate not reported: %+v", r.TLS)
	}
	if r.Greeting == "" || r.Host != s.Addr {
		t.Errorf("greeting %q host %q", r.Greeting, r.Host)
	}
}

func TestGreetingWriter(t *testing.T) {
	var w greetingWriter
	for _, chunk := range []string{"S: 220-first line\nS: 220", "-second\nS: 220 last\n", "C: EHLO x\nS: 220 not a greeting\n"} {
		w.Write([]byte(chunk))
	}
	if got, want := w.greeting(), "first line\nsecond\nlast"; got != want {
		t.Errorf("greeting %q, want %q", got, want)
	}
}
