package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/internal/smtptest"
)

// Issue 16: the first five minutes on a server. `config init` finishes
// without a keyring (a 0600 password_file for a user, an encrypted
// systemd credential for root), root's init prepares system mode, and
// `check --send` proves delivery. These tests run the real binary as
// real users (setpriv) with no D-Bus session; they need root, as CI has.

// frEnv is a private world under /tmp (mode 0755 all the way, so test
// users can run the binary): the binary as outbox and sendmail, the
// server's CA, and the paths root's init and send use.
type frEnv struct {
	t    *testing.T
	base string
	bin  string
	ca   string
	srv  *smtptest.Server
}

const (
	frUser   = "i16user1"
	frDrop   = "i16user2"
	frSecret = "i16-S3cret-pw"
)

func newFrEnv(t *testing.T, srv *smtptest.Server) *frEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("runs as root: creates users and runs outbox as them with setpriv")
	}
	for _, tool := range []string{"useradd", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	for _, u := range []string{frUser, frDrop} {
		if exec.Command("id", "-u", u).Run() == nil {
			continue
		}
		if out, err := exec.Command("useradd", "-M", "-r", "-s", "/usr/sbin/nologin", u).CombinedOutput(); err != nil && exec.Command("id", "-u", u).Run() != nil {
			t.Fatalf("useradd %s: %v\n%s", u, err, out)
		}
	}
	base, err := os.MkdirTemp("/tmp", "outbox-i16-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(base) })
	must(t, os.Chmod(base, 0o755))
	e := &frEnv{t: t, base: base, bin: filepath.Join(base, "bin", "outbox"), ca: filepath.Join(base, "ca.pem"), srv: srv}
	self, err := os.ReadFile(os.Args[0])
	must(t, err)
	must(t, os.MkdirAll(filepath.Dir(e.bin), 0o755))
	must(t, os.WriteFile(e.bin, self, 0o755))
	must(t, os.Symlink("outbox", filepath.Join(base, "bin", "sendmail")))
	ca, err := os.ReadFile(srv.CAFile)
	must(t, err)
	must(t, os.WriteFile(e.ca, ca, 0o644))
	return e
}

// env is a clean environment: no D-Bus session (so no keyring), no
// OUTBOX_PASSWORD, a home of the test's own, and the machine's credstore
// and systemd host key replaced by the test's.
func (e *frEnv) env(home string, extra ...string) []string {
	return append([]string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + home,
		"OUTBOX_CREDSTORE_DIR=" + filepath.Join(e.base, "credstore"),
		"SYSTEMD_CREDENTIAL_SECRET=" + filepath.Join(e.base, "credential.secret"),
	}, extra...)
}

// run runs argv (argv[0] "outbox" or "sendmail" from the test's bin) as
// user ("" = root) with env and stdin.
func (e *frEnv) run(user string, env []string, stdin string, argv ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	prog := filepath.Join(e.base, "bin", argv[0])
	var cmd *exec.Cmd
	if user == "" {
		cmd = exec.Command(prog, argv[1:]...)
	} else {
		cmd = exec.Command("setpriv", append([]string{"--reuid=" + user, "--regid=" + user, "--init-groups", "--", prog}, argv[1:]...)...)
	}
	cmd.Env = env
	cmd.Dir = "/"
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("%v: %v", argv, err)
	}
	return out.String(), errb.String(), code
}

func (e *frEnv) userHome(user string) string {
	e.t.Helper()
	home := filepath.Join(e.base, "home-"+user)
	must(e.t, os.MkdirAll(home, 0o755))
	id := uid(e.t, user)
	must(e.t, os.Chown(home, id, id))
	return home
}

// filesHolding lists the files under root that contain s.
func filesHolding(t *testing.T, root, s string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "bin" {
			return filepath.SkipDir // the test binary holds the constant itself
		}
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(s)) {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

// An unprivileged user with no D-Bus: init with --password-stdin exits
// 0, the password lands in a 0600 file of theirs and nowhere else, check
// passes, a fresh process sends with it, and a loosened mode stops the
// next send with 78 while the message is kept.
func TestFirstRunUserPasswordFile(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"i16@example.com": frSecret}})
	e := newFrEnv(t, srv)
	home := e.userHome(frUser)
	env := e.env(home)
	out, errs, code := e.run(frUser, env, frSecret+"\n", "outbox", "config", "init", "--email", "i16@example.com",
		"--host", "127.0.0.1", "--port", strconv.Itoa(srv.Port), "--tls", "starttls", "--tls-ca-file", e.ca, "--password-stdin")
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errs)
	}
	pwFile := filepath.Join(home, ".config", "outbox", "passwords", "default")
	for _, want := range []string{"The OS keyring can't be used here: ", "no D-Bus session bus", "Stored the password in " + pwFile, `PLAIN as "i16@example.com": accepted`, "Result       OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("init output lacks %q:\n%s", want, out)
		}
	}
	fi, err := os.Stat(pwFile)
	must(t, err)
	di, err := os.Stat(filepath.Dir(pwFile))
	must(t, err)
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid(t, frUser) || fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("password file: uid %d mode %v, directory %v", st.Uid, fi.Mode(), di.Mode())
	}
	// Nowhere else: not in config.toml, not in a credstore.
	if got := filesHolding(t, e.base, frSecret); len(got) != 1 || got[0] != pwFile {
		t.Errorf("the password is in %v, want only %s", got, pwFile)
	}
	if b, _ := os.ReadFile(filepath.Join(home, ".config", "outbox", "config.toml")); !strings.Contains(string(b), `password_file = "`+pwFile+`"`) {
		t.Errorf("config.toml:\n%s", b)
	}

	if out, errs, code := e.run(frUser, env, "", "outbox", "check"); code != 0 || !strings.Contains(out, "accepted") {
		t.Fatalf("check: exit %d\n%s%s", code, out, errs)
	}
	if out, errs, code := e.run(frUser, env, "", "outbox", "send", "--to", "to@example.com", "-s", "fresh process", "-m", "hi"); code != 0 {
		t.Fatalf("send: exit %d\n%s%s", code, out, errs)
	}
	msgs := srv.WaitMessages(t, 1)
	if msgs[0].Auth != "i16@example.com" || !bytes.Contains(msgs[0].Data, []byte("Subject: fresh process")) {
		t.Errorf("delivered: auth %q\n%s", msgs[0].Auth, msgs[0].Data)
	}

	must(t, os.Chmod(pwFile, 0o644))
	_, errs, code = e.run(frUser, env, "", "outbox", "send", "--to", "to@example.com", "-s", "after chmod", "-m", "kept")
	if code != exConfig || !strings.Contains(errs, "run chmod 600 "+pwFile) || strings.Contains(errs, frSecret) {
		t.Errorf("send with a 0644 password file: exit %d, want 78 and the fix\n%s", code, errs)
	}
	failed := filepath.Join(home, ".local", "state", "outbox", "queue", "failed")
	if got := filesHolding(t, failed, "after chmod"); len(got) != 1 {
		t.Errorf("the message is not kept in %s: %v", failed, got)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages delivered, want 1", n)
	}
}

// Root on a host with systemd-creds: init encrypts the password into the
// credstore (no plaintext anywhere), a fresh process decrypts it to send,
// and init for the system config prepares system mode so that an
// unprivileged sendmail right after exits 0. Every path is moved into the
// test's directory (OUTBOX_SYSTEM_CONFIG, OUTBOX_MAILDROP_DIR,
// OUTBOX_QUEUE_DIR, OUTBOX_CREDSTORE_DIR, SYSTEMD_CREDENTIAL_SECRET).
func TestFirstRunRootSystemdCreds(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"ops@example.com": frSecret}})
	e := newFrEnv(t, srv)
	if _, err := exec.LookPath("systemd-creds"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-creds not installed (test.sh installs systemd)")
		}
		t.Skip("systemd-creds not installed")
	}
	machineKey := "/var/lib/systemd/credential.secret"
	_, keyErr := os.Stat(machineKey)
	_, storeErr := os.Stat("/etc/credstore.encrypted/outbox-default")
	sysconf := filepath.Join(e.base, "etc", "outbox", "config.toml")
	drop := filepath.Join(e.base, "spool", "maildrop")
	env := e.env(filepath.Join(e.base, "roothome"),
		"OUTBOX_SYSTEM_CONFIG="+sysconf, "OUTBOX_MAILDROP_DIR="+drop,
		"OUTBOX_QUEUE_DIR="+filepath.Join(e.base, "spool", "queue"))
	out, errs, code := e.run("", env, frSecret+"\n", "outbox", "config", "init", "--email", "ops@example.com",
		"--host", "127.0.0.1", "--port", strconv.Itoa(srv.Port), "--tls-ca-file", e.ca, "--password-stdin", "--send-test")
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errs)
	}
	// --send-test: the proof, decrypted and sent by init itself.
	if msgs := srv.WaitMessages(t, 1); !bytes.Contains(msgs[0].Data, []byte("Subject: outbox test from ")) || msgs[0].To[0] != "ops@example.com" ||
		!strings.Contains(out, "Test message sent to ops@example.com through 127.0.0.1:"+strconv.Itoa(srv.Port)+"; the server replied: ") {
		t.Errorf("test message: %d delivered\n%s", len(srv.Messages()), out)
	}
	cred := filepath.Join(e.base, "credstore", "outbox-default")
	for _, want := range []string{"Wrote " + sysconf, "Stored the password encrypted with systemd-creds in " + cred,
		"System mode is ready", "systemctl enable --now outbox-pickup.path outbox-flush.timer", "Result       OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("init output lacks %q:\n%s", want, out)
		}
	}
	if b, err := os.ReadFile(cred); err != nil || len(b) == 0 {
		t.Fatalf("credential: %v", err)
	}
	if got := filesHolding(t, e.base, frSecret); len(got) != 0 {
		t.Errorf("the password is in plaintext in %v", got)
	}
	if _, err := os.Stat(machineKey); keyErr != nil && err == nil {
		t.Errorf("the machine's host key %s was created", machineKey)
	}
	if _, err := os.Stat("/etc/credstore.encrypted/outbox-default"); storeErr != nil && err == nil {
		t.Errorf("the machine's credstore was written")
	}

	// A fresh process decrypts it to send.
	if out, errs, code := e.run("", env, "", "outbox", "send", "--to", "to@example.com", "-s", "root decrypts", "-m", "hi"); code != 0 {
		t.Fatalf("send: exit %d\n%s%s", code, out, errs)
	}
	if msgs := srv.WaitMessages(t, 2); msgs[1].Auth != "ops@example.com" || !bytes.Contains(msgs[1].Data, []byte("Subject: root decrypts")) {
		t.Errorf("auth %q\n%s", msgs[1].Auth, msgs[1].Data)
	}

	// System mode at once: the maildrop exists with its modes, and an
	// unprivileged sendmail leaves its message there (exit 0).
	if fi, err := os.Stat(drop); err != nil {
		t.Errorf("maildrop: %v", err)
	} else if want := 0o733 | fs.ModeSticky | fs.ModeDir; fi.Mode() != want {
		t.Errorf("maildrop %s: %v, want %v", drop, fi.Mode(), want)
	}
	if fi, err := os.Stat(filepath.Dir(drop)); err != nil || fi.Mode().Perm()&0o011 != 0o011 {
		t.Errorf("%s: %v, users can't reach the maildrop", filepath.Dir(drop), err)
	}
	uenv := []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "OUTBOX_SYSTEM_CONFIG=" + sysconf, "OUTBOX_MAILDROP_DIR=" + drop}
	out, errs, code = e.run(frDrop, uenv, "Subject: from a user\n\nbody\n", "sendmail", "-i", "root")
	if code != 0 {
		t.Fatalf("unprivileged sendmail: exit %d\n%s%s", code, out, errs)
	}
	des, err := os.ReadDir(drop)
	if err != nil || len(des) != 1 {
		t.Errorf("maildrop: %v %v", des, err)
	}
}

// check --send against the in-process server: one message with the said
// subject, the server's reply (with its queue ID) printed; a refusing
// server: the exit code and the reason.
func TestCheckSend(t *testing.T) {
	var got [][]byte
	srv := smtptest.Start(t, smtptest.Options{
		OnRcpt: refuse,
		OnData: func(b []byte) error {
			got = append(got, b)
			// What Postfix says; smtptest keeps nothing after an error,
			// so the message is recorded here.
			return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as 4QxYzT1k"}
		},
	})
	path := filepath.Join(t.TempDir(), "c.toml")
	must(t, os.WriteFile(path, []byte(fmt.Sprintf("[accounts.probe]\nhost = \"127.0.0.1\"\nport = %d\nusername = \"user\"\nfrom = \"ops@example.com\"\ntls_ca_file = %q\n", srv.Port, srv.CAFile)), 0o600))
	t.Setenv("OUTBOX_PASSWORD", "secret")
	var stdout, stderr bytes.Buffer
	code := run([]string{"outbox", "-c", path, "check", "--send", "me@example.com"}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "sent to me@example.com through 127.0.0.1:"+strconv.Itoa(srv.Port)+"; the server replied: ") ||
		!strings.Contains(stdout.String(), "Ok: queued as 4QxYzT1k") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if len(got) != 1 {
		t.Fatalf("%d messages delivered", len(got))
	}
	host, _ := os.Hostname()
	msg := string(got[0])
	for _, want := range []string{"Subject: outbox test from " + host + " at ", "To: <me@example.com>", "From: <ops@example.com>",
		"Account:  probe", "Server:   127.0.0.1:" + strconv.Itoa(srv.Port), "TLS:      STARTTLS (TLS 1.", `Login:    AUTH as "user"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}

	// Refused recipient: 67 and the server's reason, one line.
	stdout.Reset()
	stderr.Reset()
	code = run([]string{"outbox", "-c", path, "check", "--send", "nobody@reject.test"}, strings.NewReader(""), &stdout, &stderr)
	if code != exNoUser || !strings.Contains(stderr.String(), "550") || !strings.Contains(stderr.String(), "no such user here") || !strings.Contains(stderr.String(), "outbox: send: RCPT TO:<nobody@reject.test> refused by") {
		t.Errorf("refused: exit %d\n%s", code, stderr.String())
	}
	// Wrong password: 77 before anything is sent.
	t.Setenv("OUTBOX_PASSWORD", "wrong")
	stderr.Reset()
	if code := run([]string{"outbox", "-c", path, "check", "--send", "me@example.com"}, strings.NewReader(""), &stdout, &stderr); code != exNoPerm {
		t.Errorf("wrong password: exit %d\n%s", code, stderr.String())
	}
	// Not an address: 65, and nothing on the wire.
	stderr.Reset()
	if code := run([]string{"outbox", "-c", path, "check", "--send", "a@b, c@d"}, strings.NewReader(""), &stdout, &stderr); code != exDataErr {
		t.Errorf("two addresses: exit %d\n%s", code, stderr.String())
	}
	if len(got) != 1 {
		t.Errorf("%d messages delivered, want 1", len(got))
	}
}

// The shipped units pass root's encrypted password the way init stores
// it: the credential name outbox reads from $CREDENTIALS_DIRECTORY.
func TestUnitsLoadEncryptedCredential(t *testing.T) {
	for _, u := range []string{"outbox-flush.service", "outbox-pickup.service"} {
		b, err := os.ReadFile(filepath.Join("packaging", "systemd", u))
		must(t, err)
		if want := "\nLoadCredentialEncrypted=" + config.CredentialName("default") + "\n"; !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q", u, strings.TrimSpace(want))
		}
	}
}

// Item 4: on a session bus without a Secret Service, init does not wait
// for one: the keyring fails at once with a reason, and the password goes
// to the next place (the encrypted credential for root, else the file).
// The bus is a real dbus-daemon whose config has no service directories,
// so nothing can be activated.
func TestInitNoSecretService(t *testing.T) {
	bin, err := exec.LookPath("outbox") // installed by testscript.Main
	if err != nil {
		t.Skip("outbox not in PATH (run through go test)")
	}
	if _, err := exec.LookPath("dbus-run-session"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("dbus-run-session not installed (test.sh installs dbus)")
		}
		t.Skip("dbus-run-session not installed")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	must(t, os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600))
	cfg := filepath.Join(dir, "config.toml")
	cmd := exec.Command("dbus-run-session", "--config-file="+conf, "--", bin, "config", "init", "--email", "me@example.com",
		"--host", "smtp.example.com", "--password-stdin", "--no-check", "--output", cfg)
	cmd.Env = append(filteredEnv("DBUS_SESSION_BUS_ADDRESS", "OUTBOX_PASSWORD", "OUTBOX_CONFIG", "HOME"), "HOME="+dir,
		"OUTBOX_CREDSTORE_DIR="+filepath.Join(dir, "credstore"), "SYSTEMD_CREDENTIAL_SECRET="+filepath.Join(dir, "credential.secret"))
	cmd.Stdin = strings.NewReader("nss-S3cret\n")
	start := time.Now()
	out, err := cmd.Output()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "The OS keyring can't be used here: no Secret Service on the session bus") {
		t.Errorf("stdout:\n%s", out)
	}
	// Well under config.KeyringTimeout: nothing waited for an answer.
	if took >= config.KeyringTimeout {
		t.Errorf("init took %v; the keyring should fail at once", took)
	}
	if !strings.Contains(string(out), "Stored the password ") {
		t.Errorf("not stored anywhere:\n%s", out)
	}
}

// The wizard asks before the password goes anywhere but the keyring, and
// "no" to every place stores it nowhere: the config is written without
// it, the alternatives are listed, and nothing else is on disk.
func TestConfigInitWizardDeclinesStore(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("OUTBOX_CREDSTORE_DIR", filepath.Join(dir, "credstore"))
	t.Setenv("SYSTEMD_CREDENTIAL_SECRET", filepath.Join(dir, "credential.secret"))
	os.Unsetenv("OUTBOX_PASSWORD")
	dns := startDNS(t, nil) // every lookup: NXDOMAIN
	path := filepath.Join(dir, "cfg", "config.toml")
	answers := []string{"me@example.com", "0", "smtp.example.com", "2", "", "", "never-S3cret"}
	if ok, _ := config.SystemdCreds(); ok {
		answers = append(answers, "n") // encrypt with systemd-creds? (root)
	}
	answers = append(answers, "n") // keep it in a file?
	var stdout, stderr bytes.Buffer
	code := run([]string{"outbox", "config", "init", "--dns", dns, "--output", path}, strings.NewReader(strings.Join(answers, "\n")+"\n"), &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr.String())
	}
	for _, want := range []string{"The OS keyring can't be used here", "a file only you can read (mode 0600)? [Y/n]", "No password stored", "password_file = "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := filesHolding(t, dir, "never-S3cret"); len(got) != 0 {
		t.Errorf("declined, but the password is in %v", got)
	}
	if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("password_file")) {
		t.Errorf("config names a password_file:\n%s", b)
	}
	if strings.Contains(out, "Send a test message") {
		t.Errorf("a test message offered without a password:\n%s", out)
	}
}
