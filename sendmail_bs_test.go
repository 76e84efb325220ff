package main

// Issue 14: sendmail -bs, an SMTP dialogue on stdin/stdout, driven by
// real clients (PHP's Symfony Mailer, Python's smtplib) and by scripted
// dialogues, through the built binary (the test binary, which is outbox
// under the name sendmail: see TestMain).

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// bsEnv is a config (smarthost, queue, delivery log) and a directory
// holding "sendmail", a link to the binary.
type bsEnv struct {
	t        *testing.T
	dir      string // holds sendmail and the config
	config   string
	queueDir string
	logFile  string
	srv      *smtptest.Server
}

// newBSEnv sets up outbox for -bs tests. With srv nil the smarthost is
// 127.0.0.1:1, where nothing listens: every message gets queued.
func newBSEnv(t *testing.T, srv *smtptest.Server) *bsEnv {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	must(t, err)
	must(t, os.Symlink(self, filepath.Join(dir, "sendmail")))
	e := &bsEnv{t: t, dir: dir, srv: srv,
		config:   filepath.Join(dir, "config.toml"),
		queueDir: filepath.Join(dir, "queue"),
		logFile:  filepath.Join(dir, "mail.log"),
	}
	port := 1
	if srv != nil {
		port = srv.Port
	}
	conf := fmt.Sprintf(`default_domain = "example.com"
queue_dir = %q
log = %q

[aliases]
root = "ops@example.com"

[accounts.test]
host = "127.0.0.1"
port = %d
tls = "none"
timeout = "5s"
`, e.queueDir, e.logFile, port)
	must(t, os.WriteFile(e.config, []byte(conf), 0o600))
	return e
}

// env is what every child gets: the config, and nothing of the user's.
func (e *bsEnv) env() []string {
	return []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"OUTBOX_CONFIG=" + e.config,
		"HOME=" + e.dir,
		"XDG_CONFIG_HOME=" + filepath.Join(e.dir, "xdg"),
		"XDG_STATE_HOME=" + filepath.Join(e.dir, "state"),
	}
}

// dialogue runs `sendmail -bs ARGS` with the whole client side on stdin
// (a pipelining client) and returns stdout, stderr and the exit status.
func (e *bsEnv) dialogue(in string, args ...string) (string, string, int) {
	e.t.Helper()
	cmd := exec.Command(filepath.Join(e.dir, "sendmail"), append([]string{"-bs"}, args...)...)
	cmd.Env = e.env()
	cmd.Stdin = strings.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := exitStatus(e.t, cmd.Run(), &out, &errb)
	return out.String(), errb.String(), code
}

func exitStatus(t *testing.T, err error, out, errb *bytes.Buffer) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("run: %v\n%s%s", err, out, errb)
	}
	return ee.ExitCode()
}

// queued lists the entries in a queue subdirectory (new, failed, tmp).
func (e *bsEnv) queued(sub string) []string {
	e.t.Helper()
	des, err := os.ReadDir(filepath.Join(e.queueDir, sub))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	must(e.t, err)
	var ids []string
	for _, de := range des {
		if id, ok := strings.CutSuffix(de.Name(), ".json"); ok {
			ids = append(ids, id)
		} else if sub == "tmp" {
			ids = append(ids, de.Name())
		}
	}
	return ids
}

// logged returns the delivery log's result for id ("sent", "queued", ...).
func (e *bsEnv) logged(id string) string {
	e.t.Helper()
	b, err := os.ReadFile(e.logFile)
	must(e.t, err)
	m := regexp.MustCompile(`id=` + regexp.QuoteMeta(id) + `\b.* result=(\w+)`).FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

var queuedAs = regexp.MustCompile(`^250 2\.0\.0 Ok: queued as ([0-9A-Z]+)\b`)

// queueIDs returns the IDs of the "250 ... queued as ID" replies.
func queueIDs(out string) []string {
	var ids []string
	for _, l := range strings.Split(out, "\r\n") {
		if m := queuedAs.FindStringSubmatch(l); m != nil {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// attachmentSHA256 finds the part named name in a multipart message and
// returns the SHA-256 of its decoded bytes.
func attachmentSHA256(t *testing.T, data []byte, name string) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	must(t, err)
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	must(t, err)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable; base64 below
		if err == io.EOF {
			t.Fatalf("no part named %s in:\n%s", name, data)
		}
		must(t, err)
		if p.FileName() != name {
			continue
		}
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			r = base64Reader(p)
		}
		h := sha256.New()
		_, err = io.Copy(h, r)
		must(t, err)
		return hex.EncodeToString(h.Sum(nil))
	}
}

func randomFile(t *testing.T, dir string, n int) string {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	p := filepath.Join(dir, "attachment.bin")
	must(t, os.WriteFile(p, b, 0o644))
	return p
}

func headerHas(data []byte, field string) bool {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	return err == nil && len(msg.Header[field]) > 0
}

// needTool skips when a program test.sh installs is missing here, and
// fails under CI, where test.sh has installed it.
func needTool(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing: test.sh installs it (php-cli php-symfony-mailer python3)", path)
		}
		t.Skipf("%s not installed (test.sh installs it)", path)
	}
}

// Symfony Mailer's SendmailTransport with its default "-bs" command runs
// unchanged against outbox: one message with an attachment and a Bcc.
func TestSendmailBSSymfony(t *testing.T) {
	needTool(t, "/usr/bin/php")
	needTool(t, "/usr/share/php/Symfony/Component/Mailer/autoload.php")
	srv := smtptest.Start(t, smtptest.Options{Mode: "none", EnableSMTPUTF8: true, EnableDSN: true})
	e := newBSEnv(t, srv)
	file := randomFile(t, e.dir, 300<<10)
	raw, err := os.ReadFile(file)
	must(t, err)
	want := sha256.Sum256(raw)

	cmd := exec.Command("php", "testdata/bs/symfony.php", e.dir, file)
	cmd.Env = e.env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if code := exitStatus(t, cmd.Run(), &out, &errb); code != 0 {
		t.Fatalf("php exited %d\n%s\n%s", code, out.String(), errb.String())
	}
	// Symfony's debug log: "< 250 2.0.0 Ok: queued as ID" among its lines.
	m := regexp.MustCompile(`(?m)^< 250 2\.0\.0 Ok: queued as ([0-9A-Z]+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no queue id in Symfony's dialogue:\n%s", out.String())
	}
	// (QUIT comes later, when the transport is destroyed.)
	for _, want := range []string{"< 220 ", "> HELO ", "> MAIL FROM:<app@example.com>"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Symfony's dialogue lacks %q:\n%s", want, out.String())
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages", len(msgs))
	}
	got := msgs[0]
	if got.From != "app@example.com" || !slices.Equal(got.To, []string{"user@example.net", "hidden@example.org"}) {
		t.Errorf("envelope: MAIL FROM %q, RCPT TO %q", got.From, got.To)
	}
	if headerHas(got.Data, "Bcc") || bytes.Contains(got.Data, []byte("hidden@example.org")) {
		t.Errorf("the Bcc recipient shows in the delivered message:\n%.600s", got.Data)
	}
	if sum := attachmentSHA256(t, got.Data, "invoice.bin"); sum != hex.EncodeToString(want[:]) {
		t.Errorf("attachment SHA-256 %s, want %x", sum, want)
	}
	if r := e.logged(m[1]); r != "sent" {
		t.Errorf("delivery log for %s (the id Symfony saw): %q", m[1], r)
	}
}

// Python's smtplib over a pair of pipes: EHLO and two transactions.
func TestSendmailBSPythonSmtplib(t *testing.T) {
	needTool(t, "/usr/bin/python3")
	srv := smtptest.Start(t, smtptest.Options{Mode: "none", EnableSMTPUTF8: true, EnableDSN: true})
	e := newBSEnv(t, srv)
	file := randomFile(t, e.dir, 100<<10)
	cmd := exec.Command("python3", "testdata/bs/smtplib_pipe.py", file, filepath.Join(e.dir, "sendmail"), "-bs", "-i")
	cmd.Env = e.env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if code := exitStatus(t, cmd.Run(), &out, &errb); code != 0 {
		t.Fatalf("python exited %d\n%s\n%s", code, out.String(), errb.String())
	}
	var res struct {
		Ehlo    []string
		Replies []string
		SHA256  string
		Status  int
	}
	must(t, json.Unmarshal(out.Bytes(), &res))
	if res.Status != 0 {
		t.Errorf("sendmail -bs exited %d after QUIT; stderr: %s", res.Status, errb.String())
	}
	for _, k := range []string{"8bitmime", "smtputf8", "pipelining", "size", "enhancedstatuscodes", "dsn"} {
		if !slices.Contains(res.Ehlo, k) {
			t.Errorf("EHLO keywords %v lack %s", res.Ehlo, k)
		}
	}
	for _, k := range []string{"auth", "starttls"} {
		if slices.Contains(res.Ehlo, k) {
			t.Errorf("EHLO offers %s", k)
		}
	}
	var ids []string
	for _, r := range res.Replies {
		m := regexp.MustCompile(`^2\.0\.0 Ok: queued as ([0-9A-Z]+)$`).FindStringSubmatch(r)
		if m == nil {
			t.Fatalf("DATA reply %q", r)
		}
		ids = append(ids, m[1])
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("server got %d messages", len(msgs))
	}
	one, two := msgs[0], msgs[1]
	if one.From != "py@example.com" || !slices.Equal(one.To, []string{"first@example.net", "secret@example.org"}) {
		t.Errorf("first envelope: %q %q", one.From, one.To)
	}
	if headerHas(one.Data, "Bcc") || bytes.Contains(one.Data, []byte("secret@example.org")) {
		t.Errorf("Bcc delivered in the header:\n%.600s", one.Data)
	}
	if sum := attachmentSHA256(t, one.Data, "data.bin"); sum != res.SHA256 {
		t.Errorf("attachment SHA-256 %s, want %s", sum, res.SHA256)
	}
	// smtplib stuffed the dots; outbox unstuffed them and the smarthost
	// got them stuffed again, so its reader sees the text as written.
	if !bytes.Contains(one.Data, []byte("\r\nline one\r\n.\r\n..two dots\r\n")) {
		t.Errorf("dot lines changed:\n%.800s", one.Data)
	}
	if two.From != "bounces@example.com" || !slices.Equal(two.To, []string{"second@example.net"}) {
		t.Errorf("second envelope: %q %q", two.From, two.To)
	}
	// Header completion as with -t: Date and Message-ID added.
	for _, f := range []string{"Date", "Message-Id"} {
		if !headerHas(two.Data, f) {
			t.Errorf("second message has no %s:\n%s", f, two.Data)
		}
	}
	for _, id := range ids {
		if r := e.logged(id); r != "sent" {
			t.Errorf("delivery log for %s: %q", id, r)
		}
	}
}

// Smarthost down: 250 with the queue id, and the message is in the queue.
func TestSendmailBSSmarthostDown(t *testing.T) {
	e := newBSEnv(t, nil)
	out, errs, code := e.dialogue("HELO app\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: down\r\nTo: root\r\n\r\nbody\r\n.\r\nQUIT\r\n")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	ids := queueIDs(out)
	if len(ids) != 1 || !strings.Contains(out, "(not sent yet: ") {
		t.Fatalf("reply:\n%s", out)
	}
	if q := e.queued("new"); !slices.Equal(q, ids) {
		t.Fatalf("queue holds %v, the client was told %v", q, ids)
	}
	b, err := os.ReadFile(filepath.Join(e.queueDir, "new", ids[0]+".json"))
	must(t, err)
	if !strings.Contains(string(b), `"addr": "a@example.net"`) || !strings.Contains(string(b), `"from": "app@example.com"`) {
		t.Errorf("queue entry:\n%s", b)
	}
	// Header completion as with -t: local names get default_domain.
	b, err = os.ReadFile(filepath.Join(e.queueDir, "new", ids[0]+".eml"))
	must(t, err)
	if !bytes.Contains(b, []byte("\r\nTo: root@example.com\r\n")) {
		t.Errorf("queued message:\n%s", b)
	}
	if errs != "" {
		t.Errorf("stderr: %q (the reply says it all)", errs)
	}
}

// The smarthost's permanent refusal is the client's reply; the message is
// kept in failed/ (as with -t). A refusal of some recipients only is a
// 250 that says so: the others have the message.
func TestSendmailBSRefusal(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: "none",
		OnMail: func(from string) error {
			if from == "spam@example.com" {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender refused by policy"}
			}
			return nil
		},
		OnRcpt: refuse,
	})
	e := newBSEnv(t, srv)
	out, errs, code := e.dialogue("EHLO app\r\n" +
		"MAIL FROM:<spam@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: 1\r\n\r\nx\r\n.\r\n" +
		"MAIL FROM:<app@example.com>\r\nRCPT TO:<nobody@reject.test>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nSubject: 2\r\n\r\ny\r\n.\r\n" +
		"QUIT\r\n")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	whole := regexp.MustCompile(`(?m)^550 5\.7\.1 .*sender refused by policy.*kept in the failed queue as ([0-9A-Z]+)\)\r$`).FindStringSubmatch(out)
	if whole == nil {
		t.Fatalf("no relayed 550:\n%s", out)
	}
	partial := regexp.MustCompile(`(?m)^250 2\.0\.0 Ok: queued as ([0-9A-Z]+) \(but .*no such user here.*\)\r$`).FindStringSubmatch(out)
	if partial == nil {
		t.Fatalf("no 250 for the partly refused message:\n%s", out)
	}
	failed := e.queued("failed")
	slices.Sort(failed)
	want := []string{whole[1], partial[1]}
	slices.Sort(want)
	if !slices.Equal(failed, want) {
		t.Errorf("failed/ holds %v, want %v", failed, want)
	}
	if got := srv.Messages(); len(got) != 1 || !slices.Equal(got[0].To, []string{"b@example.net"}) {
		t.Errorf("delivered: %+v", got)
	}
}

// Bad input at the binary: each gets its reply, nothing incomplete is
// kept, every complete transaction before is.
func TestSendmailBSBadInput(t *testing.T) {
	e := newBSEnv(t, nil)
	complete := "MAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: ok\r\n\r\nkept\r\n.\r\n"

	t.Run("errors then QUIT", func(t *testing.T) {
		out, errs, code := e.dialogue("MAIL FROM:<a@example.net>\r\nHELO app\r\nXYZZ\r\nHELP\r\nDATA\r\nMAIL FROM:<>\r\nMAIL FROM:<>\r\nRSET\r\n" +
			"MAIL FROM:<app@example.com> SIZE=99999999999\r\nMAIL FROM:<app@example.com> SIZE=67108865\r\nQUIT\r\n")
		if code != 0 {
			t.Errorf("exit %d after QUIT; stderr %q", code, errs)
		}
		// RFC 5321 §4.2.4: a command out of sequence gets 503; one not
		// implemented, 502.
		for _, w := range []string{"503 5.5.1 Please introduce yourself", "500 5.5.2 Syntax errors, XYZZ command unrecognized",
			"502 5.5.1 HELP command not implemented", "503 5.5.1 Missing RCPT TO", "503 5.5.1 Nested MAIL",
			"501 5.5.4 Unable to parse SIZE", "552 5.3.4 Max message size exceeded", "221 2.0.0 Bye"} {
			if !strings.Contains(out, "\r\n"+w) {
				t.Errorf("no %q in:\n%s", w, out)
			}
		}
	})
	t.Run("broken config", func(t *testing.T) {
		bad := filepath.Join(e.dir, "bad.toml")
		must(t, os.WriteFile(bad, []byte("bogus = = 1\n"), 0o600))
		out, errs, code := e.dialogue("HELO app\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nQUIT\r\n", "-C", bad)
		if !strings.Contains(out, "\r\n451 4.3.5 outbox can't take mail: config: "+bad+":1:") || !strings.HasSuffix(out, "\r\n221 2.0.0 Bye\r\n") {
			t.Errorf("output:\n%s", out)
		}
		if code != 78 || !strings.Contains(errs, bad+":1:") {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("line too long inside DATA", func(t *testing.T) {
		before := len(e.queued("new"))
		out, _, _ := e.dialogue("HELO app\r\n" + complete +
			"MAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: long\r\n\r\n" + strings.Repeat("x", 1<<20+10) + "\r\n.\r\nQUIT\r\n")
		if !regexp.MustCompile(`\r\n500 5\.[45]\.[06] .*(Too long line|Line too long)`).MatchString(out) {
			t.Errorf("no 500 for the long line:\n%.2000s", out)
		}
		if n := len(e.queued("new")) - before; n != len(queueIDs(out)) || n != 1 {
			t.Errorf("%d new in the queue, %d ids told:\n%.2000s", n, len(queueIDs(out)), out)
		}
		if tmp := e.queued("tmp"); len(tmp) != 0 {
			t.Errorf("tmp/ keeps %v", tmp)
		}
	})
	t.Run("EOF inside DATA", func(t *testing.T) {
		before := len(e.queued("new"))
		out, errs, code := e.dialogue("HELO app\r\n" + complete + complete +
			"MAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a mess")
		if n := len(e.queued("new")) - before; n != 2 || len(queueIDs(out)) != 2 {
			t.Errorf("%d new in the queue, ids told %v:\n%s", n, queueIDs(out), out)
		}
		if tmp := e.queued("tmp"); len(tmp) != 0 {
			t.Errorf("tmp/ keeps %v", tmp)
		}
		if code != 65 || !strings.Contains(errs, "the input ended inside DATA; that message was discarded (2 message(s) accepted before it are kept)") {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})
}

// Command-line flags still apply to each transaction: -f replaces MAIL
// FROM, -F names the From outbox adds, -C picks the config.
func TestSendmailBSFlags(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: "none"})
	e := newBSEnv(t, srv)
	other := filepath.Join(e.dir, "elsewhere.toml")
	must(t, os.Rename(e.config, other))
	out, errs, code := e.dialogue("HELO app\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: flags\r\n\r\nx\r\n.\r\nQUIT\r\n",
		"-i", "-oi", "-f", "bounce@example.com", "-F", "Web Shop", "-C", other)
	if code != 0 || len(queueIDs(out)) != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].From != "bounce@example.com" {
		t.Fatalf("delivered: %+v", got)
	}
	if !bytes.Contains(got[0].Data, []byte("From: \"Web Shop\" <bounce@example.com>\r\n")) {
		t.Errorf("From added:\n%s", got[0].Data)
	}
}

func base64Reader(r io.Reader) io.Reader { return base64.NewDecoder(base64.StdEncoding, r) }

// System mode (SPEC §7): PHP-FPM as an unprivileged user that can't read
// the system config. Each transaction goes into the maildrop, 250 only
// after the drop file is written; root's flush sends it with the caller's
// identity (MAIL FROM from a user not in trusted_users is not used, as
// -f is not).
func TestSendmailBSMaildrop(t *testing.T) {
	m := newMuEnv(t)
	const u = "i14abs1"
	if exec.Command("id", "-u", u).Run() != nil {
		if out, err := exec.Command("useradd", "-M", "-r", "-s", "/usr/sbin/nologin", u).CombinedOutput(); err != nil && exec.Command("id", "-u", u).Run() != nil {
			t.Fatalf("useradd %s: %v\n%s", u, err, out)
		}
	}
	out, errs, code := m.as(u, "HELO web\r\nMAIL FROM:<shop@example.org>\r\nRCPT TO:<buyer@example.net>\r\nRCPT TO:<audit@example.net>\r\nDATA\r\n"+
		"Subject: order\r\nTo: buyer@example.net\r\nBcc: audit@example.net\r\n\r\nthanks\r\n.\r\nQUIT\r\n", m.bin, "sendmail", "-bs", "-i")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	ids := queueIDs(out)
	if len(ids) != 1 || !strings.Contains(out, "(in the maildrop; root's outbox sends it)") {
		t.Fatalf("reply:\n%s", out)
	}
	if d := m.dropped(); len(d) != 1 || !strings.HasPrefix(d[0], ids[0]) {
		t.Fatalf("maildrop holds %v, the client was told %v", d, ids)
	}
	m.root("", "queue", "flush")
	got := m.delivered("buyer@example.net")
	if len(got) != 1 || got[0].From != u+"@example.com" || !slices.Equal(got[0].To, []string{"buyer@example.net", "audit@example.net"}) {
		t.Fatalf("delivered: %+v", got)
	}
	if headerHas(got[0].Data, "Bcc") || !bytes.Contains(got[0].Data, []byte("thanks")) {
		t.Errorf("delivered message:\n%s", got[0].Data)
	}
}

// A client that goes quiet gets 421 after the timeout (five minutes; here
// shortened), and outbox exits 75 saying so; what was accepted before
// stays in the queue.
func TestSendmailBSTimeout(t *testing.T) {
	e := newBSEnv(t, nil)
	old := bsTimeout
	bsTimeout = 300 * time.Millisecond
	t.Cleanup(func() { bsTimeout = old })
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte("HELO app\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: 1\r\n\r\nx\r\n.\r\nMAIL FROM:<app@example.com>\r\n"))
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"sendmail", "-bs", "-C", e.config}, pr, &out, &errb) }()
	var code int
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("no timeout; output:\n%s", out.String())
	}
	if code != 75 || !strings.Contains(errb.String(), "the client sent nothing for 300ms; answered 421 and closed (1 message(s) accepted before)") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if !strings.HasSuffix(out.String(), "\r\n421 4.4.2 Idle timeout, bye bye\r\n") {
		t.Errorf("output:\n%s", out.String())
	}
	if ids, q := queueIDs(out.String()), e.queued("new"); len(ids) != 1 || !slices.Equal(ids, q) {
		t.Errorf("told %v, queue holds %v", ids, q)
	}
}

// No config at all (the embedded default): the message is queued and
// waits for a config and a flush, which the 250 says in the words that
// sendmail -t prints on stderr, never "it will be retried".
func TestSendmailBSNoConfig(t *testing.T) {
	e := newBSEnv(t, nil)
	must(t, os.Remove(e.config))
	env := append(e.env()[:1:1], "HOME="+e.dir,
		"XDG_CONFIG_HOME="+filepath.Join(e.dir, "xdg"),
		"XDG_STATE_HOME="+filepath.Join(e.dir, "state"),
		"OUTBOX_SYSTEM_CONFIG="+filepath.Join(e.dir, "etc", "config.toml"),
		"OUTBOX_QUEUE_DIR="+e.queueDir)
	run := func(in string, args ...string) (string, string, int) {
		cmd := exec.Command(filepath.Join(e.dir, "sendmail"), args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(in)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		code := exitStatus(t, cmd.Run(), &out, &errb)
		return out.String(), errb.String(), code
	}
	out, errs, code := run("HELO app\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: early\r\n\r\nbody\r\n.\r\nQUIT\r\n", "-bs")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
	}
	ids := queueIDs(out)
	if len(ids) != 1 || !slices.Equal(e.queued("new"), ids) {
		t.Fatalf("told %v, queue holds %v:\n%s", ids, e.queued("new"), out)
	}
	const next = "run `outbox config init` to set up a smarthost, then `outbox queue flush` sends it"
	if !strings.Contains(out, "Ok: queued as "+ids[0]+" (no configuration yet: "+next+")\r\n") || strings.Contains(out, "retried") {
		t.Errorf("reply to the final dot:\n%s", out)
	}
	// sendmail -t says the same on stderr.
	_, errs, code = run("To: a@example.net\nSubject: early\n\nbody\n", "-t", "-i")
	if code != 0 || !strings.Contains(errs, "no configuration found; message queued as ") ||
		!regexp.MustCompile("next: run `outbox config init` to set up your smarthost .*, then `outbox queue flush` sends it").MatchString(errs) {
		t.Errorf("sendmail -t: exit %d, stderr %q", code, errs)
	}
}

// A warning (here for -X) never comes before the 220 greeting: Symfony's
// ProcessStream reads stderr right after starting sendmail and takes any
// text there for "Process could not be started". It comes after the
// session.
func TestSendmailBSWarningsAfterSession(t *testing.T) {
	e := newBSEnv(t, nil)
	cmd := exec.Command(filepath.Join(e.dir, "sendmail"), "-bs", "-i", "-X", filepath.Join(e.dir, "traffic.log"))
	cmd.Env = e.env()
	stdin, err := cmd.StdinPipe()
	must(t, err)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	er, ew, err := os.Pipe()
	must(t, err)
	defer er.Close()
	cmd.Stderr = ew
	must(t, cmd.Start())
	ew.Close()
	greeting := make([]byte, 4)
	if _, err := io.ReadFull(stdout, greeting); err != nil || string(greeting) != "220 " {
		t.Fatalf("greeting %q, %v", greeting, err)
	}
	// Whatever outbox wrote on stderr before the greeting is in the pipe
	// by now: one read(2) on the non-blocking pipe (os.Pipe's), which
	// fails with EAGAIN when it is empty, without waiting.
	raw, err := er.SyscallConn()
	must(t, err)
	early := make([]byte, 4096)
	var n int
	var rerr error
	must(t, raw.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), early)
		return true
	}))
	if n > 0 || !errors.Is(rerr, syscall.EAGAIN) {
		t.Errorf("stderr before the session is over: %q (%v)", early[:max(n, 0)], rerr)
	}
	_, err = io.WriteString(stdin, "HELO app\r\nQUIT\r\n")
	must(t, err)
	stdin.Close()
	rest, err := io.ReadAll(stdout)
	must(t, err)
	errs, err := io.ReadAll(er)
	must(t, err)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s%s", err, rest, errs)
	}
	if !strings.HasSuffix(string(rest), "\r\n221 2.0.0 Bye\r\n") {
		t.Errorf("stdout: %s", rest)
	}
	if !strings.Contains(string(errs), "outbox: warning: -X ") || !strings.Contains(string(errs), "ignored: outbox never writes a traffic log") {
		t.Errorf("stderr after the session: %q", errs)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "traffic.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-X file written: %v", err)
	}
}

// A client that closes its end of stdout before reading the reply to the
// final dot: outbox is not killed by SIGPIPE, the message is in the queue,
// and the exit status (74) and stderr say what happened.
func TestSendmailBSClientClosesStdout(t *testing.T) {
	e := newBSEnv(t, nil) // smarthost down: the message gets queued
	cmd := exec.Command(filepath.Join(e.dir, "sendmail"), "-bs")
	cmd.Env = e.env()
	stdin, err := cmd.StdinPipe()
	must(t, err)
	or, ow, err := os.Pipe()
	must(t, err)
	cmd.Stdout = ow
	var errb bytes.Buffer
	cmd.Stderr = &errb
	must(t, cmd.Start())
	ow.Close()
	_, err = io.WriteString(stdin, "HELO app\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<a@example.net>\r\nDATA\r\nSubject: unread\r\n\r\nbody\r\n")
	must(t, err)
	var seen []byte
	buf := make([]byte, 512)
	for !bytes.Contains(seen, []byte("\r\n354 ")) {
		n, err := or.Read(buf)
		if err != nil {
			t.Fatalf("read: %v after %q", err, seen)
		}
		seen = append(seen, buf[:n]...)
	}
	or.Close() // the reply to the final dot can't be written now
	_, err = io.WriteString(stdin, ".\r\nQUIT\r\n")
	must(t, err)
	stdin.Close()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 74 {
		t.Fatalf("exit: %v (%s), want status 74\nstderr: %s", err, cmd.ProcessState, errb.String())
	}
	if !strings.Contains(errb.String(), "the client closed its end of the pipe before reading a reply, so the session ended there; 1 message(s) accepted before are kept") {
		t.Errorf("stderr: %q", errb.String())
	}
	if q := e.queued("new"); len(q) != 1 {
		t.Errorf("queue holds %v, want the one message", q)
	}
	if tmp := e.queued("tmp"); len(tmp) != 0 {
		t.Errorf("tmp/ keeps %v", tmp)
	}
}
