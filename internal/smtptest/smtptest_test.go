package smtptest_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// go-sasl's LOGIN client sends the username as an initial response; the
// fixture must take that form too.
func TestLoginWithInitialResponse(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{AuthMechs: []string{"LOGIN"}, RequireAuth: true})
	c, err := smtp.DialStartTLS(s.Addr, &tls.Config{RootCAs: s.Pool})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewLoginClient("user", "secret")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader("Subject: x\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	m := s.WaitMessages(t, 1)[0]
	if m.Auth != "user" || string(m.Data) != "Subject: x\r\n\r\nhi\r\n" {
		t.Errorf("got %+v", m)
	}
	if s.Connections() != 1 || !strings.Contains(s.Transcript(), "MAIL FROM:<a@example.com>") {
		t.Errorf("Connections %d, transcript:\n%s", s.Connections(), s.Transcript())
	}
}

func TestRequireAuth(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{Mode: "none", RequireAuth: true})
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Mail("a@example.com", nil)
	if e, ok := err.(*smtp.SMTPError); !ok || e.Code != 530 {
		t.Errorf("MAIL without AUTH: %v", err)
	}
}
