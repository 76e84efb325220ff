package send

import (
	"errors"
	"strconv"

	"github.com/emersion/go-sasl"
)

// oauthBearerClient is OAUTHBEARER (RFC 7628 §3.1): the GS2 header with
// the username as authzid, host and port, and the bearer token, as the
// initial response. go-sasl's client cancels with "*" when the server
// sends its JSON error challenge; this one answers with the dummy %x01
// RFC 7628 §3.2.3 asks for, so that the server's final reply (with its
// enhanced status code) reaches the user.
type oauthBearerClient struct {
	user, token, host string
	port              int
	failed            bool
}

func (a *oauthBearerClient) Start() (string, []byte, error) {
	ir := "n,a=" + gs2Escape(a.user) + ","
	if a.host != "" {
		ir += "\x01host=" + a.host
	}
	if a.port != 0 {
		ir += "\x01port=" + strconv.Itoa(a.port)
	}
	ir += "\x01auth=Bearer " + a.token + "\x01\x01"
	return sasl.OAuthBearer, []byte(ir), nil
}

func (a *oauthBearerClient) Next(challenge []byte) ([]byte, error) {
	if a.failed {
		return nil, sasl.ErrUnexpectedServerChallenge
	}
	a.failed = true
	return []byte{0x01}, nil
}

// gs2Escape encodes "," and "=" in the authzid (RFC 5801 §4: "=2C",
// "=3D").
func gs2Escape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			out = append(out, "=2C"...)
		case '=':
			out = append(out, "=3D"...)
		default:
			out = append(out, s[i])
		}
	}
	return string(out)
}

// credentialFailure lets a password source classify its own failure: an
// OAuth2 token source returns a *Error (a revoked sign-in is KindAuth and
// permanent, an unreachable token endpoint is temporary), which is
// returned as it is instead of the generic "no password" KindConfig.
// It returns nil for any other error.
func credentialFailure(hostport string, err error) *Error {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	if e.Host == "" {
		e.Host = hostport
	}
	if e.Op == "" {
		e.Op = "auth"
	}
	return e
}

// authHint names the likely cause of an AUTH refusal that the reply
// alone does not explain; "" when there is nothing to add. The enhanced
// codes are the ones Microsoft 365 and Gmail document for SMTP AUTH.
func authHint(mech string, e *Error) string {
	oauth := mech == "XOAUTH2" || mech == sasl.OAuthBearer
	switch e.Enhanced {
	case [3]int{5, 7, 30}:
		// "Basic authentication is not supported for Client Submission".
		return ` (Microsoft 365 no longer accepts passwords for SMTP: set auth = "xoauth2" and oauth_provider = "microsoft", then run: outbox oauth login)`
	case [3]int{5, 7, 139}:
		return " (SMTP AUTH is disabled for this mailbox or tenant, or security defaults block it: an Exchange admin can enable it with Set-CASMailbox -SmtpClientAuthenticationDisabled $false)"
	case [3]int{5, 7, 3}:
		if oauth {
			return " (the sign-in worked but the mailbox refused the token: SMTP AUTH is probably disabled for the mailbox (Set-CASMailbox -SmtpClientAuthenticationDisabled $false), the token lacks the SMTP.Send permission, or — for app-only access — the application was not granted the mailbox (Add-MailboxPermission); the username must be that mailbox)"
		}
	case [3]int{5, 7, 8}, [3]int{5, 7, 9}:
		if oauth {
			return " (the server refused the OAuth2 token: the username must be the account that signed in, and the scope must cover SMTP (Gmail: https://mail.google.com/); run: outbox oauth login)"
		}
	}
	if oauth && e.Code == 535 {
		return " (the server refused the OAuth2 token: SMTP AUTH may be disabled for the mailbox, the token may lack the SMTP permission, or the username is not the account that signed in; run: outbox oauth status)"
	}
	return ""
}

// oauthSASL returns the client for an OAuth2 mechanism, nil for others.
func oauthSASL(mech string, o *Options, token string) sasl.Client {
	if mech == sasl.OAuthBearer {
		return &oauthBearerClient{user: o.Username, token: token, host: o.Host, port: o.Port}
	}
	return nil
}
