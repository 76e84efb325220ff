package smtptest_test

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// TestPostfixStarts checks the harness itself: greeting, EHLO with
// PIPELINING and CHUNKING and STARTTLS on the private port.
func TestPostfixStarts(t *testing.T) {
	if why := smtptest.PostfixAvailable(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	capture := smtptest.Start(t, smtptest.Options{Mode: "none"})
	p := smtptest.StartPostfix(t, smtptest.PostfixOptions{Relay: capture.Addr, Users: map[string]string{"u@outbox.test": "pw"}})
	c, err := net.Dial("tcp", net.JoinHostPort(p.Host, itoa(p.Port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 4096)
	n, _ := c.Read(buf)
	c.Write([]byte("EHLO x.test\r\n"))
	m, _ := c.Read(buf[n:])
	got := string(buf[:n+m])
	for _, want := range []string{"220 ", "PIPELINING", "CHUNKING", "STARTTLS"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s\nlog:\n%s", want, got, p.Log())
		}
	}
}

func itoa(n int) string {
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
