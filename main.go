// Command outbox sends mail from a machine without a mail server: as a
// mailx-like composer, as a drop-in /usr/sbin/sendmail, and as a notifier.
// Everything it accepts is either relayed to one smarthost or kept in a
// durable local queue.
//
// This file is kept thin: it dispatches on argv[0], runs the kong CLI, and
// turns errors into sysexits(3) codes in exactly one place (exitCode, in
// exit.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/notify"
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: tests call it with their own streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{ctx: context.Background(), stdin: stdin, stdout: stdout, stderr: stderr}
	defer a.releaseSignals()
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
	// The version needs no command-line model: answer before kong builds
	// one for the whole CLI, which would cost more than the rest of the
	// start (issue 13: start within 0.6× of msmtp --version).
	if len(args) == 2 && (args[1] == "--version" || args[1] == "version") {
		fmt.Fprintln(a.stdout, versionString())
		return nil
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
	a.catchSignals()
	return kctx.Run()
}
