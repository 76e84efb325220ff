package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/outboxmail/outbox/mime"
	"github.com/outboxmail/outbox/pipesmtp"
	"github.com/outboxmail/outbox/queue"
	"github.com/outboxmail/outbox/send"
	"github.com/outboxmail/outbox/sendmail"
)

// bsTimeout is how long -bs waits for the client (tests shorten it).
var bsTimeout = pipesmtp.DefaultTimeout

// serveSMTP is sendmail -bs (SPEC §1): an SMTP dialogue on stdin and
// stdout, each transaction sent through submit, the path of sendmail -t.
// The command line still applies to every transaction: -f replaces MAIL
// FROM (the operator's choice beats the application's), -F names a From
// outbox adds, -C picks the config, -v shows the smarthost dialogue on
// stderr; -i and -oi change nothing, since SMTP's final dot ends DATA.
func (a *app) serveSMTP(inv *sendmail.Invocation) error {
	// Warnings (an ignored -X, say) wait until the session is over:
	// Symfony Mailer's ProcessStream::initialize reads the child's stderr,
	// without waiting, right after proc_open, and gives up with "Process
	// could not be started: <text>" if anything is there, so a warning
	// written before the 220 greeting could break the client, by a race.
	defer func() {
		for _, w := range inv.Warnings {
			a.warnf("%s", w)
		}
	}()
	// A client that closes its end of stdout before reading a reply must
	// not kill outbox with SIGPIPE: caught, the write fails with EPIPE,
	// which ends the session (pipesmtp's Result.ClientGone), and the exit
	// says what was kept. Each message is committed before its reply is
	// written, so none is lost either way. Not stopped on return: main
	// prints the outcome on stderr afterwards, which may be closed too.
	// (Caught, not ignored, as for outbox run: -bs starts no child, but an
	// ignored signal would be inherited by one.)
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	// The reply to each message carries what the notes would say; a
	// client that never reads stderr must not fill its pipe.
	quiet := *a
	quiet.quiet = true
	m, merr := quiet.openMailer(inv.Config, inv.Verbose)
	host, _ := os.Hostname()
	res, err := pipesmtp.Serve(a.stdin, a.stdout, pipesmtp.Options{
		Hostname: host,
		Timeout:  bsTimeout,
		Log:      a.stderr,
		Rcpt: func(addr string) error {
			if merr != nil {
				return unusable(merr)
			}
			_, err := m.resolveAll([]string{addr})
			return err
		},
		Deliver: func(t *pipesmtp.Transaction) pipesmtp.Reply {
			if merr != nil {
				return *unusable(merr)
			}
			ti := *inv
			ti.Recipients = t.Rcpts
			ti.ExtractRecipients = false
			ti.IgnoreDots = true // a lone dot inside DATA arrives stuffed
			if !inv.FromSet {
				ti.FromSet, ti.From = true, t.From
			}
			if t.Notify != nil {
				ti.Notify = t.Notify
			}
			if t.Ret != "" {
				ti.Ret = t.Ret
			}
			if t.EnvID != "" {
				ti.EnvID = t.EnvID
			}
			return bsReply(m.submit(&ti, t.Data))
		},
	})
	switch {
	case err != nil:
		return err
	case merr != nil:
		return merr
	case res.Timeout:
		return exitError{code: exTempFail, err: fmt.Errorf("sendmail -bs: the client sent nothing for %s; answered 421 and closed (%d message(s) accepted before)", bsTimeout, res.Delivered)}
	case res.ClientGone:
		return exitError{code: exIOErr, err: fmt.Errorf("sendmail -bs: the client closed its end of the pipe before reading a reply, so the session ended there; %d message(s) accepted before are kept", res.Delivered)}
	case res.Aborted:
		return exitError{code: exDataErr, err: fmt.Errorf("sendmail -bs: the input ended inside DATA; that message was discarded (%d message(s) accepted before it are kept)", res.Delivered)}
	}
	return nil
}

// unusable is the RCPT reply when outbox can't take mail at all (a broken
// config file): 451 4.3.5, "system incorrectly configured" (RFC 3463).
func unusable(err error) *pipesmtp.Reply {
	return &pipesmtp.Reply{Code: 451, Enhanced: [3]int{4, 3, 5}, Text: "outbox can't take mail: " + oneLine(err)}
}

// bsReply is the answer to a transaction's final dot, from what submit
// did with the message. 250 only when the message is safe: accepted by
// the smarthost, or committed to the queue or the maildrop. Its text
// carries "queued as <ID>", as Postfix's does, which Symfony Mailer reads.
func bsReply(out *queue.Outcome, err error) pipesmtp.Reply {
	ok := func(text string) pipesmtp.Reply {
		return pipesmtp.Reply{Code: 250, Enhanced: [3]int{2, 0, 0}, Text: text}
	}
	var (
		se    *send.Error
		me    *mime.Error
		qe    *queue.Error
		usage usageError
	)
	switch {
	case err == nil && out != nil && len(out.Queued) > 0 && out.Err == nil:
		// The maildrop (system mode): root's pickup sends it.
		return ok(fmt.Sprintf("Ok: queued as %s (in the maildrop; root's outbox sends it)", out.ID))
	case err == nil && out != nil && len(out.Queued) > 0 && errors.Is(out.Err, errNoConfig):
		// No config at all: nothing retries it until one exists and a
		// flush runs; say so, as sendmail -t's notes on stderr do.
		return ok(fmt.Sprintf("Ok: queued as %s (no configuration yet: run `outbox config init` to set up a smarthost, then `outbox queue flush` sends it)", out.ID))
	case err == nil && out != nil && len(out.Queued) > 0:
		return ok(fmt.Sprintf("Ok: queued as %s (not sent yet: %s; it will be retried)", out.ID, oneLine(out.Err)))
	case err == nil && out != nil:
		return ok("Ok: queued as " + out.ID)
	case out != nil && len(out.Sent) > 0:
		// Some recipients have it: a failure reply would make the client
		// send it to them again. The refused ones are in failed/.
		return ok(fmt.Sprintf("Ok: queued as %s (but %s)", out.ID, oneLine(err)))
	case out != nil && len(out.Failed) > 0 && errors.As(err, &se) && se.Code/100 == 5:
		// The smarthost refused the message: relay its reply, so the
		// application sees it. The message stays in failed/ (see README).
		code, enh := se.Code, se.Enhanced
		if code < 550 || code > 559 {
			code = 554 // e.g. 535 to AUTH: not a reply the client's DATA can get
		}
		if enh[0] != 5 {
			enh = [3]int{5, 0, 0}
		}
		return pipesmtp.Reply{Code: code, Enhanced: enh, Text: oneLine(err)}
	case out != nil && len(out.Failed) > 0:
		return pipesmtp.Reply{Code: 554, Enhanced: [3]int{5, 0, 0}, Text: oneLine(err)}
	case errors.As(err, &me):
		// RFC 3463 5.6.0: the message content can't be sent as it is.
		return pipesmtp.Reply{Code: 554, Enhanced: [3]int{5, 6, 0}, Text: oneLine(err)}
	case errors.As(err, &usage):
		return pipesmtp.Reply{Code: 554, Enhanced: [3]int{5, 5, 0}, Text: oneLine(err)}
	case errors.As(err, &qe) && qe.Kind == queue.KindWrite:
		// 452 4.3.1: the queue can't be written (disk full, permissions).
		return pipesmtp.Reply{Code: 452, Enhanced: [3]int{4, 3, 1}, Text: oneLine(err)}
	}
	return pipesmtp.Reply{Code: 451, Enhanced: [3]int{4, 3, 0}, Text: oneLine(err)}
}
