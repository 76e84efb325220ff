package send_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

// Issue 17 finding 1: tls = "starttls" refuses a server without STARTTLS
// whether or not the account has a username. With auth = none there is no
// password to protect, but the message itself must not go out in
// plaintext either (SPEC §3; RFC 3207 §4). Every other "STARTTLS missing"
// test sets a username, so a fallback to plaintext for accounts without one
// went unnoticed.
func TestNoSTARTTLSWithoutUsername(t *testing.T) {
	for _, auth := range []string{"none", ""} {
		t.Run("auth="+auth, func(t *testing.T) {
			s := smtptest.Start(t, smtptest.Options{NoSTARTTLS: true})
			o := send.Options{Host: s.Host, Port: s.Port, TLS: send.StartTLS, RootCAs: s.Pool,
				Helo: "client.example", Timeout: 5 * time.Second, Auth: auth}
			c, err := send.Dial(t.Context(), o)
			if err == nil {
				// What a fallback would do next: the message goes out
				// in the clear.
				_, serr := c.Send(&send.Envelope{From: "a@example.com", To: []string{"b@example.com"}}, strings.NewReader(msg))
				c.Close()
				t.Fatalf("Dial succeeded without STARTTLS (then Send: %v); the server received %d message(s) in plaintext", serr, len(s.Messages()))
			}
			wantKind(t, err, send.KindTLSPolicy, false)
			want := fmt.Sprintf(`send: %s does not offer STARTTLS; refusing to send in plaintext (set tls = "tls" for port 465, or fix the server)`, s.Addr)
			if err.Error() != want {
				t.Errorf("Error() = %q\nwant      %q", err.Error(), want)
			}
			assertNoAuthNoMail(t, s.Transcript())
			if n := len(s.Messages()); n != 0 {
				t.Errorf("the server received %d message(s)", n)
			}
		})
	}
}
