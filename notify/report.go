package notify

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

// Report is what the mail about a run says. Its exported fields are the
// names a -s template can use: {{.Host}}, {{.Command}}, {{.ExitCode}},
// {{.Signal}}, {{.Duration}}, {{.Start}}, {{.Output}}, {{.Held}}, and also
// {{.Name}}, {{.Status}}, {{.Key}}.
type Report struct {
	Host     string
	Command  string // the command line, shell-quoted
	Name     string // the command's base name: backup.sh
	Key      string // --key, else the command line
	ExitCode int
	Signal   string // "SIGKILL", or "" when no signal ended it
	Status   string // "succeeded", "failed (exit 3)", "killed by SIGKILL", "timed out after 5s"
	Start    time.Time
	Duration time.Duration
	Output   string // the inline tail, valid UTF-8
	Held     int    // runs held back by --every since the previous mail

	res        *Result
	dec        Decision
	attached   []string
	unattached []string
}

// NewReport describes run r for the mail decided by d.
func NewReport(r *Result, d Decision, host, key string) *Report {
	rep := &Report{
		Host:     host,
		Command:  QuoteCommand(r.Args),
		Name:     filepath.Base(r.Args[0]),
		Key:      key,
		ExitCode: r.ExitCode,
		Start:    r.Start,
		Duration: r.Duration,
		Output:   inlineOutput(r.Tail, r.Truncated()),
		Held:     d.Held,
		res:      r,
		dec:      d,
	}
	if rep.Key == "" {
		rep.Key = rep.Command
	}
	if r.Signal != 0 {
		rep.Signal = signalName(r.Signal)
	}
	switch {
	case r.StartErr != nil:
		rep.Status = fmt.Sprintf("could not be started (exit %d)", r.ExitCode)
	case r.TimedOut:
		rep.Status = "timed out after " + r.Timeout.String()
	case r.Signal != 0:
		rep.Status = "killed by " + rep.Signal
	case r.ExitCode != 0:
		rep.Status = fmt.Sprintf("failed (exit %d)", r.ExitCode)
	default:
		rep.Status = "succeeded"
	}
	return rep
}

// Attached records a file attached to the mail (--attach), for the body.
func (rep *Report) Attached(name string) { rep.attached = append(rep.attached, name) }

// Unattached records a file that could not be attached and why.
func (rep *Report) Unattached(name string, err error) {
	rep.unattached = append(rep.unattached, fmt.Sprintf("%s (%v)", name, err))
}

// AttachOutput reports whether the whole output goes with the mail as
// OutputName: when it is larger than the inline tail, or when asked.
func (rep *Report) AttachOutput(always bool) bool {
	return rep.res.OutputFile != "" && (always || rep.res.Truncated())
}

// DefaultSubject is the subject without -s: "[web1] backup.sh failed (exit 3)".
const DefaultSubject = "[{{.Host}}] {{.Name}} {{.Status}}"

// ParseSubject parses a -s template and tries it on a sample report, so
// that an unknown field is a usage error before the command runs, not a
// lost alert after.
func ParseSubject(s string) (*template.Template, error) {
	if s == "" {
		s = DefaultSubject
	}
	t, err := template.New("subject").Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, fmt.Errorf("notify: subject template: %w", err)
	}
	sample := NewReport(&Result{Args: []string{"true"}, Start: time.Now()}, Decision{}, "host", "")
	if err := t.Execute(&strings.Builder{}, sample); err != nil {
		return nil, fmt.Errorf("notify: subject template: %w", err)
	}
	return t, nil
}

// maxSubject bounds a subject made from a template over the output.
const maxSubject = 200

// Subject renders the subject template. Line breaks and other control
// characters become spaces (a header value holds none: RFC 5322 §2.2), and
// a long result is cut at maxSubject characters.
func (rep *Report) Subject(t *template.Template) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, rep); err != nil {
		return "", fmt.Errorf("notify: subject template: %w", err)
	}
	s := strings.Join(strings.FieldsFunc(strings.ToValidUTF8(b.String(), "\uFFFD"), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if utf8.RuneCountInString(s) > maxSubject {
		s = string([]rune(s)[:maxSubject-1]) + "…"
	}
	return s, nil
}

// Body is the text of the mail: what ran where, how it ended, and the end
// of its output.
func (rep *Report) Body(attachOutput bool) string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-10s %s\n", k+":", v) }
	line("Host", rep.Host)
	line("Command", rep.Command)
	if rep.Key != rep.Command {
		line("Job", rep.Key)
	}
	line("Status", rep.Status)
	if rep.res.StartErr != nil {
		line("Error", rep.res.StartErr.Error())
	}
	line("Started", rep.Start.Format("2006-01-02 15:04:05 -0700"))
	line("Duration", roundDuration(rep.Duration).String())
	if rep.Held > 0 {
		line("Held back", fmt.Sprintf("%d more %s since %s, not mailed (at most one mail per %s)",
			rep.Held, plural(rep.Held, rep.dec.Class), sinceTime(rep.dec.Since, rep.Start), rep.dec.Every))
	}
	for _, a := range rep.attached {
		line("Attached", a)
	}
	for _, a := range rep.unattached {
		line("Missing", a)
	}
	r := rep.res
	attach := rep.AttachOutput(attachOutput)
	switch {
	case r.OutputSize == 0:
		line("Output", "none")
	case r.Truncated() && attach:
		line("Output", fmt.Sprintf("%s, the end below; all of it is attached as %s", size(r.OutputSize), OutputName))
	case r.Truncated():
		line("Output", fmt.Sprintf("%s, the end below (the whole output could not be kept: %v)", size(r.OutputSize), r.OutputErr))
	case attach:
		line("Output", fmt.Sprintf("%s, below and attached as %s", size(r.OutputSize), OutputName))
	default:
		line("Output", size(r.OutputSize)+", below")
	}
	if r.Lingering {
		line("Note", "a background process kept the output open after the command exited; what it wrote later is not included")
	}
	if rep.Output != "" {
		b.WriteString("\n")
		b.WriteString(rep.Output)
		if !strings.HasSuffix(rep.Output, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// inlineOutput makes the tail fit a text body: valid UTF-8 (the cut may
// split a character; the attachment keeps the exact bytes) and, when cut,
// starting at a line.
func inlineOutput(tail []byte, truncated bool) string {
	if truncated {
		if i := strings.IndexByte(string(tail[:min(len(tail), 4096)]), '\n'); i >= 0 {
			tail = tail[i+1:]
		}
	}
	return strings.ToValidUTF8(string(tail), "\uFFFD")
}

func plural(n int, class string) string {
	switch {
	case class == "failure" && n == 1:
		return "failure"
	case class == "failure":
		return "failures"
	case n == 1:
		return "successful run"
	}
	return "successful runs"
}

// sinceTime shows the previous mail's time as a person reads it: "10:00"
// on the same day, else with the date.
func sinceTime(t, now time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == now.Local().Year() && m == now.Local().Month() && d == now.Local().Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < time.Minute:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Second)
}

func size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// QuoteCommand shows argv as a POSIX shell would need it typed: words made
// only of safe characters as they are, others in single quotes.
func QuoteCommand(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@%+=:,./_-", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ExitStatus is the error `outbox run` ends with: the child's status,
// which main passes on as outbox's own. Err, when not nil, is something to
// tell the user as well (the alert could not be sent, the command could
// not start); when nil, nothing is printed.
type ExitStatus struct {
	Code int
	Err  error
}

func (e *ExitStatus) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitStatus) Unwrap() error { return e.Err }
