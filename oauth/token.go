package oauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/send"
)

// ExpiryMargin: a cached access token is used only while it has at least
// this long to live, so that it does not expire between the check and
// the server's AUTH reply.
const ExpiryMargin = 60 * time.Second

// now is the clock; tests move it.
var now = time.Now

func init() { config.OAuthToken = sendToken }

// sendToken is config.OAuthToken: the access token for send's AUTH, with
// failures classified as *send.Error (KindAuth; Temporary when the token
// endpoint could not be reached) so that the queue keeps or fails the
// message and main picks the exit code without knowing about OAuth.
func sendToken(a *config.Account) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*timeout(a))
	defer cancel()
	tok, err := Token(ctx, a)
	if err == nil {
		return tok, nil
	}
	var oe *Error
	if errors.As(err, &oe) {
		return "", &send.Error{Op: "auth", Host: net.JoinHostPort(a.Host, strconv.Itoa(a.Port)),
			Kind: send.KindAuth, Temporary: oe.Temporary, Err: oe}
	}
	return "", err
}

func timeout(a *config.Account) time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	return config.DefaultTimeout
}

// withClient makes x/oauth2 use a client with the account's timeout.
func withClient(ctx context.Context, a *config.Account) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: timeout(a)})
}

// Token returns an access token for the account: the cached one while it
// has more than ExpiryMargin to live, else a new one from the refresh
// token (a rotated refresh token is stored again) or, for
// client_credentials, from the client secret. The new token is cached in
// the state directory (0600).
func Token(ctx context.Context, a *config.Account) (string, error) {
	o, err := a.OAuth()
	if err != nil {
		return "", err
	}
	st := newStore(o)
	if r := st.read(); r.fresh() {
		return r.AccessToken, nil
	}
	unlock, err := st.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	// Another process may have refreshed while we waited for the lock.
	r := st.read()
	if r.fresh() {
		return r.AccessToken, nil
	}
	ctx = withClient(ctx, a)
	var tok *oauth2.Token
	if o.Flow == "client_credentials" {
		tok, err = clientCredentials(ctx, a, o)
		if err != nil {
			return "", err
		}
	} else {
		refresh, _, note := st.loadRefresh(r)
		if refresh == "" {
			msg := fmt.Sprintf("account %q is not signed in; run: outbox oauth login --account %s", o.Account, o.Account)
			if note != "" {
				msg += " (keyring: " + note + ")"
			}
			return "", &Error{Account: o.Account, Msg: msg}
		}
		secret, err := a.ClientSecret(o)
		if err != nil {
			return "", err
		}
		cfg := oauthConfig(o, secret)
		tok, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token()
		if err != nil {
			return "", tokenError(o, "refresh", err)
		}
		if tok.RefreshToken != "" && tok.RefreshToken != refresh {
			// Rotation (RFC 6749 §6, OAuth 2.1 §4.3.1): the old
			// refresh token may already be void; keep the new one.
			if _, err := st.saveRefresh(r, tok.RefreshToken); err != nil {
				return "", err
			}
		}
	}
	r.cache(tok)
	if err := st.write(r); err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// fresh reports whether the cached access token can still be used.
func (r *record) fresh() bool {
	return r.AccessToken != "" && !r.Expiry.IsZero() && now().Add(ExpiryMargin).Before(r.Expiry)
}

// cache keeps tok's access token in the record. A token without an
// expiry is not reused: outbox can't tell when it stops working.
func (r *record) cache(tok *oauth2.Token) {
	r.AccessToken, r.TokenType, r.Expiry = tok.AccessToken, tok.TokenType, tok.Expiry
	if tok.Expiry.IsZero() {
		r.AccessToken = ""
	}
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		r.Scope = s
	}
}

func oauthConfig(o *config.OAuth, secret string) *oauth2.Config {
	style := oauth2.AuthStyleAutoDetect
	if o.Provider != "custom" {
		// Microsoft and Google document the secret as a form parameter.
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID:     o.ClientID,
		ClientSecret: secret,
		Scopes:       o.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:       o.AuthURL,
			DeviceAuthURL: o.DeviceURL,
			TokenURL:      o.TokenURL,
			AuthStyle:     style,
		},
	}
}

// clientCredentials is the client credentials grant (RFC 6749 §4.4):
// Microsoft 365 app-only SMTP, no person involved. The secret comes from
// the password sources.
func clientCredentials(ctx context.Context, a *config.Account, o *config.OAuth) (*oauth2.Token, error) {
	secret, err := a.ClientSecret(o)
	if err != nil {
		return nil, err
	}
	style := oauth2.AuthStyleAutoDetect
	if o.Provider != "custom" {
		style = oauth2.AuthStyleInParams
	}
	cc := &clientcredentials.Config{ClientID: o.ClientID, ClientSecret: secret, TokenURL: o.TokenURL, Scopes: o.Scopes, AuthStyle: style}
	tok, err := cc.Token(ctx)
	if err != nil {
		return nil, tokenError(o, "client_credentials", err)
	}
	return tok, nil
}

// tokenError turns a token endpoint failure into an *Error a person can
// act on. The provider's reply body is never shown (it could echo
// secrets); only its error code and a bounded description.
func tokenError(o *config.OAuth, grant string, err error) error {
	e := &Error{Account: o.Account, Err: err}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// No reply: DNS, connection refused, timeout, TLS. Worth
		// retrying; the message waits in the queue.
		e.Temporary = true
		e.Msg = fmt.Sprintf("can't reach the token endpoint %s: %s", o.TokenURL, netCause(err))
		return e
	}
	e.Code = re.ErrorCode
	desc := describe(re.ErrorDescription)
	login := fmt.Sprintf("run: outbox oauth login --account %s", o.Account)
	switch {
	case re.ErrorCode == "invalid_grant" && grant == "client_credentials":
		e.Msg = fmt.Sprintf("the provider refused the app-only sign-in for %s (invalid_grant%s); check oauth_tenant and the app's permissions", o.Account, desc)
	case re.ErrorCode == "invalid_grant":
		e.Msg = fmt.Sprintf("the sign-in for %s expired or was revoked; %s", o.Account, login)
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
		what := "oauth_client_id"
		if o.NeedsSecret {
			what += " and the client secret (outbox password set --account " + o.Account + ")"
		}
		e.Msg = fmt.Sprintf("the provider refused the client for %s (%s%s); check %s", o.Account, re.ErrorCode, desc, what)
	case re.ErrorCode == "invalid_scope":
		e.Msg = fmt.Sprintf("the provider refused the scopes %q for %s (invalid_scope%s); check oauth_scopes", strings.Join(o.Scopes, " "), o.Account, desc)
	case re.ErrorCode != "":
		e.Msg = fmt.Sprintf("the token endpoint %s refused the %s request for %s: %s%s", o.TokenURL, grant, o.Account, re.ErrorCode, desc)
	default:
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		e.Temporary = status >= 500 || status == http.StatusTooManyRequests
		e.Msg = fmt.Sprintf("the token endpoint %s answered HTTP %d to the %s request for %s", o.TokenURL, status, grant, o.Account)
	}
	return e
}

// describe renders a provider's error_description for a one-line error:
// ": " plus its first line, without control characters, at most 200
// bytes (Microsoft's AADSTS texts carry trace IDs and timestamps).
func describe(d string) string {
	d, _, _ = strings.Cut(strings.TrimSpace(d), "\n")
	d = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(d))
	if len(d) > 200 {
		d = d[:200] + "…"
	}
	if d == "" {
		return ""
	}
	return ": " + d
}

// netCause is the part of a transport error a person acts on
// ("connect: connection refused", "timed out").
func netCause(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timed out"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err.Error()
	}
	return err.Error()
}
