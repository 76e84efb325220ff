package main

import (
	"fmt"
	"io"
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
	if inv.Mode == sendmail.ModeSMTP {
		a.catchSignals()        // each transaction sends or queues: stop cleanly
		return a.serveSMTP(inv) // prints the warnings after the session
	}
	for _, w := range inv.Warnings {
		a.warnf("%s", w)
	}
	switch inv.Mode {
	case sendmail.ModeQueueList:
		return a.listQueue(inv.Config, false)
	case sendmail.ModeNewAliases:
		return a.newaliases()
	}
	// From here on outbox sends or flushes: a signal must stop it cleanly.
	a.catchSignals()
	if inv.Mode == sendmail.ModeFlush {
		return a.flushQueue(inv.Config, false, inv.Verbose)
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

// sendStdin spools the stdin message and delivers it.
func (m *mailer) sendStdin(inv *sendmail.Invocation) error {
	_, err := m.submit(inv, m.a.stdin)
	return err
}

// submit is the path of every message sendmail receives, from stdin (-t,
// argument recipients) or in a -bs transaction: header completion,
// aliases, Bcc removal, 8-bit detection, then the queue (or the maildrop
// in system mode) and the first delivery attempt. The message is never
// whole in memory: it streams into the queue's draft file, which becomes
// the queue entry if the send does not finish.
func (m *mailer) submit(inv *sendmail.Invocation, src io.Reader) (*queue.Outcome, error) {
	sender, err := m.envelopeSender(inv)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(inv.FullName, "\r\n\x00") {
		return nil, &mime.Error{Field: "-F", Value: inv.FullName, Msg: "a full name can't contain CR, LF or NUL"}
	}
	d, err := m.queue.NewDraft()
	if err != nil {
		return nil, err
	}
	opts := mime.StdinOptions{
		DotEnds:           !inv.IgnoreDots,
		ExtractRecipients: inv.ExtractRecipients,
		Date:              time.Now(),
	}
	if inv.Mode == sendmail.ModeSMTP {
		// -bs: the envelope is RCPT TO's, but Bcc still never reaches the
		// header (RFC 5322 §3.6.3), as Postfix's cleanup removes it too.
		// Reading the header's recipients is how ReadStdin drops Bcc;
		// they are not added to the envelope (below, only with -t).
		opts.ExtractRecipients = true
	}
	// In system mode the caller can't read default_domain: root's pickup
	// adds From and Message-ID and qualifies local names instead.
	if !m.queue.IsMaildrop() {
		opts.From = fromHeader(inv, sender, m.cfg.Domain())
		opts.MessageID = mime.NewMessageID(m.cfg.Domain())
		opts.Domain = m.cfg.Domain()
	}
	m.fullName = inv.FullName
	info, err := mime.ReadStdin(d, src, opts)
	if err != nil {
		d.Discard()
		return nil, err
	}
	rcpts := inv.Recipients
	if inv.ExtractRecipients {
		// Postfix adds the argument recipients to those of the header.
		rcpts = append(append([]string{}, info.Recipients...), rcpts...)
	}
	to, err := m.resolveAll(rcpts)
	if err != nil {
		d.Discard()
		return nil, err
	}
	if len(to) == 0 {
		d.Discard()
		if inv.ExtractRecipients {
			read := "no To, Cc or Bcc header"
			if len(info.HeadersRead) > 0 {
				read = "read " + strings.Join(info.HeadersRead, ", ")
			}
			return nil, usagef("no recipients: -t found none in the message header (%s); add a To: header or give the address as an argument", read)
		}
		return nil, usagef("no recipients: give the address as an argument, or use -t to read To, Cc and Bcc from the message")
	}
	acct, err := m.account("", sender.Address)
	if err != nil {
		d.Discard()
		return nil, err
	}
	e := &queue.Entry{
		ID:      d.ID(),
		Account: acct,
		From:    sender.Address,
		Rcpts:   queue.Pending(to),
		Notify:  inv.Notify,
		Ret:     inv.Ret,
		EnvID:   inv.EnvID,
		// From the content, not -B: Debian cron says -B8BITMIME for every
		// mail, and a 7-bit one must still go to a server without 8BITMIME.
		Body8Bit: info.Body8Bit,
		SMTPUTF8: info.SMTPUTF8,
		Size:     info.Size,
	}
	return m.deliverOutcome(d, e, false)
}

// envelopeSender is MAIL FROM: -f/-r, else the account's from (with its
// display name, for a From header outbox adds), else user@default_domain.
// Address "" is the null sender <>.
//
// A local -f name (cron passes -f root) is mapped like a recipient:
// [aliases], then "default", then default_domain. MAIL FROM holds one
// address, so when the alias lists several people (root = "alice, bob")
// the name goes to default_domain instead (root@example.com): bounces
// still reach a real mailbox rule at the domain, and cron mail is not
// refused over the shape of an alias meant for recipients.
func (m *mailer) envelopeSender(inv *sendmail.Invocation) (*mail.Address, error) {
	if inv.FromSet {
		if inv.From == "" {
			return &mail.Address{}, nil // <>: a bounce, RFC 5321 §4.5.5
		}
		// The same parser and alias rules as recipients: it refuses CR, LF
		// and NUL, so a -f word can't smuggle a command into MAIL FROM.
		list, err := m.addresses("-f", []string{inv.From})
		if err != nil {
			return nil, err
		}
		if len(list) != 1 {
			words, perr := mime.ParseAddressList(inv.From)
			if perr == nil && len(words) == 1 && !strings.Contains(words[0].Address, "@") {
				return &mail.Address{Address: words[0].Address + "@" + m.cfg.Domain()}, nil
			}
			return nil, &mime.Error{Field: "-f", Value: inv.From, Msg: "give exactly one sender address"}
		}
		return &mail.Address{Address: list[0].Address}, nil
	}
	return m.fromAddress("", "")
}

// fromHeader is the From: added when the message has none: -F's full name
// (as cron passes it) with the envelope sender, else the sender as the
// account's from spells it.
func fromHeader(inv *sendmail.Invocation, sender *mail.Address, domain string) string {
	addr := sender.Address
	if addr == "" {
		// A bounce without a From of its own (RFC 5321 §4.5.5): the
		// conventional name, qualified.
		addr = "MAILER-DAEMON@" + domain
	}
	name := sender.Name
	if inv.FullName != "" {
		name = inv.FullName
	}
	if name == "" {
		return addr
	}
	return (&mail.Address{Name: name, Address: addr}).String()
}

// resolveAll maps sendmail's recipient words to envelope addresses:
// parsed, local names resolved, duplicates dropped.
func (m *mailer) resolveAll(words []string) ([]string, error) {
	list, err := m.addresses("recipient", words)
	if err != nil {
		return nil, err
	}
	return dedupe(addrList(list)), nil
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
