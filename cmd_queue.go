package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/outboxmail/outbox/queue"
)

// QueueCmd manages the local queue (SPEC §5).
type QueueCmd struct {
	List  QueueListCmd  `cmd:"" default:"1" help:"List queued and failed messages (also: mailq, sendmail -bp)."`
	Flush QueueFlushCmd `cmd:"" help:"Try queued messages now (also: sendmail -q)."`
	Show  QueueShowCmd  `cmd:"" help:"Print one queued message: its state, then its bytes."`
	Retry QueueRetryCmd `cmd:"" help:"Make a message due now; a failed one goes back into the queue."`
	Drop  QueueDropCmd  `cmd:"" help:"Delete a queued or failed message."`
}

type QueueListCmd struct {
	JSON bool `name:"json" help:"Print JSON for scripts."`
}

func (c *QueueListCmd) Run(a *app, cli *CLI) error { return a.listQueue(cli.Config, c.JSON) }

type QueueFlushCmd struct {
	Due     bool `help:"Only messages whose retry time has come (for cron or a systemd timer)."`
	Verbose bool `short:"v" help:"Print the SMTP transcript on stderr (AUTH redacted)."`
}

func (c *QueueFlushCmd) Run(a *app, cli *CLI) error {
	return a.flushQueue(cli.Config, c.Due, c.Verbose)
}

type QueueShowCmd struct {
	ID string `arg:"" help:"Queue ID."`
}

func (c *QueueShowCmd) Run(a *app, cli *CLI) error {
	m, err := a.openMailer(cli.Config, false)
	if err != nil {
		return err
	}
	e, r, err := m.queue.Show(c.ID)
	if err != nil {
		return err
	}
	defer r.Close()
	writeEntry(a.stdout, e)
	fmt.Fprintln(a.stdout)
	_, err = io.Copy(a.stdout, r)
	return err
}

type QueueRetryCmd struct {
	ID  string `arg:"" optional:"" help:"Queue ID."`
	All bool   `help:"Every queued message."`
}

func (c *QueueRetryCmd) Run(a *app, cli *CLI) error {
	if (c.ID == "") == !c.All {
		return usagef("give a queue ID or --all")
	}
	m, err := a.openMailer(cli.Config, false)
	if err != nil {
		return err
	}
	if c.All {
		return m.queue.RetryAll()
	}
	return m.queue.Retry(c.ID)
}

type QueueDropCmd struct {
	ID string `arg:"" help:"Queue ID."`
}

func (c *QueueDropCmd) Run(a *app, cli *CLI) error {
	m, err := a.openMailer(cli.Config, false)
	if err != nil {
		return err
	}
	return m.queue.Drop(c.ID)
}

// mailq is argv[0] "mailq": the queue listing, as sendmail -bp.
func (a *app) mailq(args []string) error {
	cfg := ""
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-C" && i+1 < len(args):
			cfg = args[i+1]
			i++
		case strings.HasPrefix(args[i], "-C"):
			cfg = args[i][2:]
		case args[i] == "-v":
		default:
			return usagef("mailq: unknown option %s", args[i])
		}
	}
	return a.listQueue(cfg, false)
}

func (a *app) listQueue(configPath string, asJSON bool) error {
	m, err := a.openMailer(configPath, false)
	if err != nil {
		return err
	}
	// List reports damaged or newer-format entries beside the good ones:
	// show what it could read, then say what it could not.
	entries, err := m.queue.List()
	if err != nil && entries == nil {
		return err
	}
	if err != nil {
		a.warnf("%s", oneLine(err))
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if entries == nil {
			entries = []*queue.Entry{}
		}
		return enc.Encode(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(a.stdout, "Mail queue is empty")
		return nil
	}
	// The layout follows Postfix's mailq, which scripts and people know.
	fmt.Fprintln(a.stdout, "-Queue ID-           --Size-- ----Arrival Time---- -Sender/Recipient-------")
	var total int64
	for _, e := range entries {
		writeEntry(a.stdout, e)
		total += e.Size
	}
	fmt.Fprintf(a.stdout, "-- %d Kbytes in %d Request%s.\n", (total+1023)/1024, len(entries), plural(len(entries)))
	return nil
}

// writeEntry prints one entry in the mailq layout, with outbox's extras
// on the line after it: attempts, age, next try and the last error (or,
// for failed/, why it is there), then each recipient with its state.
// An ID ending in "!" is in failed/ (Postfix marks held mail likewise).
func writeEntry(w io.Writer, e *queue.Entry) {
	id := e.ID
	if e.Failed {
		id += "!"
	}
	from := e.From
	if from == "" {
		from = "<>"
	}
	fmt.Fprintf(w, "%-20s %8d %s  %s\n", id, e.Size, e.Created.Local().Format("Mon Jan _2 15:04:05"), from)
	age := fmtAgo(time.Since(e.Created))
	switch {
	case e.Failed:
		reason := e.Reason
		if reason == "" {
			reason = e.LastError
		}
		fmt.Fprintf(w, "%41s(failed after %d attempt%s, queued %s ago: %s)\n", "", e.Attempts, plural(e.Attempts), age, reason)
	case e.Attempts > 0 || e.LastError != "":
		next := e.NextAttempt.Local().Format(time.DateTime)
		if !e.NextAttempt.After(time.Now()) {
			next = "now"
		}
		fmt.Fprintf(w, "%41s(attempt %d, queued %s ago, next try %s; last error: %s)\n", "", e.Attempts, age, next, e.LastError)
	default:
		fmt.Fprintf(w, "%41s(not tried yet, queued %s ago)\n", "", age)
	}
	for _, r := range e.Rcpts {
		state := ""
		if r.State != queue.StatePending {
			state = " (" + string(r.State) + ")"
		}
		fmt.Fprintf(w, "%41s%s%s\n", "", r.Addr, state)
	}
	fmt.Fprintln(w)
}

// fmtAgo prints an age coarsely, as a person reads it: 42s, 5m, 3h, 2d4h.
func fmtAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d/time.Second)))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if hours == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, hours)
}

func (a *app) flushQueue(configPath string, due, verbose bool) error {
	m, err := a.openMailer(configPath, verbose)
	if err != nil {
		return err
	}
	if m.cfg == nil {
		return errNoConfig
	}
	rep, err := m.queue.Flush(a.ctx, m.dial, due)
	if err != nil {
		return err
	}
	if rep.Tried > 0 {
		a.notef("flush: %d tried, %d sent, %d deferred, %d failed", rep.Tried, rep.Sent, rep.Deferred, rep.Failed)
	}
	for _, e := range rep.Errors {
		a.notef("%s", oneLine(e))
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
