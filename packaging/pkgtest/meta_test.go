package pkgtest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// contains fails for each want missing from got.
func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// debVersion is how the release version is spelled in a .deb (see
// packaging/release: pkgVersion).
func debVersion(v string) string {
	base, pre, ok := strings.Cut(v, "-")
	if !ok {
		return v
	}
	return base + "~" + strings.ReplaceAll(pre, "-", ".")
}

// TestDebMetadata: the .deb takes the MTA's place the Debian way and ships
// what SPEC §8 lists, at the release version.
func TestDebMetadata(t *testing.T) {
	dist := distDir(t)
	need(t, "dpkg-deb")
	v := releaseVersion(t, dist)
	for _, arch := range []string{"amd64", "arm64"} {
		deb := only(t, dist, "outbox_*_"+arch+".deb")
		f := run(t, "dpkg-deb", "-f", deb)
		contains(t, deb+" control", f,
			"Package: outbox\n", "Version: "+debVersion(v)+"\n", "Architecture: "+arch+"\n",
			"Provides: mail-transport-agent\n", "Conflicts: mail-transport-agent\n", "Replaces: mail-transport-agent\n")
		c := run(t, "dpkg-deb", "-c", deb)
		contains(t, deb+" contents", c,
			"-rwxr-xr-x root/root", "./usr/bin/outbox\n",
			"./usr/sbin/sendmail -> ../bin/outbox\n", "./usr/lib/sendmail -> ../sbin/sendmail\n",
			"./usr/bin/mailq -> outbox\n", "./usr/bin/newaliases -> outbox\n",
			"./usr/share/man/man1/outbox.1.gz\n",
			"./usr/share/bash-completion/completions/outbox\n",
			"./usr/share/zsh/vendor-completions/_outbox\n",
			"./usr/share/fish/vendor_completions.d/outbox.fish\n",
			"./usr/lib/systemd/system/outbox-pickup.path\n", "./usr/lib/systemd/system/outbox-pickup.service\n",
			"./usr/lib/systemd/system/outbox-flush.timer\n", "./usr/lib/systemd/system/outbox-flush.service\n",
			"./usr/lib/tmpfiles.d/outbox.conf\n", "./usr/share/doc/outbox/copyright\n")
		if strings.Contains(c, "/var/spool/outbox") {
			t.Errorf("%s ships the spool: dpkg would remove queued mail with the package", deb)
		}
		// The maintainer scripts: spool modes, deb-systemd-helper, purge keeps the queue.
		dir := t.TempDir()
		run(t, "dpkg-deb", "-e", deb, dir)
		postinst, _ := os.ReadFile(filepath.Join(dir, "postinst"))
		contains(t, "postinst", string(postinst), "chmod 0711 /var/spool/outbox\n", "chmod 1733 /var/spool/outbox/maildrop\n",
			"deb-systemd-helper enable", "outbox-pickup.path outbox-flush.timer")
		postrm, _ := os.ReadFile(filepath.Join(dir, "postrm"))
		contains(t, "postrm", string(postrm), "rm -rf /etc/outbox\n", "deb-systemd-helper purge")
	}
}

// TestRPMMetadata: the .rpm joins the mta alternatives with the mailq and
// newaliases slaves and provides what MTA-dependent packages require.
func TestRPMMetadata(t *testing.T) {
	dist := distDir(t)
	need(t, "rpm")
	v := releaseVersion(t, dist)
	for _, arch := range []string{"x86_64", "aarch64"} {
		rpm := only(t, dist, "outbox-*."+arch+".rpm")
		// 0.0.0~DATE_COMMIT: nfpm spells the prerelease's hyphen _ (rpm allows none).
		want := v
		if base, pre, ok := strings.Cut(v, "-"); ok {
			want = base + "~" + strings.ReplaceAll(pre, "-", "_")
		}
		if got := run(t, "rpm", "-qp", "--queryformat", "%{VERSION}|%{ARCH}", rpm); got != want+"|"+arch {
			t.Errorf("%s: version|arch %q, want %s|%s", rpm, got, want, arch)
		}
		contains(t, rpm+" provides", run(t, "rpm", "-qp", "--provides", rpm),
			"MTA\n", "smtpdaemon\n", "/usr/sbin/sendmail\n")
		scripts := run(t, "rpm", "-qp", "--scripts", rpm)
		contains(t, rpm+" scripts", scripts,
			"alternatives --install /usr/sbin/sendmail mta /usr/bin/outbox",
			"--slave /usr/bin/mailq mta-mailq /usr/bin/outbox",
			"--slave /usr/bin/newaliases mta-newaliases /usr/bin/outbox",
			"--slave /usr/lib/sendmail mta-sendmail /usr/bin/outbox",
			"alternatives --remove mta /usr/bin/outbox",
			"chmod 1733 /var/spool/outbox/maildrop")
		l := run(t, "rpm", "-qpl", rpm)
		contains(t, rpm+" files", l, "/usr/bin/outbox\n", "/usr/share/man/man1/outbox.1.gz\n",
			"/usr/lib/systemd/system/outbox-flush.timer\n", "/usr/lib/tmpfiles.d/outbox.conf\n",
			"/usr/share/zsh/site-functions/_outbox\n", "/usr/lib/systemd/system-preset/80-outbox.preset\n")
		// The alternatives own these; a file in the package would clash with postfix's link.
		for _, p := range []string{"/usr/sbin/sendmail\n", "/usr/bin/mailq\n", "/var/spool/outbox"} {
			if strings.Contains(l, p) {
				t.Errorf("%s ships %s", rpm, strings.TrimSpace(p))
			}
		}
	}
}

// apkMembers reads an .apk: concatenated gzip streams (control, data) of
// tar segments; returns .PKGINFO, the install scripts and the file list.
func apkMembers(t *testing.T, path string) (pkginfo string, scripts map[string]string, list map[string]*tar.Header) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f) // multistream: reads both segments
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	if _, err := io.Copy(&all, zr); err != nil {
		t.Fatal(err)
	}
	scripts, list = map[string]string{}, map[string]*tar.Header{}
	// The segments are tar streams without end-of-archive blocks between
	// them (apk's format), so one tar reader walks both.
	tr := tar.NewReader(&all)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		body, _ := io.ReadAll(tr)
		switch {
		case h.Name == ".PKGINFO":
			pkginfo = string(body)
		case strings.HasPrefix(h.Name, "."):
			scripts[h.Name] = string(body)
		default:
			list[h.Name] = h
		}
	}
	return pkginfo, scripts, list
}

// TestAPKMetadata: the .apk is a sendmail provider as Alpine's are.
func TestAPKMetadata(t *testing.T) {
	dist := distDir(t)
	v := releaseVersion(t, dist)
	for _, arch := range []string{"x86_64", "aarch64"} {
		apk := only(t, dist, "outbox_*_"+arch+".apk")
		info, scripts, list := apkMembers(t, apk)
		base := strings.SplitN(v, "-", 2)[0]
		contains(t, apk+" .PKGINFO", info, "pkgname = outbox\n", "pkgver = "+base, "arch = "+arch+"\n",
			"provides = cmd:sendmail="+base, "provides = cmd:mailq=", "provides = cmd:newaliases=", "license = MIT\n")
		contains(t, apk+" .post-install", scripts[".post-install"], "chmod 1733 /var/spool/outbox/maildrop")
		for name, target := range map[string]string{"usr/sbin/sendmail": "../bin/outbox", "usr/bin/mailq": "outbox", "usr/bin/newaliases": "outbox"} {
			if h := list[name]; h == nil || h.Linkname != target {
				t.Errorf("%s: %s is not a link to %s (%v)", apk, name, target, h)
			}
		}
		for _, name := range []string{"usr/bin/outbox", "usr/share/man/man1/outbox.1.gz", "etc/periodic/15min/outbox"} {
			if h := list[name]; h == nil || h.Mode&0o111 == 0 && name != "usr/share/man/man1/outbox.1.gz" {
				t.Errorf("%s: %s missing or not executable (%v)", apk, name, h)
			}
		}
	}
}

// TestArchives: each release archive holds the binary, man page,
// completions, README and LICENSE, owned by root, every time the commit's.
func TestArchives(t *testing.T) {
	dist := distDir(t)
	v := releaseVersion(t, dist)
	want := []string{"LICENSE", "README.md", "completions/_outbox", "completions/outbox.bash", "completions/outbox.fish", "man/outbox.1"}
	// Every time is the commit's: SOURCE_DATE_EPOCH when test.sh passes it,
	// else at least one time for all.
	var mtime time.Time
	if e := os.Getenv("SOURCE_DATE_EPOCH"); e != "" {
		sec, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			t.Fatalf("SOURCE_DATE_EPOCH=%q: %v", e, err)
		}
		mtime = time.Unix(sec, 0)
	}
	check := func(name string, mt time.Time) {
		if mtime.IsZero() {
			mtime = mt
		}
		if !mt.Equal(mtime) {
			t.Errorf("%s: time %v, want %v (the commit time, for every file)", name, mt, mtime)
		}
	}
	for _, p := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "freebsd_amd64", "freebsd_arm64"} {
		top := "outbox_" + v + "_" + p
		path := only(t, dist, top+".tar.gz")
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(zr)
		got := map[string]*tar.Header{}
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			got[strings.TrimPrefix(h.Name, top+"/")] = h
			check(path+": "+h.Name, h.ModTime)
			if h.Uid != 0 || h.Gid != 0 || h.Uname != "root" {
				t.Errorf("%s: %s owned by %d/%s", path, h.Name, h.Uid, h.Uname)
			}
		}
		f.Close()
		if h := got["outbox"]; h == nil || h.Mode != 0o755 {
			t.Errorf("%s: no executable outbox (%v)", path, h)
		}
		for _, w := range want {
			if got[w] == nil {
				t.Errorf("%s lacks %s", path, w)
			}
		}
	}
	for _, p := range []string{"windows_amd64", "windows_arm64"} {
		top := "outbox_" + v + "_" + p
		zr, err := zip.OpenReader(only(t, dist, top+".zip"))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, f := range zr.File {
			got[strings.TrimPrefix(f.Name, top+"/")] = true
			check(top+".zip: "+f.Name, f.Modified)
		}
		zr.Close()
		for _, w := range append(want, "outbox.exe") {
			if !got[w] {
				t.Errorf("%s.zip lacks %s", top, w)
			}
		}
	}
	// The archived binary for this machine prints the release version.
	if runtime.GOOS == "linux" {
		top := "outbox_" + v + "_linux_" + runtime.GOARCH
		dir := t.TempDir()
		run(t, "tar", "-xzf", only(t, dist, top+".tar.gz"), "-C", dir)
		if out := run(t, filepath.Join(dir, top, "outbox"), "version"); !strings.HasPrefix(out, "outbox "+v+" (commit ") {
			t.Errorf("outbox version from %s: %q, want version %s", top, out, v)
		}
	}
	// SHA256SUMS lists every file of dist/ and checks.
	sum := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	sum.Dir = dist
	if out, err := sum.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(dist)
	sums, _ := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	for _, e := range entries {
		if e.Name() != "SHA256SUMS" && !strings.Contains(string(sums), "  "+e.Name()+"\n") {
			t.Errorf("SHA256SUMS lacks %s", e.Name())
		}
	}
}
