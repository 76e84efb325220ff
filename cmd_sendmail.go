package main

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/outboxmail/outbox/mime"
	"github.com/outboxmail/outbox/queue"
	"github.com/outboxmail/outbox/sendmail"
)

// sendmail runs a sendmail(8) command line (argv[0] "sendmail", or
// `outbox sendmail ...`).
func (a *app) sendmail(args []string) error {
	inv, err := sendmail.Parse(args)
	if err != nil {
		return err
	}
	for _, w := range inv.Warnings {
		a.warnf("%s", w)
	}
	switch inv.Mode {
	case sendmail.ModeQueueList:
		return a.listQueue(inv.Config, false)
	case sendmail.ModeNewAliases:
		return a.newaliases()
	case sendmail.ModeFlush:
		return a.flushQueue(inv.Config, false, inv.Verbose)
	case sendmail.ModeSMTP:
		return usagef("sendmail -bs (SMTP on stdin) is not supported; pipe the message to `sendmail -t -i` instead")
	}
	m, err := a.openMailer(inv.Config, inv.Verbose)
	if err != nil {
		return err
	}
	if inv.Mode == sendmail.ModeVerify {
		return a.verify(m, inv.Recipients)
	}
	return m.sendStdin(inv)
}

// sendStdin spools the stdin message (never whole in memory: it streams
// into the queue's draft file, which becomes the queue entry if the send
// does not finish) and delivers it.
func (m *mailer) sendStdin(inv *sendmail.Invocation) error {
	envFrom, err := m.envelopeSender(inv)
	if err != nil {
		return err
	}
	if strings.ContainsAny(inv.FullName, "\r\n\x00") {
		return &mime.Error{Field: "-F", Value: inv.FullName, Msg: "a full name can't contain CR, LF or NUL"}
	}
	d, err := m.queue.NewDraft()
	if err != nil {
		return err
	}
	info, err := mime.ReadStdin(d, m.a.stdin, mime.StdinOptions{
		DotEnds:           !inv.IgnoreDots,
		ExtractRecipients: inv.ExtractRecipients,
		From:              fromHeader(inv.FullName, envFrom),
		Date:              time.Now(),
		MessageID:         mime.NewMessageID(m.cfg.Domain()),
	})
	if err != nil {
		d.Discard()
		return err
	}
	rcpts := inv.Recipients
	if inv.ExtractRecipients {
		// Postfix adds the argument recipients to those of the header.
		rcpts = append(append([]string{}, info.Recipients...), rcpts...)
	}
	to, err := m.resolveAll(rcpts)
	if err != nil {
		d.Discard()
		return err
	}
	if len(to) == 0 {
		d.Discard()
		if inv.ExtractRecipients {
			read := "no To, Cc or Bcc header"
			if len(info.HeadersRead) > 0 {
				read = "read " + strings.Join(info.HeadersRead, ", ")
			}
			return usagef("no recipients: -t found none in the message header (%s); add a To: header or give the address as an argument", read)
		}
		return usagef("no recipients: give the address as an argument, or use -t to read To, Cc and Bcc from the message")
	}
	acct, err := m.account("", envFrom)
	if err != nil {
		d.Discard()
		return err
	}
	e := &queue.Entry{
		ID:       d.ID(),
		Account:  acct,
		From:     envFrom,
		Rcpts:    queue.Pending(to),
		Notify:   inv.Notify,
		Ret:      inv.Ret,
		EnvID:    inv.EnvID,
		Body8Bit: info.Body8Bit || strings.EqualFold(inv.BodyType, "8BITMIME"),
		SMTPUTF8: info.SMTPUTF8,
		Size:     info.Size,
	}
	return m.deliver(d, e, false)
}

// envelopeSender is MAIL FROM: -f/-r (a local name mapped like a
// recipient), else the account's from, else user@default_domain.
func (m *mailer) envelopeSender(inv *sendmail.Invocation) (string, error) {
	if inv.FromSet {
		if inv.From == "" {
			return "", nil // <>: a bounce, RFC 5321 §4.5.5
		}
		// The same parser and alias rules as recipients: it refuses CR, LF
		// and NUL, so a -f word can't smuggle a command into MAIL FROM.
		list, err := m.addresses("-f", []string{inv.From})
		if err != nil {
			return "", err
		}
		if len(list) != 1 {
			return "", &mime.Error{Field: "-f", Value: inv.From, Msg: "give exactly one sender address"}
		}
		return list[0].Address, nil
	}
	from, err := m.fromAddress("", "")
	if err != nil {
		return "", err
	}
	return from.Address, nil
}

// fromHeader is the From: added when the message has none: -F's full name
// (as cron passes it) and the envelope sender.
func fromHeader(fullName, addr string) string {
	if addr == "" {
		addr = "MAILER-DAEMON@" + "localhost"
	}
	if fullName == "" {
		return addr
	}
	return (&mail.Address{Name: fullName, Address: addr}).String()
}

func (m *mailer) resolveAll(words []string) ([]string, error) {
	var out []string
	for _, w := range words {
		list, err := m.addresses("recipient", []string{w})
		if err != nil {
			return nil, err
		}
		out = append(out, addrList(list)...)
	}
	return dedupe(out), nil
}

// verify is sendmail -bv: show where each recipient goes, send nothing.
func (a *app) verify(m *mailer, words []string) error {
	for _, w := range words {
		to, err := m.resolveAll([]string{w})
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s... deliverable: %s\n", w, strings.Join(to, ", "))
	}
	return nil
}

// newaliases exists for scripts that run it after editing /etc/aliases.
func (a *app) newaliases() error {
	fmt.Fprintln(a.stdout, "outbox: aliases live in the [aliases] table of the config file; nothing to rebuild")
	return nil
}
