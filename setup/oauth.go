package setup

import (
	"fmt"
	"net/url"
	"strings"
)

// OAuth is the sign-in half of an account that uses OAuth2 instead of a
// password (issue 9): what `config init` writes as auth = "xoauth2" and
// the oauth_* keys. The client secret, when a provider needs one
// (Google's Desktop app clients), is never here: it goes to the password
// sources like a password.
type OAuth struct {
	Provider  string // microsoft | google | custom
	ClientID  string
	Tenant    string // microsoft; "" means the default, "common"
	AuthURL   string // custom: authorization endpoint (browser flow)
	DeviceURL string // custom: device authorization endpoint (device flow)
	TokenURL  string // custom: token endpoint
}

// NeedsSecret reports whether the provider's default flow sends a client
// secret that has to be in the password sources before the sign-in.
func (o *OAuth) NeedsSecret() bool { return o.Provider == "google" }

// OAuthReadme names the README section that explains the provider's app
// registration, for the one line the wizard prints.
func OAuthReadme(provider string) string {
	switch provider {
	case "microsoft":
		return `README, section "Microsoft 365 and Outlook.com (OAuth2)"`
	case "google":
		return `README, section "Gmail"`
	}
	return `README, section "Any other OAuth2 provider"`
}

// validate checks the OAuth answers before anything is written, naming
// the flags (the wizard only asks for values that pass).
func (o *OAuth) validate() error {
	switch o.Provider {
	case "microsoft", "google", "custom":
	default:
		return fmt.Errorf("setup: --oauth-provider %q is not microsoft, google or custom", o.Provider)
	}
	if strings.TrimSpace(o.ClientID) == "" {
		return fmt.Errorf("setup: --oauth needs --oauth-client-id: the application (client) ID of your app registration (see the %s)", OAuthReadme(o.Provider))
	}
	if !clean(o.ClientID) || !clean(o.Tenant) {
		return fmt.Errorf("setup: the OAuth client ID or tenant contains control characters")
	}
	if o.Tenant != "" {
		if o.Provider != "microsoft" {
			return fmt.Errorf("setup: --oauth-tenant is for --oauth-provider microsoft only")
		}
		if strings.ContainsAny(o.Tenant, "/?#% ") {
			return fmt.Errorf("setup: --oauth-tenant %q is not a tenant (a domain like contoso.onmicrosoft.com, a GUID, common or organizations)", o.Tenant)
		}
	}
	urls := []struct{ flag, u string }{{"--oauth-auth-url", o.AuthURL}, {"--oauth-device-url", o.DeviceURL}, {"--oauth-token-url", o.TokenURL}}
	for _, f := range urls {
		if f.u == "" {
			continue
		}
		if o.Provider != "custom" {
			return fmt.Errorf("setup: %s is for --oauth-provider custom only (microsoft and google have theirs built in)", f.flag)
		}
		u, err := url.Parse(f.u)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !clean(f.u) {
			return fmt.Errorf("setup: %s %q is not an http(s) URL", f.flag, f.u)
		}
	}
	if o.Provider == "custom" {
		switch {
		case o.TokenURL == "":
			return fmt.Errorf("setup: --oauth-provider custom needs --oauth-token-url")
		case o.DeviceURL == "" && o.AuthURL == "":
			return fmt.Errorf("setup: --oauth-provider custom needs --oauth-device-url (device flow) or --oauth-auth-url (browser flow)")
		}
	}
	return nil
}

// render writes the account's auth and oauth_* lines.
func (o *OAuth) render(line func(format string, args ...any)) {
	line("auth = \"xoauth2\"   # OAuth2 sign-in, no password (`outbox oauth login` renews it)")
	line("oauth_provider = %s", quote(o.Provider))
	line("oauth_client_id = %s", quote(o.ClientID))
	if o.Tenant != "" {
		line("oauth_tenant = %s", quote(o.Tenant))
	}
	if o.AuthURL != "" {
		line("oauth_auth_url = %s", quote(o.AuthURL))
	}
	if o.DeviceURL != "" {
		line("oauth_device_url = %s", quote(o.DeviceURL))
	}
	if o.TokenURL != "" {
		line("oauth_token_url = %s", quote(o.TokenURL))
	}
}
