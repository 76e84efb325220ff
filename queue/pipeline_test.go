package queue

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/send"
)

// pipelineDialer is dialer with AUTH PLAIN pipelined into the first
// transaction (RFC 4954 §4), as outbox's own dialer does.
func pipelineDialer(s *smtptest.Server, password string) Dialer {
	return func(ctx context.Context, acct string) (*send.Client, error) {
		return send.Dial(ctx, send.Options{Host: s.Host, Port: s.Port, TLS: "starttls", RootCAs: s.Pool,
			Username: "user", Password: func() (string, error) { return password, nil }, Auth: "auto",
			Timeout: 10 * time.Second, PipelineAuth: true})
	}
}

// Issue 13: a flush whose AUTH rides with the first message and fails
// treats it as a session that could not be opened (as an AUTH refused
// at dial time always was): every message of the account deferred, one
// attempt each, nothing delivered, one connection.
func TestFlushPipelinedAuthRefused(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{})
	q := testQueue(t)
	ids := commitN(t, q, 3, "", "a@example.com")
	rep, err := q.Flush(context.Background(), pipelineDialer(s, "wrong"), false)
	if err != nil || rep.Tried != 3 || rep.Deferred != 3 || rep.Sent != 0 || len(rep.Errors) != 1 {
		t.Fatalf("flush: %+v, %v", rep, err)
	}
	if msg := rep.Errors[0].Error(); !strings.Contains(msg, "account default") || !strings.Contains(msg, "535") || !strings.Contains(msg, "3 message(s) deferred") {
		t.Errorf("report: %v", msg)
	}
	for _, id := range ids {
		if e := show(t, q, id); e.Attempts != 1 || !strings.Contains(e.LastError, "535") {
			t.Errorf("%s: %+v", id, e)
		}
	}
	if n, c := len(s.Messages()), s.Connections(); n != 0 || c != 1 {
		t.Errorf("%d delivered over %d connections", n, c)
	}

	rep, err = q.Flush(context.Background(), pipelineDialer(s, "secret"), false)
	if err != nil || rep.Sent != 3 {
		t.Fatalf("flush with the right password: %+v, %v", rep, err)
	}
	s.WaitMessages(t, 3)
	wantFiles(t, q)
}

// A server that ends every session right after EHLO (an unsolicited 421)
// defers the messages once instead of being redialled forever.
func TestFlushSessionEndsAtOnce(t *testing.T) {
	var dials atomic.Int32
	addr := smtptest.Script(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		io.WriteString(c, "220 x\r\n")
		r.ReadString('\n')
		io.WriteString(c, "250-x\r\n250 PIPELINING\r\n421 4.3.2 going away\r\n")
		c.Close()
	})
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	dial := func(ctx context.Context, acct string) (*send.Client, error) {
		dials.Add(1)
		return send.Dial(ctx, send.Options{Host: host, Port: p, TLS: send.NoTLS, Timeout: 5 * time.Second})
	}
	q := testQueue(t)
	commitN(t, q, 3, "", "a@example.com")
	rep, err := q.Flush(context.Background(), dial, false)
	// Whether the 421 is seen before the first MAIL or as its reply, each
	// message is tried once and deferred, with a bounded number of dials.
	if err != nil || rep.Tried != 3 || rep.Deferred != 3 || rep.Sent != 0 || dials.Load() > 4 {
		t.Fatalf("flush: %+v, %v; %d dials", rep, err, dials.Load())
	}
}
