// Command release builds what `make packages` puts in dist/ (SPEC §8):
// outbox for every release platform, the release archives, the .deb, .rpm
// and .apk packages (through nfpm, used as a library) and SHA256SUMS.
//
// Every output is reproducible: the binaries are built with -trimpath, no
// VCS stamp and an empty build id; every file time in archives and
// packages is the last commit's time (-epoch, SOURCE_DATE_EPOCH), every
// owner root, every mode fixed here rather than taken from the checkout.
// Two builds of one commit give byte-identical files (test.sh checks it).
//
// The distribution conventions these packages follow, with their sources,
// are in packaging/CONVENTIONS.md.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/apk" // registers the packagers with nfpm.Get
	_ "github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm"
)

// platforms are the release archives' targets (README "Platforms");
// packages are built for the linux ones.
var platforms = []struct{ os, arch string }{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
	{"freebsd", "amd64"}, {"freebsd", "arm64"},
}

const summary = "sendmail replacement that relays to your mail provider"

const description = summary + `
 outbox is one static binary that takes the place of /usr/sbin/sendmail on
 machines without a mail server: cron, PHP mail(), mailx, smartd and mdadm
 hand it their mail and it relays it over SMTP (STARTTLS or TLS, AUTH,
 OAuth2) to the provider you configure, queueing what can't go out yet.
 It also wraps commands as a notifier (outbox run).`

type build struct {
	root, out       string
	version, commit string
	mtime           time.Time
	bins            string // temporary: built binaries, <os>_<arch>/outbox[.exe]
	stage           string // temporary: generated files (man page .gz)
}

func main() {
	var b build
	var epoch int64
	flag.StringVar(&b.root, "root", "../..", "the outbox source tree")
	flag.StringVar(&b.out, "out", "", "output directory (default ROOT/dist); emptied first")
	flag.StringVar(&b.version, "version", "", "version (scripts/version)")
	flag.StringVar(&b.commit, "commit", "", "commit the build is of (12 hex digits)")
	flag.Int64Var(&epoch, "epoch", -1, "SOURCE_DATE_EPOCH: the last commit's time, for every file time")
	flag.Parse()
	if b.version == "" || epoch < 0 {
		fmt.Fprintln(os.Stderr, "release: -version and -epoch are required (make packages passes them)")
		os.Exit(2)
	}
	b.mtime = time.Unix(epoch, 0).UTC()
	if err := b.run(); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func (b *build) run() error {
	var err error
	if b.root, err = filepath.Abs(b.root); err != nil {
		return err
	}
	if b.out == "" {
		b.out = filepath.Join(b.root, "dist")
	}
	// A version no package can carry fails now, not after the builds.
	for _, format := range []string{"deb", "rpm", "apk"} {
		if _, _, err := pkgVersion(b.version, format); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(b.out); err != nil {
		return err
	}
	if err := os.MkdirAll(b.out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "outbox-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b.bins, b.stage = filepath.Join(tmp, "bin"), filepath.Join(tmp, "stage")
	if err := os.MkdirAll(b.stage, 0o755); err != nil {
		return err
	}
	for _, p := range platforms {
		if err := b.compile(p.os, p.arch); err != nil {
			return err
		}
		if err := b.archive(p.os, p.arch); err != nil {
			return err
		}
	}
	if err := b.stageFiles(); err != nil {
		return err
	}
	for _, arch := range []string{"amd64", "arm64"} {
		for _, format := range []string{"deb", "rpm", "apk"} {
			if err := b.pkg(format, arch); err != nil {
				return fmt.Errorf("%s %s: %w", format, arch, err)
			}
		}
	}
	return b.sums()
}

// compile builds outbox for one platform. CGO off (static), -trimpath (no
// checkout paths), -buildvcs=false and an empty -buildid (nothing that
// differs between two checkouts of one commit); the version and commit go
// in with -X. GOAMD64/GOARM64 are pinned so a builder's environment can't
// change the code.
func (b *build) compile(goos, goarch string) error {
	out := filepath.Join(b.bins, goos+"_"+goarch, exe(goos, "outbox"))
	ld := fmt.Sprintf("-s -w -buildid= -X main.version=%s -X main.commit=%s", b.version, b.commit)
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ld, "-o", out, ".")
	cmd.Dir = b.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch,
		"GOAMD64=v1", "GOARM64=v8.0", "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	fmt.Fprintf(os.Stderr, "build %s/%s\n", goos, goarch)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w", goos, goarch, err)
	}
	return nil
}

func exe(goos, name string) string {
	if goos == "windows" {
		return name + ".exe"
	}
	return name
}

// member is one file of a release archive.
type member struct {
	name string // path inside the archive's top directory
	src  string
	mode int64
}

func (b *build) archive(goos, goarch string) error {
	base := fmt.Sprintf("outbox_%s_%s_%s", b.version, goos, goarch)
	ms := []member{
		{exe(goos, "outbox"), filepath.Join(b.bins, goos+"_"+goarch, exe(goos, "outbox")), 0o755},
		{"LICENSE", filepath.Join(b.root, "LICENSE"), 0o644},
		{"README.md", filepath.Join(b.root, "README.md"), 0o644},
		{"completions/_outbox", filepath.Join(b.root, "completions/_outbox"), 0o644},
		{"completions/outbox.bash", filepath.Join(b.root, "completions/outbox.bash"), 0o644},
		{"completions/outbox.fish", filepath.Join(b.root, "completions/outbox.fish"), 0o644},
		{"man/outbox.1", filepath.Join(b.root, "man/outbox.1"), 0o644},
	}
	if goos == "windows" {
		return b.writeZip(filepath.Join(b.out, base+".zip"), base, ms)
	}
	return b.writeTarGz(filepath.Join(b.out, base+".tar.gz"), base, ms)
}

// writeTarGz writes a tar.gz with fixed times, root owners and the modes
// given; the gzip header carries no name and no time.
func (b *build) writeTarGz(path, top string, ms []member) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	hdr := func(name string, mode, size int64, typ byte) *tar.Header {
		return &tar.Header{Typeflag: typ, Name: name, Mode: mode, Size: size, ModTime: b.mtime,
			Uname: "root", Gname: "root", Format: tar.FormatPAX}
	}
	dirs := map[string]bool{}
	for _, m := range ms {
		for _, d := range []string{top + "/", top + "/" + filepath.Dir(m.name) + "/"} {
			if d == top+"/./" || dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(hdr(d, 0o755, 0, tar.TypeDir)); err != nil {
				return err
			}
		}
		data, err := os.ReadFile(m.src)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(hdr(top+"/"+m.name, m.mode, int64(len(data)), tar.TypeReg)); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func (b *build) writeZip(path, top string, ms []member) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	zw := zip.NewWriter(f)
	for _, m := range ms {
		data, err := os.ReadFile(m.src)
		if err != nil {
			return err
		}
		h := &zip.FileHeader{Name: top + "/" + m.name, Method: zip.Deflate, Modified: b.mtime}
		h.SetMode(os.FileMode(m.mode))
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	return zw.Close()
}

func closeInto(f *os.File, err *error) {
	if cerr := f.Close(); *err == nil {
		*err = cerr
	}
}

// stageFiles writes the generated package files: the man page gzipped (as
// Debian policy §12.1 and the other distributions' man directories expect),
// deterministically (no name, no time in the gzip header).
func (b *build) stageFiles() (err error) {
	data, err := os.ReadFile(filepath.Join(b.root, "man/outbox.1"))
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(b.stage, "outbox.1.gz"))
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	if _, err := zw.Write(data); err != nil {
		return err
	}
	return zw.Close()
}

// pkgVersion splits the version into nfpm's version and prerelease, spelled
// for the format: 1.2.3 stays 1.2.3 everywhere; the snapshot version
// 0.0.0-<date>-<commit> becomes 0.0.0~<date>.<commit> (deb: a hyphen
// would start the Debian revision), 0.0.0~<date>_<commit> (rpm: nfpm
// turns the hyphen into _), 0.0.0_pre<date> (apk: only a known suffix and
// digits may follow the version, so the commit can't appear; it is in the
// package description and in `outbox version`). ~ and _pre sort before the
// release, as a snapshot should.
func pkgVersion(v, format string) (version, pre string, err error) {
	version, pre, _ = strings.Cut(v, "-")
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(version) {
		return "", "", fmt.Errorf("version %q is not N.N.N[-PRERELEASE] (scripts/version prints it from git; elsewhere set VERSION and SOURCE_DATE_EPOCH)", v)
	}
	if pre == "" {
		return version, "", nil
	}
	switch format {
	case "deb":
		return version, strings.ReplaceAll(pre, "-", "."), nil
	case "apk":
		first, _, _ := strings.Cut(pre, "-")
		switch {
		case regexp.MustCompile(`^(alpha|beta|pre|rc)[0-9]*$`).MatchString(first):
			return version, first, nil
		case regexp.MustCompile(`^[0-9]+$`).MatchString(first):
			return version, "pre" + first, nil
		}
		return "", "", fmt.Errorf("version %q has no apk spelling (want -alphaN, -betaN, -preN, -rcN or -<date>-<commit>)", v)
	}
	return version, pre, nil
}

func (b *build) pkg(format, arch string) error {
	version, pre, err := pkgVersion(b.version, format)
	if err != nil {
		return err
	}
	p := filepath.Join(b.root, "packaging")
	info := &nfpm.Info{
		Name:          "outbox",
		Arch:          arch,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none",
		Prerelease:    pre,
		Section:       "mail",
		Priority:      "optional",
		Maintainer:    "outbox maintainers <outbox@outboxmail.invalid>",
		Description:   description + "\n .\n Built from commit " + b.commit + ".",
		Homepage:      "https://github.com/outboxmail/outbox",
		License:       "MIT",
		MTime:         b.mtime,
		Overridables:  nfpm.Overridables{Umask: 0o022},
	}
	o := &info.Overridables
	var scriptErr error
	script := func(src string) string {
		dst, err := b.script(src)
		if err != nil && scriptErr == nil {
			scriptErr = err
		}
		return dst
	}
	bin := filepath.Join(b.bins, "linux_"+arch, "outbox")
	o.Contents = files.Contents{
		b.file(bin, "/usr/bin/outbox", 0o755),
		b.file(filepath.Join(b.stage, "outbox.1.gz"), "/usr/share/man/man1/outbox.1.gz", 0o644),
		b.file(filepath.Join(b.root, "completions/outbox.bash"), "/usr/share/bash-completion/completions/outbox", 0o644),
		b.file(filepath.Join(b.root, "completions/outbox.fish"), "/usr/share/fish/vendor_completions.d/outbox.fish", 0o644),
		b.file(filepath.Join(b.root, "README.md"), "/usr/share/doc/outbox/README.md", 0o644),
	}
	systemd := func() {
		for _, u := range []string{"outbox-flush.service", "outbox-flush.timer", "outbox-pickup.path", "outbox-pickup.service"} {
			o.Contents = append(o.Contents, b.file(filepath.Join(p, "systemd", u), "/usr/lib/systemd/system/"+u, 0o644))
		}
		o.Contents = append(o.Contents, b.file(filepath.Join(p, "tmpfiles.d/outbox.conf"), "/usr/lib/tmpfiles.d/outbox.conf", 0o644))
	}
	switch format {
	case "deb":
		// Debian: the MTA's place through the mail-transport-agent virtual
		// package and plain links, no alternatives (CONVENTIONS.md).
		o.Provides = []string{"mail-transport-agent"}
		o.Conflicts = []string{"mail-transport-agent"}
		o.Replaces = []string{"mail-transport-agent"}
		o.Contents = append(o.Contents,
			b.link("/usr/sbin/sendmail", "../bin/outbox"),
			b.link("/usr/lib/sendmail", "../sbin/sendmail"),
			b.link("/usr/bin/mailq", "outbox"),
			b.link("/usr/bin/newaliases", "outbox"),
			b.file(filepath.Join(b.root, "completions/_outbox"), "/usr/share/zsh/vendor-completions/_outbox", 0o644),
			b.file(filepath.Join(b.root, "LICENSE"), "/usr/share/doc/outbox/copyright", 0o644))
		systemd()
		o.Scripts = nfpm.Scripts{
			PostInstall: script(filepath.Join(p, "deb/postinst")),
			PreRemove:   script(filepath.Join(p, "deb/prerm")),
			PostRemove:  script(filepath.Join(p, "deb/postrm")),
		}
	case "rpm":
		// Fedora/RHEL: /usr/sbin/sendmail, mailq, newaliases and
		// /usr/lib/sendmail belong to the mta alternatives, set up by the
		// scripts; the provides are what MTA-needing packages require.
		o.Provides = []string{"MTA", "smtpdaemon", "/usr/sbin/sendmail", "/usr/bin/mailq", "/usr/bin/newaliases"}
		o.Depends = []string{"/usr/sbin/alternatives"}
		o.RPM.BuildHost = "outbox" // default: this machine's name, which would differ between builders
		o.RPM.Summary = summary
		o.RPM.Group = "System Environment/Daemons"
		o.Contents = append(o.Contents,
			b.file(filepath.Join(b.root, "completions/_outbox"), "/usr/share/zsh/site-functions/_outbox", 0o644),
			b.file(filepath.Join(b.root, "LICENSE"), "/usr/share/licenses/outbox/LICENSE", 0o644),
			b.file(filepath.Join(p, "rpm/80-outbox.preset"), "/usr/lib/systemd/system-preset/80-outbox.preset", 0o644))
		systemd()
		o.Scripts = nfpm.Scripts{
			PostInstall: script(filepath.Join(p, "rpm/post")),
			PreRemove:   script(filepath.Join(p, "rpm/preun")),
			PostRemove:  script(filepath.Join(p, "rpm/postun")),
		}
	case "apk":
		// Alpine: links as its sendmail providers (dma, ssmtp) ship them,
		// cmd: provides as abuild would generate, a periodic job instead
		// of systemd units (Alpine runs OpenRC and busybox crond).
		// apk: pkgdesc is one line; provides carry the version, as
		// abuild writes them, so apk can pick a provider of cmd:sendmail.
		info.Release = "0"
		info.Description = summary + " (commit " + b.commit + ")"
		v := version
		if pre != "" {
			v += "_" + pre
		}
		for _, c := range []string{"outbox", "sendmail", "mailq", "newaliases"} {
			o.Provides = append(o.Provides, "cmd:"+c+"="+v+"-r0")
		}
		o.Contents = append(o.Contents,
			b.link("/usr/sbin/sendmail", "../bin/outbox"),
			b.link("/usr/bin/mailq", "outbox"),
			b.link("/usr/bin/newaliases", "outbox"),
			b.file(filepath.Join(b.root, "completions/_outbox"), "/usr/share/zsh/site-functions/_outbox", 0o644),
			b.file(filepath.Join(b.root, "LICENSE"), "/usr/share/licenses/outbox/LICENSE", 0o644),
			b.file(filepath.Join(p, "apk/outbox.periodic"), "/etc/periodic/15min/outbox", 0o755))
		o.Scripts = nfpm.Scripts{
			PostInstall: script(filepath.Join(p, "apk/post-install")),
			PostRemove:  script(filepath.Join(p, "apk/post-deinstall")),
		}
		o.APK.Scripts.PostUpgrade = script(filepath.Join(p, "apk/post-install"))
	}
	if scriptErr != nil {
		return scriptErr
	}
	nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		return err
	}
	packager, err := nfpm.Get(format)
	if err != nil {
		return err
	}
	path := filepath.Join(b.out, packager.ConventionalFileName(info))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := packager.Package(info, f); err != nil {
		f.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "package %s\n", filepath.Base(path))
	return f.Close()
}

// script copies a maintainer script into the staging directory with the
// commit's time: nfpm's apk packager takes a script's time from the file,
// which would differ between two checkouts.
func (b *build) script(src string) (string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(b.stage, "scripts", strings.ReplaceAll(strings.TrimPrefix(src, b.root+"/"), "/", "_"))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		return "", err
	}
	return dst, os.Chtimes(dst, b.mtime, b.mtime)
}

// file is a regular file of a package, mode and time fixed here (nfpm
// would otherwise take them from the checkout).
func (b *build) file(src, dst string, mode os.FileMode) *files.Content {
	return &files.Content{Source: src, Destination: dst, Type: files.TypeFile,
		FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode, MTime: b.mtime}}
}

func (b *build) link(dst, target string) *files.Content {
	return &files.Content{Source: target, Destination: dst, Type: files.TypeSymlink,
		FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: 0o777, MTime: b.mtime}}
}

// sums writes SHA256SUMS in sha256sum(1)'s format, sorted by name, so
// `sha256sum -c SHA256SUMS` checks a download.
func (b *build) sums() error {
	entries, err := os.ReadDir(b.out)
	if err != nil {
		return err
	}
	var lines []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			return errors.New("unexpected non-file in " + b.out + ": " + e.Name())
		}
		f, err := os.Open(filepath.Join(b.out, e.Name()))
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		lines = append(lines, hex.EncodeToString(h.Sum(nil))+"  "+e.Name()+"\n")
	}
	// ReadDir sorts by name.
	return os.WriteFile(filepath.Join(b.out, "SHA256SUMS"), []byte(strings.Join(lines, "")), 0o644)
}
