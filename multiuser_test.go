package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// Issue 10: on a multi-user host, users who can't read the system config
// (and its credentials) still send: their messages go through the
// maildrop, and root's flush picks them up and sends them as
// user@default_domain. These tests need root (to create users and run
// commands as them with runuser); CI runs as root.

// muEnv is a system-mode setup in a temporary directory: a root-only
// system config, the maildrop, root's queue, and the outbox binary where
// every test user can run it. Nothing under /etc or /var is touched.
type muEnv struct {
	t        *testing.T
	base     string
	bin      string
	sysconf  string
	dropDir  string
	queueDir string
	srv      *smtptest.Server
	env      []string
}

const muTrusted = "outboxtest4"

var muUsers = []string{"outboxtest1", "outboxtest2", "outboxtest3", muTrusted}

func newMuEnv(t *testing.T) *muEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("multi-user tests run as root (they create users and use runuser)")
	}
	for _, tool := range []string{"useradd", "runuser"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	for _, u := range muUsers {
		if exec.Command("id", "-u", u).Run() == nil {
			continue
		}
		if out, err := exec.Command("useradd", "-M", "-r", "-s", "/usr/sbin/nologin", u).CombinedOutput(); err != nil {
			// A parallel test package may have created it meanwhile.
			if exec.Command("id", "-u", u).Run() != nil {
				t.Fatalf("useradd %s: %v\n%s", u, err, out)
			}
		}
	}
	// Under /tmp with mode 0755 all the way, so the test users can run
	// the binary (t.TempDir's parents may be private).
	base, err := os.MkdirTemp("/tmp", "outbox-multiuser-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	must(t, os.Chmod(base, 0o755))
	m := &muEnv{t: t, base: base,
		bin:      filepath.Join(base, "bin", "outbox"),
		sysconf:  filepath.Join(base, "etc", "config.toml"),
		dropDir:  filepath.Join(base, "spool", "maildrop"),
		queueDir: filepath.Join(base, "spool", "queue"),
	}
	self, err := os.ReadFile(os.Args[0])
	must(t, err)
	must(t, os.MkdirAll(filepath.Dir(m.bin), 0o755))
	must(t, os.WriteFile(m.bin, self, 0o755))
	must(t, os.MkdirAll(filepath.Dir(m.sysconf), 0o755))
	must(t, os.MkdirAll(filepath.Dir(m.dropDir), 0o755))

	m.srv = smtptest.Start(t, smtptest.Options{Mode: "none"})
	conf := fmt.Sprintf(`default_domain = "example.com"
trusted_users = ["root", %q]

[aliases]
root = "ops@example.com"

[accounts.test]
host = "127.0.0.1"
port = %d
tls = "none"
timeout = "5s"
`, muTrusted, m.srv.Port)
	// Root-only, as /etc/outbox/config.toml on a real server.
	must(t, os.WriteFile(m.sysconf, []byte(conf), 0o600))
	m.env = []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"OUTBOX_SYSTEM_CONFIG=" + m.sysconf,
		// Until config.Find itself honours OUTBOX_SYSTEM_CONFIG, name the
		// file as the one to use, too: the same file, the same situation.
		"OUTBOX_CONFIG=" + m.sysconf,
		"OUTBOX_MAILDROP_DIR=" + m.dropDir,
		"XDG_CONFIG_HOME=" + filepath.Join(base, "nohome", ".config"),
		"XDG_STATE_HOME=" + filepath.Join(base, "nohome", "state"),
	}
	// Root's first flush makes the maildrop (mode 1733).
	m.root("", "queue", "flush")
	fi, err := os.Stat(m.dropDir)
	must(t, err)
	if got := fi.Mode(); got.Perm() != 0o733 || got&os.ModeSticky == 0 {
		t.Fatalf("maildrop mode %v, want 1733", got)
	}
	return m
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// as runs argv as user ("" = root, with root's queue) with stdin, and
// returns stdout, stderr and the exit status.
func (m *muEnv) as(user, stdin string, argv ...string) (string, string, int) {
	m.t.Helper()
	var cmd *exec.Cmd
	env := slices.Clone(m.env)
	if user == "" {
		cmd = exec.Command(argv[0], argv[1:]...)
		env = append(env, "OUTBOX_QUEUE_DIR="+m.queueDir, "HOME="+filepath.Join(m.base, "roothome"))
	} else {
		cmd = exec.Command("runuser", append([]string{"-u", user, "--"}, argv...)...)
	}
	cmd.Env = env
	cmd.Dir = "/"
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			m.t.Fatalf("%v: %v", argv, err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// user runs outbox as user and requires exit 0.
func (m *muEnv) user(user, stdin string, args ...string) (string, string) {
	m.t.Helper()
	out, errs, code := m.as(user, stdin, append([]string{m.bin}, args...)...)
	if code != 0 {
		m.t.Fatalf("%s: outbox %v exited %d\n%s%s", user, args, code, out, errs)
	}
	return out, errs
}

func (m *muEnv) root(stdin string, args ...string) (string, string) {
	m.t.Helper()
	return m.user("", stdin, args...)
}

func (m *muEnv) dropped() []string {
	m.t.Helper()
	des, err := os.ReadDir(m.dropDir)
	must(m.t, err)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func (m *muEnv) delivered(rcpt string) []smtptest.Message {
	var out []smtptest.Message
	for _, msg := range m.srv.Messages() {
		if slices.Contains(msg.To, rcpt) {
			out = append(out, msg)
		}
	}
	return out
}

func TestMultiUserSystemMode(t *testing.T) {
	m := newMuEnv(t)
	const u1, u2, u3 = "outboxtest1", "outboxtest2", "outboxtest3"

	// The user can't read the system config (nor its credentials)...
	if _, errs, code := m.as(u1, "", "cat", m.sysconf); code == 0 {
		t.Fatalf("%s could read the system config", u1)
	} else if !strings.Contains(errs, "Permission denied") {
		t.Fatalf("cat: %s", errs)
	}
	// ...yet sendmail -t exits 0, leaving the message in the maildrop.
	msg := "To: root\nSubject: cron output\n\nbackup done\n"
	_, errs := m.user(u1, msg, "sendmail", "-t", "-i")
	if !strings.Contains(errs, "left in "+m.dropDir) {
		t.Errorf("sendmail note: %q", errs)
	}
	names := m.dropped()
	if len(names) != 1 {
		t.Fatalf("maildrop holds %v", names)
	}
	name := names[0]
	fi, err := os.Lstat(filepath.Join(m.dropDir, name))
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("drop file mode %v", fi.Mode())
	}

	// Another user can neither list the maildrop nor read the file.
	if _, _, code := m.as(u2, "", "ls", m.dropDir); code == 0 {
		t.Errorf("%s could list the maildrop", u2)
	}
	if _, _, code := m.as(u2, "", "cat", filepath.Join(m.dropDir, name)); code == 0 {
		t.Errorf("%s could read %s's dropped file", u2, u1)
	}
	// A user's queue list says what it can't show.
	out, _ := m.user(u2, "", "queue", "list")
	if !strings.Contains(out, "the system queue is not visible to "+u2) {
		t.Errorf("user's queue list: %q", out)
	}
	// Root's list shows the dropped message and its owner.
	out, _ = m.root("", "queue", "list")
	if !strings.Contains(out, name+"*") || !strings.Contains(out, "(user "+u1+")") {
		t.Errorf("root's queue list:\n%s", out)
	}

	// -f from an untrusted user is not used; from a trusted one it is.
	m.user(u1, "Subject: a\n\nx\n", "sendmail", "-f", "boss@example.com", "untrusted@example.net")
	m.user(muTrusted, "Subject: b\n\nx\n", "sendmail", "-f", "boss@example.com", "trusted@example.net")

	// A symlink and a hard link placed in the maildrop are refused.
	own := filepath.Join(m.base, "u3")
	must(t, os.MkdirAll(own, 0o755))
	must(t, os.Chown(own, uid(t, u3), -1))
	if _, _, code := m.as(u3, "", "ln", "-s", "/etc/shadow", filepath.Join(m.dropDir, "01AAAAAAAAAAAAAAAAAA")); code != 0 {
		t.Fatal("ln -s as user failed")
	}
	if _, _, code := m.as(u3, "secret-of-u3\n", "sh", "-c", "cat > "+own+"/f && ln "+own+"/f "+m.dropDir+"/01BBBBBBBBBBBBBBBBBB"); code != 0 {
		t.Fatal("ln as user failed")
	}

	_, errs = m.root("", "queue", "flush")
	if !strings.Contains(errs, "user "+u1+" is not in trusted_users: envelope sender <boss@example.com> refused") {
		t.Errorf("refused -f not logged: %q", errs)
	}

	got := m.delivered("ops@example.com")
	if len(got) != 1 || got[0].From != u1+"@example.com" {
		t.Fatalf("to root (ops@example.com): %+v", got)
	}
	// The caller can't read default_domain, so root's pickup adds From
	// and qualifies the header's local names with it.
	for _, want := range []string{"backup done", "To: root@example.com", "From: " + u1 + "@example.com", "Message-ID: <"} {
		if !bytes.Contains(got[0].Data, []byte(want)) {
			t.Errorf("delivered message lacks %q:\n%s", want, got[0].Data)
		}
	}
	if g := m.delivered("untrusted@example.net"); len(g) != 1 || g[0].From != u1+"@example.com" {
		t.Errorf("untrusted -f: %+v", g)
	}
	if g := m.delivered("trusted@example.net"); len(g) != 1 || g[0].From != "boss@example.com" {
		t.Errorf("trusted -f: %+v", g)
	}
	if left := m.dropped(); len(left) != 0 {
		t.Errorf("maildrop after flush: %v", left)
	}
	// The links are kept in failed/ with the reason; nothing was read
	// through them.
	out, _ = m.root("", "queue", "list")
	for _, want := range []string{"01AAAAAAAAAAAAAAAAAA!", "a symbolic link (to \"/etc/shadow\")", "01BBBBBBBBBBBBBBBBBB!", "has 2 hard links", "(from user " + u3} {
		if !strings.Contains(out, want) {
			t.Errorf("root's queue list lacks %q:\n%s", want, out)
		}
	}
	for _, id := range []string{"01AAAAAAAAAAAAAAAAAA", "01BBBBBBBBBBBBBBBBBB"} {
		b, err := os.ReadFile(filepath.Join(m.queueDir, "failed", id+".eml"))
		if err != nil || len(b) != 0 {
			t.Errorf("failed/%s.eml: %q, %v", id, b, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(own, "f")); err != nil || string(b) != "secret-of-u3\n" {
		t.Errorf("the hard-linked file was changed: %q %v", b, err)
	}
}

func uid(t *testing.T, name string) int {
	out, err := exec.Command("id", "-u", name).Output()
	must(t, err)
	var n int
	_, err = fmt.Sscan(string(out), &n)
	must(t, err)
	return n
}

// 100 drops from 4 users in parallel, while root flushes: each message is
// delivered exactly once.
func TestMultiUserParallelDrops(t *testing.T) {
	m := newMuEnv(t)
	const per = 25
	var wg sync.WaitGroup
	errs := make(chan error, len(muUsers)*per+2)
	for _, u := range muUsers {
		for i := range per {
			wg.Go(func() {
				rcpt := fmt.Sprintf("%s-%d@example.net", u, i)
				out, e, code := m.as(u, "Subject: n\n\nx\n", m.bin, "sendmail", rcpt)
				if code != 0 {
					errs <- fmt.Errorf("%s: exit %d\n%s%s", rcpt, code, out, e)
				}
			})
		}
	}
	for range 2 {
		wg.Go(func() {
			if _, e, code := m.as("", "", m.bin, "queue", "flush"); code != 0 {
				errs <- fmt.Errorf("concurrent flush: exit %d: %s", code, e)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	m.root("", "queue", "flush")
	msgs := m.srv.WaitMessages(t, len(muUsers)*per)
	seen := map[string]int{}
	for _, msg := range msgs {
		for _, r := range msg.To {
			seen[r]++
		}
	}
	for _, u := range muUsers {
		for i := range per {
			if n := seen[fmt.Sprintf("%s-%d@example.net", u, i)]; n != 1 {
				t.Errorf("%s-%d delivered %d times", u, i, n)
			}
		}
	}
	if len(msgs) != len(muUsers)*per {
		t.Errorf("%d messages delivered, want %d", len(msgs), len(muUsers)*per)
	}
	if left := m.dropped(); len(left) != 0 {
		t.Errorf("maildrop after flush: %v", left)
	}
}
