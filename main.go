// Command outbox sends mail from a machine without a mail server: as a
// mailx-like composer, as a drop-in /usr/sbin/sendmail, and as a notifier.
// Everything it accepts is either relayed to one smarthost or kept in a
// durable local queue.
//
// This file is kept thin: it dispatches on argv[0], runs the kong CLI, and
// turns errors into sysexits(3) codes in exactly one place (exitCode).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/mime"
	"github.com/outboxmail/outbox/notify"
	"github.com/outboxmail/outbox/oauth"
	"github.com/outboxmail/outbox/queue"
	"github.com/outboxmail/outbox/send"
	"github.com/outboxmail/outbox/sendmail"
)

// Exit codes from sysexits.h (SPEC §4).
const (
	exOK          = 0
	exUsage       = 64
	exDataErr     = 65
	exNoInput     = 66
	exNoUser      = 67
	exUnavailable = 69
	exSoftware    = 70
	exCantCreat   = 73
	exIOErr       = 74
	exTempFail    = 75
	exProtocol    = 76
	exNoPerm      = 77
	exConfig      = 78
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: tests call it with their own streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	// Running setuid/setgid is not supported (README "Security model"):
	// refuse before any flag, file or variable is looked at.
	err := config.CheckProcess()
	if err == nil {
		err = a.dispatch(args)
	}
	if err != nil {
		var ex exitError
		var st *notify.ExitStatus
		quiet := (errors.As(err, &ex) && ex.err == nil) || (errors.As(err, &st) && st.Err == nil)
		if !quiet {
			fmt.Fprintf(stderr, "outbox: %s\n", oneLine(err))
		}
	}
	return exitCode(err)
}

// dispatch picks the personality from argv[0]: sendmail, mailq,
// newaliases, or outbox's own command line.
func (a *app) dispatch(args []string) error {
	name := strings.TrimSuffix(filepath.Base(args[0]), ".exe")
	if name != "sendmail" && name != "mailq" && name != "newaliases" && len(args) > 1 && args[1] == "sendmail" {
		// sendmail's flags are not kong's (-h N is a hop count, not help):
		// hand them over untouched, exactly as under the name sendmail.
		name, args = "sendmail", args[1:]
	}
	switch name {
	case "sendmail":
		return a.sendmail(args[1:])
	case "mailq":
		return a.mailq(args[1:])
	case "newaliases":
		return a.newaliases()
	}
	return a.kong(args[1:])
}

// kong parses the outbox command line and runs the selected command.
func (a *app) kong(args []string) (err error) {
	var cli CLI
	parser, err := kong.New(&cli,
		kong.Name("outbox"),
		kong.Description(description),
		kong.Writers(a.stdout, a.stderr),
		kong.Exit(func(code int) { panic(exitError{code: code}) }),
		kong.Vars{"version": versionString()},
		kong.Bind(a),
	)
	if err != nil {
		return fmt.Errorf("internal: building the command line: %w", err)
	}
	// --help and --version end through kong's Exit: turn that back into a
	// return so exitCode stays the only place that picks the status.
	defer func() {
		if r := recover(); r != nil {
			ex, ok := r.(exitError)
			if !ok {
				panic(r)
			}
			err = ex
		}
	}()
	kctx, err := parser.Parse(args)
	if err != nil {
		return usageError{err}
	}
	return kctx.Run()
}

// exitCode maps an error to its sysexits(3) status. It is the only place
// that knows about exit codes.
func exitCode(err error) int {
	if err == nil {
		return exOK
	}
	var (
		st    *notify.ExitStatus
		ex    exitError
		usage usageError
		smu   *sendmail.UsageError
		cfg   *config.Error
		oerr  *oauth.Error
		mfile *mime.FileError
		mmsg  *mime.Error
		qerr  *queue.Error
		serr  *send.Error
	)
	switch {
	case errors.As(err, &st):
		// outbox run exits with its command's status, even when the
		// alert about it failed too (that error is printed).
		return st.Code
	case errors.As(err, &ex):
		return ex.code
	case errors.As(err, &usage), errors.As(err, &smu):
		return exUsage
	case errors.As(err, &cfg):
		return exConfig
	case errors.As(err, &oerr):
		if oerr.Temporary {
			return exTempFail
		}
		return exNoPerm
	case errors.As(err, &mfile):
		return exNoInput
	case errors.As(err, &mmsg):
		return exDataErr
	case errors.As(err, &qerr) && qerr.Kind == queue.KindWrite:
		return exCantCreat
	case errors.As(err, &qerr) && qerr.Kind == queue.KindBusy:
		return exTempFail
	case errors.As(err, &qerr) && qerr.Kind == queue.KindNotFound:
		return exNoInput
	case errors.As(err, &serr):
		return sendExitCode(serr)
	}
	return exSoftware
}

// sendExitCode classifies an SMTP failure (SPEC §4).
func sendExitCode(e *send.Error) int {
	switch {
	case e.Kind == send.KindTLSPolicy || (e.Kind == send.KindAuth && !e.Temporary):
		return exNoPerm
	case e.Kind == send.KindConfig:
		return exConfig
	case e.Kind == send.KindProtocol:
		return exProtocol
	case e.Temporary:
		return exTempFail
	case e.Op == "rcpt":
		return exNoUser
	}
	return exUnavailable
}
