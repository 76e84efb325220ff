package main

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/mail"
	"os"
	"time"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/mime"
	"github.com/outboxmail/outbox/send"
)

// testRecipient parses the address of `check --send ADDR` (a local name
// goes through [aliases] like any recipient) and insists on one address.
func testRecipient(cfg *config.Config, arg string) (string, error) {
	list, err := mime.ParseAddressList(arg)
	if err != nil {
		return "", fmt.Errorf("--send: %w", err)
	}
	if len(list) != 1 {
		return "", &mime.Error{Field: "--send", Value: arg, Msg: "give exactly one address"}
	}
	to, err := cfg.ResolveLocal(list[0].Address)
	if err != nil {
		return "", err
	}
	if len(to) != 1 {
		return "", &mime.Error{Field: "--send", Value: arg, Msg: fmt.Sprintf("the alias stands for %d addresses; give one address", len(to))}
	}
	return to[0], nil
}

// sendTest sends one short message to to, straight through the account
// (not through the queue: it is a probe, and a failure is the answer),
// and prints the server's reply to the end of DATA, which names the
// server's queue ID on most servers ("250 2.0.0 Ok: queued as 4XyZ").
func (a *app) sendTest(cfg *config.Config, acct *config.Account, to string, asJSON, verbose bool) error {
	// The From a send through this account would use: its from, else
	// its username when that is an address, else user@default_domain.
	from, err := (&mailer{a: a, cfg: cfg}).fromAddress("", acct.Name)
	if err != nil {
		return &config.Error{File: cfg.Path, Key: "accounts." + acct.Name + ".from", Msg: err.Error()}
	}
	o := sendOptions(acct)
	if verbose {
		o.Verbose = a.stderr
	}
	c, err := send.Dial(a.ctx, o)
	if err != nil {
		return err
	}
	defer c.Close()
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	now := time.Now()
	mode := map[string]string{"starttls": "STARTTLS", "tls": "implicit TLS", "none": "no TLS"}[acct.TLS]
	if st, ok := c.TLSState(); ok {
		mode += fmt.Sprintf(" (%s, %s)", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	}
	auth := "no AUTH"
	if acct.Username != "" && acct.Auth != "none" {
		auth = fmt.Sprintf("AUTH as %q", acct.Username)
	}
	body := fmt.Sprintf(`This is a test message from outbox on %s (outbox check --send).

Account:  %s
Server:   %s
TLS:      %s
Login:    %s
Sent:     %s

If you can read this, mail from this machine reaches you.
`, host, acct.Name, c.Host(), mode, auth, now.Format(time.RFC1123Z))
	msg := &mime.Compose{
		From:      from,
		To:        []*mail.Address{{Address: to}},
		Subject:   fmt.Sprintf("outbox test from %s at %s", host, now.Format("2006-01-02 15:04:05 MST")),
		Text:      body,
		Date:      now,
		MessageID: mime.NewMessageID(cfg.Domain()),
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return err
	}
	env := &send.Envelope{From: from.Address, To: []string{to}, Size: int64(buf.Len()), SMTPUTF8: msg.Info().SMTPUTF8}
	res, err := c.Send(env, &buf)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("sent to %s through %s; the server replied: %s", to, c.Host(), res.Reply)
	if asJSON {
		// stdout holds the JSON report alone.
		a.notef("test message %s", line)
		return nil
	}
	fmt.Fprintf(a.stdout, "%-12s %s\n", "Test message", line)
	return nil
}
