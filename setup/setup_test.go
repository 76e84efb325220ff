package setup

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/config"
)

// fakeDNS answers SRV and MX from maps keyed by the full query name.
type fakeDNS struct {
	srv map[string][]*net.SRV
	mx  map[string][]*net.MX
	err error
}

func (f *fakeDNS) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	q := "_" + service + "._" + proto + "." + name
	if f.err != nil {
		return "", nil, f.err
	}
	if r, ok := f.srv[q]; ok {
		return q, r, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: q, IsNotFound: true}
}

func (f *fakeDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if r, ok := f.mx[name]; ok {
		return r, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func TestPresetsAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	domains := map[string]string{}
	for _, p := range Presets() {
		if seen[p.Name] {
			t.Errorf("duplicate preset %q", p.Name)
		}
		seen[p.Name] = true
		if !validHost(p.Host) || p.Title == "" {
			t.Errorf("%s: host %q title %q", p.Name, p.Host, p.Title)
		}
		if !(p.TLS == "tls" && p.Port == 465 || p.TLS == "starttls" && p.Port == 587) {
			t.Errorf("%s: %s on port %d", p.Name, p.TLS, p.Port)
		}
		if p.Rule != UserEmail && p.User == "" {
			t.Errorf("%s: username rule without text", p.Name)
		}
		for _, d := range p.Domains {
			if other, ok := domains[d]; ok {
				t.Errorf("domain %s in %s and %s", d, other, p.Name)
			}
			domains[d] = p.Name
		}
		got, err := LookupPreset(strings.ToUpper(p.Name))
		if err != nil || got.Host != p.Host {
			t.Errorf("LookupPreset(%q) = %v, %v", p.Name, got, err)
		}
	}
	for _, want := range []string{"gmail", "outlook", "microsoft365", "fastmail", "icloud", "yahoo", "zoho", "ses-us-east-1", "ses-eu-west-1", "sendgrid", "mailgun", "postmark", "brevo"} {
		if !seen[want] {
			t.Errorf("no preset %q", want)
		}
	}
	if p, err := LookupPreset("ses-ap-southeast-7"); err != nil || p.Host != "email-smtp.ap-southeast-7.amazonaws.com" {
		t.Errorf("unknown but well-formed SES region: %v, %v", p, err)
	}
	if _, err := LookupPreset("ses"); err == nil || !strings.Contains(err.Error(), "ses-REGION") && !strings.Contains(err.Error(), "ses-us-east-1") {
		t.Errorf("ses without region: %v", err)
	}
	if _, err := LookupPreset("nope"); err == nil || !strings.Contains(err.Error(), "fastmail") {
		t.Errorf("unknown preset error should list the known ones: %v", err)
	}
}

func TestDiscover(t *testing.T) {
	dns := &fakeDNS{
		srv: map[string][]*net.SRV{
			// Both services: implicit TLS wins (RFC 8314 §5.1); the lowest
			// priority, then the highest weight.
			"_submissions._tcp.both.example": {
				{Target: "backup.both.example.", Port: 465, Priority: 20, Weight: 100},
				{Target: "light.both.example.", Port: 465, Priority: 10, Weight: 1},
				{Target: "mail.both.example.", Port: 465, Priority: 10, Weight: 50},
			},
			"_submission._tcp.both.example":  {{Target: "mail.both.example.", Port: 587}},
			"_submission._tcp.start.example": {{Target: "smtp.elsewhere.example.", Port: 587}},
			// "." = decidedly not offered (RFC 2782).
			"_submissions._tcp.dot.example": {{Target: ".", Port: 0}},
		},
		mx: map[string][]*net.MX{
			"workspace.example": {{Host: "ASPMX.L.GOOGLE.COM.", Pref: 1}},
			"m365.example":      {{Host: "m365-example.mail.protection.outlook.com.", Pref: 0}},
		},
	}
	ctx := context.Background()
	tests := []struct {
		email, host string
		port        int
		tls, source string
		warn        bool
	}{
		{"Me@GMail.com", "smtp.gmail.com", 587, "starttls", `preset "gmail"`, false},
		{"me@fastmail.fm", "smtp.fastmail.com", 465, "tls", `preset "fastmail"`, false},
		{"me@both.example", "mail.both.example", 465, "tls", "SRV _submissions._tcp.both.example", false},
		{"me@start.example", "smtp.elsewhere.example", 587, "starttls", "SRV _submission._tcp.start.example", true},
		{"me@workspace.example", "smtp.gmail.com", 587, "starttls", `preset "gmail" (MX aspmx.l.google.com)`, false},
		{"me@m365.example", "smtp.office365.com", 587, "starttls", `preset "microsoft365"`, false},
	}
	for _, tt := range tests {
		s, err := Discover(ctx, dns, tt.email)
		if err != nil || s == nil {
			t.Errorf("%s: %v, %v", tt.email, s, err)
			continue
		}
		if s.Host != tt.host || s.Port != tt.port || s.TLS != tt.tls || !strings.HasPrefix(s.Source, tt.source) || (len(s.Warnings) > 0) != tt.warn {
			t.Errorf("%s: got %s:%d %s from %q warnings %q", tt.email, s.Host, s.Port, s.TLS, s.Source, s.Warnings)
		}
		if s.Username == "" || !strings.Contains(s.Username, "@") {
			t.Errorf("%s: username %q", tt.email, s.Username)
		}
	}
	for _, email := range []string{"me@dot.example", "me@nothing.example"} {
		if s, err := Discover(ctx, dns, email); s != nil || err != nil {
			t.Errorf("%s: %+v, %v; want nothing", email, s, err)
		}
	}
	// A DNS failure (not "no such name") is reported.
	if _, err := Discover(ctx, &fakeDNS{err: errors.New("server misbehaving")}, "me@broken.example"); err == nil {
		t.Error("DNS failure not reported")
	}
	if _, err := Discover(ctx, dns, "not an address"); err == nil {
		t.Error("bad address accepted")
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	s, err := Resolve(ctx, nil, Request{Email: "me@example.com", Preset: "sendgrid"})
	if err != nil || s.Username != "apikey" || s.Host != "smtp.sendgrid.net" {
		t.Errorf("sendgrid: %+v, %v", s, err)
	}
	if _, err := Resolve(ctx, nil, Request{Email: "me@example.com", Preset: "ses-eu-west-1"}); err == nil || !strings.Contains(err.Error(), "--username") {
		t.Errorf("SES without --username: %v", err)
	}
	s, err = Resolve(ctx, nil, Request{Email: "me@example.com", Host: "smtp.example.com", Port: 465})
	if err != nil || s.TLS != "tls" || s.Username != "me@example.com" {
		t.Errorf("manual 465: %+v, %v", s, err)
	}
	s, err = Resolve(ctx, nil, Request{Email: "me@example.com", Host: "mx.example.com", TLS: "none"})
	if err != nil || s.Port != 25 {
		t.Errorf("manual none: %+v, %v", s, err)
	}
	s, err = Resolve(ctx, nil, Request{Email: "me@example.com", Preset: "ses-us-east-1", Port: 2587, Username: "AKIA"})
	if err != nil || s.TLS != "starttls" || s.Port != 2587 {
		t.Errorf("preset with other port keeps its TLS mode: %+v, %v", s, err)
	}
	if _, err := Resolve(ctx, &fakeDNS{}, Request{Email: "me@nothing.example"}); err == nil || !strings.Contains(err.Error(), "--preset") {
		t.Errorf("nothing found: %v", err)
	}
}

// The rendered file loads back with config.Load, with the same values.
func TestRenderLoadsBack(t *testing.T) {
	p, _ := LookupPreset("fastmail")
	f := &File{Account: "my.mail@home", Settings: FromPreset(p, "o'brien+tag@example.com"),
		CAFile: "/tmp/ca.pem", PasswordNote: []string{"The password is in the keyring."}}
	checkRoundTrip(t, f)
}

func checkRoundTrip(t *testing.T, f *File) {
	t.Helper()
	data, err := f.Render()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sub", "config.toml")
	if err := WriteConfig(path, data, false); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	a := c.Accounts[f.AccountName()]
	s := f.Settings
	if a == nil || a.Host != s.Host || a.Port != s.Port || a.TLS != s.TLS || a.Username != s.Username || a.TLSCAFile != f.CAFile || c.DefaultAccount != f.AccountName() {
		t.Fatalf("loaded %+v from\n%s", a, data)
	}
	// The file holds the address as net/mail reads it ("me@ example.com"
	// is written as me@example.com).
	want, _, err := ParseEmail(s.Email)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Aliases["default"]; len(got) != 1 || got[0] != want {
		t.Fatalf("aliases %q, want %q", got, want)
	}
}

func FuzzRender(f *testing.F) {
	f.Add("me@example.com", "smtp.example.com", "user\"\\name", "default")
	f.Add("a@b.c", "10.0.0.1", "\u00e9t\u00e9", "x.y@z")
	f.Fuzz(func(t *testing.T, email, host, user, account string) {
		file := &File{Account: account, Settings: &Settings{Email: email, Host: host, Port: 587, TLS: "starttls", Username: user}}
		if file.Validate() != nil {
			return
		}
		checkRoundTrip(t, file)
	})
}

func TestWriteConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "outbox")
	path := filepath.Join(dir, "config.toml")
	if err := WriteConfig(path, []byte("# one\n"), false); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700 | fs.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v (%v)", p, fi.Mode(), want, err)
		}
	}
	err := WriteConfig(path, []byte("# two\n"), false)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("overwrite without force: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "# one\n" {
		t.Errorf("file changed to %q", b)
	}
	if err := WriteConfig(path, []byte("# three\n"), true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "# three\n" {
		t.Errorf("force: file is %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestWizard(t *testing.T) {
	dns := &fakeDNS{srv: map[string][]*net.SRV{
		"_submission._tcp.example.org": {{Target: "smtp.example.org.", Port: 587}},
	}}
	tests := []struct {
		name, input string
		host        string
		port        int
		tls, user   string
		pw          string
	}{
		{"preset accepted, app password", "me@gmail.com\n\np\nhunter2\n", "smtp.gmail.com", 587, "starttls", "me@gmail.com", "hunter2"},
		{"srv accepted, username kept", "me@example.org\ny\n\npw\n", "smtp.example.org", 587, "starttls", "me@example.org", "pw"},
		{"bad address retried, then menu", "nope\nme@unknown.example\nsendgrid-by-name\n" + menuNumber(t, "Twilio SendGrid") + "\nSG.key\n", "smtp.sendgrid.net", 587, "starttls", "apikey", "SG.key"},
		{"SES by region asks username", "me@corp.example\n" + menuNumber(t, "Amazon SES (by region)") + "\neu-west-1\nAKIAEXAMPLE\nS3cr3t!\n", "email-smtp.eu-west-1.amazonaws.com", 587, "starttls", "AKIAEXAMPLE", "S3cr3t!"},
		{"declined, manual", "me@gmail.com\nn\n0\nmail.example.net\n2\n2525\nother\n\n", "mail.example.net", 2525, "starttls", "other", ""},
		{"zoho organisation EU", "me@corp.example\n" + menuNumber(t, "Zoho Mail") + "\ny\n2\npw\n", "smtppro.zoho.eu", 465, "tls", "me@corp.example", "pw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			w := &Wizard{In: strings.NewReader(tt.input), Out: &out, Resolver: dns}
			a, err := w.Run(context.Background())
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			s := a.Settings
			if s.Host != tt.host || s.Port != tt.port || s.TLS != tt.tls || s.Username != tt.user || a.Password != tt.pw {
				t.Errorf("got %s:%d %s user %q pw %q\n%s", s.Host, s.Port, s.TLS, s.Username, a.Password, out.String())
			}
			if a.Password != "" && strings.Contains(out.String(), a.Password) {
				t.Errorf("password echoed:\n%s", out.String())
			}
		})
	}
	// End of input is an abort, not a half-answered config.
	w := &Wizard{In: strings.NewReader("me@gmail.com\n"), Out: &strings.Builder{}}
	if _, err := w.Run(context.Background()); !errors.Is(err, ErrAborted) {
		t.Errorf("EOF: %v", err)
	}
}

// menuNumber finds the menu line for title, as the wizard numbers it.
func menuNumber(t *testing.T, title string) string {
	var menu strings.Builder
	w := &Wizard{Out: &menu, in: bufio.NewReader(strings.NewReader("")), ctx: context.Background()}
	w.choose("me@example.com")
	for _, line := range strings.Split(menu.String(), "\n") {
		num, rest, ok := strings.Cut(strings.TrimSpace(line), ") ")
		if ok && strings.HasPrefix(strings.TrimSpace(rest), title+" ") {
			return num
		}
	}
	t.Fatalf("no menu entry %q in\n%s", title, menu.String())
	return ""
}

// Issue 9 item 5: for Gmail, Outlook.com and Microsoft 365 the wizard
// offers OAuth2; the file it leads to has auth = "xoauth2" and the oauth_*
// keys, no password, and loads back with config.Load (which validates
// them).
func TestWizardOAuth(t *testing.T) {
	dns := &fakeDNS{mx: map[string][]*net.MX{
		"m365.example": {{Host: "m365-example.mail.protection.outlook.com.", Pref: 0}},
	}}
	tests := []struct {
		name, input        string
		provider, clientID string
		tenant, secret     string
		host               string
	}{
		{"gmail, default answer", "me@gmail.com\n\n\n1234-abc.apps.googleusercontent.com\nGOCSPX-secret\n", "google", "1234-abc.apps.googleusercontent.com", "", "GOCSPX-secret", "smtp.gmail.com"},
		{"gmail, secret later", "me@gmail.com\n\nO\n1234-abc.apps.googleusercontent.com\n\n", "google", "1234-abc.apps.googleusercontent.com", "", "", "smtp.gmail.com"},
		{"outlook.com: no tenant, no secret", "me@outlook.com\ny\nx\noauth\n\nclient-id\n", "microsoft", "client-id", "", "", "smtp-mail.outlook.com"},
		{"microsoft 365 from MX, tenant", "me@m365.example\n\no\n0000-1111\ncon/toso\ncontoso.onmicrosoft.com\n", "microsoft", "0000-1111", "contoso.onmicrosoft.com", "", "smtp.office365.com"},
		{"microsoft 365, common", "me@m365.example\n\no\n0000-1111\n\n", "microsoft", "0000-1111", "common", "", "smtp.office365.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			w := &Wizard{In: strings.NewReader(tt.input), Out: &out, Resolver: dns}
			a, err := w.Run(context.Background())
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			o := a.Settings.OAuth
			if o == nil || o.Provider != tt.provider || o.ClientID != tt.clientID || o.Tenant != tt.tenant || a.Password != tt.secret || a.Settings.Host != tt.host {
				t.Fatalf("got %+v, secret %q\n%s", o, a.Password, out.String())
			}
			for _, want := range []string{"[O/p]", OAuthReadme(tt.provider)} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("no %q in\n%s", want, out.String())
				}
			}
			if strings.Contains(out.String(), "Password for") || strings.Contains(out.String(), "app password (Google") {
				t.Errorf("asked for a password on the OAuth path:\n%s", out.String())
			}
			data := checkOAuthFile(t, &File{Settings: a.Settings})
			if tt.tenant == "" && strings.Contains(data, "oauth_tenant") {
				t.Errorf("tenant written:\n%s", data)
			}
		})
	}

	// "p" keeps the app password path, with the preset's notes.
	var out strings.Builder
	w := &Wizard{In: strings.NewReader("me@gmail.com\n\np\napp-pw\n"), Out: &out}
	a, err := w.Run(context.Background())
	if err != nil || a.Settings.OAuth != nil || a.Password != "app-pw" || !strings.Contains(out.String(), "Note: Gmail needs an app password") {
		t.Errorf("app password: %+v, %v\n%s", a, err, out.String())
	}
	// Providers without OAuth are not asked.
	out.Reset()
	w = &Wizard{In: strings.NewReader("me@fastmail.com\n\npw\n"), Out: &out}
	if _, err := w.Run(context.Background()); err != nil || strings.Contains(out.String(), "OAuth2") {
		t.Errorf("fastmail: %v\n%s", err, out.String())
	}
}

// checkOAuthFile renders f, loads it back and checks the OAuth2 keys;
// it returns the TOML.
func checkOAuthFile(t *testing.T, f *File) string {
	t.Helper()
	data, err := f.Render()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := WriteConfig(path, data, false); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	a := c.Accounts[f.AccountName()]
	o := f.Settings.OAuth
	if a == nil || a.Auth != "xoauth2" || a.OAuthProvider != o.Provider || a.OAuthClientID != o.ClientID || a.OAuthTenant != o.Tenant ||
		a.OAuthTokenURL != o.TokenURL || a.OAuthDeviceURL != o.DeviceURL || a.Username != f.Settings.Email || a.HasPasswordKey() {
		t.Fatalf("loaded %+v from\n%s", a, data)
	}
	if _, err := a.OAuth(); err != nil {
		t.Fatalf("OAuth settings: %v\n%s", err, data)
	}
	if strings.Contains(string(data), "password =") {
		t.Errorf("a password key in\n%s", data)
	}
	return string(data)
}

func TestResolveOAuth(t *testing.T) {
	ctx := context.Background()
	s, err := Resolve(ctx, nil, Request{Email: "me@outlook.com", OAuth: &OAuth{ClientID: "cid"}})
	if err != nil || s.OAuth == nil || s.OAuth.Provider != "microsoft" {
		t.Fatalf("outlook: %+v, %v", s, err)
	}
	checkOAuthFile(t, &File{Account: "work", Settings: s})

	s, err = Resolve(ctx, nil, Request{Email: "me@example.com", Host: "127.0.0.1", Port: 2525, OAuth: &OAuth{
		Provider: "custom", ClientID: "outbox-test", DeviceURL: "http://127.0.0.1:1/device", TokenURL: "http://127.0.0.1:1/token"}})
	if err != nil {
		t.Fatal(err)
	}
	checkOAuthFile(t, &File{Settings: s})

	for _, tc := range []struct {
		q    Request
		want string
	}{
		{Request{Email: "me@example.com", Host: "smtp.example.com", OAuth: &OAuth{ClientID: "x"}}, "--oauth-provider"},
		{Request{Email: "me@gmail.com", OAuth: &OAuth{}}, "--oauth-client-id"},
		{Request{Email: "me@gmail.com", OAuth: &OAuth{ClientID: "x", Tenant: "t"}}, "microsoft only"},
		{Request{Email: "me@example.com", Preset: "microsoft365", OAuth: &OAuth{ClientID: "x", Tenant: "a/b"}}, "is not a tenant"},
		{Request{Email: "me@gmail.com", OAuth: &OAuth{ClientID: "x", TokenURL: "https://t.example/"}}, "custom only"},
		{Request{Email: "me@example.com", Host: "h.example", OAuth: &OAuth{Provider: "custom", ClientID: "x", TokenURL: "ftp://t"}}, "not an http(s) URL"},
		{Request{Email: "me@example.com", Host: "h.example", OAuth: &OAuth{Provider: "custom", ClientID: "x", TokenURL: "https://t.example/"}}, "--oauth-device-url"},
	} {
		if _, err := Resolve(ctx, nil, tc.q); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.q.OAuth, err, tc.want)
		}
	}
}
