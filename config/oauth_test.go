package config

import (
	"strings"
	"testing"
)

// Issue 9: oauth_* keys with the providers' defaults, and the mistakes
// the loader can't see named with the key to fix.
func TestOAuthDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, toml string
		want       string // "flow|scopes|token URL" or "error: substring"
	}{
		{"microsoft device", `oauth_provider = "microsoft"`,
			"device|https://outlook.office.com/SMTP.Send offline_access|https://login.microsoftonline.com/common/oauth2/v2.0/token"},
		{"microsoft app-only", "oauth_provider = \"microsoft\"\noauth_flow = \"client_credentials\"\noauth_tenant = \"contoso.onmicrosoft.com\"",
			"client_credentials|https://outlook.office365.com/.default|https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"},
		{"microsoft app-only common", "oauth_provider = \"microsoft\"\noauth_flow = \"client_credentials\"",
			"error: needs your tenant"},
		{"google", `oauth_provider = "google"`, "browser|https://mail.google.com/|https://oauth2.googleapis.com/token"},
		{"google device", "oauth_provider = \"google\"\noauth_flow = \"device\"", "error: use oauth_flow = \"browser\""},
		{"custom scopes", "oauth_provider = \"custom\"\noauth_device_url = \"https://id.example.com/device\"\noauth_token_url = \"https://id.example.com/token\"\noauth_scopes = [\"smtp\"]",
			"device|smtp|https://id.example.com/token"},
		{"custom browser without auth url", "oauth_provider = \"custom\"\noauth_flow = \"browser\"\noauth_token_url = \"https://id.example.com/token\"",
			"error: oauth_auth_url: not set"},
		{"wrong auth", "oauth_provider = \"google\"\nauth = \"plain\"", "error: does not use OAuth2"},
		{"no client id", "oauth_provider = \"google\"\n#", "error: oauth_client_id: not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := isolate(t)
			client := "oauth_client_id = \"id\"\n"
			if strings.HasSuffix(tc.toml, "#") {
				client = ""
			}
			p := writeConfig(t, dir, "c.toml", "[accounts.a]\nhost = \"smtp.example.com\"\nusername = \"me@example.com\"\n"+client+tc.toml+"\n", 0o600)
			c, err := Load(p)
			if want, ok := strings.CutPrefix(tc.want, "error: "); ok && err != nil {
				// Load checks the OAuth keys too, naming the file and line.
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("Load err = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := c.Accounts["a"]
			o, err := a.OAuth()
			if want, ok := strings.CutPrefix(tc.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Flow + "|" + strings.Join(o.Scopes, " ") + "|" + o.TokenURL; got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if !a.UsesOAuth() || a.AuthMechanism() != "xoauth2" {
				t.Errorf("UsesOAuth %v, send auth %q", a.UsesOAuth(), a.AuthMechanism())
			}
			if a.OAuthKeyringUser() != "oauth:me@example.com@smtp.example.com" {
				t.Errorf("keyring user %q", a.OAuthKeyringUser())
			}
		})
	}
}

// Without package oauth linked, an OAuth account's token source says so
// instead of sending the password.
func TestSecretOAuthUnlinked(t *testing.T) {
	dir := isolate(t)
	p := writeConfig(t, dir, "c.toml", "[accounts.a]\nhost = \"h.example.com\"\nusername = \"u\"\noauth_provider = \"google\"\noauth_client_id = \"x\"\n", 0o600)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	saved := OAuthToken
	OAuthToken = nil
	defer func() { OAuthToken = saved }()
	t.Setenv("OUTBOX_PASSWORD", "not-a-token")
	if _, err := c.Accounts["a"].Secret(); err != errNoOAuth {
		t.Errorf("err = %v", err)
	}
}
