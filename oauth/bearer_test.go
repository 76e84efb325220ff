package oauth

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/oauth/oauthtest"
	"github.com/outboxmail/outbox/send"
)

// Issue 9: auth = "oauthbearer" (RFC 7628) end to end; a refused token
// names the likely cause.
func TestSendOAUTHBEARER(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	srv.AccessToken = "bearer-token"
	smtpSrv := smtptest.Start(t, smtptest.Options{AuthMechs: []string{"OAUTHBEARER"}, Users: map[string]string{"me@example.com": "bearer-token"}, RequireAuth: true})
	a := account(t, srv, smtpSrv.Host, smtpSrv.Port, "device", fmt.Sprintf("tls_ca_file = %q", smtpSrv.CAFile))
	a.Auth = "oauthbearer"
	deviceLogin(t, srv, a)
	c, err := send.Dial(context.Background(), sendOptions(a))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if _, err := c.Send(&send.Envelope{From: "me@example.com", To: []string{"b@example.com"}}, strings.NewReader("Subject: hi\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if m := smtpSrv.WaitMessages(t, 1); m[0].Auth != "me@example.com" {
		t.Errorf("authenticated as %q", m[0].Auth)
	}

	srv.AccessToken = "stale"
	Logout(a)
	deviceLogin(t, srv, a)
	_, err = send.Dial(context.Background(), sendOptions(a))
	if err == nil || !strings.Contains(err.Error(), "535") || !strings.Contains(err.Error(), "refused the OAuth2 token") {
		t.Fatalf("err = %v", err)
	}
}
