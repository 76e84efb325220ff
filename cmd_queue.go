package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/maildrop"
	"github.com/outboxmail/outbox/mime"
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
	if m.queue.IsMaildrop() {
		return errSystemQueue()
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
	if m.queue.IsMaildrop() {
		return errSystemQueue()
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
	if m.queue.IsMaildrop() {
		return errSystemQueue()
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
	if m.queue.IsMaildrop() {
		// A user in system mode can't list the maildrop (mode 1733) nor
		// read root's queue; saying so beats an empty listing.
		if asJSON {
			fmt.Fprintln(a.stdout, "[]")
			a.notef("%s", oneLine(errSystemQueue()))
			return nil
		}
		fmt.Fprintf(a.stdout, "%s\n", systemQueueNote())
		return nil
	}
	dropped := m.listMaildrop()
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
	if len(entries) == 0 && len(dropped) == 0 {
		fmt.Fprintln(a.stdout, "Mail queue is empty")
		return nil
	}
	// The layout follows Postfix's mailq, which scripts and people know.
	fmt.Fprintln(a.stdout, "-Queue ID-           --Size-- ----Arrival Time---- -Sender/Recipient-------")
	var total int64
	for _, d := range dropped {
		// Postfix marks maildrop files the same way in mailq.
		fmt.Fprintf(a.stdout, "%-20s %8d %s  (user %s)\n", d.Name+"*", d.Size, d.ModTime.Local().Format("Mon Jan _2 15:04:05"), userName(d.Owner))
		fmt.Fprintf(a.stdout, "%41s(in the maildrop, not yet picked up by outbox queue flush)\n\n", "")
		total += d.Size
	}
	for _, e := range entries {
		writeEntry(a.stdout, e)
		total += e.Size
	}
	n := len(entries) + len(dropped)
	fmt.Fprintf(a.stdout, "-- %d Kbytes in %d Request%s.\n", (total+1023)/1024, n, plural(n))
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
	if e.Owner != "" {
		fmt.Fprintf(w, "%41s(from user %s, through the maildrop)\n", "", e.Owner)
	}
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
	if m.queue.IsMaildrop() {
		a.notef("%s", systemQueueNote())
		return nil
	}
	if m.cfg == nil {
		return errNoConfig
	}
	if os.Geteuid() == 0 {
		if err := m.pickup(due); err != nil {
			return err
		}
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

// systemQueueNote is what a user in system mode learns from queue list
// and flush: root's queue is not theirs to see or run.
func systemQueueNote() string {
	return fmt.Sprintf("the system queue is not visible to %s (%s is root's): messages you send are left in %s and sent by root's `outbox queue flush`, which the outbox-pickup.path unit starts at once",
		localUser(), config.SystemFile(), maildrop.Directory())
}

func errSystemQueue() error {
	return exitError{code: exNoPerm, err: fmt.Errorf("%s", systemQueueNote())}
}

// listMaildrop returns the files waiting in the maildrop, for root (the
// directory is readable by root only); nil for anyone else.
func (m *mailer) listMaildrop() []*maildrop.Entry {
	if os.Geteuid() != 0 {
		return nil
	}
	list, err := maildrop.List(maildrop.Directory())
	if err != nil {
		m.a.warnf("%s", oneLine(err))
	}
	return list
}

// tmpGrace is how long a drop file may keep its temporary name before
// pickup looks at it: a writer that takes longer (a slow pipe into
// sendmail) is still fine, since an incomplete file has no trailer and is
// then kept in failed/, not lost; one whose rename a crash undid is
// complete and goes out.
const tmpGrace = 24 * time.Hour

// pickup moves the maildrop's files into root's queue (SPEC §7), under
// the queue lock. A due-only flush that finds the lock taken leaves the
// work to the flush that holds it.
func (m *mailer) pickup(due bool) error {
	dir := maildrop.Directory()
	if filepath.Dir(dir) == filepath.Clean(m.queue.Dir) || os.Getenv("OUTBOX_MAILDROP_DIR") != "" {
		// Root's flush makes the drop directory beside its queue, so that
		// users have somewhere to drop before any unit is installed.
		if err := maildrop.Prepare(dir); err != nil {
			m.a.warnf("%s", oneLine(err))
		}
	}
	if _, err := os.Lstat(dir); err != nil {
		return nil
	}
	err := m.queue.Locked(m.a.ctx, !due, func() error {
		list, err := maildrop.List(dir)
		if err != nil {
			return err
		}
		for _, de := range list {
			if de.Temporary() && time.Since(de.ModTime) < tmpGrace {
				continue
			}
			m.pickupOne(dir, de.Name)
		}
		return nil
	})
	var qe *queue.Error
	if due && errors.As(err, &qe) && qe.Kind == queue.KindBusy {
		return nil
	}
	return err
}

// pickupOne queues one drop file, or keeps it in failed/ with the reason.
// Either way its name leaves the maildrop; on a local error (disk full)
// it stays there for the next flush.
func (m *mailer) pickupOne(dir, name string) {
	id := strings.TrimSuffix(name, ".tmp")
	msg, err := maildrop.Open(dir, name, 0)
	var ref *maildrop.Refused
	switch {
	case errors.As(err, &ref):
		defer ref.Close()
		m.refuse(dir, name, id, ref.Owner, ref.Content, ref.Reason)
		return
	case err != nil:
		m.a.warnf("%s", oneLine(err)) // gone meanwhile, or unreadable
		return
	}
	defer msg.Close()
	if m.queue.Has(id) {
		// An earlier pickup committed it and died before the removal.
		if err := maildrop.Remove(dir, name); err != nil {
			m.a.warnf("%s", oneLine(err))
		}
		return
	}
	u, err := user.LookupId(strconv.Itoa(msg.Owner))
	if err != nil {
		m.refuse(dir, name, id, msg.Owner, msg.Body(), fmt.Sprintf("its owner, uid %d, has no user name", msg.Owner))
		return
	}
	e, d, reason, err := m.admit(id, u.Username, msg)
	if err != nil {
		m.a.warnf("maildrop %s of %s: %s; left in the maildrop for the next flush", name, u.Username, oneLine(err))
		return
	}
	if reason != "" {
		m.refuse(dir, name, id, msg.Owner, msg.Body(), reason)
		return
	}
	if err := d.Commit(e); err != nil {
		m.a.warnf("maildrop %s of %s: %s; left in the maildrop for the next flush", name, u.Username, oneLine(err))
		return
	}
	if err := maildrop.Remove(dir, name); err != nil {
		m.a.warnf("%s", oneLine(err))
	}
}

// admit builds the queue entry of a checked drop file: the message goes
// through the stdin reader again (with root's default_domain; 8-bit and
// size are measured, never taken from the file), recipients through
// root's [aliases], and the envelope sender is user@default_domain unless
// the user is in trusted_users. reason != "" refuses the file.
func (m *mailer) admit(id, user string, msg *maildrop.Message) (*queue.Entry, *queue.Draft, string, error) {
	env := msg.Env
	domain := m.cfg.Domain()
	sender := user + "@" + domain
	if env.FromSet {
		if slices.Contains(m.cfg.TrustedUsers, user) {
			sender = env.From
		} else if !strings.EqualFold(env.From, sender) {
			// sendmail(8) likewise ignores -f from users who are not
			// trusted, with an X-Authentication-Warning; outbox says it
			// in root's flush output (the journal, under systemd).
			m.a.notef("maildrop %s: user %s is not in trusted_users: envelope sender <%s> refused, sent as <%s>", id, user, env.From, sender)
		}
	}
	var to []string
	for _, w := range env.Rcpts {
		r, err := m.cfg.ResolveLocal(w)
		if err != nil {
			return nil, nil, "recipient " + oneLine(err), nil
		}
		to = append(to, r...)
	}
	to = dedupe(to)
	var d *queue.Draft
	var err error
	if queue.ValidID(id) {
		d, err = m.queue.NewDraftID(id)
	} else {
		d, err = m.queue.NewDraft()
	}
	if err != nil {
		return nil, nil, "", err
	}
	from := sender
	if from == "" {
		from = "MAILER-DAEMON@" + domain // RFC 5321 §4.5.5 null sender
	}
	if name := env.FullName; name != "" && !strings.ContainsAny(name, "\r\n\x00") {
		from = (&mail.Address{Name: name, Address: from}).String()
	}
	info, err := mime.ReadStdin(d, msg.Body(), mime.StdinOptions{
		From:      from,
		MessageID: mime.NewMessageID(domain),
		Domain:    domain,
	})
	if err != nil {
		d.Discard()
		var qe *queue.Error
		if errors.As(err, &qe) {
			return nil, nil, "", err
		}
		return nil, nil, "the message: " + oneLine(err), nil
	}
	acct, err := m.account("", sender)
	if err != nil {
		d.Discard()
		return nil, nil, "", err
	}
	e := &queue.Entry{
		ID:       d.ID(),
		Account:  acct,
		Owner:    user,
		From:     sender,
		Rcpts:    queue.Pending(to),
		Notify:   dsnNotify(env.Notify),
		Ret:      dsnRet(env.Ret),
		EnvID:    dsnEnvID(env.EnvID),
		Body8Bit: info.Body8Bit,
		SMTPUTF8: info.SMTPUTF8,
		Size:     info.Size,
	}
	return e, d, "", nil
}

// refuse keeps a drop file that must not go out in failed/ with the
// reason (its bytes only when content is not nil), then removes its name
// from the maildrop. If it can't be kept, it stays where it is.
func (m *mailer) refuse(dir, name, id string, owner int, content io.Reader, reason string) {
	e := &queue.Entry{Owner: userName(owner)}
	if err := m.queue.KeepRefused(id, content, e, "maildrop: "+reason); err != nil {
		m.a.warnf("maildrop %s: %s; could not keep it in failed/: %s", name, reason, oneLine(err))
		return
	}
	if err := maildrop.Remove(dir, name); err != nil {
		m.a.warnf("%s", oneLine(err))
	}
	m.a.notef("maildrop %s of %s refused: %s (kept in the failed queue as %s)", name, e.Owner, reason, e.ID)
}

// userName is the login name of uid, else "uid N".
func userName(uid int) string {
	if uid < 0 {
		return "unknown"
	}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}

// The DSN parameters of a drop file are the caller's words: only the
// values RFC 3461 defines pass (§4.1 NOTIFY, §4.3 RET, §4.4 ENVID as
// printable ASCII without "+" and "=", so it needs no xtext encoding).
func dsnNotify(in []string) []string {
	var out []string
	for _, v := range in {
		switch u := strings.ToUpper(v); u {
		case "NEVER", "SUCCESS", "FAILURE", "DELAY":
			out = append(out, u)
		}
	}
	return out
}

func dsnRet(v string) string {
	if u := strings.ToUpper(v); u == "FULL" || u == "HDRS" {
		return u
	}
	return ""
}

func dsnEnvID(v string) string {
	if len(v) > 100 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' || r == '+' || r == '=' }) {
		return ""
	}
	return v
}
