package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// The CLI stories in testdata/script/*.txtar run the real binary (this test
// binary under the names outbox, sendmail, mailq, newaliases) against real
// in-process SMTP servers, and assert what a user sees: exit codes, stderr,
// bytes delivered, queue contents.
func TestMain(m *testing.M) {
	main := func() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
	testscript.Main(m, map[string]func(){
		"outbox":     main,
		"sendmail":   main,
		"mailq":      main,
		"newaliases": main,
	})
}

// Magic recipient domains make the shared server refuse: scripts run in
// parallel, so each one uses its own local parts and finds its mail by them.
func refuse(to string) error {
	switch {
	case strings.HasSuffix(to, "@reject.test"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	case strings.HasSuffix(to, "@later.test"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	return nil
}

func TestScript(t *testing.T) {
	// Each script gets servers of its own, so parallel scripts never read
	// each other's mail.
	sets := map[string]map[string]*smtptest.Server{}
	files, err := filepath.Glob("testdata/script/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		sets[strings.TrimSuffix(filepath.Base(f), ".txtar")] = map[string]*smtptest.Server{
			"starttls":   smtptest.Start(t, smtptest.Options{OnRcpt: refuse, EnableDSN: true, EnableSMTPUTF8: true}),
			"tls":        smtptest.Start(t, smtptest.Options{Mode: "tls", OnRcpt: refuse}),
			"none":       smtptest.Start(t, smtptest.Options{Mode: "none", AllowInsecureAuth: true, OnRcpt: refuse}),
			"nostarttls": smtptest.Start(t, smtptest.Options{NoSTARTTLS: true, AllowInsecureAuth: true}),
		}
	}
	serversOf := func(ts *testscript.TestScript) map[string]*smtptest.Server { return sets[ts.Name()] }
	dead := closedPort(t)

	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			isolateScript(env)
			if set := sets[strings.TrimPrefix(filepath.Base(env.WorkDir), "script-")]; set != nil {
				env.Setenv("SMTP_PORT", strconv.Itoa(set["starttls"].Port))
			}
			env.Setenv("DEAD_PORT", strconv.Itoa(dead))
			// The keyring story needs the session bus the test command started.
			for _, k := range []string{"DBUS_SESSION_BUS_ADDRESS", "XDG_DATA_HOME", "OUTBOX_TEST_KEYRING", "CI"} {
				if v := os.Getenv(k); v != "" {
					env.Setenv(k, v)
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"smtpconfig": func(ts *testscript.TestScript, neg bool, args []string) { smtpConfig(ts, serversOf(ts), dead, args) },
			"received":   func(ts *testscript.TestScript, neg bool, args []string) { received(ts, neg, serversOf(ts), args) },
			"attachment": func(ts *testscript.TestScript, neg bool, args []string) { attachment(ts, serversOf(ts), args) },
			"exits":      exits,
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "keyring":
				// test.sh starts a session bus with an unlocked keyring and
				// sets OUTBOX_TEST_KEYRING=1: there the story must run.
				return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" || os.Getenv("OUTBOX_TEST_KEYRING") == "1", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		RequireExplicitExec: true,
	})
}

// isolateScript gives a CLI story a home, config, state, queue and
// maildrop of its own under $WORK, so stories never share files with each
// other or with the machine (a flush as root must never pick up the real
// /var/spool/outbox/maildrop).
func isolateScript(env *testscript.Env) {
	home := filepath.Join(env.WorkDir, "home")
	env.Setenv("HOME", home)
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	env.Setenv("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
	env.Setenv("OUTBOX_QUEUE_DIR", filepath.Join(env.WorkDir, "queue"))
	env.Setenv("OUTBOX_MAILDROP_DIR", filepath.Join(env.WorkDir, "maildrop"))
	// Root's config init without OUTBOX_CONFIG writes the system config
	// and prepares system mode: never the machine's /etc/outbox.
	env.Setenv("OUTBOX_SYSTEM_CONFIG", filepath.Join(env.WorkDir, "etc", "outbox", "config.toml"))
	// config init as root may encrypt a password with systemd-creds:
	// into a credstore and with a host key of the story's own.
	env.Setenv("OUTBOX_CREDSTORE_DIR", filepath.Join(env.WorkDir, "credstore"))
	env.Setenv("SYSTEMD_CREDENTIAL_SECRET", filepath.Join(env.WorkDir, "credential.secret"))
}

// exits N PROG [ARG...] runs PROG and asserts its exit status is exactly N;
// stdout and stderr are kept for the next assertions, as exec keeps them.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROG [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// closedPort is a loopback port nobody listens on: connection refused.
func closedPort(t *testing.T) int { return smtptest.ClosedPort(t) }

// smtpconfig SERVER [toml line...] writes ~/.config/outbox/config.toml with
// one account "test" on the named server (starttls, tls, none, nostarttls,
// dead), trusting its certificate; extra arguments are raw TOML lines added
// to the account.
func smtpConfig(ts *testscript.TestScript, servers map[string]*smtptest.Server, dead int, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: smtpconfig starttls|tls|none|nostarttls|dead [toml line...]")
	}
	port, tlsMode, ca := dead, "starttls", ""
	if s, ok := servers[args[0]]; ok {
		port, ca = s.Port, s.CAFile
		switch args[0] {
		case "tls", "none":
			tlsMode = args[0]
		}
	} else if args[0] != "dead" {
		ts.Fatalf("smtpconfig: unknown server %q", args[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "default_domain = \"example.com\"\n\n[aliases]\nroot = \"ops@example.com\"\n\n[accounts.test]\n")
	fmt.Fprintf(&b, "host = \"127.0.0.1\"\nport = %d\ntls = %q\nusername = \"user\"\nfrom = \"Test Sender <sender@example.com>\"\ntimeout = \"5s\"\n", port, tlsMode)
	if ca != "" && tlsMode != "none" {
		fmt.Fprintf(&b, "tls_ca_file = %q\n", ca)
	}
	for _, line := range args[1:] {
		b.WriteString(line + "\n")
	}
	path := filepath.Join(ts.Getenv("XDG_CONFIG_HOME"), "outbox", "config.toml")
	ts.Check(os.MkdirAll(filepath.Dir(path), 0o700))
	ts.Check(os.WriteFile(path, []byte(b.String()), 0o600))
}

// received [-server NAME] RCPT waits for a message to RCPT and prints its
// envelope and bytes (CRLF shown as LF, after checking there is no bare CR
// or LF). With !, it asserts no such message arrives within a short time.
func received(ts *testscript.TestScript, neg bool, servers map[string]*smtptest.Server, args []string) {
	srv := servers["starttls"]
	if len(args) > 2 && args[0] == "-server" {
		srv = servers[args[1]]
		args = args[2:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: received [-server NAME] RCPT")
	}
	wait := 10 * time.Second
	if neg {
		wait = 300 * time.Millisecond
	}
	msg, ok := findMessage(srv, args[0], wait)
	if neg {
		if ok {
			ts.Fatalf("a message for %s arrived", args[0])
		}
		return
	}
	if !ok {
		ts.Fatalf("no message for %s arrived", args[0])
	}
	if err := crlfOnly(msg.Data); err != nil {
		ts.Fatalf("delivered bytes: %v", err)
	}
	w := ts.Stdout()
	fmt.Fprintf(w, "MAIL FROM:<%s>", msg.From)
	if msg.MailOpts.Body != "" {
		fmt.Fprintf(w, " BODY=%s", msg.MailOpts.Body)
	}
	fmt.Fprintln(w)
	for _, r := range msg.To {
		fmt.Fprintf(w, "RCPT TO:<%s>", r)
		if o := msg.RcptOpts[r]; o != nil && len(o.Notify) > 0 {
			fmt.Fprintf(w, " NOTIFY=%v", o.Notify)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "AUTH %s\n\n", msg.Auth)
	w.Write(bytes.ReplaceAll(msg.Data, []byte("\r\n"), []byte("\n")))
}

func findMessage(srv *smtptest.Server, rcpt string, wait time.Duration) (smtptest.Message, bool) {
	deadline := time.Now().Add(wait)
	for {
		for _, m := range srv.Messages() {
			if slices.Contains(m.To, rcpt) {
				return m, true
			}
		}
		if time.Now().After(deadline) {
			return smtptest.Message{}, false
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}

func crlfOnly(b []byte) error {
	for i, c := range b {
		switch {
		case c == '\r' && (i+1 == len(b) || b[i+1] != '\n'):
			return fmt.Errorf("bare CR at offset %d", i)
		case c == '\n' && (i == 0 || b[i-1] != '\r'):
			return fmt.Errorf("bare LF at offset %d", i)
		}
	}
	return nil
}

// attachment RCPT NAME FILE checks that the attachment NAME of the message
// delivered to RCPT decodes to exactly the bytes of FILE.
func attachment(ts *testscript.TestScript, servers map[string]*smtptest.Server, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: attachment RCPT NAME FILE")
	}
	msg, ok := findMessage(servers["starttls"], args[0], 10*time.Second)
	if !ok {
		ts.Fatalf("no message for %s arrived", args[0])
	}
	got, err := findAttachment(msg.Data, args[1])
	ts.Check(err)
	want, err := os.ReadFile(ts.MkAbs(args[2]))
	ts.Check(err)
	if sha256.Sum256(got) != sha256.Sum256(want) {
		ts.Fatalf("attachment %s: %d bytes delivered, differ from %s (%d bytes)", args[1], len(got), args[2], len(want))
	}
}

func findAttachment(data []byte, name string) ([]byte, error) {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return walkParts(m.Header.Get("Content-Type"), m.Body, name)
}

func walkParts(contentType string, body io.Reader, name string) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return nil, errors.New("not multipart")
	}
	r := multipart.NewReader(body, params["boundary"])
	for {
		p, err := r.NextPart() // decodes quoted-printable; base64 below
		if err != nil {
			return nil, fmt.Errorf("attachment %q not found", name)
		}
		if p.FileName() == name {
			raw, err := io.ReadAll(p)
			if err != nil {
				return nil, err
			}
			if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
				return decodeBase64(raw)
			}
			return raw, nil
		}
		if b, err := walkParts(p.Header.Get("Content-Type"), p, name); err == nil {
			return b, nil
		}
	}
}

func decodeBase64(raw []byte) ([]byte, error) {
	clean := bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, raw)
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	return out[:n], err
}
