package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/maildrop"
	"github.com/outboxmail/outbox/maillog"
	"github.com/outboxmail/outbox/mime"
	"github.com/outboxmail/outbox/queue"
	"github.com/outboxmail/outbox/send"
)

// mailer is the path every message takes, whether it came from flags, from
// sendmail's stdin or from a flush: config (nil = the embedded default),
// the queue, and a dialer that opens SMTP sessions per account.
type mailer struct {
	a       *app
	cfg     *config.Config
	queue   *queue.Queue
	verbose bool

	// fromDefault: the envelope sender is outbox's default, not one the
	// user asked for (-f, --from). In system mode only a requested sender
	// goes into the drop file, for root to honour or refuse.
	fromDefault bool
	// fullName is sendmail's -F, carried into a drop file so root's
	// pickup can name the From it adds.
	fullName string
}

// openMailer loads the configuration and opens the queue. In system mode
// (SPEC §7: the system config exists but this user may not read it, and
// the user has none of their own) the "queue" is the maildrop instead:
// messages are left there for root's pickup, composed as without a
// config; m.cfg is nil and m.queue.IsMaildrop() is true.
func (a *app) openMailer(configPath string, verbose bool) (*mailer, error) {
	cfg, err := config.LoadDefault(configPath)
	if err != nil {
		if !systemMode(err) {
			return nil, err
		}
		q, qerr := queue.OpenMaildrop(maildrop.Directory())
		if qerr != nil {
			return nil, fmt.Errorf("%w (system mode: %s is not readable by %s)", qerr, config.SystemFile(), localUser())
		}
		return &mailer{a: a, queue: q, verbose: verbose}, nil
	}
	q, err := queue.Open(cfg.QueueDirectory())
	if err != nil {
		return nil, err
	}
	// An 8-bit message for a smarthost without 8BITMIME is re-encoded as
	// quoted-printable where that is safe (single-part, 7-bit header).
	q.Convert8Bit = mime.Downgrade7Bit
	m := &mailer{a: a, cfg: cfg, queue: q, verbose: verbose}
	if cfg != nil {
		if cfg.QueueMaxAge > 0 {
			q.MaxAge = cfg.QueueMaxAge
		}
		q.Log = m.logHook(cfg.Log)
	}
	if !verbose {
		// With -v the SMTP transcript owns stderr; a bar would garble it.
		q.Progress = progressHook(a.stderr)
	}
	return m, nil
}

// logHook writes the queue's delivery records to the configured log
// (SPEC §2 log: "syslog", "none" or a file path; unset is "none"). The log
// is opened at the first record, so that commands which deliver nothing
// never touch it; a log that can't be written is reported once and never
// stops a delivery.
func (m *mailer) logHook(dest string) func(*maillog.Record) {
	if dest == "" || dest == "none" {
		return nil
	}
	var (
		l      maillog.Logger
		warned bool
	)
	return func(r *maillog.Record) {
		var err error
		if l == nil {
			l, err = maillog.Open(dest)
		}
		if err == nil {
			err = l.Log(r)
		}
		if err != nil && !warned {
			warned = true
			m.a.warnf("delivery log: %s (the message itself is not affected)", oneLine(err))
		}
	}
}

// progressMin is the message size above which a person at a terminal sees
// a progress bar during DATA (issue 7): a smaller one goes out before a bar
// would be worth reading.
const progressMin = 1 << 20

// progressThrottle is the least time between two redraws of the bar.
var progressThrottle = 100 * time.Millisecond

// progressHook returns the queue's Progress hook: a bar with bytes, rate
// and time left on stderr for messages over progressMin, only when stderr
// is a terminal. Never for cron, pipes or files: nil then.
func progressHook(stderr io.Writer) func(*queue.Entry, io.Reader) io.Reader {
	f, ok := stderr.(*os.File)
	if !ok || f == nil || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(e *queue.Entry, r io.Reader) io.Reader {
		if e.Size <= progressMin {
			return r
		}
		return &progressReader{r: r, w: f, id: e.ID, size: e.Size, start: time.Now()}
	}
}

// progressReader counts the bytes DATA reads and redraws one line at most
// every progressThrottle (and at 100%); Close takes the line off the
// screen, so that only the outcome stays. Written by hand rather than with
// a progress-bar library: those build colour tables and regular
// expressions at package init, which every start of outbox paid (a tenth
// of its package initialisation, issue 13) for a bar that few runs draw.
type progressReader struct {
	r     io.Reader
	w     io.Writer
	id    string
	size  int64 // > progressMin
	done  int64
	start time.Time
	drawn time.Time
	shown int // length of the line on the screen
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if now := time.Now(); now.Sub(p.drawn) >= progressThrottle || (n > 0 && p.done == p.size) {
		p.drawn = now
		p.draw(now)
	}
	return n, err
}

func (p *progressReader) draw(now time.Time) {
	const width = 20
	frac := min(float64(p.done)/float64(p.size), 1)
	fill := int(frac * width)
	rate := float64(p.done) / max(now.Sub(p.start).Seconds(), 1e-3)
	left := time.Duration(float64(max(p.size-p.done, 0)) / max(rate, 1) * float64(time.Second)).Round(time.Second)
	line := fmt.Sprintf("outbox: sending %s %3d%% [%s%s] (%s/%s, %s/s, %v left)", p.id, int(frac*100),
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), decimalBytes(p.done), decimalBytes(p.size), decimalBytes(int64(rate)), left)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", max(p.shown-len(line), 0)))
	p.shown = max(p.shown, len(line))
}

func (p *progressReader) Close() error {
	_, err := fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.shown))
	return err
}

// decimalBytes writes a byte count in the decimal units README uses.
func decimalBytes(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// dial opens an authenticated session for a queued message's account. An
// empty account name (a message queued before any config existed) goes out
// through the default account.
func (m *mailer) dial(ctx context.Context, account string) (*send.Client, error) {
	if m.cfg == nil {
		return nil, errNoConfig
	}
	acct, err := m.cfg.Select(account, "")
	if err != nil {
		return nil, err
	}
	opts := sendOptions(acct)
	// AUTH PLAIN rides with the first transaction (RFC 4954 §4); its
	// failure comes back from Send as Dial's would have.
	opts.PipelineAuth = true
	if m.verbose {
		opts.Verbose = m.a.stderr
	}
	return send.Dial(ctx, opts)
}

var errNoConfig = exitError{code: exConfig, err: errors.New("no configuration: run `outbox config init`, or create ~/.config/outbox/config.toml (see `outbox man`)")}

// account names the account a message goes out with ("" without config).
func (m *mailer) account(name, from string) (string, error) {
	if m.cfg == nil {
		return "", nil
	}
	acct, err := m.cfg.Select(name, from)
	if err != nil {
		return "", err
	}
	return acct.Name, nil
}

// addresses parses address flags and maps local names (root, www-data)
// through [aliases] and default_domain.
func (m *mailer) addresses(flag string, values []string) ([]*mail.Address, error) {
	var out []*mail.Address
	for _, v := range values {
		list, err := mime.ParseAddressList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		for _, a := range list {
			if m.queue != nil && m.queue.IsMaildrop() && flag == "recipient" {
				// System mode: root resolves local names with the
				// [aliases] the caller can't read (at pickup). Only the
				// envelope recipients of sendmail mode are kept as
				// words; a header needs a domain now.
				out = append(out, a)
				continue
			}
			resolved, err := m.cfg.ResolveLocal(a.Address)
			if err != nil {
				return nil, err
			}
			for _, r := range resolved {
				out = append(out, &mail.Address{Name: a.Name, Address: r})
			}
		}
	}
	return out, nil
}

// fromAddress picks the From of a composed message: --from, else the
// account's from, else the account's username when it is an address, else
// the local user at default_domain.
func (m *mailer) fromAddress(flag, account string) (*mail.Address, error) {
	if flag != "" {
		list, err := m.addresses("--from", []string{flag})
		if err != nil {
			return nil, err
		}
		if len(list) != 1 {
			return nil, &mime.Error{Field: "--from", Value: flag, Msg: "give exactly one address"}
		}
		return list[0], nil
	}
	if m.cfg != nil {
		acct, err := m.cfg.Select(account, "")
		if err != nil {
			return nil, err
		}
		if acct.From != "" {
			return mail.ParseAddress(acct.From)
		}
		if strings.Contains(acct.Username, "@") {
			return &mail.Address{Address: acct.Username}, nil
		}
	}
	m.fromDefault = true
	return &mail.Address{Address: localUser() + "@" + m.cfg.Domain()}, nil
}

// systemMode reports whether a config error means system mode (SPEC §7):
// the file that can't be read for lack of permission is the system
// config (not one of the user's own: that stays an error, exit 78), and
// outbox does not run as root.
func systemMode(err error) bool {
	var ce *config.Error
	if os.Geteuid() == 0 || !errors.Is(err, fs.ErrPermission) || !errors.As(err, &ce) {
		return false
	}
	return filepath.Clean(ce.File) == filepath.Clean(config.SystemFile())
}

// envelope takes the SMTP envelope from a composed message: Bcc is in the
// envelope only (RFC 5322 §3.6.3).
func envelopeOf(msg *mime.Compose) envelope {
	env := envelope{From: msg.From.Address}
	env.To = append(env.To, addrList(msg.To)...)
	env.To = append(env.To, addrList(msg.Cc)...)
	env.To = append(env.To, addrList(msg.Bcc)...)
	env.To = dedupe(env.To)
	return env
}

// sendComposed spools a composed message into a queue draft and delivers
// it: the path of `outbox send` and of `outbox run`'s reports.
func (m *mailer) sendComposed(msg *mime.Compose, account, from string, to []string, noQueue bool) error {
	d, err := m.queue.NewDraft()
	if err != nil {
		return err
	}
	size, err := msg.WriteTo(d)
	if err != nil {
		d.Discard()
		return err
	}
	info := msg.Info()
	e := &queue.Entry{
		ID:       d.ID(),
		Account:  account,
		From:     from,
		Rcpts:    queue.Pending(to),
		SMTPUTF8: info.SMTPUTF8,
		Body8Bit: info.Body8Bit,
		Size:     size,
	}
	return m.deliver(d, e, noQueue)
}

// deliver tries the message now and reports the outcome. Whatever happens,
// the message ends delivered, queued, or kept in failed/: never lost.
func (m *mailer) deliver(d *queue.Draft, e *queue.Entry, noQueue bool) error {
	_, err := m.deliverOutcome(d, e, noQueue)
	return err
}

// deliverOutcome is deliver that also returns what became of the message
// (nil when the draft could not even be committed), for sendmail -bs's
// reply to the final dot.
func (m *mailer) deliverOutcome(d *queue.Draft, e *queue.Entry, noQueue bool) (*queue.Outcome, error) {
	if m.queue.IsMaildrop() {
		return &queue.Outcome{ID: d.ID(), Queued: e.PendingAddrs()}, m.drop(d, e)
	}
	if m.cfg == nil {
		if noQueue {
			d.Discard()
			return nil, errNoConfig
		}
		if err := d.Commit(e); err != nil {
			return nil, err
		}
		m.a.notef("no configuration found; message queued as %s in %s.", e.ID, m.queue.Dir)
		m.a.notef("next: run `outbox config init` to set up your smarthost (or write %s by hand), then `outbox queue flush` sends it.", config.UserPath())
		return &queue.Outcome{ID: e.ID, Queued: e.PendingAddrs(), Err: errNoConfig}, nil
	}
	// A message that goes out shows the smarthost is up: the queue then
	// sends what waits and is due (SPEC §5), over the same connection.
	out, rep, err := m.queue.SubmitAndFlush(m.a.ctx, d, e, m.dial, noQueue)
	if out != nil && len(out.Queued) > 0 && err == nil {
		m.a.notef("%s — message queued as %s; it will be retried (outbox queue list)", oneLine(out.Err), out.ID)
	}
	if err != nil {
		if out != nil && out.ID != "" && len(out.Failed) > 0 {
			return out, fmt.Errorf("%w (message kept in the failed queue as %s)", err, out.ID)
		}
		return out, err
	}
	if out != nil && len(out.Failed) > 0 {
		return out, fmt.Errorf("%w (delivered to %d other recipient(s); kept in the failed queue as %s)", out.Err, len(out.Sent), out.ID)
	}
	// The automatic flush does not change this message's outcome; what it
	// sent is said only with -v, as the rest of a successful send is quiet.
	if rep != nil && m.verbose && rep.Tried > 0 {
		m.a.notef("queue: %d tried, %d sent, %d deferred, %d failed", rep.Tried, rep.Sent, rep.Deferred, rep.Failed)
	}
	return out, nil
}

// drop leaves the message in the maildrop for root's pickup (system
// mode). The envelope holds what the caller asked for; who the caller is,
// root reads from the file's owner.
func (m *mailer) drop(d *queue.Draft, e *queue.Entry) error {
	env := &maildrop.Envelope{
		Rcpts:  make([]string, 0, len(e.Rcpts)),
		Notify: e.Notify, Ret: e.Ret, EnvID: e.EnvID,
		FullName: m.fullName,
	}
	for _, r := range e.Rcpts {
		env.Rcpts = append(env.Rcpts, r.Addr)
	}
	if !m.fromDefault {
		env.From, env.FromSet = e.From, true
	}
	if err := d.Drop(env); err != nil {
		return err
	}
	m.a.notef("%s is not readable by %s: message %s left in %s for root's `outbox queue flush` to send", config.SystemFile(), localUser(), d.ID(), m.queue.Dir)
	return nil
}

func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, s := range in {
		k := strings.ToLower(s)
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

func isBadFD(err error) bool { return errors.Is(err, syscall.EBADF) }
