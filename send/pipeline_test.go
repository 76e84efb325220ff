package send_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

// streamN sends n messages over c with Stream and returns their errors.
func streamN(t *testing.T, c *send.Client, n int) []error {
	t.Helper()
	errs := make([]error, n)
	done := make([]bool, n)
	i := 0
	err := c.Stream(func() *send.Job {
		if i == n {
			return nil
		}
		k := i
		i++
		body := fmt.Sprintf("Subject: %d\r\n\r\nmessage %d\r\n", k, k)
		return &send.Job{Env: &send.Envelope{From: "a@example.com", To: []string{"b@example.com"}},
			Msg: strings.NewReader(body), Done: func(r *send.Result, err error) {
				if done[k] {
					t.Errorf("job %d done twice", k)
				}
				for j := 0; j < k; j++ {
					if !done[j] {
						t.Errorf("job %d done before job %d", k, j)
					}
				}
				done[k], errs[k] = true, err
			}}
	})
	if err != nil {
		t.Logf("Stream: %v", err)
	}
	for k := range done {
		if !done[k] {
			t.Errorf("job %d never done", k)
		}
	}
	return errs
}

func TestStreamChunking(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	c := dial(t, options(s, send.StartTLS))
	for k, err := range streamN(t, c, 50) {
		if err != nil {
			t.Errorf("job %d: %v", k, err)
		}
	}
	if len(s.Messages()) != 50 {
		t.Errorf("%d messages", len(s.Messages()))
		t.Log(s.Transcript())
	}
}
