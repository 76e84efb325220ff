package notify

import (
	"net/mail"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mustAddr(t *testing.T, s string) *mail.Address {
	t.Helper()
	a, err := mail.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDefaultSubject(t *testing.T) {
	tmpl, err := ParseSubject("")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"/usr/local/bin/backup.sh", "--full"}
	for _, tc := range []struct {
		r    *Result
		want string
	}{
		{&Result{Args: args, ExitCode: 3}, "[web1] backup.sh failed (exit 3)"},
		{&Result{Args: args}, "[web1] backup.sh succeeded"},
		{&Result{Args: args, ExitCode: 137, Signal: syscall.SIGKILL}, "[web1] backup.sh killed by SIGKILL"},
		{&Result{Args: args, ExitCode: 124, TimedOut: true, Timeout: 5 * time.Second, Signal: syscall.SIGTERM}, "[web1] backup.sh timed out after 5s"},
		{&Result{Args: args, ExitCode: 127, StartErr: syscall.ENOENT}, "[web1] backup.sh could not be started (exit 127)"},
	} {
		got, err := NewReport(tc.r, Decision{}, "web1", "").Subject(tmpl)
		if err != nil || got != tc.want {
			t.Errorf("subject %q (%v), want %q", got, err, tc.want)
		}
	}
}

func TestSubjectTemplate(t *testing.T) {
	tmpl, err := ParseSubject("{{.Host}}: {{.Command}} → {{.ExitCode}} {{.Signal}} held {{.Held}} {{.Output}}")
	if err != nil {
		t.Fatal(err)
	}
	r := &Result{Args: []string{"du", "-sh", "my dir"}, ExitCode: 1, Tail: []byte("line1\nline2\r\n\x00end\n"), OutputSize: 18}
	got, err := NewReport(r, Decision{Send: true, Held: 2}, "db", "").Subject(tmpl)
	want := "db: du -sh 'my dir' → 1 held 2 line1 line2 end"
	if err != nil || got != want {
		t.Errorf("got %q (%v), want %q", got, err, want)
	}
	long, _ := ParseSubject("{{.Output}}")
	r.Tail = []byte(strings.Repeat("x", 1000))
	r.OutputSize = 1000
	if got, _ := NewReport(r, Decision{}, "h", "").Subject(long); len([]rune(got)) != maxSubject {
		t.Errorf("long subject not cut: %d runes", len([]rune(got)))
	}
	for _, bad := range []string{"{{.Nope}}", "{{", "{{.Start.Nope}}"} {
		if _, err := ParseSubject(bad); err == nil {
			t.Errorf("ParseSubject(%q) accepted", bad)
		}
	}
	if _, err := ParseSubject("{{.Start.Format \"15:04\"}} {{.Duration.Seconds}}"); err != nil {
		t.Errorf("methods of fields: %v", err)
	}
}

func TestBody(t *testing.T) {
	start := time.Date(2025, 3, 14, 3, 0, 0, 0, time.Local)
	r := &Result{Args: []string{"backup.sh"}, ExitCode: 3, Start: start, Duration: 1234 * time.Millisecond,
		Tail: []byte("partial line\nlast line\n"), OutputSize: 100000, OutputFile: "/tmp/x/output.txt"}
	d := Decision{Send: true, Held: 3, Since: start.Add(-time.Hour + 0), Class: "failure", Every: time.Hour}
	rep := NewReport(r, d, "web1", "nightly")
	rep.Attached("report.pdf")
	body := rep.Body(false)
	for _, want := range []string{
		"Host:      web1\n",
		"Command:   backup.sh\n",
		"Job:       nightly\n",
		"Status:    failed (exit 3)\n",
		"Started:   2025-03-14 03:00:00",
		"Duration:  1.23s\n",
		"Held back: 3 more failures since 02:00, not mailed (at most one mail per 1h0m0s)\n",
		"Attached:  report.pdf\n",
		"Output:    97.7 KiB, the end below; all of it is attached as output.txt\n",
		"\nlast line\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "partial line") {
		t.Errorf("a cut tail should start at a line:\n%s", body)
	}
	if !rep.AttachOutput(false) {
		t.Error("a truncated output is not attached")
	}
}

func TestQuoteCommand(t *testing.T) {
	got := QuoteCommand([]string{"sh", "-c", "echo 'hi' && exit 3", "", "a=b,c/d.e@f:g%h+i_j-k"})
	want := `sh -c 'echo '\''hi'\'' && exit 3' '' a=b,c/d.e@f:g%h+i_j-k`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
