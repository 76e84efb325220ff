package send

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// autoOrder is the preference for auth = "auto". The connection is
// encrypted whenever AUTH is used, so PLAIN (RFC 4616) exposes nothing and
// costs one round trip; CRAM-MD5 needs the server to keep the plaintext
// password, so it comes last.
var autoOrder = []string{"PLAIN", "LOGIN", "CRAM-MD5"}

// chooseMech picks the SASL mechanism from the mechanisms the server
// offered after TLS (RFC 4954 §4: the list before TLS may have been
// altered and is discarded). It returns "" when no AUTH is wanted.
func chooseMech(o *Options, offered string, hostport string) (string, *Error) {
	auth := strings.ToLower(o.Auth)
	if auth == "" {
		auth = "auto"
	}
	if auth == "none" || (auth == "auto" && o.Username == "") {
		return "", nil
	}
	if o.Username == "" {
		return "", &Error{Op: "auth", Host: hostport, Kind: KindConfig,
			text: fmt.Sprintf("send: auth = %q needs a username", o.Auth)}
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	has := func(m string) bool {
		for _, x := range mechs {
			if x == m {
				return true
			}
		}
		return false
	}
	if len(mechs) == 0 {
		return "", &Error{Op: "auth", Host: hostport, Kind: KindAuth,
			text: fmt.Sprintf("send: %s does not offer AUTH, but username %q is set; remove the username (auth = \"none\") or check host and port", hostport, o.Username)}
	}
	switch auth {
	case "auto":
		for _, m := range autoOrder {
			if has(m) {
				return m, nil
			}
		}
		return "", &Error{Op: "auth", Host: hostport, Kind: KindAuth,
			text: fmt.Sprintf("send: %s offers AUTH %s, none of which outbox can use with a password (PLAIN, LOGIN, CRAM-MD5)", hostport, strings.Join(mechs, " "))}
	case "plain", "login", "cram-md5", "xoauth2", "oauthbearer":
		m := strings.ToUpper(auth)
		if !has(m) {
			return "", &Error{Op: "auth", Host: hostport, Kind: KindAuth,
				text: fmt.Sprintf("send: %s does not offer AUTH %s (it offers %s); change auth in the config", hostport, m, strings.Join(mechs, " "))}
		}
		return m, nil
	}
	return "", &Error{Op: "auth", Host: hostport, Kind: KindConfig,
		text: fmt.Sprintf("send: unknown auth %q (want auto, plain, login, cram-md5, xoauth2, oauthbearer or none)", o.Auth)}
}

func saslClient(mech, user, secret string) sasl.Client {
	switch mech {
	case "PLAIN":
		return sasl.NewPlainClient("", user, secret)
	case "LOGIN":
		return &loginClient{user: user, pass: secret}
	case "CRAM-MD5":
		return &cramMD5Client{user: user, pass: secret}
	case "XOAUTH2":
		return &xoauth2Client{user: user, token: secret}
	}
	panic("send: unhandled mechanism " + mech)
}

// loginClient is the LOGIN mechanism (draft-murchison-sasl-login). Unlike
// go-sasl's client it sends no initial response and answers the prompts by
// their order, because servers word them differently ("Username:",
// "User Name", lower case) and some refuse an initial response.
type loginClient struct {
	user, pass string
	step       int
}

func (a *loginClient) Start() (string, []byte, error) { return "LOGIN", nil, nil }

func (a *loginClient) Next(challenge []byte) ([]byte, error) {
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, sasl.ErrUnexpectedServerChallenge
}

// cramMD5Client is CRAM-MD5 (RFC 2195): "user HEX(HMAC-MD5(password,
// challenge))".
type cramMD5Client struct{ user, pass string }

func (a *cramMD5Client) Start() (string, []byte, error) { return "CRAM-MD5", nil, nil }

func (a *cramMD5Client) Next(challenge []byte) ([]byte, error) {
	if challenge == nil {
		return nil, sasl.ErrUnexpectedServerChallenge
	}
	m := hmac.New(md5.New, []byte(a.pass))
	m.Write(challenge)
	return []byte(a.user + " " + hex.EncodeToString(m.Sum(nil))), nil
}

// xoauth2Client is Google's and Microsoft's XOAUTH2: "user=U^Aauth=Bearer
// TOKEN^A^A" as initial response. On failure the server sends a JSON
// status as a 334 challenge and expects an empty line, after which it
// gives the real error reply.
type xoauth2Client struct {
	user, token string
	failed      bool
}

func (a *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + a.user + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

func (a *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	if a.failed {
		return nil, sasl.ErrUnexpectedServerChallenge
	}
	a.failed = true
	return []byte{}, nil
}

// authenticate runs AUTH with mech. The password is fetched only now, when
// it is certain to be sent, and only over TLS (checked by the caller).
// AUTH PLAIN with PipelineAuth on a server that offers PIPELINING is
// prepared here and sent with the first transaction (see Stream).
func (c *Client) authenticate(mech string) error {
	secret, err := c.opts.Password()
	if err != nil {
		if e := credentialFailure(c.hostport, err); e != nil {
			return e
		}
		// The password source's own error already names the account,
		// the user and host, and every source it tried: say it once.
		return &Error{Op: "auth", Host: c.hostport, Kind: KindConfig, Err: err, text: err.Error()}
	}
	if mech == "PLAIN" && c.pipelining && c.opts.PipelineAuth {
		// RFC 4954 §4: a mechanism that completes in one round trip
		// (PLAIN with its initial response) may be pipelined. XOAUTH2
		// and OAUTHBEARER answer a failure with a 334 challenge that
		// needs a reply, so they stay last in their group (lock-step).
		c.authLine = plainAuthLine(c.opts.Username, secret)
		return nil
	}
	client := oauthSASL(mech, &c.opts, secret)
	if client == nil {
		client = saslClient(mech, c.opts.Username, secret)
	}
	if err := c.sasl(client); err != nil {
		return c.authFailure(mech, err)
	}
	return nil
}

// sasl runs a SASL exchange in lock-step (RFC 4954 §4), as go-smtp's
// Client.Auth did: AUTH with the initial response ("=" for an empty one),
// then one line per 334 challenge; "*" cancels when the mechanism can't
// answer.
func (c *Client) sasl(a sasl.Client) error {
	mech, resp, err := a.Start()
	if err != nil {
		return err
	}
	line := "AUTH " + mech
	if len(resp) > 0 {
		line += " " + base64.StdEncoding.EncodeToString(resp)
	} else if resp != nil {
		line += " ="
	}
	for {
		code, msg, e := c.do("auth", line)
		if e != nil {
			return e
		}
		switch code {
		case 235:
			return nil
		case 334:
		default:
			return c.replyError("auth", code, msg)
		}
		challenge, err := base64.StdEncoding.DecodeString(msg)
		if err == nil {
			resp, err = a.Next(challenge)
		}
		if err != nil {
			// Cancel the exchange (RFC 4954 §4); the server's reply to
			// "*" (501) does not change the outcome.
			c.do("auth", "*")
			return err
		}
		line = base64.StdEncoding.EncodeToString(resp)
	}
}

// authFailure words an AUTH failure for people.
func (c *Client) authFailure(mech string, err error) *Error {
	e := classify("auth", c.hostport, err)
	var smtpErr *smtp.SMTPError
	switch {
	case e.Kind == KindAuth && (e.Code != 0 || errors.As(err, &smtpErr)):
		// A refusal reply. RFC 4954 §6: 535 credentials invalid; 454
		// temporary failure; 534 mechanism too weak; 538 encryption
		// required.
		hint := authHint(mech, e)
		if hint == "" && e.Code == 535 {
			hint = " (check the username and password)"
		}
		e.text = fmt.Sprintf("send: authentication as %q failed at %s: %s%s", c.opts.Username, c.hostport, e.reply(), hint)
	case e.Kind == KindProtocol && !errors.As(err, &smtpErr) && e.Code == 0 && !isNetErr(err):
		// A SASL client error (unexpected challenge): the exchange has
		// been cancelled with "*".
		e.Kind = KindAuth
		e.Temporary = false
		e.text = fmt.Sprintf("send: AUTH %s with %s failed: %v", mech, c.hostport, err)
	}
	return e
}

func isNetErr(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
