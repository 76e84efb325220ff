package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outboxmail/outbox/mime"
)

// script writes a small sh script into a temp dir and returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "job.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRun(t *testing.T, o Options) *Result {
	t.Helper()
	r, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRunExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		code       int
		sig        syscall.Signal
		outcome    string
	}{
		{"success", "echo fine", 0, 0, "exit 0"},
		{"failure", "echo broken >&2; exit 1", 1, 0, "exit 1"},
		{"exit 137", "exit 137", 137, 0, "exit 137"},
		{"SIGKILL", "kill -KILL $$", 137, syscall.SIGKILL, "SIGKILL"},
		{"SIGTERM", "kill -TERM $$", 143, syscall.SIGTERM, "SIGTERM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRun(t, Options{Args: []string{script(t, tc.body)}})
			if r.ExitCode != tc.code || r.Signal != tc.sig || r.Outcome() != tc.outcome {
				t.Errorf("got exit %d signal %v outcome %q, want %d %v %q", r.ExitCode, r.Signal, r.Outcome(), tc.code, tc.sig, tc.outcome)
			}
			if r.Failed() != (tc.code != 0) {
				t.Errorf("Failed() = %v", r.Failed())
			}
		})
	}
}

func TestRunStartError(t *testing.T) {
	r := mustRun(t, Options{Args: []string{"/nonexistent/outbox-test-command"}})
	if r.ExitCode != 127 || r.StartErr == nil {
		t.Errorf("missing command: exit %d, err %v; want 127", r.ExitCode, r.StartErr)
	}
	noexec := filepath.Join(t.TempDir(), "noexec.sh")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	r = mustRun(t, Options{Args: []string{noexec}})
	if r.ExitCode != 126 || r.StartErr == nil {
		t.Errorf("not executable: exit %d, err %v; want 126", r.ExitCode, r.StartErr)
	}
	if !r.Failed() || r.Outcome() != "not started" {
		t.Errorf("Failed %v, Outcome %q", r.Failed(), r.Outcome())
	}
}

// The command gets the caller's stdin.
func TestRunStdin(t *testing.T) {
	var out bytes.Buffer
	r := mustRun(t, Options{Args: []string{"cat"}, Stdin: strings.NewReader("from stdin\n"), Stdout: &out})
	if out.String() != "from stdin\n" || string(r.Tail) != "from stdin\n" {
		t.Errorf("passed through %q, captured %q", out.String(), r.Tail)
	}
}

// A timeout kills the whole process group, including a grandchild that
// would otherwise outlive the command, and ends with 124 like timeout(1).
func TestRunTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild.pid")
	job := script(t, "sleep 300 &\necho $! > "+pidFile+"\necho started\nwait")
	r := mustRun(t, Options{Args: []string{job}, Timeout: 300 * time.Millisecond})
	if r.ExitCode != 124 || !r.TimedOut || r.Outcome() != "timeout" {
		t.Fatalf("exit %d timedOut %v outcome %q; want 124, true, timeout", r.ExitCode, r.TimedOut, r.Outcome())
	}
	if string(r.Tail) != "started\n" {
		t.Errorf("captured %q", r.Tail)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// SIGKILL was sent before Run returned; the kernel finishes the job
	// asynchronously, so poll with a deadline.
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d survived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie waiting for a reaper is dead).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return runtime.GOOS != "linux"
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) == 0 || f[0] != "Z"
}

// Cancelling ctx (outbox got SIGTERM) ends the command and still returns
// its result, so the alert goes out.
func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	job := script(t, "echo waiting; exec sleep 300")
	var out syncBuffer
	out.line = make(chan struct{}, 1)
	go func() {
		<-out.line // the child is up: cancel now
		cancel()
	}()
	r, err := Run(ctx, Options{Args: []string{job}, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode != 143 || r.Signal != syscall.SIGTERM {
		t.Errorf("exit %d signal %v, want 143 SIGTERM", r.ExitCode, r.Signal)
	}
}

type syncBuffer struct {
	bytes.Buffer
	line chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	n, err := b.Buffer.Write(p)
	select {
	case b.line <- struct{}{}:
	default:
	}
	return n, err
}

// A background process that keeps the output open does not hold Run
// beyond DrainDelay.
func TestRunLingering(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "bg.pid")
	job := script(t, "sleep 300 &\necho $! > "+pidFile+"\necho done")
	r := mustRun(t, Options{Args: []string{job}, DrainDelay: 200 * time.Millisecond})
	if b, err := os.ReadFile(pidFile); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if r.ExitCode != 0 || !r.Lingering || string(r.Tail) != "done\n" {
		t.Errorf("exit %d lingering %v tail %q", r.ExitCode, r.Lingering, r.Tail)
	}
}

const interleave = `i=1
while [ $i -le 50 ]; do
	echo "out $i"
	echo "err $i" >&2
	i=$((i+1))
done`

func interleaved(streams ...string) string {
	var b strings.Builder
	for i := 1; i <= 50; i++ {
		for _, s := range streams {
			fmt.Fprintf(&b, "%s %d\n", s, i)
		}
	}
	return b.String()
}

// Separate destinations: each stream arrives whole, unchanged and in order
// where it belongs, and the capture holds both, each in order.
func TestRunPassthroughSeparate(t *testing.T) {
	var stdout, stderr bytes.Buffer
	r := mustRun(t, Options{Args: []string{script(t, interleave)}, Stdout: &stdout, Stderr: &stderr})
	if stdout.String() != interleaved("out") {
		t.Errorf("stdout passed through as %q", stdout.String())
	}
	if stderr.String() != interleaved("err") {
		t.Errorf("stderr passed through as %q", stderr.String())
	}
	var outs, errs []string
	for l := range strings.Lines(string(r.Tail)) {
		if strings.HasPrefix(l, "out") {
			outs = append(outs, l)
		} else {
			errs = append(errs, l)
		}
	}
	if strings.Join(outs, "") != interleaved("out") || strings.Join(errs, "") != interleaved("err") {
		t.Errorf("capture lost the order within a stream:\n%s", r.Tail)
	}
}

// One destination for both (a terminal, `>log 2>&1`, cron's pipe): one
// pipe, and the capture is in exactly the order written.
func TestRunInterleavedOrderExact(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := mustRun(t, Options{Args: []string{script(t, interleave)}, Stdout: f, Stderr: f})
	want := interleaved("out", "err")
	if string(r.Tail) != want {
		t.Errorf("captured out of order:\n%s", r.Tail)
	}
	got, _ := os.ReadFile(f.Name())
	if string(got) != want {
		t.Errorf("passed through out of order:\n%s", got)
	}
	// The same file opened twice is also recognised.
	g, err := os.OpenFile(f.Name(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !sameFile(f, g) || sameFile(f, os.Stdin) || sameFile(&bytes.Buffer{}, f) {
		t.Error("sameFile is wrong")
	}
}

// A closed destination (outbox | head -1) does not block the command.
func TestRunPassthroughBroken(t *testing.T) {
	r := mustRun(t, Options{Args: []string{script(t, interleave)}, Stdout: failWriter{}, Stderr: failWriter{}})
	if r.ExitCode != 0 || r.OutputSize != int64(len(interleaved("out", "err"))) {
		t.Errorf("exit %d, captured %d bytes", r.ExitCode, r.OutputSize)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// --attach-output keeps even a small output in a file; without it a small
// output never touches the disk.
func TestRunKeepOutput(t *testing.T) {
	job := script(t, "echo small")
	r := mustRun(t, Options{Args: []string{job}})
	if r.OutputFile != "" || r.Truncated() {
		t.Errorf("small output kept in %q", r.OutputFile)
	}
	r = mustRun(t, Options{Args: []string{job}, KeepOutput: true})
	b, err := os.ReadFile(r.OutputFile)
	if err != nil || string(b) != "small\n" || filepath.Base(r.OutputFile) != OutputName {
		t.Errorf("kept %q in %s: %v", b, r.OutputFile, err)
	}
	dir := filepath.Dir(r.OutputFile)
	r.Close()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left %s: %v", dir, err)
	}
}

// A command printing 200 MB keeps outbox's memory flat: the tail is a
// ring, the whole output streams to a file and from there into the
// message. Measured in-process: bytes allocated during the run and during
// composing the mail, which would be ≥ 200 MB if anything buffered it.
func TestRunLargeOutputBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	const total = 200_000_000
	line := "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq\n" // 64 bytes
	job := script(t, fmt.Sprintf("yes %s | head -c %d", strings.TrimSuffix(line, "\n"), total))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := mustRun(t, Options{Args: []string{job}, Stdout: io.Discard, Stderr: io.Discard, TempDir: t.TempDir()})
	runtime.ReadMemStats(&after)
	if r.ExitCode != 0 || r.OutputSize != total {
		t.Fatalf("exit %d, %d bytes captured", r.ExitCode, r.OutputSize)
	}
	const budget = 16 << 20
	if got := after.TotalAlloc - before.TotalAlloc; got > budget {
		t.Errorf("run allocated %d MiB for 200 MB of output; budget %d MiB", got>>20, budget>>20)
	}
	if fi, err := os.Stat(r.OutputFile); err != nil || fi.Size() != total {
		t.Fatalf("whole output file: %v, %v", fi, err)
	}
	if len(r.Tail) != DefaultTail || !bytes.Equal(r.Tail, bytes.Repeat([]byte(line), DefaultTail/len(line))) {
		t.Errorf("tail is not the last 64 KiB")
	}

	rep := NewReport(r, Decision{Send: true}, "web1", "")
	msg := &mime.Compose{
		From:    mustAddr(t, "outbox@example.com"),
		Subject: "big",
		Text:    rep.Body(false),
		Attach:  []string{r.OutputFile},
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := msg.WriteTo(io.Discard)
	runtime.ReadMemStats(&after)
	if err != nil || n < total*4/3 {
		t.Fatalf("composed %d bytes: %v", n, err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > budget {
		t.Errorf("composing allocated %d MiB; budget %d MiB", got>>20, budget>>20)
	}
}
