package config

import (
	"errors"

	"github.com/outboxmail/outbox/send"
)

// OAuthToken returns a valid OAuth2 access token for an account that
// UsesOAuth. Package oauth sets it when it is linked in (its init), which
// keeps the dependency one way: oauth needs config (keyring, state
// directory, password sources), so config can't call oauth directly.
// Its errors may be *send.Error values that classify themselves (a
// revoked sign-in is KindAuth, an unreachable token endpoint temporary).
var OAuthToken func(a *Account) (string, error)

var errNoOAuth = errors.New("this outbox was built without OAuth2 support (package oauth not linked)")

// SendOptions maps the account to the options of one SMTP session. The
// password is not read here: send calls a.Password only when it will
// send AUTH, so a server that needs none never triggers a keyring prompt
// or a password_command. Verbose and DataTimeout are left for the caller.
//
// With oauth_provider set, the "password" is an OAuth2 access token,
// fetched (from the cache, or with the refresh token or client secret)
// only when AUTH is sent; auth = "auto" then means XOAUTH2.
func (a *Account) SendOptions() send.Options {
	o := send.Options{
		Host:        a.Host,
		Port:        a.Port,
		TLS:         send.TLSMode(a.TLS),
		CAFile:      a.TLSCAFile,
		Fingerprint: a.TLSFingerprint,
		Helo:        a.Helo,
		Timeout:     a.Timeout,
		Auth:        a.Auth,
		Username:    a.Username,
		Password:    a.Password,
	}
	if a.UsesOAuth() {
		if o.Auth == "" || o.Auth == "auto" {
			o.Auth = "xoauth2"
		}
		o.Password = func() (string, error) {
			if OAuthToken == nil {
				return "", errNoOAuth
			}
			return OAuthToken(a)
		}
	}
	return o
}
