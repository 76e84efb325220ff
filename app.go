package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
)

// app carries what every command needs: the process's streams and the
// context that a signal cancels. Commands get it through kong.Bind.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// quiet drops notes (sendmail -bs: each SMTP reply says the same).
	quiet bool

	stopSignals context.CancelFunc // set by catchSignals
}

// catchSignals makes SIGINT and SIGTERM cancel a.ctx, so that a command
// stops cleanly (a message being sent stays queued, a child of outbox run
// is told). Only what reads and prints — --version, mailq, sendmail -bp —
// goes without: the signal watcher costs a thread, about a tenth of
// outbox's start-up (issue 13).
func (a *app) catchSignals() {
	if a.stopSignals == nil {
		a.ctx, a.stopSignals = signal.NotifyContext(a.ctx, os.Interrupt, syscall.SIGTERM)
	}
}

// releaseSignals restores the default handling of the signals caught.
func (a *app) releaseSignals() {
	if a.stopSignals != nil {
		a.stopSignals()
	}
}

// warnf prints a warning that does not change the outcome.
func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "outbox: warning: "+format+"\n", args...)
}

// notef prints a one-line note for a person (queued, where, what next).
func (a *app) notef(format string, args ...any) {
	if a.quiet {
		return
	}
	fmt.Fprintf(a.stderr, "outbox: "+format+"\n", args...)
}

// exitError ends the program with a given status. When err is nil nothing
// is printed (kong's --help and --version end this way with status 0).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e exitError) Unwrap() error { return e.err }

// usageError is a command-line mistake: exit 64.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// oneLine keeps an error on one line, as the contract with scripts and
// syslog readers promises; a multi-line server reply is joined with "; ".
func oneLine(err error) string {
	s := strings.TrimSpace(err.Error())
	s = strings.ReplaceAll(s, "\r\n", "; ")
	return strings.ReplaceAll(s, "\n", "; ")
}

// version and commit are set at build time with -ldflags "-X
// main.version=1.2.3 -X main.commit=0123456789ab" (scripts/version prints
// both; the Makefile passes them). Release builds turn the VCS stamp off
// (reproducible builds), so commit is not left to the build info there.
var (
	version = "dev"
	commit  = ""
)

func versionString() string {
	rev := commit
	if rev == "" {
		rev = "unknown"
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 && rev == "unknown" {
				rev = s.Value[:12]
			}
		}
		if version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			version = info.Main.Version
		}
	}
	return fmt.Sprintf("outbox %s (commit %s, %s %s/%s)", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
