package testuser

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// User is the unprivileged account root's test runs use; it is created
// (a system user without a home or a shell) when missing.
const User = "i17unpriv"

// Unprivileged reports whether the caller should run its body here: true
// when the test already runs as an ordinary user. As root it re-runs this
// very test (t.Name()) as User, in a copy of the test binary, fails t with
// the child's output if the child did not pass, and returns false: the
// caller then returns. Where that can't be done (no runuser or useradd,
// not Linux) the test is skipped with the reason, or fails under CI=true,
// where test.sh's machine has both.
func Unprivileged(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return true
	}
	unable := func(format string, args ...any) bool {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot run the ordinary-user branch as root's test: "+format, args...)
		}
		t.Skipf("running as root, which ignores file modes, and cannot re-run as an ordinary user: "+format, args...)
		return false
	}
	if runtime.GOOS != "linux" {
		return unable("runuser is Linux's")
	}
	for _, tool := range []string{"useradd", "runuser"} {
		if _, err := exec.LookPath(tool); err != nil {
			return unable("%s not installed", tool)
		}
	}
	if exec.Command("id", "-u", User).Run() != nil {
		if out, err := exec.Command("useradd", "-M", "-r", "-s", "/usr/sbin/nologin", User).CombinedOutput(); err != nil {
			// Another test package may have created it meanwhile.
			if exec.Command("id", "-u", User).Run() != nil {
				t.Fatalf("useradd %s: %v\n%s", User, err, out)
			}
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The go build cache and t.TempDir's parents may be private to root:
	// the copy lives in a directory the user can enter.
	dir, err := os.MkdirTemp("", "outbox-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(self))
	if err := copyFile(self, bin); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, p := range strings.Split(t.Name(), "/") {
		parts = append(parts, "^"+regexp.QuoteMeta(p)+"$")
	}
	cmd := exec.Command("runuser", "-u", User, "--", bin, "-test.run", strings.Join(parts, "/"), "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir, "TMPDIR=" + os.TempDir(), "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("as user %s (runuser): %v\n%s", User, err, out)
	}
	t.Logf("ran as user %s:\n%s", User, out)
	return false
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
