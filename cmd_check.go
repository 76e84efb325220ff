package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/send"
)

// CheckCmd is `outbox check` (SPEC §1): connect to the smarthost as a
// send would, report what it offers, and send nothing.
type CheckCmd struct {
	Account string `short:"A" env:"OUTBOX_ACCOUNT" placeholder:"NAME" help:"Account to check (default: the default account)."`
	JSON    bool   `name:"json" help:"Print the report as one JSON object (fields in the README)."`
	Verbose bool   `short:"v" help:"Show the SMTP dialogue on stderr (AUTH redacted)."`
	Send    string `placeholder:"ADDR" help:"After the check, send one short test message to ADDR through the account and print the server's reply."`
}

func (c *CheckCmd) Run(a *app, cli *CLI) error {
	cfg, acct, err := loadConfigAccount(cli.Config, c.Account)
	if err != nil {
		return err
	}
	if c.Send == "" {
		return a.check(acct, c.JSON, c.Verbose)
	}
	// The address is checked before anything goes on the wire.
	to, err := testRecipient(cfg, c.Send)
	if err != nil {
		return err
	}
	if err := a.check(acct, c.JSON, c.Verbose); err != nil {
		return err
	}
	return a.sendTest(cfg, acct, to, c.JSON, c.Verbose)
}

// loadAccount loads the configuration and selects the account name (""
// for the default), for the commands that work on one account (check,
// password, oauth).
func loadAccount(configPath, name string) (*config.Account, error) {
	_, acct, err := loadConfigAccount(configPath, name)
	return acct, err
}

// loadConfigAccount is loadAccount that returns the configuration too
// (check --send resolves its address with the config's [aliases]).
func loadConfigAccount(configPath, name string) (*config.Config, *config.Account, error) {
	cfg, err := config.LoadDefault(configPath)
	if err != nil {
		return nil, nil, err
	}
	if cfg == nil {
		return nil, nil, errNoConfig
	}
	acct, err := cfg.Select(name, "")
	return cfg, acct, err
}

// certWarnDays: a certificate closer than this to its end is reported, so
// that a renewal that failed is noticed before mail stops.
const certWarnDays = 14

// check probes the account's smarthost and prints the report; the error
// (for main's exit code) is the probe's.
func (a *app) check(acct *config.Account, asJSON, verbose bool) error {
	o := sendOptions(acct)
	if verbose {
		o.Verbose = a.stderr
	}
	r, err := send.Probe(a.ctx, o)
	rep := newCheckReport(acct, r, err, time.Now())
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(rep); werr != nil {
			return fmt.Errorf("writing the report: %w", werr)
		}
	} else {
		rep.writeText(a.stdout)
	}
	for _, w := range rep.Warnings {
		if !asJSON {
			a.warnf("%s", w)
		}
	}
	return err
}

// checkReport is the --json schema of `outbox check`. Absent parts are
// null, not omitted, so that scripts can test them without guessing.
type checkReport struct {
	Account    string            `json:"account"`
	Server     string            `json:"server"`   // host:port
	TLSMode    string            `json:"tls_mode"` // starttls | tls | none
	Greeting   string            `json:"greeting"`
	Extensions map[string]string `json:"extensions"` // EHLO keyword → parameters; null when EHLO was not reached
	TLS        *checkTLS         `json:"tls"`        // null for plaintext
	// SizeLimit: the SIZE maximum in bytes; 0 = SIZE without a limit;
	// null = SIZE not offered.
	SizeLimit *int64     `json:"size_limit"`
	Auth      *checkAuth `json:"auth"` // null when the account uses no AUTH
	Warnings  []string   `json:"warnings"`
	OK        bool       `json:"ok"`
	Error     *checkErr  `json:"error"` // null when OK

	authFailed bool // the session failed at AUTH (credentials or password source)
}

type checkTLS struct {
	Version     string     `json:"version"` // "TLS 1.3"; "" when the handshake failed
	Cipher      string     `json:"cipher"`
	Trust       string     `json:"trust"` // system roots | tls_ca_file | tls_fingerprint | refused
	Certificate *checkCert `json:"certificate"`
}

type checkCert struct {
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	DaysLeft    int       `json:"days_left"`
	DNSNames    []string  `json:"dns_names"`
	Fingerprint string    `json:"fingerprint"` // for tls_fingerprint
}

type checkAuth struct {
	Username  string `json:"username"`
	Mechanism string `json:"mechanism"`
	OK        bool   `json:"ok"`
}

type checkErr struct {
	Message   string `json:"message"`
	Kind      string `json:"kind"` // network | timeout | tls | tls-policy | auth | reply | protocol | config
	Temporary bool   `json:"temporary"`
	ExitCode  int    `json:"exit_code"`
}

func newCheckReport(acct *config.Account, r *send.ProbeResult, err error, now time.Time) *checkReport {
	rep := &checkReport{
		Account:    acct.Name,
		Server:     r.Host,
		TLSMode:    string(r.TLSMode),
		Greeting:   r.Greeting,
		Extensions: r.Extensions,
		Warnings:   []string{},
		OK:         err == nil,
	}
	if r.SizeLimit >= 0 {
		n := r.SizeLimit
		rep.SizeLimit = &n
	}
	if t := r.TLS; t != nil {
		rep.TLS = &checkTLS{Version: t.Version, Cipher: t.Cipher, Trust: t.Trust}
		if c := t.Certificate; c != nil {
			days := int(c.NotAfter.Sub(now).Hours() / 24)
			rep.TLS.Certificate = &checkCert{Subject: c.Subject, Issuer: c.Issuer, NotBefore: c.NotBefore,
				NotAfter: c.NotAfter, DaysLeft: days, DNSNames: c.DNSNames, Fingerprint: c.Fingerprint}
			if rep.TLS.Certificate.DNSNames == nil {
				rep.TLS.Certificate.DNSNames = []string{}
			}
			if t.Trust != "refused" && c.NotAfter.Sub(now) < certWarnDays*24*time.Hour {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("the certificate of %s expires %s (%s): mail stops then unless it is renewed", r.Host, c.NotAfter.UTC().Format("2006-01-02 15:04 UTC"), untilText(c.NotAfter.Sub(now))))
			}
		}
	}
	if r.TLSMode == send.NoTLS {
		rep.Warnings = append(rep.Warnings, `tls = "none": mail travels unencrypted, and outbox sends no password`)
	}
	if r.Auth != nil {
		rep.Auth = &checkAuth{Username: r.Auth.Username, Mechanism: r.Auth.Mechanism, OK: r.Auth.OK}
	}
	if err != nil {
		rep.Error = &checkErr{Message: oneLine(err), Kind: "internal", ExitCode: exitCode(err)}
		var se *send.Error
		var ce *config.Error
		switch {
		case errors.As(err, &se):
			rep.Error.Kind, rep.Error.Temporary = se.Kind.String(), se.Temporary
			rep.authFailed = se.Op == "auth"
			if se.Kind == send.KindConfig {
				rep.Error.Kind = "config"
			}
		case errors.As(err, &ce):
			rep.Error.Kind = "config"
		}
	}
	return rep
}

func untilText(d time.Duration) string {
	switch {
	case d < 0:
		return "already expired"
	case d < 48*time.Hour:
		return fmt.Sprintf("in %d hours", int(d.Hours()))
	}
	return fmt.Sprintf("in %d days", int(d.Hours()/24))
}

// writeText is the report for people: one "label  value" line each.
func (r *checkReport) writeText(w io.Writer) {
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-12s %s\n", label, fmt.Sprintf(format, args...))
	}
	line("Account", "%s", r.Account)
	mode := map[string]string{"starttls": "STARTTLS", "tls": "implicit TLS", "none": "no TLS"}[r.TLSMode]
	line("Server", "%s, %s", r.Server, mode)
	if r.Greeting != "" {
		line("Greeting", "%s", strings.ReplaceAll(r.Greeting, "\n", " / "))
	}
	if t := r.TLS; t != nil {
		if t.Version != "" {
			line("TLS", "%s, %s", t.Version, t.Cipher)
		}
		if c := t.Certificate; c != nil {
			line("Certificate", "%s", c.Subject)
			line("  issuer", "%s", c.Issuer)
			line("  expires", "%s (%s)", c.NotAfter.UTC().Format("2006-01-02 15:04 UTC"), untilText(time.Until(c.NotAfter)))
			if len(c.DNSNames) > 0 {
				line("  names", "%s", strings.Join(c.DNSNames, ", "))
			}
			if t.Trust == "refused" {
				line("  trusted", "NO: refused")
			} else {
				line("  trusted", "yes, by %s", t.Trust)
			}
			line("  pin", "%s", c.Fingerprint)
		}
	}
	if r.Extensions != nil {
		keys := make([]string, 0, len(r.Extensions))
		for k, v := range r.Extensions {
			keys = append(keys, strings.TrimSpace(k+" "+v))
		}
		sort.Strings(keys)
		line("Extensions", "%s", strings.Join(keys, ", "))
		switch {
		case r.SizeLimit == nil:
			line("Size limit", "not announced")
		case *r.SizeLimit == 0:
			line("Size limit", "no fixed limit")
		default:
			line("Size limit", "%d bytes (%.1f MiB)", *r.SizeLimit, float64(*r.SizeLimit)/(1<<20))
		}
	}
	if a := r.Auth; a != nil {
		switch {
		case a.OK:
			line("AUTH", "%s as %q: accepted", a.Mechanism, a.Username)
		case r.authFailed:
			line("AUTH", "%s as %q: FAILED", a.Mechanism, a.Username)
		default:
			line("AUTH", "as %q: not tried", a.Username)
		}
	} else {
		line("AUTH", "none configured")
	}
	if r.OK {
		line("Result", "OK: ready to send (nothing was sent)")
	} else {
		line("Result", "FAILED (exit %d; the reason follows)", r.Error.ExitCode)
	}
}
