package main

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/man"
)

// Issue 7 items 4 and 5, issue 3 item 6: completion scripts and the man page
// are generated from the kong model and checked in; make install puts them
// where shells and man look.

var updateDocs = flag.Bool("update-docs", false, "rewrite completions/ and man/outbox.1 from the command line model")

// generatedDocs maps each checked-in file to the outbox command that prints it.
var generatedDocs = map[string][]string{
	"completions/outbox.bash": {"completion", "bash"},
	"completions/_outbox":     {"completion", "zsh"},
	"completions/outbox.fish": {"completion", "fish"},
	"man/outbox.1":            {"man"},
}

// outboxOut runs the CLI in-process and returns its stdout.
func outboxOut(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append([]string{"outbox"}, args...), strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("outbox %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.Bytes()
}

// TestGeneratedDocs fails when a checked-in script or the man page differs
// from what outbox prints: regenerate with `go generate ./...` (which runs
// this test with -update-docs).
func TestGeneratedDocs(t *testing.T) {
	for path, args := range generatedDocs {
		got := outboxOut(t, args...)
		if *updateDocs {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (generate it: go generate ./...)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: outbox %s prints something else; run go generate ./... and commit the result", path, strings.Join(args, " "))
		}
	}
}

func TestCompletionCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"outbox", "completion", "tcsh"}, strings.NewReader(""), &out, &errb); code != exUsage {
		t.Errorf("completion tcsh: exit %d, want %d; stderr %s", code, exUsage, errb.String())
	}
	if code := run([]string{"outbox", "completion"}, strings.NewReader(""), &out, &errb); code != exUsage {
		t.Errorf("completion without a shell: exit %d, want %d", code, exUsage)
	}
	dir := t.TempDir()
	cfg := writeAccountsConfig(t, dir)
	t.Setenv("OUTBOX_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", dir)
	if got := string(outboxOut(t, "-c", cfg, "completion", "--accounts")); got != "home\nwork\n" {
		t.Errorf("completion --accounts = %q, want home and work", got)
	}
	// No config: nothing, and success (completion must stay quiet).
	if got := string(outboxOut(t, "completion", "--accounts")); got != "" {
		t.Errorf("completion --accounts without config = %q, want nothing", got)
	}
}

func writeAccountsConfig(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "accounts.toml")
	toml := "default_account = \"work\"\n[accounts.work]\nhost = \"smtp.example.com\"\n[accounts.home]\nhost = \"mail.example.net\"\n"
	if err := os.WriteFile(p, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// completionEnv is the environment the shells run in: the outbox on PATH
// is this test binary (testscript.Main put it there) and the config is
// ours, not the user's.
func completionEnv(t *testing.T) []string {
	dir := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + dir,
		"OUTBOX_CONFIG=" + writeAccountsConfig(t, dir),
		"LC_ALL=C",
	}
	return env
}

// TestBashCompletion loads completions/outbox.bash into a real bash and
// calls the completion function as bash would on Tab.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	// As README.md says; TestGeneratedDocs holds completions/outbox.bash
	// equal to this output.
	script := `source <(outbox completion bash) || exit 1
complete -p outbox
comp() {
	COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
	_outbox
	printf '%s\n' "$*=> ${COMPREPLY[*]}"
}
comp outbox que
comp outbox queue ''
comp outbox queue list --j
comp outbox queue flush --due -
comp outbox -A ''
comp outbox send --account w
comp outbox --to ops@example.com -A ''
comp outbox password set -A ''
comp outbox completion ''
comp outbox completion z
comp outbox --config /nonexistent/x.toml send -A ''
comp outbox --attach docs_test.g
comp outbox ops@example.com --dry
comp outbox sendmail -t ''
comp outbox -- que
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = completionEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	want := []string{
		"complete -F _outbox outbox",
		"outbox que=> queue",
		"outbox queue => list flush show retry drop",
		"outbox queue list --j=> --json",
		"outbox queue flush --due -=> --help -h --config -c --version --due --verbose -v",
		"outbox -A => home work",
		"outbox send --account w=> work",
		"outbox --to ops@example.com -A => home work",
		"outbox password set -A => home work",
		"outbox completion => bash zsh fish",
		"outbox completion z=> zsh",
		// A config that does not exist: no names, and no error text.
		"outbox --config /nonexistent/x.toml send -A => ",
		"outbox --attach docs_test.g=> docs_test.go",
		"outbox ops@example.com --dry=> --dry-run",
		// sendmail's words are its own grammar: nothing offered.
		"outbox sendmail -t => ",
		"outbox -- que=> ",
	}
	got := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing %q in bash output:\n%s", w, out)
		}
	}
}

// TestFishCompletion asks a real fish for candidates (complete -C).
func TestFishCompletion(t *testing.T) {
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("fish not installed (apt-get install fish)")
	}
	cases := map[string][]string{
		"outbox qu":                {"queue"},
		"outbox queue ":            {"list", "flush", "show", "retry", "drop"},
		"outbox queue list --":     {"--json", "--config", "--help"},
		"outbox -A ":               {"home", "work"},
		"outbox send --account ":   {"home", "work"},
		"outbox ops@x.example -A ": {"home", "work"},
		"outbox completion ":       {"bash", "zsh", "fish"},
		"outbox password set --a":  {"--account"},
	}
	for line, want := range cases {
		cmd := exec.Command(fish, "--no-config", "-c", "outbox completion fish | source; complete -C"+shellQuote(line))
		cmd.Env = completionEnv(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fish %q: %v\n%s", line, err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			c, _, _ := strings.Cut(l, "\t")
			got = append(got, c)
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("fish %q: %q missing from %q", line, w, got)
			}
		}
	}
}

// TestZshCompletion checks the zsh script parses and registers itself with
// compinit. (Driving zsh's completion widget needs a pseudo-terminal and
// zpty; the bash and fish tests cover the shared model.)
func TestZshCompletion(t *testing.T) {
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("zsh not installed (apt-get install zsh)")
	}
	if out, err := exec.Command(zsh, "-n", "completions/_outbox").CombinedOutput(); err != nil {
		t.Fatalf("zsh -n: %v\n%s", err, out)
	}
	cmd := exec.Command(zsh, "-f", "-c", `autoload -Uz compinit && compinit -u -D && source <(outbox completion zsh) && print -r -- $_comps[outbox] && whence -w _outbox_cmd_queue_list _outbox_accounts`)
	cmd.Env = completionEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("zsh: %v\n%s", err, out)
	}
	for _, w := range []string{"_outbox\n", "_outbox_cmd_queue_list: function", "_outbox_accounts: function"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("zsh output lacks %q:\n%s", w, out)
		}
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TestManPageRenders runs the page through groff with all warnings on, and
// through man -l as a user would.
func TestManPageRenders(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff not installed (apt-get install groff-base)")
	}
	cmd := exec.Command(groff, "-man", "-ww", "-Tutf8", "-z", "man/outbox.1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("groff -man -ww: %v\n%s", err, stderr.String())
	}
	mancmd, err := exec.LookPath("man")
	if err != nil {
		t.Skip("man not installed (apt-get install man-db)")
	}
	cmd = exec.Command(mancmd, "--warnings", "-l", "man/outbox.1")
	cmd.Env = append(os.Environ(), "MANPAGER=cat", "MANWIDTH=80")
	stderr.Reset()
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Errorf("man -l: %v\n%s", err, stderr.String())
	}
	// Without a terminal, man may still overstrike bold (X\bX) and
	// underline (_\bX): read the text as a person would see it.
	text := regexp.MustCompile(".\b").ReplaceAllString(string(out), "")
	for _, s := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "SENDMAIL COMPATIBILITY", "CONFIGURATION",
		"ENVIRONMENT", "EXIT STATUS", "FILES", "EXAMPLES", "SECURITY", "SEE ALSO", "outbox queue flush", "OUTBOX_QUEUE_DIR"} {
		if !strings.Contains(text, s) {
			t.Errorf("man -l output lacks %q", s)
		}
	}
}

// TestManPageCoversConfigKeys holds man.ConfigKeys and man.AccountKeys
// against the keys config.Load accepts (it lists them when it meets an
// unknown one).
func TestManPageCoversConfigKeys(t *testing.T) {
	dir := t.TempDir()
	known := func(toml string) []string {
		p := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(p, []byte(toml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := config.Load(p)
		var ce *config.Error
		if !errors.As(err, &ce) {
			t.Fatalf("config.Load with an unknown key: %v, want *config.Error", err)
		}
		_, list, ok := strings.Cut(err.Error(), "known keys here: ")
		if !ok {
			t.Fatalf("config error does not list the known keys: %v", err)
		}
		keys := strings.Split(list, ", ")
		sort.Strings(keys)
		return keys
	}
	documented := func(items []man.Item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Term)
		}
		sort.Strings(out)
		return out
	}
	if got, want := documented(man.ConfigKeys), known("qqqqqqqqqqqqqqqq = 1\n"); !slices.Equal(got, want) {
		t.Errorf("man.ConfigKeys = %v\nconfig accepts  %v", got, want)
	}
	if got, want := documented(man.AccountKeys), known("[accounts.a]\nhost = \"h\"\nqqqqqqqqqqqqqqqq = 1\n"); !slices.Equal(got, want) {
		t.Errorf("man.AccountKeys = %v\nconfig accepts   %v", got, want)
	}
}

// TestManPageCoversEnvironment: every OUTBOX_* variable the code reads is
// in the ENVIRONMENT section, and every exit status in EXIT STATUS.
func TestManPageCoversEnvironment(t *testing.T) {
	page, err := os.ReadFile("man/outbox.1")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"(OUTBOX_[A-Z_]+)"`)
	seen := map[string]bool{}
	err = filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && p != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			if v := string(m[1]); !seen[v] {
				seen[v] = true
				if !strings.Contains(string(page), v) {
					t.Errorf("%s reads $%s, which man/outbox.1 does not document (man/content.go Environment)", p, v)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	codes := []int{exOK, exUsage, exDataErr, exNoInput, exNoUser, exUnavailable, exSoftware, exCantCreat, exIOErr, exTempFail, exProtocol, exNoPerm, exConfig}
	var documented []int
	for _, e := range man.ExitStatus {
		documented = append(documented, e.Code)
	}
	if !slices.Equal(codes, documented) {
		t.Errorf("man.ExitStatus codes %v, main.go has %v", documented, codes)
	}
}

// TestMakeInstall runs the Makefile as a packager would and checks the
// tree (issue 3 item 6).
func TestMakeInstall(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not installed")
	}
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	// The binary: this test binary, which runs outbox's main under the
	// names outbox, sendmail, mailq and newaliases (testscript.Main), so
	// the test does not spend a minute in go build; "make -o BIN" tells
	// make not to rebuild it. scripts/crossbuild and CI cover building.
	bin := filepath.Join(tmp, "outbox")
	self, err := exec.LookPath("outbox")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	makeArgs := func(target string) []string {
		return []string{"-o", bin, target, "DESTDIR=" + root, "PREFIX=/usr", "BIN=" + bin}
	}
	makeRun := func(target string) {
		t.Helper()
		cmd := exec.Command(mk, makeArgs(target)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	makeRun("install")
	for _, f := range []string{
		"usr/bin/outbox", "usr/share/man/man1/outbox.1",
		"usr/share/bash-completion/completions/outbox", "usr/share/zsh/site-functions/_outbox",
		"usr/share/fish/vendor_completions.d/outbox.fish",
		"usr/lib/systemd/system/outbox-pickup.path", "usr/lib/systemd/system/outbox-pickup.service",
		"usr/lib/systemd/system/outbox-flush.timer", "usr/lib/systemd/system/outbox-flush.service",
		"usr/lib/tmpfiles.d/outbox.conf",
	} {
		if fi, err := os.Stat(filepath.Join(root, f)); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s not installed: %v", f, err)
		}
	}
	links := map[string]string{"usr/sbin/sendmail": "/usr/bin/outbox", "usr/bin/mailq": "outbox", "usr/bin/newaliases": "outbox"}
	for l, want := range links {
		if got, err := os.Readlink(filepath.Join(root, l)); err != nil || got != want {
			t.Errorf("%s -> %q (%v), want -> %s", l, got, err, want)
		}
	}
	// Issue 10: the units run the installed binary, flush --due on the timer.
	if b, err := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system/outbox-flush.service")); err != nil || !strings.Contains(string(b), "ExecStart=/usr/bin/outbox queue flush --due") {
		t.Errorf("outbox-flush.service: %v\n%s", err, b)
	}
	// The installed binary runs, and as "newaliases" via its link.
	if out, err := exec.Command(filepath.Join(root, "usr/bin/newaliases")).CombinedOutput(); err != nil {
		t.Errorf("installed newaliases: %v\n%s", err, out)
	}
	// Installing again over our own links works; over another MTA's
	// sendmail it refuses.
	makeRun("install")
	makeRun("uninstall")
	if entries, _ := filepath.Glob(filepath.Join(root, "usr/*/*")); len(entries) > 0 {
		var left []string
		for _, e := range entries {
			if fi, err := os.Lstat(e); err == nil && !fi.IsDir() {
				left = append(left, e)
			}
		}
		if len(left) > 0 {
			t.Errorf("uninstall left %v", left)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "usr/sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/sbin/postfix-sendmail", filepath.Join(root, "usr/sbin/sendmail")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(mk, makeArgs("install")...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "SENDMAIL_LINK=no") {
		t.Errorf("make install over another sendmail: %v\n%s", err, out)
	}
}
