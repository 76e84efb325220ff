package main

import (
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/template"
	"time"

	"golang.org/x/term"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/mime"
	"github.com/outboxmail/outbox/notify"
)

// RunCmd is the notifier (SPEC §6): run a command, pass its output
// through, exit with its status, and mail the result by policy on the same
// path as `outbox send` (account selection, queue when the smarthost is
// down).
type RunCmd struct {
	To           []string      `help:"Recipient (repeatable; each may be a comma list). Default: [aliases] root, else default." placeholder:"ADDR"`
	On           string        `enum:"failure,always,output,change" default:"failure" help:"When to mail: failure (non-zero exit, killed, timed out), always, output (any output, as cron), change (the outcome differs from the previous run)."`
	Subject      string        `short:"s" help:"Subject as a Go template over .Host .Command .Name .Status .ExitCode .Signal .Duration .Start .Output .Held (default: \"[{{.Host}}] {{.Name}} {{.Status}}\")." placeholder:"TEMPLATE"`
	Every        time.Duration `help:"Mail at most once per DURATION per job and outcome (failure/success); the next mail counts what was held back." placeholder:"DURATION"`
	Timeout      time.Duration `help:"Kill the command's process group after DURATION (SIGTERM, then SIGKILL 10s later) and exit 124, as timeout(1)." placeholder:"DURATION"`
	AttachOutput bool          `name:"attach-output" help:"Attach the whole output as output.txt even when it fits in the mail (it always is when larger than 64 KiB)."`
	Attach       []string      `short:"a" sep:"none" help:"Attach FILE to the mail, read after the command has finished (a report it made); repeatable." placeholder:"FILE"`
	Key          string        `help:"Name of the job for --on change and --every (default: the command line)." placeholder:"NAME"`
	Account      string        `short:"A" env:"OUTBOX_ACCOUNT" help:"Account to send with." placeholder:"NAME"`
	Verbose      bool          `short:"v" help:"Print the SMTP transcript on stderr (AUTH redacted)."`
	NoQueue      bool          `name:"no-queue" help:"Don't queue the mail when the smarthost can't be reached (outbox still exits with the command's status when it failed, else 75)."`
	Command      []string      `arg:"" passthrough:"partial" help:"The command and its arguments; put them after --." placeholder:"CMD"`
}

func (c *RunCmd) Run(a *app, cli *CLI) error {
	// Everything that can be wrong with the invocation or the config is
	// found before the command runs: a job is never run with an alert
	// path that can't work (fix it the first time you run it by hand).
	policy, err := notify.ParsePolicy(c.On)
	if err != nil {
		return usageError{err}
	}
	if c.Every < 0 || c.Timeout < 0 {
		return usagef("--every and --timeout take a positive duration such as 30s, 5m or 1h")
	}
	// kong hands the "--" that ends outbox's flags to the passthrough
	// argument; the command starts after it.
	if len(c.Command) > 0 && c.Command[0] == "--" {
		c.Command = c.Command[1:]
	}
	if len(c.Command) == 0 {
		return usagef("no command: outbox run [flags] -- CMD [ARG...]")
	}
	subject, err := notify.ParseSubject(c.Subject)
	if err != nil {
		return usageError{err}
	}
	m, err := a.openMailer(cli.Config, c.Verbose)
	if err != nil {
		return err
	}
	to := c.To
	if len(to) == 0 {
		to = []string{"root"} // [aliases] root, else default, else root@default_domain
	}
	rcpts, err := m.addresses("--to", to)
	if err != nil {
		return err
	}
	from, err := m.fromAddress("", c.Account)
	if err != nil {
		return err
	}
	acct, err := m.account(c.Account, from.Address)
	if err != nil {
		return err
	}

	// `outbox run -- job | head` must survive the closed pipe to report
	// the job: with SIGPIPE caught, a write to it fails with EPIPE instead
	// of killing outbox. (Caught, not ignored: an ignored signal would be
	// inherited by the command and change its behaviour.)
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)

	res, err := notify.Run(a.ctx, notify.Options{
		Args:       c.Command,
		Stdin:      a.stdin,
		Stdout:     a.stdout,
		Stderr:     a.stderr,
		Timeout:    c.Timeout,
		Foreground: isTerminal(a.stdin),
		KeepOutput: c.AttachOutput,
	})
	if err != nil {
		return err
	}
	defer res.Close()

	key := c.Key
	if key == "" {
		key = notify.QuoteCommand(c.Command)
	}
	tracker := &notify.Tracker{Dir: filepath.Join(config.StateDirectory(), "run")}
	d, err := tracker.Decide(key, policy, c.Every, res)
	if err != nil {
		a.warnf("%s", oneLine(err))
	}
	var alertErr error
	if d.Send {
		alertErr = c.mail(m, res, d, subject, from, rcpts, acct)
	}
	return runExit(res, alertErr)
}

// mail composes the report and hands it to the delivery path of `send`.
func (c *RunCmd) mail(m *mailer, res *notify.Result, d notify.Decision, subject *template.Template, from *mail.Address, rcpts []*mail.Address, acct string) error {
	host, _ := os.Hostname()
	rep := notify.NewReport(res, d, host, c.Key)
	var attach []string
	for _, p := range c.Attach {
		if err := checkAttachment(p); err != nil {
			// The alert matters more than the file: send it without, and
			// say so in the mail and here.
			m.a.warnf("%s not attached: %v", p, err)
			rep.Unattached(p, err)
			continue
		}
		attach = append(attach, p)
		rep.Attached(filepath.Base(p))
	}
	if rep.AttachOutput(c.AttachOutput) {
		attach = append(attach, res.OutputFile)
	}
	subj, err := rep.Subject(subject)
	if err != nil {
		return err
	}
	msg := &mime.Compose{
		From:      from,
		To:        rcpts,
		Subject:   subj,
		Text:      rep.Body(c.AttachOutput),
		Attach:    attach,
		Date:      time.Now(),
		MessageID: mime.NewMessageID(m.cfg.Domain()),
		// RFC 3834 §5: a machine wrote this; vacation responders and
		// other autoresponders must not answer it.
		Headers: []mime.Field{{Name: "Auto-Submitted", Value: "auto-generated"}},
	}
	if err := msg.Validate(); err != nil {
		return err
	}
	return m.sendComposed(msg, acct, from.Address, dedupe(addrList(rcpts)), c.NoQueue)
}

// checkAttachment: the file the command was to make is there and regular.
func checkAttachment(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return errors.Unwrap(err) // "no such file or directory", without repeating the path
	}
	if !fi.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	return nil
}

// runExit is the end of `outbox run`: the command's status is outbox's.
// When the alert could not be sent or queued, that is said; the status is
// still the command's when it failed, else the alert's own error decides
// (so a healthy job with a broken alert path is not silent).
func runExit(res *notify.Result, alertErr error) error {
	switch {
	case alertErr != nil && res.ExitCode == 0:
		return fmt.Errorf("the command succeeded but its report was not sent: %w", alertErr)
	case alertErr != nil:
		return statusError(&notify.ExitStatus{Code: res.ExitCode, Err: fmt.Errorf("the report was not sent: %w", alertErr)})
	case res.StartErr != nil:
		return statusError(&notify.ExitStatus{Code: res.ExitCode, Err: res.StartErr})
	case res.ExitCode != 0:
		return statusError(&notify.ExitStatus{Code: res.ExitCode})
	}
	return nil
}

// statusError hands the child's status to main, whose exitCode returns it.
func statusError(s *notify.ExitStatus) error { return s }

// isTerminal reports whether r is a terminal: then the command stays in
// outbox's process group, so Ctrl-C and job control reach it.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}
