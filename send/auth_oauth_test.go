package send

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
)

// OAUTHBEARER (RFC 7628) against go-sasl's server: the GS2 header, host,
// port and bearer token arrive as sent; on a refused token the client
// answers the JSON challenge with %x01 (§3.2.3) so the server can send
// its final reply.
func TestOAuthBearerClient(t *testing.T) {
	for _, tc := range []struct {
		name, user, token string
		accept            bool
	}{
		{"ok", "me@example.com", "good", true},
		{"escaped user", "a,b=c@example.com", "good", true},
		{"refused", "me@example.com", "bad", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got sasl.OAuthBearerOptions
			srv := sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
				got = o
				if o.Token != "good" {
					return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
				}
				return nil
			})
			c := oauthSASL(sasl.OAuthBearer, &Options{Username: tc.user, Host: "smtp.example.com", Port: 587}, tc.token)
			mech, ir, err := c.Start()
			if err != nil || mech != "OAUTHBEARER" {
				t.Fatalf("Start = %q, %v", mech, err)
			}
			challenge, done, err := srv.Next(ir)
			if tc.accept {
				if err != nil || !done {
					t.Fatalf("server: done=%v err=%v", done, err)
				}
				// go-sasl's server does not decode =2C/=3D; compare
				// what was on the wire.
				if got.Username != gs2Escape(tc.user) || got.Host != "smtp.example.com" || got.Port != 587 || got.Token != "good" {
					t.Errorf("server saw %+v", got)
				}
				return
			}
			if err != nil || done || !strings.Contains(string(challenge), "invalid_token") {
				t.Fatalf("server: challenge=%q done=%v err=%v", challenge, done, err)
			}
			resp, err := c.Next(challenge)
			if err != nil || string(resp) != "\x01" {
				t.Fatalf("client answered %q, %v; want %%x01", resp, err)
			}
			if _, done, err = srv.Next(resp); !done || err == nil {
				t.Fatalf("server after %%x01: done=%v err=%v", done, err)
			}
			if _, err := c.Next(nil); !errors.Is(err, sasl.ErrUnexpectedServerChallenge) {
				t.Errorf("third step: %v", err)
			}
		})
	}
	if oauthSASL("XOAUTH2", &Options{}, "t") != nil {
		t.Error("oauthSASL handles XOAUTH2, which saslClient does")
	}
}

func TestGS2Escape(t *testing.T) {
	if got := gs2Escape("a,b=c"); got != "a=2Cb=3Dc" {
		t.Errorf("gs2Escape = %q", got)
	}
}

// A password source that classifies its own failure (the OAuth token
// source) keeps its kind; any other error is not touched.
func TestCredentialFailure(t *testing.T) {
	own := &Error{Kind: KindAuth, Temporary: true, Err: errors.New("token endpoint down")}
	e := credentialFailure("smtp.example.com:587", wrap(own))
	if e != own || e.Host != "smtp.example.com:587" || e.Op != "auth" {
		t.Errorf("got %#v", e)
	}
	if credentialFailure("h:1", errors.New("no password")) != nil {
		t.Error("a plain error was classified")
	}
}

type wrapped struct{ err error }

func (w wrapped) Error() string { return "wrapped: " + w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }

func wrap(err error) error { return wrapped{err} }

func TestAuthHint(t *testing.T) {
	for _, tc := range []struct {
		mech     string
		code     int
		enhanced [3]int
		want     string
	}{
		{"XOAUTH2", 535, [3]int{5, 7, 3}, "SMTP AUTH is probably disabled for the mailbox"},
		{"XOAUTH2", 535, [3]int{5, 7, 3}, "SMTP.Send permission"},
		{"PLAIN", 535, [3]int{5, 7, 3}, ""},
		{"PLAIN", 535, [3]int{5, 7, 139}, "SMTP AUTH is disabled"},
		{"PLAIN", 535, [3]int{5, 7, 30}, "outbox oauth login"},
		{"OAUTHBEARER", 535, [3]int{5, 7, 8}, "https://mail.google.com/"},
		{"XOAUTH2", 535, [3]int{}, "outbox oauth status"},
		{"PLAIN", 535, [3]int{5, 7, 8}, ""},
	} {
		got := authHint(tc.mech, &Error{Code: tc.code, Enhanced: tc.enhanced})
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("authHint(%s, %d %v) = %q, want %q", tc.mech, tc.code, tc.enhanced, got, tc.want)
		}
	}
}
