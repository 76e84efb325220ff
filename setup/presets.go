package setup

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// UserRule says what a provider expects as the SMTP username.
type UserRule int

const (
	// UserEmail: the full email address.
	UserEmail UserRule = iota
	// UserFixed: always Preset.User (SendGrid's literal "apikey").
	UserFixed
	// UserAsk: a provider-issued credential name; Preset.User is the
	// question to ask.
	UserAsk
)

// Preset is one provider's submission settings.
type Preset struct {
	Name  string // as given to --preset: "gmail", "ses-eu-west-1"
	Title string // for people: "Gmail / Google Workspace"
	Host  string
	Port  int
	TLS   string // "starttls" | "tls"
	Rule  UserRule
	User  string // UserFixed: the username; UserAsk: the question
	// Domains are the address domains that identify the provider.
	Domains []string
	// MX are suffixes of MX host names that identify the provider for a
	// custom domain (Google Workspace, Microsoft 365, Fastmail...).
	MX []string
	// Notes are shown before the password question: where to get an
	// app password or key, and when OAuth is the better choice.
	Notes []string
	// OAuth names the `outbox oauth login` provider ("google",
	// "microsoft") when the provider supports XOAUTH2 sign-in.
	OAuth string
}

// Username is the username the preset implies for the address; "" when
// it must be asked (UserAsk).
func (p *Preset) Username(email string) string {
	switch p.Rule {
	case UserEmail:
		return email
	case UserFixed:
		return p.User
	}
	return ""
}

const (
	oauthNoteGoogle    = "OAuth instead of a password: set auth = \"xoauth2\" and oauth_provider = \"google\" for the account, then run `outbox oauth login`."
	oauthNoteMicrosoft = "OAuth instead of a password: set auth = \"xoauth2\" and oauth_provider = \"microsoft\" for the account, then run `outbox oauth login`."
)

// Texts shared by a provider's regional presets.
const (
	mailgunUser = "SMTP login (Sending → Domain settings → SMTP credentials, e.g. postmaster@mg.example.com)"
	mailgunNote = "Use the SMTP credentials of your sending domain, not your Mailgun account login."
	zohoNote    = "With two-factor authentication on, Zoho needs an application-specific password (My Account → Security → App Passwords)."
)

// sesRegions are the AWS regions with an Amazon SES SMTP endpoint
// (email-smtp.REGION.amazonaws.com). --preset ses-REGION also accepts a
// region missing here, as long as it is spelled like one.
var sesRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
	"sa-east-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
	"eu-central-2", "eu-north-1", "eu-south-1", "af-south-1", "il-central-1",
	"me-south-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
	"ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"us-gov-west-1",
}

// regionRE and presets are built on first use, not at start-up: every
// outbox run (sendmail from cron too) imports this package, and only
// config init reads them.
var regionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]{1,2}$`)
})

// zohoDCs are Zoho's data centres: the host suffix per region.
var zohoDCs = []struct{ suffix, name, title string }{
	{"com", "", "US"}, {"eu", "-eu", "EU"}, {"in", "-in", "India"}, {"com.au", "-au", "Australia"},
}

// presets is the built-in table. Ports and modes follow each provider's
// documentation; where a provider offers both, implicit TLS on 465 is
// chosen (RFC 8314 §3.3 prefers it) unless the provider documents 587 as
// its main submission port.
var presets = sync.OnceValue(buildPresets)

func buildPresets() []*Preset {
	ps := []*Preset{
		{Name: "gmail", Title: "Gmail / Google Workspace", Host: "smtp.gmail.com", Port: 587, TLS: "starttls",
			Domains: []string{"gmail.com", "googlemail.com"},
			MX:      []string{"aspmx.l.google.com", "googlemail.com", "smtp.google.com", "google.com"},
			Notes: []string{
				"Gmail needs an app password (Google Account → Security → 2-Step Verification → App passwords, https://myaccount.google.com/apppasswords); your normal password is refused.",
				oauthNoteGoogle,
			},
			OAuth: "google"},
		{Name: "outlook", Title: "Outlook.com / Hotmail", Host: "smtp-mail.outlook.com", Port: 587, TLS: "starttls",
			Domains: []string{"outlook.com", "hotmail.com", "live.com", "msn.com", "outlook.de", "outlook.fr", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "live.co.uk"},
			Notes: []string{
				"Microsoft is retiring password (basic) authentication for SMTP; an app password works only while your account still allows it (Account → Security → Advanced security options).",
				oauthNoteMicrosoft,
			},
			OAuth: "microsoft"},
		{Name: "microsoft365", Title: "Microsoft 365 / Exchange Online", Host: "smtp.office365.com", Port: 587, TLS: "starttls",
			MX: []string{"mail.protection.outlook.com"},
			Notes: []string{
				"Authenticated SMTP must be enabled for the mailbox (Microsoft 365 admin center → Users → Mail → Manage email apps), and Microsoft is retiring password (basic) authentication for it.",
				oauthNoteMicrosoft,
			},
			OAuth: "microsoft"},
		{Name: "fastmail", Title: "Fastmail", Host: "smtp.fastmail.com", Port: 465, TLS: "tls",
			Domains: []string{"fastmail.com", "fastmail.fm", "fastmail.net", "fastmail.org", "fastmail.to", "fastmail.us", "fastmail.cn", "fastmail.de", "fastmail.es", "fastmail.in", "fastmail.jp", "fastmail.mx", "fastmail.se", "fastmail.co.uk", "fastmail.com.au", "sent.com"},
			MX:      []string{"messagingengine.com"},
			Notes:   []string{"Fastmail needs an app password with SMTP access: Settings → Privacy & Security → Manage app passwords."}},
		{Name: "icloud", Title: "iCloud Mail", Host: "smtp.mail.me.com", Port: 587, TLS: "starttls",
			Domains: []string{"icloud.com", "me.com", "mac.com"},
			MX:      []string{"mail.icloud.com"},
			Notes:   []string{"iCloud needs an app-specific password (https://account.apple.com → Sign-In and Security → App-Specific Passwords). The username is your full iCloud address."}},
		{Name: "yahoo", Title: "Yahoo Mail", Host: "smtp.mail.yahoo.com", Port: 465, TLS: "tls",
			Domains: []string{"yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.es", "yahoo.it", "yahoo.ca", "yahoo.com.au", "yahoo.co.jp", "yahoo.co.in"},
			Notes:   []string{"Yahoo needs an app password: Account Info → Account Security → Generate app password."}},
		{Name: "aol", Title: "AOL Mail", Host: "smtp.aol.com", Port: 465, TLS: "tls",
			Domains: []string{"aol.com", "aim.com"},
			Notes:   []string{"AOL needs an app password: Account Info → Account Security → Generate app password."}},
		{Name: "sendgrid", Title: "Twilio SendGrid", Host: "smtp.sendgrid.net", Port: 587, TLS: "starttls",
			Rule: UserFixed, User: "apikey",
			Notes: []string{"The username is literally \"apikey\"; the password is an API key with Mail Send permission (Settings → API Keys)."}},
		{Name: "mailgun", Title: "Mailgun (US)", Host: "smtp.mailgun.org", Port: 587, TLS: "starttls",
			Rule: UserAsk, User: mailgunUser,
			Notes: []string{mailgunNote}},
		{Name: "mailgun-eu", Title: "Mailgun (EU)", Host: "smtp.eu.mailgun.org", Port: 587, TLS: "starttls",
			Rule: UserAsk, User: mailgunUser,
			Notes: []string{mailgunNote}},
		{Name: "postmark", Title: "Postmark", Host: "smtp.postmarkapp.com", Port: 587, TLS: "starttls",
			Rule: UserAsk, User: "Server API token (Servers → your server → API Tokens)",
			Notes: []string{"Postmark takes the Server API token as both the username and the password."}},
		{Name: "brevo", Title: "Brevo (Sendinblue)", Host: "smtp-relay.brevo.com", Port: 587, TLS: "starttls",
			Rule: UserAsk, User: "SMTP login (SMTP & API → SMTP tab, e.g. 123abc@smtp-brevo.com)",
			Notes: []string{"The password is an SMTP key from the same page, not your Brevo account password."}},
	}
	for _, dc := range zohoDCs {
		personal := &Preset{Name: "zoho" + dc.name, Title: "Zoho Mail, personal (" + dc.title + ")",
			Host: "smtp.zoho." + dc.suffix, Port: 465, TLS: "tls",
			Notes: []string{zohoNote}}
		if dc.name == "" {
			personal.Domains = []string{"zoho.com", "zohomail.com"}
		}
		ps = append(ps, personal)
		ps = append(ps, &Preset{Name: "zoho-pro" + dc.name, Title: "Zoho Mail, organisation domain (" + dc.title + ")",
			Host: "smtppro.zoho." + dc.suffix, Port: 465, TLS: "tls",
			MX:    []string{"zoho." + dc.suffix},
			Notes: []string{zohoNote}})
	}
	for _, r := range sesRegions {
		ps = append(ps, sesPreset(r))
	}
	return ps
}

func sesPreset(region string) *Preset {
	return &Preset{Name: "ses-" + region, Title: "Amazon SES (" + region + ")",
		Host: "email-smtp." + region + ".amazonaws.com", Port: 587, TLS: "starttls",
		Rule: UserAsk, User: "SES SMTP username (SES console → SMTP settings → Create SMTP credentials)",
		Notes: []string{"Amazon SES takes SMTP credentials created in the SES console for this region — not your AWS console login or a plain access key secret. The From address must be a verified identity."}}
}

// Presets returns the built-in presets in display order.
func Presets() []*Preset { return presets() }

// LookupPreset finds a preset by name ("gmail", "ses-eu-west-1"; "ses"
// alone is refused with the list of regions).
func LookupPreset(name string) (*Preset, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, p := range presets() {
		if p.Name == n {
			return p, nil
		}
	}
	if r, ok := strings.CutPrefix(n, "ses-"); ok && regionRE().MatchString(r) {
		return sesPreset(r), nil
	}
	if n == "ses" || n == "amazon-ses" {
		return nil, fmt.Errorf("setup: Amazon SES is per region: use --preset ses-REGION, e.g. ses-us-east-1 or ses-eu-west-1")
	}
	return nil, fmt.Errorf("setup: unknown preset %q; known: %s", name, strings.Join(PresetNames(), ", "))
}

// PresetNames lists the preset names, SES folded into "ses-REGION".
func PresetNames() []string {
	var names []string
	for _, p := range presets() {
		if !strings.HasPrefix(p.Name, "ses-") {
			names = append(names, p.Name)
		}
	}
	return append(names, "ses-REGION")
}

// presetForDomain returns the preset whose Domains holds the address's
// domain.
func presetForDomain(domain string) *Preset {
	d := strings.ToLower(domain)
	for _, p := range presets() {
		for _, pd := range p.Domains {
			if pd == d {
				return p
			}
		}
	}
	return nil
}

// presetForMX returns the preset one of whose MX suffixes matches host.
func presetForMX(host string) *Preset {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	for _, p := range presets() {
		for _, s := range p.MX {
			if h == s || strings.HasSuffix(h, "."+s) {
				return p
			}
		}
	}
	return nil
}
