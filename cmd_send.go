package main

import (
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/outboxmail/outbox/mime"
)

// SendCmd composes a message from flags (mailx-like) and sends it (SPEC §1).
type SendCmd struct {
	To         []string `help:"Recipient (repeatable; each may be a comma list)." placeholder:"ADDR"`
	Cc         []string `help:"Carbon-copy recipient (repeatable)." placeholder:"ADDR"`
	Bcc        []string `help:"Blind-copy recipient: in the envelope only, never in the header." placeholder:"ADDR"`
	Subject    string   `short:"s" help:"Subject (any UTF-8 text)."`
	From       string   `short:"f" help:"From address; also picks the account whose from matches." placeholder:"ADDR"`
	ReplyTo    string   `name:"reply-to" help:"Reply-To address." placeholder:"ADDR"`
	Attach     []string `short:"a" help:"Attach a file (repeatable); type from the extension, then the content." placeholder:"FILE"`
	Inline     []string `help:"Inline file for the HTML body, referenced as cid:NAME (repeatable)." placeholder:"FILE"`
	Body       *string  `short:"m" help:"Body text." placeholder:"TEXT"`
	BodyFile   string   `name:"body-file" help:"Read the body text from FILE." placeholder:"FILE"`
	HTML       string   `name:"html" help:"HTML body from FILE (with a text body: multipart/alternative)." placeholder:"FILE"`
	Header     []string `short:"H" help:"Extra header \"Name: value\" (repeatable)." placeholder:"HEADER"`
	Account    string   `short:"A" env:"OUTBOX_ACCOUNT" help:"Account to send with." placeholder:"NAME"`
	DryRun     bool     `name:"dry-run" help:"Print the envelope and the exact message; send nothing."`
	Verbose    bool     `short:"v" help:"Print the SMTP transcript on stderr (AUTH redacted)."`
	NoQueue    bool     `name:"no-queue" help:"Fail with exit 75 instead of queueing when the smarthost can't be reached."`
	Recipients []string `arg:"" optional:"" help:"Recipients, the same as --to." placeholder:"ADDR"`
}

func (c *SendCmd) Run(a *app, cli *CLI) error {
	m, err := a.openMailer(cli.Config, c.Verbose)
	if err != nil {
		return err
	}
	msg, err := c.compose(m)
	if err != nil {
		return err
	}
	env := envelopeOf(msg)
	if c.DryRun {
		return dryRun(a.stdout, env, msg)
	}
	acct, err := m.account(c.Account, env.From)
	if err != nil {
		return err
	}
	return m.sendComposed(msg, acct, env.From, env.To, c.NoQueue)
}

// compose builds the message from the flags; addresses are parsed and local
// names resolved here, so the header shows where the mail really goes.
func (c *SendCmd) compose(m *mailer) (*mime.Compose, error) {
	msg := &mime.Compose{
		Subject:   c.Subject,
		Attach:    c.Attach,
		Inline:    c.Inline,
		Date:      time.Now(),
		MessageID: mime.NewMessageID(m.cfg.Domain()),
	}
	var err error
	if msg.To, err = m.addresses("--to", append(append([]string{}, c.To...), c.Recipients...)); err != nil {
		return nil, err
	}
	if msg.Cc, err = m.addresses("--cc", c.Cc); err != nil {
		return nil, err
	}
	if msg.Bcc, err = m.addresses("--bcc", c.Bcc); err != nil {
		return nil, err
	}
	if len(msg.To)+len(msg.Cc)+len(msg.Bcc) == 0 {
		return nil, usagef("no recipients: give --to ADDR (or the address as an argument)")
	}
	if c.ReplyTo != "" {
		if msg.ReplyTo, err = mime.ParseAddressList(c.ReplyTo); err != nil {
			return nil, err
		}
	}
	if msg.From, err = m.fromAddress(c.From, c.Account); err != nil {
		return nil, err
	}
	for _, h := range c.Header {
		f, err := mime.ParseField(h)
		if err != nil {
			return nil, err
		}
		msg.Headers = append(msg.Headers, f)
	}
	if msg.Text, err = c.bodyText(m.a); err != nil {
		return nil, err
	}
	if c.HTML != "" {
		b, err := os.ReadFile(c.HTML)
		if err != nil {
			return nil, &mime.FileError{Path: c.HTML, Err: err}
		}
		msg.HTML = string(b)
	}
	if err := msg.Validate(); err != nil {
		return nil, err
	}
	return msg, nil
}

// bodyText follows SPEC §1: --body, --body-file, else stdin when it is not a
// terminal, else empty.
func (c *SendCmd) bodyText(a *app) (string, error) {
	switch {
	case c.Body != nil:
		return *c.Body, nil
	case c.BodyFile != "":
		b, err := os.ReadFile(c.BodyFile)
		if err != nil {
			return "", &mime.FileError{Path: c.BodyFile, Err: err}
		}
		return string(b), nil
	}
	if f, ok := a.stdin.(*os.File); ok && (f == nil || term.IsTerminal(int(f.Fd()))) {
		return "", nil
	}
	if a.stdin == nil {
		return "", nil
	}
	b, err := io.ReadAll(a.stdin)
	if err != nil && !errors.Is(err, os.ErrClosed) && !isBadFD(err) {
		return "", fmt.Errorf("reading the body from stdin: %w", err)
	}
	return string(b), nil
}

// dryRun prints the envelope and the exact bytes that would be sent.
func dryRun(w io.Writer, env envelope, msg *mime.Compose) error {
	fmt.Fprintf(w, "MAIL FROM:<%s>\n", env.From)
	for _, r := range env.To {
		fmt.Fprintf(w, "RCPT TO:<%s>\n", r)
	}
	fmt.Fprintln(w)
	_, err := msg.WriteTo(w)
	return err
}

// envelope is who the message is from and to on the wire (RFC 5321 §3.3).
type envelope struct {
	From string
	To   []string
}

func addrList(as []*mail.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Address
	}
	return out
}
