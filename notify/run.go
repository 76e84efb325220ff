package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Options says how to run a command.
type Options struct {
	Args []string // the command and its arguments; Args[0] is looked up in $PATH

	// Stdin is given to the command as is (an *os.File is inherited
	// directly). Stdout and Stderr receive the command's streams unchanged;
	// nil discards.
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Timeout > 0: after it, the command's process group gets SIGTERM, then
	// SIGKILL after KillAfter, and the result has TimedOut and exit status
	// 124, as timeout(1) does.
	Timeout time.Duration
	// KillAfter is the grace between SIGTERM and SIGKILL, on timeout and
	// when ctx is cancelled; 0 means 10s.
	KillAfter time.Duration
	// DrainDelay is how long output is still read after the command has
	// exited, while a background process it started keeps the output
	// open; 0 means 2s.
	DrainDelay time.Duration

	// Foreground keeps the command in outbox's process group, so that a
	// terminal's Ctrl-C and job control reach it directly. Set it when
	// stdin is a terminal; it is ignored with a Timeout (which needs a
	// group to kill, as timeout(1) does).
	Foreground bool

	// KeepOutput keeps the whole output in a file even when it fits the
	// tail (--attach-output).
	KeepOutput bool
	// Tail is how many of the last output bytes Result.Tail holds; 0 means
	// DefaultTail (64 KiB).
	Tail int
	// TempDir is where the whole-output file goes; "" means os.TempDir().
	TempDir string
}

// Result is what a run did.
type Result struct {
	Args     []string
	Start    time.Time
	Duration time.Duration

	// ExitCode is the status outbox exits with, as a shell reports it: the
	// command's exit status, 128+n when signal n killed it, 124 when
	// Timeout expired, 127 when the command was not found and 126 when it
	// could not be started.
	ExitCode int
	Signal   syscall.Signal // the signal that ended the command, 0 if none
	TimedOut bool
	Timeout  time.Duration // the limit that expired, when TimedOut
	StartErr error         // the command could not be started

	// Tail is the end of the combined output (the last Options.Tail bytes),
	// OutputSize the size of the whole. OutputFile, when not "", holds the
	// whole output, named OutputName, until Close; it exists when the
	// output outgrew Tail or with KeepOutput. OutputErr says why it is
	// missing when it should be there.
	Tail       []byte
	OutputSize int64
	OutputFile string
	OutputErr  error
	// Lingering: a process the command started kept its output open after
	// it exited; output written after DrainDelay was not captured.
	Lingering bool
}

// Truncated reports whether Tail is only the end of the output.
func (r *Result) Truncated() bool { return r.OutputSize > int64(len(r.Tail)) }

// Failed reports whether the run counts as a failure: a non-zero status,
// a signal, a timeout, or a command that could not start.
func (r *Result) Failed() bool { return r.ExitCode != 0 }

// Close removes the whole-output file.
func (r *Result) Close() error {
	if r.OutputFile == "" {
		return nil
	}
	err := os.RemoveAll(filepath.Dir(r.OutputFile))
	r.OutputFile = ""
	if err != nil {
		return fmt.Errorf("notify: remove the output copy: %w", err)
	}
	return nil
}

// Run runs the command to its end and returns what happened. Its stdout
// and stderr are passed through to o.Stdout and o.Stderr unchanged, byte
// for byte, each in order, while one capture records both.
//
// Ordering guarantee for the combined output (what the mail shows): when
// o.Stdout and o.Stderr are the same file (a terminal, `>log 2>&1`, a cron
// job's output pipe), the command gets one pipe for both streams and the
// capture is in exactly the order the command wrote. When they differ, each
// stream must keep its own destination, so the command gets two pipes; each
// stream stays in order and whole, but writes to the two streams made
// within the same instant may be interleaved in the order outbox read
// them, not the order they were written (no pipe carries a global order).
//
// A cancelled ctx (outbox got SIGTERM or Ctrl-C) ends the command as a
// timeout does, with SIGTERM then SIGKILL, and Run still returns its
// result, so the alert can go out. A command that cannot start is a result
// too (StartErr, 126 or 127), not an error: it is exactly what a monitored
// job must report. Run returns an error only when it could not set up the
// pipes.
func Run(ctx context.Context, o Options) (*Result, error) {
	if len(o.Args) == 0 {
		return nil, errors.New("notify: no command to run")
	}
	if o.KillAfter <= 0 {
		o.KillAfter = 10 * time.Second
	}
	if o.DrainDelay <= 0 {
		o.DrainDelay = 2 * time.Second
	}
	r := &Result{Args: o.Args, Start: time.Now()}
	capt := newCapture(o.Tail, o.KeepOutput, o.TempDir)
	defer func() {
		r.Tail = capt.tail()
		r.OutputSize = capt.total
	}()

	cmd := exec.Command(o.Args[0], o.Args[1:]...)
	cmd.Stdin = o.Stdin
	// A non-file stdin is copied by os/exec; don't let a reader that never
	// ends hold Wait after the command is gone.
	cmd.WaitDelay = time.Second
	group := !o.Foreground || o.Timeout > 0
	setGroup(cmd, group)

	// One pipe per destination: stdout and stderr share one when they go
	// to the same file, which keeps their exact order.
	passes := []io.Writer{o.Stdout}
	if !sameFile(o.Stdout, o.Stderr) {
		passes = append(passes, o.Stderr)
	}
	var readers, writers []*os.File
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			f.Close()
		}
	}
	for range passes {
		pr, pw, err := os.Pipe()
		if err != nil {
			closeAll(readers)
			closeAll(writers)
			return nil, fmt.Errorf("notify: make an output pipe: %w", err)
		}
		readers = append(readers, pr)
		writers = append(writers, pw)
	}
	cmd.Stdout, cmd.Stderr = writers[0], writers[len(writers)-1]

	err := cmd.Start()
	// The child has its copies; ours must go, or the readers never see EOF.
	closeAll(writers)
	if err != nil {
		closeAll(readers)
		r.StartErr = fmt.Errorf("notify: start %s: %w", o.Args[0], err)
		r.ExitCode = 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			r.ExitCode = 127
		}
		r.OutputFile, r.OutputErr = capt.finish()
		return r, nil
	}

	var wg sync.WaitGroup
	for i, pass := range passes {
		wg.Go(func() { pump(readers[i], pass, capt) })
	}

	waited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(waited)
	}()
	var timeout <-chan time.Time
	if o.Timeout > 0 {
		t := time.NewTimer(o.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	killed := false
	select {
	case <-waited:
	case <-timeout:
		r.TimedOut, r.Timeout, killed = true, o.Timeout, true
	case <-ctx.Done():
		killed = true
	}
	if killed {
		signalGroup(cmd, group, syscall.SIGTERM)
		t := time.NewTimer(o.KillAfter)
		select {
		case <-waited:
		case <-t.C:
			signalGroup(cmd, group, syscall.SIGKILL)
			<-waited
		}
		t.Stop()
		// Whatever of the group outlived its leader goes too: a timeout
		// ends the whole job, as timeout(1) does.
		signalGroup(cmd, group, syscall.SIGKILL)
	}
	r.Duration = time.Since(r.Start)

	// The command is gone; a background process it started may still hold
	// the pipes. Read what comes within DrainDelay, then stop listening.
	deadline := time.Now().Add(o.DrainDelay)
	for _, pr := range readers {
		pr.SetReadDeadline(deadline)
	}
	wg.Wait()
	for _, pr := range readers {
		var buf [1]byte
		if _, err := pr.Read(buf[:]); errors.Is(err, os.ErrDeadlineExceeded) {
			r.Lingering = true
		}
	}
	closeAll(readers)

	r.ExitCode, r.Signal = exitStatus(cmd.ProcessState)
	if r.TimedOut {
		r.ExitCode = 124
	}
	r.OutputFile, r.OutputErr = capt.finish()
	return r, nil
}

// pump copies one stream: to its passthrough destination first (a
// terminal sees it at once), then into the capture. A destination that
// fails (a closed pipe) stops being written, but the stream is still read
// to its end: the command must never block on a full pipe.
func pump(r io.Reader, pass io.Writer, capt *capture) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if pass != nil {
				if _, werr := pass.Write(buf[:n]); werr != nil {
					pass = nil
				}
			}
			capt.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// sameFile reports whether two destinations are one file, so one pipe
// can serve both streams and keep their exact order.
func sameFile(a, b io.Writer) bool {
	fa, ok1 := a.(*os.File)
	fb, ok2 := b.(*os.File)
	if !ok1 || !ok2 || fa == nil || fb == nil {
		return false
	}
	if fa == fb {
		return true
	}
	sa, err1 := fa.Stat()
	sb, err2 := fb.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
