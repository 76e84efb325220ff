package main

import (
	"fmt"

	"github.com/alecthomas/kong"
)

const description = `Send mail from a machine without a mail server.

outbox composes a message from flags (or takes an RFC 5322 message on stdin
as sendmail does), finds the password (OS keyring first) and relays it over
ESMTP with STARTTLS or implicit TLS to the configured smarthost. When the
smarthost can't be reached the message waits in a durable local queue.

Examples:
  outbox send --to ops@example.com -s "backup done" -m "all good"
  outbox --to ops@example.com -s "Report" -a report.pdf -m "attached"
  df -h | outbox -s "disk usage" root
  outbox sendmail -t -i < message.eml
  outbox run --to ops@example.com -- backup.sh
  outbox queue list
  outbox password set --account work`

// CLI is the kong model of the outbox command line. Its names follow
// SPEC §1; completions and the man page are generated from it.
type CLI struct {
	Config  string           `short:"c" type:"path" placeholder:"FILE" help:"Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml)."`
	Version kong.VersionFlag `help:"Print the version and exit."`

	Send       SendCmd       `cmd:"" default:"withargs" help:"Compose a message from flags and send it (the default command)."`
	Sendmail   SendmailCmd   `cmd:"" help:"Behave as sendmail(8): read an RFC 5322 message on stdin."`
	Queue      QueueCmd      `cmd:"" help:"List, flush, retry or drop queued messages."`
	Run        RunCmd        `cmd:"" help:"Run a command and mail its result by policy (a notifier for cron and monitoring)."`
	Check      CheckCmd      `cmd:"" help:"Probe the smarthost: greeting, capabilities, TLS, certificate, AUTH; sends nothing unless --send ADDR (one test message)."`
	ConfigCmd  ConfigCmd     `cmd:"" name:"config" help:"Write a config (init), show the effective config (show), or say which file is used (path)."`
	OAuth      OAuthCmd      `cmd:"" name:"oauth" help:"OAuth2 sign-in for Microsoft 365 and Gmail: login, status, logout."`
	Password   PasswordCmd   `cmd:"" help:"Store or remove an account password in the OS keyring."`
	Completion CompletionCmd `cmd:"" help:"Print a shell completion script (bash, zsh, fish)."`
	Man        ManCmd        `cmd:"" help:"Print the man page (roff)."`
	Versions   VersionCmd    `cmd:"" name:"version" help:"Print the version, commit and Go version."`
}

// VersionCmd prints what --version prints.
type VersionCmd struct{}

func (VersionCmd) Run(a *app) error {
	fmt.Fprintln(a.stdout, versionString())
	return nil
}

// SendmailCmd is `outbox sendmail ARGS`: the same as running outbox under
// the name sendmail. kong only collects the words; sendmail.Parse reads them,
// because sendmail's clustered flags (-oi, -FName, -q30m) are not kong's.
type SendmailCmd struct {
	Args []string `arg:"" optional:"" passthrough:"all" help:"sendmail(8) flags and recipients."`
}

func (c *SendmailCmd) Run(a *app, cli *CLI) error {
	args := c.Args
	if cli.Config != "" {
		args = append([]string{"-C", cli.Config}, args...)
	}
	return a.sendmail(args)
}
