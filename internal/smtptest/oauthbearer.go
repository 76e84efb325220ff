package smtptest

import (
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// oauthBearerServer is OAUTHBEARER (RFC 7628) on go-sasl's server: the
// bearer token is checked against the Users table like XOAUTH2's; a
// refused token gets the JSON error challenge (§3.2.2), and after the
// client's %x01 the final reply is 535 5.7.8, as Gmail sends it (go-smtp
// would answer go-sasl's error with 454).
func oauthBearerServer(check func(user, token string) error) sasl.Server {
	return &bearerFinal{sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		if check(o.Username, o.Token) != nil {
			return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
		}
		return nil
	})}
}

type bearerFinal struct{ sasl.Server }

func (b *bearerFinal) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := b.Server.Next(resp)
	if done && err != nil {
		err = smtp.ErrAuthFailed
	}
	return ch, done, err
}
