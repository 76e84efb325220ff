package setup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Request holds the non-interactive answers (`config init --email ...`).
// Only Email is required; the rest overrides what a preset or DNS
// proposes.
type Request struct {
	Email    string
	Preset   string
	Host     string
	Port     int
	TLS      string
	Username string
	// OAuth, when set, writes an OAuth2 account; an empty Provider is
	// taken from the preset (gmail → google, outlook and microsoft365 →
	// microsoft).
	OAuth *OAuth
}

// Resolve turns a Request into Settings without asking anything: the
// named preset, else the given host, else Discover. It fails, saying
// which flag to add, when something is missing.
func Resolve(ctx context.Context, r Resolver, q Request) (*Settings, error) {
	addr, domain, err := ParseEmail(q.Email)
	if err != nil {
		return nil, fmt.Errorf("setup: --email: %w", err)
	}
	var s *Settings
	switch {
	case q.Preset != "":
		p, err := LookupPreset(q.Preset)
		if err != nil {
			return nil, err
		}
		s = FromPreset(p, addr)
	case q.Host != "":
		s = &Settings{Email: addr, Host: q.Host, Username: addr, Source: "the command line"}
	default:
		s, err = Discover(ctx, r, addr)
		if s == nil {
			msg := fmt.Sprintf("setup: no settings known for %s (no preset, no RFC 6186 SRV record); give --preset NAME or --host HOST [--port N --tls MODE]", domain)
			if err != nil {
				msg += fmt.Sprintf(" (%v)", err)
			}
			return nil, errors.New(msg)
		}
	}
	if q.Host != "" {
		s.Host = q.Host
	}
	if q.TLS != "" {
		s.TLS = q.TLS
		if q.Port == 0 {
			s.Port = DefaultPort(q.TLS)
		}
	}
	if q.Port != 0 {
		s.Port = q.Port
		// Without --tls the port says it for the two submission ports;
		// a preset's own mode stays for other ports (SES's 2587).
		if q.TLS == "" && (s.Preset == nil || q.Port == 465 || q.Port == 587) {
			s.TLS = ModeForPort(q.Port)
		}
	}
	if s.TLS == "" {
		s.TLS = "starttls"
	}
	if s.Port == 0 {
		s.Port = DefaultPort(s.TLS)
	}
	if q.Username != "" {
		s.Username = q.Username
	}
	if s.Username == "" && s.Preset != nil {
		return nil, fmt.Errorf("setup: preset %q needs --username: the %s", s.Preset.Name, s.Preset.User)
	}
	if q.OAuth != nil {
		o := *q.OAuth
		if o.Provider == "" && s.Preset != nil {
			o.Provider = s.Preset.OAuth
		}
		if o.Provider == "" {
			return nil, fmt.Errorf("setup: --oauth: no OAuth2 sign-in known for %s; give --oauth-provider microsoft, google or custom", s.Host)
		}
		if err := o.validate(); err != nil {
			return nil, err
		}
		s.OAuth = &o
	}
	return s, nil
}

// Wizard asks the questions of `outbox config init` at a terminal.
type Wizard struct {
	In       io.Reader
	Out      io.Writer
	Resolver Resolver // nil: presets only, no DNS
	// ReadPassword reads a password without echo (term.ReadPassword);
	// nil reads the next line of In, for tests and piped answers.
	// It should return when ctx is cancelled (Ctrl-C).
	ReadPassword func(ctx context.Context, prompt string) (string, error)

	ctx context.Context
	in  *bufio.Reader
}

// Answers is what the wizard learnt.
type Answers struct {
	Settings *Settings
	Password string // "" when the user gave none
}

// ErrAborted is returned when input ends before the questions are done.
var ErrAborted = errors.New("setup: no answer (end of input); nothing was written")

// ErrInterrupted is returned when the context ends while the wizard waits
// for an answer (Ctrl-C: outbox catches SIGINT, so a blocked read would
// otherwise never return).
var ErrInterrupted = errors.New("setup: interrupted; nothing was written")

// Run asks for the address, proposes settings (preset, SRV, MX), lets the
// user accept them or choose, asks for the username when needed, and
// reads the password.
func (w *Wizard) Run(ctx context.Context) (*Answers, error) {
	w.ctx = ctx
	w.in = bufio.NewReader(w.In)
	w.say("Set up outbox: a few questions, then a test of the server.")
	var addr, domain string
	for {
		s, err := w.ask("Email address: ", "")
		if err != nil {
			return nil, err
		}
		if addr, domain, err = ParseEmail(s); err == nil {
			break
		}
		w.say("  %v", err)
	}

	var s *Settings
	if p := presetForDomain(domain); p != nil {
		s = FromPreset(p, addr)
	} else {
		w.say("Looking up the mail settings of %s (RFC 6186 SRV records)...", domain)
		var err error
		s, err = Discover(ctx, w.Resolver, addr)
		if err != nil {
			w.say("  DNS lookup failed: %v", err)
		}
	}
	if s != nil {
		w.show(s)
		ok, err := w.yes("Use these settings?", true)
		if err != nil {
			return nil, err
		}
		if !ok {
			s = nil
		}
	} else {
		w.say("No settings found for %s: no known provider and no SRV record.", domain)
	}
	if s == nil {
		var err error
		if s, err = w.choose(addr); err != nil {
			return nil, err
		}
	}

	if s.Preset != nil && s.Preset.Rule == UserAsk {
		for s.Username == "" {
			u, err := w.ask(strings.ToUpper(s.Preset.User[:1])+s.Preset.User[1:]+": ", "")
			if err != nil {
				return nil, err
			}
			s.Username = u
		}
	} else if s.Preset == nil {
		u, err := w.ask(fmt.Sprintf("Username [%s]: ", s.Username), s.Username)
		if err != nil {
			return nil, err
		}
		s.Username = u
	}
	if s.Preset != nil && s.Preset.OAuth != "" {
		o, err := w.oauth(s.Preset)
		if err != nil {
			return nil, err
		}
		if o != nil {
			s.OAuth = o
			if !o.NeedsSecret() {
				return &Answers{Settings: s}, nil
			}
			// Google's Desktop app clients have a secret that the
			// token endpoint wants; it is kept like a password.
			pw, err := w.password("Client secret of the Desktop app (not shown; empty to set it up later): ")
			if err != nil {
				return nil, err
			}
			return &Answers{Settings: s, Password: pw}, nil
		}
	}
	if s.Preset != nil {
		for _, n := range s.Preset.Notes {
			if n != oauthNoteGoogle && n != oauthNoteMicrosoft {
				w.say("Note: %s", n)
			}
		}
	}
	prompt := fmt.Sprintf("Password for %s at %s (not shown; empty to set it up later): ", s.Username, s.Host)
	pw, err := w.password(prompt)
	if err != nil {
		return nil, err
	}
	return &Answers{Settings: s, Password: pw}, nil
}

// oauth offers the OAuth2 sign-in for a provider that has one, and asks
// for the app registration's client ID (and Microsoft 365's tenant). It
// returns nil when the user prefers an app password.
func (w *Wizard) oauth(p *Preset) (*OAuth, error) {
	for {
		a, err := w.ask("Sign in with OAuth2 (recommended) or use an app password? [O/p] ", "o")
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(a) {
		case "o", "oauth", "oauth2":
		case "p", "password", "app password":
			return nil, nil
		default:
			w.say("  answer o (OAuth2) or p (app password)")
			continue
		}
		break
	}
	o := &OAuth{Provider: p.OAuth}
	w.say("OAuth2 needs the application (client) ID of an app registration: see the %s.", OAuthReadme(o.Provider))
	for o.ClientID == "" {
		id, err := w.ask("Application (client) ID: ", "")
		if err != nil {
			return nil, err
		}
		if !clean(id) || strings.ContainsAny(id, " \t") {
			w.say("  %q is not a client ID", id)
			continue
		}
		o.ClientID = id
	}
	if p.Name == "microsoft365" {
		for {
			t, err := w.ask("Tenant (your domain like contoso.onmicrosoft.com, or common) [common]: ", "common")
			if err != nil {
				return nil, err
			}
			o.Tenant = t
			if err := o.validate(); err != nil {
				w.say("  %q is not a tenant", t)
				o.Tenant = ""
				continue
			}
			break
		}
	}
	return o, nil
}

func (w *Wizard) show(s *Settings) {
	title := ""
	if s.Preset != nil {
		title = ", " + s.Preset.Title
	}
	w.say("Found settings (%s%s):", s.Source, title)
	w.say("  server    %s:%d, %s", s.Host, s.Port, modeName(s.TLS))
	if s.Username != "" {
		w.say("  username  %s", s.Username)
	}
	for _, warn := range s.Warnings {
		w.say("  warning: %s", warn)
	}
}

func modeName(mode string) string {
	switch mode {
	case "tls":
		return "implicit TLS"
	case "starttls":
		return "STARTTLS"
	}
	return "no TLS"
}

// choose offers the presets (SES and Zoho folded into one line each,
// with a follow-up question) and a manual entry.
func (w *Wizard) choose(addr string) (*Settings, error) {
	type item struct {
		title, host string
		pick        func() (*Settings, error)
	}
	var items []item
	seenSES, seenZoho := false, false
	for _, p := range presets() {
		switch {
		case strings.HasPrefix(p.Name, "ses-"):
			if !seenSES {
				seenSES = true
				items = append(items, item{"Amazon SES (by region)", "email-smtp.REGION.amazonaws.com", func() (*Settings, error) {
					region, err := w.ask("AWS region [us-east-1]: ", "us-east-1")
					if err != nil {
						return nil, err
					}
					p, err := LookupPreset("ses-" + region)
					if err != nil {
						return nil, err
					}
					return FromPreset(p, addr), nil
				}})
			}
		case strings.HasPrefix(p.Name, "zoho"):
			if !seenZoho {
				seenZoho = true
				items = append(items, item{"Zoho Mail", "smtp.zoho.* / smtppro.zoho.*", func() (*Settings, error) { return w.zoho(addr) }})
			}
		default:
			p := p
			items = append(items, item{p.Title, fmt.Sprintf("%s:%d", p.Host, p.Port), func() (*Settings, error) { return FromPreset(p, addr), nil }})
		}
	}
	for {
		w.say("Choose your provider, or 0 to enter the server yourself:")
		for i, it := range items {
			w.say("  %2d) %-34s %s", i+1, it.title, it.host)
		}
		w.say("   0) other: enter host, port and TLS mode")
		c, err := w.ask("Choice [0]: ", "0")
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(c))
		switch {
		case err != nil || n < 0 || n > len(items):
			w.say("  %q is not one of 0-%d", c, len(items))
			continue
		case n == 0:
			return w.manual(addr)
		}
		s, err := items[n-1].pick()
		if errors.Is(err, ErrAborted) {
			return nil, err
		}
		if err != nil {
			w.say("  %v", err)
			continue
		}
		return s, nil
	}
}

func (w *Wizard) zoho(addr string) (*Settings, error) {
	org, err := w.yes("Is the address on your own domain (a Zoho organisation account)?", false)
	if err != nil {
		return nil, err
	}
	w.say("Zoho data centre: 1) US (zoho.com)  2) EU (zoho.eu)  3) India (zoho.in)  4) Australia (zoho.com.au)")
	c, err := w.ask("Data centre [1]: ", "1")
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(c))
	if err != nil || n < 1 || n > len(zohoDCs) {
		return nil, fmt.Errorf("%q is not one of 1-%d", c, len(zohoDCs))
	}
	name := "zoho"
	if org {
		name += "-pro"
	}
	p, err := LookupPreset(name + zohoDCs[n-1].name)
	if err != nil {
		return nil, err
	}
	return FromPreset(p, addr), nil
}

func (w *Wizard) manual(addr string) (*Settings, error) {
	s := &Settings{Email: addr, Username: addr, Source: "your answers"}
	for {
		h, err := w.ask("SMTP server (host name): ", "")
		if err != nil {
			return nil, err
		}
		h = strings.ToLower(strings.TrimSpace(h))
		if validHost(h) {
			s.Host = h
			break
		}
		w.say("  %q is not a host name like smtp.example.com", h)
	}
	w.say("Encryption: 1) implicit TLS (usually port 465)  2) STARTTLS (usually port 587)  3) none (port 25; no password is ever sent)")
	for s.TLS == "" {
		c, err := w.ask("Encryption [1]: ", "1")
		if err != nil {
			return nil, err
		}
		switch strings.TrimSpace(c) {
		case "1":
			s.TLS = "tls"
		case "2":
			s.TLS = "starttls"
		case "3":
			s.TLS = "none"
		default:
			w.say("  choose 1, 2 or 3")
		}
	}
	def := DefaultPort(s.TLS)
	for s.Port == 0 {
		c, err := w.ask(fmt.Sprintf("Port [%d]: ", def), strconv.Itoa(def))
		if err != nil {
			return nil, err
		}
		if s.Port, err = parsePort(c); err != nil {
			w.say("  %v", err)
		}
	}
	return s, nil
}

// Say prints a line to the person at the terminal. With Yes it lets the
// command ask the questions that come after the wizard's (where to keep
// the password, whether to send a test message) in the same dialogue.
func (w *Wizard) Say(format string, args ...any) { w.say(format, args...) }

// Yes asks a yes/no question with a default, after Run.
func (w *Wizard) Yes(question string, def bool) (bool, error) {
	if w.in == nil {
		return false, errors.New("setup: Wizard.Yes before Run")
	}
	return w.yes(question, def)
}

func (w *Wizard) say(format string, args ...any) {
	fmt.Fprintf(w.Out, format+"\n", args...)
}

// ask prints prompt and reads one line; an empty line gives def.
func (w *Wizard) ask(prompt, def string) (string, error) {
	fmt.Fprint(w.Out, prompt)
	line, err := w.readLine()
	if err != nil && line == "" {
		if errors.Is(err, ErrInterrupted) {
			return "", err
		}
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(w.Out)
			return "", ErrAborted
		}
		return "", fmt.Errorf("setup: reading the answer: %w", err)
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return def, nil
	}
	return line, nil
}

func (w *Wizard) yes(question string, def bool) (bool, error) {
	hint := "[y/N]"
	if def {
		hint = "[Y/n]"
	}
	for {
		a, err := w.ask(question+" "+hint+" ", "")
		if err != nil {
			return false, err
		}
		switch strings.ToLower(a) {
		case "":
			return def, nil
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		w.say("  answer y or n")
	}
}

func (w *Wizard) password(prompt string) (string, error) {
	if w.ReadPassword != nil {
		pw, err := w.ReadPassword(w.ctx, prompt)
		if w.ctx.Err() != nil {
			return "", ErrInterrupted
		}
		if err != nil {
			return "", fmt.Errorf("setup: reading the password: %w", err)
		}
		return pw, nil
	}
	fmt.Fprint(w.Out, prompt)
	line, err := w.readLine()
	if errors.Is(err, ErrInterrupted) {
		return "", err
	}
	if err != nil && line == "" && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("setup: reading the password: %w", err)
	}
	fmt.Fprintln(w.Out)
	return strings.TrimRight(line, "\r\n"), nil
}

// readLine reads one line, giving up when the context ends. The read runs
// in a goroutine started per line, never ahead of the question: a
// terminal's next line may be the password, which ReadPassword must get.
// An abandoned read ends with the process.
func (w *Wizard) readLine() (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := w.in.ReadString('\n')
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		return r.line, r.err
	case <-w.ctx.Done():
		fmt.Fprintln(w.Out)
		return "", ErrInterrupted
	}
}
