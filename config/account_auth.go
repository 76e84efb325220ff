package config

import "errors"

// OAuthToken returns a valid OAuth2 access token for an account that
// UsesOAuth. Package oauth sets it when it is linked in (its init), which
// keeps the dependency one way: oauth needs config (keyring, state
// directory, password sources), so config can't call oauth directly.
// Its errors may be *send.Error values that classify themselves (a
// revoked sign-in is KindAuth, an unreachable token endpoint temporary).
var OAuthToken func(a *Account) (string, error)

var errNoOAuth = errors.New("this outbox was built without OAuth2 support (package oauth not linked)")

// AuthMechanism is the SASL mechanism the account asks for: auth as
// written, except that with oauth_provider set, "auto" (or nothing)
// means XOAUTH2.
func (a *Account) AuthMechanism() string {
	if a.UsesOAuth() && (a.Auth == "" || a.Auth == "auto") {
		return "xoauth2"
	}
	return a.Auth
}

// Secret returns what AUTH sends as the password. The caller calls it
// only when it will send AUTH, so a server that needs none never
// triggers a keyring prompt or a password_command. With oauth_provider
// set it is an OAuth2 access token, fetched (from the cache, or with the
// refresh token or client secret) by package oauth; otherwise it is
// Password.
func (a *Account) Secret() (string, error) {
	if !a.UsesOAuth() {
		return a.Password()
	}
	if OAuthToken == nil {
		return "", errNoOAuth
	}
	return OAuthToken(a)
}
