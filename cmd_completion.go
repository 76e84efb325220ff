package main

import (
	"fmt"

	"github.com/alecthomas/kong"

	"github.com/outboxmail/outbox/completions"
	"github.com/outboxmail/outbox/config"
)

// Regenerate the checked-in completion scripts and man page after a change
// to the command line (docs_test.go compares them with what outbox prints).
//go:generate go test -run ^TestGeneratedDocs$ . -update-docs

// CompletionCmd prints a completion script generated from the kong model,
// so every command and flag is completed without a hand-kept list.
type CompletionCmd struct {
	// A pointer, because kong takes an enum on an optional argument only
	// when it can tell "not given" from "".
	Shell *string `arg:"" optional:"" enum:"bash,zsh,fish" help:"bash, zsh or fish." placeholder:"SHELL"`
	// Accounts is what the scripts call to complete --account: the names
	// live in the config file, which only outbox reads.
	Accounts bool `hidden:"" help:"Print the configured account names, one per line (used by the scripts)."`
}

func (c *CompletionCmd) Run(a *app, cli *CLI, kctx *kong.Context) error {
	if c.Accounts {
		return a.printAccounts(cli.Config)
	}
	if c.Shell == nil {
		return usagef("completion: name the shell: outbox completion bash|zsh|fish")
	}
	return completions.Write(a.stdout, *c.Shell, completions.FromKong(kctx.Model))
}

// printAccounts prints the account names of the effective config. With no
// config, or a broken one, it prints nothing: completion must stay quiet.
func (a *app) printAccounts(configPath string) error {
	cfg, err := config.LoadDefault(configPath)
	if err != nil || cfg == nil {
		return nil
	}
	for _, n := range cfg.AccountNames() {
		fmt.Fprintln(a.stdout, n)
	}
	return nil
}
