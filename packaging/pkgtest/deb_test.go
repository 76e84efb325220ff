package pkgtest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// distDir is the dist/ that test.sh's packaging step built.
func distDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("OUTBOX_PACKAGE_DIST")
	if dir == "" {
		t.Skip("OUTBOX_PACKAGE_DIST is not set: test.sh's packaging step runs `make packages` and then these tests")
	}
	return dir
}

// only returns the one file in dir matching pattern.
func only(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) != 1 {
		t.Fatalf("want exactly one %s in %s, have %v (%v)", pattern, dir, m, err)
	}
	return m[0]
}

// need fails (under CI, where test.sh installs the tool) or skips when a
// program is missing.
func need(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing (test.sh installs it)", p)
			}
			t.Skipf("%s is missing (test.sh installs it)", p)
		}
	}
}

// debRoot is a throwaway Debian root: the cached mmdebstrap tarball
// unpacked into a temporary directory.
type debRoot struct{ dir string }

// cachedRoot returns the tarball of a minimal Debian bookworm (apt variant)
// with its package lists and the .debs of bsd-mailx already downloaded, so
// that a re-run needs no network. The first run builds it (mmdebstrap, in
// about a minute) from the same mirror as the host's apt sources.
func cachedRoot(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir() // $XDG_CACHE_HOME, else ~/.cache
	if err != nil {
		t.Fatalf("no cache directory for the Debian root: %v", err)
	}
	tarball := filepath.Join(cache, "outbox-test", "debian-bookworm-"+runtime.GOARCH+".tar")
	if _, err := os.Stat(tarball); err == nil {
		return tarball
	}
	if err := os.MkdirAll(filepath.Dir(tarball), 0o755); err != nil {
		t.Fatal(err)
	}
	mirror := "http://deb.debian.org/debian"
	if _, err := os.Stat("/etc/apt/sources.list.d/debian.sources"); err == nil {
		mirror = "/etc/apt/sources.list.d/debian.sources" // mmdebstrap pastes a file's contents
	}
	tmp := tarball + ".tmp"
	cmd := exec.Command("mmdebstrap", "--variant=apt", "--mode=root", "--format=tar", "--skip=output/mknod", "--skip=cleanup/apt",
		`--customize-hook=chroot "$1" apt-get install --download-only -y bsd-mailx`,
		"bookworm", tmp, mirror)
	t.Logf("building the cached Debian root: %s", cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		t.Fatalf("mmdebstrap: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, tarball); err != nil {
		t.Fatal(err)
	}
	return tarball
}

func newDebRoot(t *testing.T) *debRoot {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("installing a .deb into a Debian root needs root (unshare, mount, chroot)")
	}
	need(t, "mmdebstrap", "unshare", "chroot")
	tarball := cachedRoot(t)
	dir, err := os.MkdirTemp("", "outbox-debroot-")
	if err != nil {
		t.Fatal(err)
	}
	r := &debRoot{dir: dir}
	t.Cleanup(func() {
		// The mounts live in the namespace of each r.sh call and go with
		// it; never delete through a mount that somehow stayed.
		if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(b), dir) {
			t.Errorf("%s still has mounts: left in place", dir)
			return
		}
		os.RemoveAll(dir)
	})
	if out, err := exec.Command("tar", "-xf", tarball, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("unpack %s: %v\n%s", tarball, err, out)
	}
	return r
}

// sh runs script in the root as root: a private mount namespace (unshare)
// with /dev and /proc, then chroot. Only this root is touched.
func (r *debRoot) sh(t *testing.T, script string) (string, error) {
	t.Helper()
	cmd := exec.Command("unshare", "--mount", "--fork", "--", "sh", "-c",
		`set -e; R=$1; mount --rbind /dev "$R/dev"; mount -t proc proc "$R/proc"
exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive sh -c "$2"`,
		"sh", r.dir, script)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r *debRoot) must(t *testing.T, script string) string {
	t.Helper()
	out, err := r.sh(t, script)
	if err != nil {
		t.Fatalf("in the Debian root: %s: %v\n%s", script, err, out)
	}
	return out
}

func (r *debRoot) path(p string) string { return filepath.Join(r.dir, p) }

// queued lists the messages waiting in the root's system queue.
func (r *debRoot) queued(t *testing.T) []string {
	t.Helper()
	des, err := os.ReadDir(r.path("/var/spool/outbox/new"))
	if err != nil {
		t.Fatalf("the queue: %v", err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// writeConfig makes root's system config relay to addr (STARTTLS with the
// test server's certificate, AUTH PLAIN).
func (r *debRoot) writeConfig(t *testing.T, srv *smtptest.Server, port int) {
	t.Helper()
	if err := os.MkdirAll(r.path("/etc/outbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.path("/etc/outbox/ca.pem"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `default_account = "test"
default_domain  = "example.com"

[aliases]
root = "ops@example.com"

[accounts.test]
host        = "127.0.0.1"
port        = ` + strconv.Itoa(port) + `
tls         = "starttls"
tls_ca_file = "/etc/outbox/ca.pem"
username    = "user"
password    = "secret"
from        = "root@example.com"
`
	if err := os.WriteFile(r.path("/etc/outbox/config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// releaseVersion is the version make packages built, read off the name of
// the linux/amd64 archive (outbox_<version>_linux_amd64.tar.gz).
func releaseVersion(t *testing.T, dist string) string {
	t.Helper()
	name := filepath.Base(only(t, dist, "outbox_*_linux_amd64.tar.gz"))
	return strings.TrimSuffix(strings.TrimPrefix(name, "outbox_"), "_linux_amd64.tar.gz")
}

// deadPort is a loopback port nothing listens on: mail sent there waits in
// the queue.
func deadPort(t *testing.T) int { return smtptest.ClosedPort(t) }

// mtaPackages are the Debian packages that provide mail-transport-agent
// (and default-mta): none may be planned next to outbox.
var mtaPackages = []string{"exim4", "exim4-base", "exim4-daemon-light", "exim4-daemon-heavy", "exim4-config",
	"postfix", "sendmail", "sendmail-bin", "nullmailer", "msmtp-mta", "dma", "ssmtp", "opensmtpd", "courier-mta", "citadel-mta", "lsb-invalid-mta", "esmtp-run", "masqmail"}

// TestDebInstalledInDebian installs the .deb in a real Debian root and
// walks a user's story: it takes the MTA's place (bsd-mailx plans no other
// MTA and mails through it), a queued message survives remove, reinstall
// and upgrade and is sent afterwards, and purge removes the config but
// never the queue, saying where it is.
func TestDebInstalledInDebian(t *testing.T) {
	dist := distDir(t)
	deb := only(t, dist, "outbox_*_"+runtime.GOARCH+".deb")
	r := newDebRoot(t)
	data, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.path("/tmp/outbox.deb"), data, 0o644); err != nil {
		t.Fatal(err)
	}

	// Install: the links, the spool with the modes outbox checks, the units enabled.
	r.must(t, "apt-get install -y /tmp/outbox.deb")
	if got, _ := os.Readlink(r.path("/usr/sbin/sendmail")); got != "../bin/outbox" {
		t.Errorf("/usr/sbin/sendmail -> %q, want ../bin/outbox", got)
	}
	for p, want := range map[string]os.FileMode{
		"/var/spool/outbox":          os.ModeDir | 0o711,
		"/var/spool/outbox/maildrop": os.ModeDir | os.ModeSticky | 0o733,
	} {
		fi, err := os.Lstat(r.path(p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
	for _, l := range []string{"/etc/systemd/system/paths.target.wants/outbox-pickup.path", "/etc/systemd/system/timers.target.wants/outbox-flush.timer"} {
		if _, err := os.Readlink(r.path(l)); err != nil {
			t.Errorf("unit not enabled by deb-systemd-helper: %v", err)
		}
	}
	if out, v := r.must(t, "outbox version"), releaseVersion(t, dist); !strings.HasPrefix(out, "outbox "+v+" (commit ") {
		t.Errorf("outbox version in the package prints %q, want the release version %s", out, v)
	}

	// bsd-mailx depends on default-mta | mail-transport-agent: outbox
	// provides it, so apt plans bsd-mailx alone.
	plan := r.must(t, "apt-get install -s bsd-mailx")
	if !strings.Contains(plan, "Inst bsd-mailx") {
		t.Fatalf("apt-get install -s bsd-mailx plans no bsd-mailx:\n%s", plan)
	}
	sc := bufio.NewScanner(strings.NewReader(plan))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && (f[0] == "Inst" && slices.Contains(mtaPackages, f[1]) || f[0] == "Remv" && f[1] == "outbox") {
			t.Errorf("apt-get install -s bsd-mailx plans %q: another MTA in outbox's place", sc.Text())
		}
	}

	// mail(1) hands the message to /usr/sbin/sendmail, that is outbox,
	// which relays it to the test server outside the root.
	srv := smtptest.Start(t, smtptest.Options{})
	r.must(t, "apt-get install -y bsd-mailx")
	r.writeConfig(t, srv, srv.Port)
	r.must(t, "echo hi | mail -s test root")
	msgs := srv.WaitMessages(t, 1)
	m := msgs[0]
	if !slices.Equal(m.To, []string{"ops@example.com"}) || m.From != "root@example.com" {
		t.Errorf("envelope: from %q to %v, want root@example.com to [ops@example.com]", m.From, m.To)
	}
	if !strings.Contains(string(m.Data), "Subject: test\r\n") || !strings.HasSuffix(string(m.Data), "\r\nhi\r\n") {
		t.Errorf("message delivered:\n%s", m.Data)
	}

	// Queued while the server is unreachable; apt-get remove keeps it
	// (and the config); reinstalled, outbox sends it.
	r.writeConfig(t, srv, deadPort(t))
	r.must(t, "echo queued | mail -s queued root")
	q := r.queued(t)
	if len(q) == 0 {
		t.Fatal("the message was not queued")
	}
	r.must(t, "apt-get remove -y outbox")
	if _, err := os.Lstat(r.path("/usr/bin/outbox")); err == nil {
		t.Error("apt-get remove left /usr/bin/outbox")
	}
	if got := r.queued(t); !slices.Equal(got, q) {
		t.Errorf("queue after remove: %v, want %v", got, q)
	}
	if _, err := os.Stat(r.path("/etc/outbox/config.toml")); err != nil {
		t.Errorf("remove took the config: %v", err)
	}
	r.must(t, "apt-get install -y /tmp/outbox.deb")
	r.writeConfig(t, srv, srv.Port)
	r.must(t, "outbox queue flush")
	msgs = srv.WaitMessages(t, 2)
	if !strings.Contains(string(msgs[1].Data), "Subject: queued\r\n") {
		t.Errorf("after reinstalling, the queued message sent was:\n%s", msgs[1].Data)
	}
	if got := r.queued(t); len(got) != 0 {
		t.Errorf("queue after the flush: %v", got)
	}

	// An upgrade to a later version (the same package with +next added
	// to its version, repacked with dpkg-deb) keeps the queue and the
	// config.
	r.writeConfig(t, srv, deadPort(t))
	r.must(t, "echo upgrade | outbox root")
	q = r.queued(t)
	if len(q) == 0 {
		t.Fatal("the message was not queued")
	}
	r.must(t, `dpkg-deb -R /tmp/outbox.deb /tmp/next && sed -i 's/^Version: .*/&+next/' /tmp/next/DEBIAN/control &&
		dpkg-deb -b /tmp/next /tmp/outbox-next.deb >/dev/null && apt-get install -y /tmp/outbox-next.deb`)
	if out := r.must(t, "dpkg-query -W -f '${Version}' outbox"); !strings.HasSuffix(out, "+next") {
		t.Errorf("after the upgrade dpkg has outbox %q", out)
	}
	if got := r.queued(t); !slices.Equal(got, q) {
		t.Errorf("queue after upgrade: %v, want %v", got, q)
	}
	if _, err := os.Stat(r.path("/etc/outbox/config.toml")); err != nil {
		t.Errorf("upgrade took the config: %v", err)
	}

	// Purge removes the config and never the queued mail; it says where it is.
	out := r.must(t, "apt-get purge -y outbox")
	if got := r.queued(t); !slices.Equal(got, q) {
		t.Errorf("queue after purge: %v, want %v", got, q)
	}
	if _, err := os.Stat(r.path("/etc/outbox")); err == nil {
		t.Error("purge left /etc/outbox")
	}
	if !strings.Contains(out, "outbox: purge kept") || !strings.Contains(out, "/var/spool/outbox") {
		t.Errorf("purge does not say where the queued mail is:\n%s", out)
	}
}
