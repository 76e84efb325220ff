package setup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"sort"
	"strings"
	"time"
)

// Resolver is the part of *net.Resolver that discovery uses; tests
// inject a fake or point a net.Resolver at a loopback DNS server.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

// ResolverAt returns a resolver that sends every query to the DNS server
// at addr ("host:port"), ignoring /etc/resolv.conf's servers: for
// split-horizon DNS, and for tests.
func ResolverAt(addr string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

// Settings is a proposed account: from a preset, from DNS, or typed in.
type Settings struct {
	Email    string
	Host     string
	Port     int
	TLS      string // "starttls" | "tls" | "none"
	Username string // "" when it must be asked (Preset.Rule == UserAsk)
	Preset   *Preset
	// Source says where the proposal came from, for people:
	// `preset "gmail"`, "SRV _submissions._tcp.example.com", ...
	Source string
	// Warnings are things to tell the user before they accept: an SRV
	// target outside the address's domain (RFC 6186 §6).
	Warnings []string
	// OAuth, when set, signs in with OAuth2 instead of a password.
	OAuth *OAuth
}

// DiscoverTimeout bounds all DNS lookups of one Discover call.
const DiscoverTimeout = 5 * time.Second

// ParseEmail checks an address as typed at the prompt or given with
// --email and returns it bare ("me@example.com") with its domain.
func ParseEmail(s string) (addr, domain string, err error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || strings.ContainsAny(a.Address, " \t") {
		return "", "", fmt.Errorf("%q is not an email address like me@example.com", s)
	}
	i := strings.LastIndexByte(a.Address, '@')
	domain = strings.ToLower(a.Address[i+1:])
	if !strings.Contains(domain, ".") && domain != "localhost" {
		return "", "", fmt.Errorf("%q has no domain like example.com after the @", s)
	}
	return a.Address, domain, nil
}

// FromPreset proposes the preset's settings for email.
func FromPreset(p *Preset, email string) *Settings {
	return &Settings{Email: email, Host: p.Host, Port: p.Port, TLS: p.TLS, Username: p.Username(email),
		Preset: p, Source: fmt.Sprintf("preset %q", p.Name)}
}

// Discover proposes settings for email: a preset when the domain is a
// known provider's, else the domain's RFC 6186 SRV records, else a
// preset recognised from the domain's MX hosts (a custom domain on
// Google Workspace, Microsoft 365, Fastmail, Zoho, iCloud). It returns
// (nil, nil) when nothing was found; DNS errors other than "no such
// record" are returned with whatever else was found (nil).
func Discover(ctx context.Context, r Resolver, email string) (*Settings, error) {
	addr, domain, err := ParseEmail(email)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	if p := presetForDomain(domain); p != nil {
		return FromPreset(p, addr), nil
	}
	if r == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, DiscoverTimeout)
	defer cancel()
	s, srvErr := discoverSRV(ctx, r, domain)
	if s != nil {
		s.Email = addr
		s.Username = addr // RFC 6186 §3: the address is the usual username; the user may change it
		return s, nil
	}
	mxs, mxErr := r.LookupMX(ctx, domain)
	for _, mx := range mxs {
		if p := presetForMX(mx.Host); p != nil {
			s := FromPreset(p, addr)
			s.Source = fmt.Sprintf("preset %q (MX %s)", p.Name, strings.ToLower(strings.TrimSuffix(mx.Host, ".")))
			return s, nil
		}
	}
	if err := errors.Join(srvErr, realDNSError(mxErr)); err != nil {
		return nil, fmt.Errorf("setup: looking up %s: %w", domain, err)
	}
	return nil, nil
}

// discoverSRV reads _submissions._tcp (implicit TLS, RFC 8314 §5.1) and
// _submission._tcp (STARTTLS, RFC 6186 §3.1). Implicit TLS is preferred
// when both exist (RFC 8314 §5.1); within one service the lowest
// priority, then highest weight wins (RFC 2782: a config file names one
// host, so the weighted random choice is not applied). A target of "."
// means the service is decidedly not offered (RFC 2782, RFC 6186 §4).
func discoverSRV(ctx context.Context, r Resolver, domain string) (*Settings, error) {
	var errs []error
	for _, svc := range []struct{ name, tls string }{{"submissions", "tls"}, {"submission", "starttls"}} {
		_, recs, err := r.LookupSRV(ctx, svc.name, "tcp", domain)
		if err := realDNSError(err); err != nil {
			errs = append(errs, err)
		}
		sort.SliceStable(recs, func(i, j int) bool {
			if recs[i].Priority != recs[j].Priority {
				return recs[i].Priority < recs[j].Priority
			}
			return recs[i].Weight > recs[j].Weight
		})
		for _, rec := range recs {
			target := strings.ToLower(strings.TrimSuffix(rec.Target, "."))
			if target == "" || rec.Port == 0 || !validHost(target) {
				continue
			}
			s := &Settings{Host: target, Port: int(rec.Port), TLS: svc.tls,
				Source: fmt.Sprintf("SRV _%s._tcp.%s", svc.name, domain)}
			if target != domain && !strings.HasSuffix(target, "."+domain) {
				// RFC 6186 §6: DNS is not authenticated here, so a
				// server outside the domain is for the user to confirm.
				s.Warnings = append(s.Warnings, fmt.Sprintf("%s is not in %s: make sure it is your provider's server before you send your password to it", target, domain))
			}
			return s, nil
		}
	}
	return nil, errors.Join(errs...)
}

// realDNSError drops "no such name/record": for discovery that is an
// answer, not a failure.
func realDNSError(err error) error {
	var de *net.DNSError
	if err == nil || errors.As(err, &de) && de.IsNotFound {
		return nil
	}
	return err
}

// validHost accepts a DNS host name (letters, digits, hyphens, dots).
func validHost(h string) bool {
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	for _, r := range h {
		if !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
