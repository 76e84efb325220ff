package smtptest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-smtp"
)

// go-sasl has only the client side of LOGIN, and neither side of CRAM-MD5
// or XOAUTH2; these servers are just enough to test outbox's clients.

// loginServer: prompts "Username:" then "Password:", accepting the
// username as an initial response too.
type loginServer struct {
	check func(user, pass string) error
	user  *string
	asked bool
}

func (a *loginServer) Next(resp []byte) ([]byte, bool, error) {
	if a.user == nil {
		if resp == nil && !a.asked {
			a.asked = true
			return []byte("Username:"), false, nil
		}
		u := string(resp)
		a.user = &u
		return []byte("Password:"), false, nil
	}
	return nil, true, a.check(*a.user, string(resp))
}

type cramMD5Server struct {
	users     map[string]string
	done      func(user string)
	challenge []byte
}

func (a *cramMD5Server) Next(resp []byte) ([]byte, bool, error) {
	if a.challenge == nil {
		if resp != nil {
			return nil, false, errors.New("cram-md5: unexpected initial response")
		}
		a.challenge = fmt.Appendf(nil, "<%s@localhost>", rand.Text())
		return a.challenge, false, nil
	}
	user, digest, ok := strings.Cut(string(resp), " ")
	pass, known := a.users[user]
	if !ok || !known {
		return nil, true, smtp.ErrAuthFailed
	}
	m := hmac.New(md5.New, []byte(pass))
	m.Write(a.challenge)
	if !hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(digest)) {
		return nil, true, smtp.ErrAuthFailed
	}
	a.done(user)
	return nil, true, nil
}

// xoauth2Server checks the token against the Users password; on failure it
// sends the JSON challenge, waits for the empty response, then fails.
type xoauth2Server struct {
	check  func(user, token string) error
	failed bool
}

func (a *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if a.failed {
		return nil, true, smtp.ErrAuthFailed
	}
	var user, token string
	for _, f := range bytes.Split(resp, []byte{1}) {
		k, v, _ := strings.Cut(string(f), "=")
		switch k {
		case "user":
			user = v
		case "auth":
			token = strings.TrimPrefix(v, "Bearer ")
		}
	}
	if err := a.check(user, token); err != nil {
		a.failed = true
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
	}
	return nil, true, nil
}
