package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// OAuth2 defaults per provider (SPEC §2). The scopes are the ones the
// providers document for SMTP submission: Microsoft's delegated
// SMTP.Send plus offline_access (without it there is no refresh token),
// its app-only ".default" for the client credentials grant, and Google's
// full-mail scope, the only one that covers SMTP.
const (
	DefaultOAuthTenant = "common"

	microsoftLogin = "https://login.microsoftonline.com/"
	googleAuthURL  = "https://accounts.google.com/o/oauth2/v2/auth"
	googleTokenURL = "https://oauth2.googleapis.com/token"
)

var (
	microsoftScopes    = []string{"https://outlook.office.com/SMTP.Send", "offline_access"}
	microsoftAppScopes = []string{"https://outlook.office365.com/.default"}
	googleScopes       = []string{"https://mail.google.com/"}
)

// OAuth is an account's OAuth2 settings with the provider's defaults
// filled in: everything a flow needs except the secrets.
type OAuth struct {
	Account   string // account name, for messages
	Provider  string // microsoft | google | custom
	Flow      string // device | browser | client_credentials
	ClientID  string
	Tenant    string // microsoft only
	Scopes    []string
	AuthURL   string // authorization endpoint (browser flow)
	DeviceURL string // device authorization endpoint (device flow, RFC 8628 §3.1)
	TokenURL  string // token endpoint
	// NeedsSecret: the flow sends a client secret, read with
	// Account.Password (never from the TOML). SecretOptional: send one
	// when the password sources have one (custom providers may or may not
	// want it).
	NeedsSecret    bool
	SecretOptional bool
	// StoreKey names the account's tokens: "<username>@<host>"; the
	// keyring user of the refresh token is "oauth:" + StoreKey.
	StoreKey string
}

// UsesOAuth reports whether outbox fetches the account's SMTP token
// itself: oauth_provider is set and auth is xoauth2 or oauthbearer (or
// auto, which then means xoauth2). With auth = "xoauth2" and no provider,
// the token comes from the password sources instead, as with msmtp's
// passwordeval scripts.
func (a *Account) UsesOAuth() bool {
	if a == nil || a.OAuthProvider == "" {
		return false
	}
	switch a.Auth {
	case "", "auto", "xoauth2", "oauthbearer":
		return true
	}
	return false
}

// OAuthKeyringUser is the keyring user under which the account's refresh
// token is kept: "oauth:<username>@<host>" (SPEC §2).
func (a *Account) OAuthKeyringUser() string { return "oauth:" + a.KeyringUser() }

// OAuth validates the account's oauth_* keys and returns them with the
// defaults filled in. Problems are *Error (exit 78) saying what to set.
func (a *Account) OAuth() (*OAuth, error) {
	fail := func(key, format string, args ...any) error {
		k := "accounts." + a.Name
		if key != "" {
			k += "." + key
		}
		return &Error{File: a.file, Key: k, Msg: fmt.Sprintf(format, args...)}
	}
	if a.OAuthProvider == "" {
		return nil, fail("oauth_provider", "not set: add oauth_provider = \"microsoft\", \"google\" or \"custom\" to use OAuth2")
	}
	switch a.Auth {
	case "", "auto", "xoauth2", "oauthbearer":
	default:
		return nil, fail("auth", "%q does not use OAuth2: set auth = \"xoauth2\" (or \"oauthbearer\") with oauth_provider", a.Auth)
	}
	if a.Username == "" {
		return nil, fail("username", "not set: OAuth2 needs the mailbox address as username (it is sent in the XOAUTH2/OAUTHBEARER exchange)")
	}
	o := &OAuth{
		Account:  a.Name,
		Provider: a.OAuthProvider,
		Flow:     a.OAuthFlow,
		ClientID: a.OAuthClientID,
		Tenant:   a.OAuthTenant,
		StoreKey: a.KeyringUser(),
	}
	if o.ClientID == "" {
		return nil, fail("oauth_client_id", "not set: register an application with %s and put its client (application) ID here (see the README)", providerName(o.Provider))
	}
	switch o.Provider {
	case "microsoft":
		if o.Flow == "" {
			o.Flow = "device"
		}
		if o.Tenant == "" {
			o.Tenant = DefaultOAuthTenant
		}
		if strings.ContainsAny(o.Tenant, "/?#% ") {
			return nil, fail("oauth_tenant", "%q is not a tenant (a domain like contoso.onmicrosoft.com, a GUID, common or organizations)", o.Tenant)
		}
		if o.Flow == "client_credentials" && (o.Tenant == "common" || o.Tenant == "organizations" || o.Tenant == "consumers") {
			return nil, fail("oauth_tenant", "app-only sign-in (client_credentials) needs your tenant, like oauth_tenant = \"contoso.onmicrosoft.com\", not %q", o.Tenant)
		}
		base := microsoftLogin + url.PathEscape(o.Tenant) + "/oauth2/v2.0/"
		o.AuthURL, o.DeviceURL, o.TokenURL = base+"authorize", base+"devicecode", base+"token"
		o.Scopes = microsoftScopes
		if o.Flow == "client_credentials" {
			o.Scopes = microsoftAppScopes
			o.NeedsSecret = true
		}
	case "google":
		if o.Flow == "" {
			o.Flow = "browser"
		}
		switch o.Flow {
		case "device":
			// Google's device flow does not grant the Gmail scope
			// ("limited-input device" scopes exclude it).
			return nil, fail("oauth_flow", "Google does not allow Gmail access with the device flow: use oauth_flow = \"browser\"")
		case "client_credentials":
			return nil, fail("oauth_flow", "Google has no client_credentials grant for Gmail: use oauth_flow = \"browser\" (or an app password with auth = \"plain\")")
		}
		o.AuthURL, o.TokenURL = googleAuthURL, googleTokenURL
		o.Scopes = googleScopes
		// Google's "Desktop app" clients have a secret that is not
		// secret but is required on the token endpoint.
		o.NeedsSecret = true
	case "custom":
		o.AuthURL, o.DeviceURL, o.TokenURL = a.OAuthAuthURL, a.OAuthDeviceURL, a.OAuthTokenURL
		if o.Flow == "" {
			o.Flow = "browser"
			if o.DeviceURL != "" {
				o.Flow = "device"
			}
		}
		if o.TokenURL == "" {
			return nil, fail("oauth_token_url", "not set: a custom provider needs its token endpoint")
		}
		switch {
		case o.Flow == "device" && o.DeviceURL == "":
			return nil, fail("oauth_device_url", "not set: the device flow needs the device authorization endpoint")
		case o.Flow == "browser" && o.AuthURL == "":
			return nil, fail("oauth_auth_url", "not set: the browser flow needs the authorization endpoint")
		}
		o.NeedsSecret = o.Flow == "client_credentials"
		o.SecretOptional = !o.NeedsSecret
	default:
		return nil, fail("oauth_provider", "%q is not microsoft, google or custom", o.Provider)
	}
	if a.OAuthScopes != nil {
		o.Scopes = a.OAuthScopes
	}
	o.Scopes = append([]string(nil), o.Scopes...)
	return o, nil
}

// ClientSecret reads the client secret from the password sources
// (Account.Password: OUTBOX_PASSWORD, password_command, systemd
// credentials, the keyring entry "<username>@<host>"), never the TOML.
// With SecretOptional, no secret is ("", nil).
func (a *Account) ClientSecret(o *OAuth) (string, error) {
	if !o.NeedsSecret && !o.SecretOptional {
		return "", nil
	}
	s, err := a.Password()
	if err != nil {
		if o.SecretOptional {
			return "", nil
		}
		var ce *Error
		if errors.As(err, &ce) && ce.Key == "accounts."+a.Name {
			// The chain's "no password" error, reworded for a secret.
			_, why, _ := strings.Cut(ce.Msg, "): ")
			return "", &Error{File: ce.File, Key: ce.Key, Msg: fmt.Sprintf("no OAuth2 client secret for account %q; it comes from the password sources: store it with `outbox password set --account %s` (tried: %s)", a.Name, a.Name, why)}
		}
		return "", err
	}
	return s, nil
}

func providerName(p string) string {
	switch p {
	case "microsoft":
		return "Microsoft Entra ID"
	case "google":
		return "Google Cloud"
	}
	return "your OAuth2 provider"
}
