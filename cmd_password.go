package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/outboxmail/outbox/config"
)

// PasswordCmd stores the account password where outbox looks for it last
// and safest: the OS keyring (service "outbox", user "<username>@<host>").
type PasswordCmd struct {
	Set    PasswordSetCmd    `cmd:"" help:"Store the password (read without echo at a terminal, else the first line of stdin)."`
	Delete PasswordDeleteCmd `cmd:"" help:"Remove the stored password."`
}

type PasswordSetCmd struct {
	Account string `short:"A" env:"OUTBOX_ACCOUNT" help:"Account (default: the default account)." placeholder:"NAME"`
}

func (c *PasswordSetCmd) Run(a *app, cli *CLI) error {
	acct, err := passwordAccount(cli.Config, c.Account)
	if err != nil {
		return err
	}
	pw, err := a.readPassword(fmt.Sprintf("Password for %s@%s: ", acct.Username, acct.Host))
	if err != nil {
		return err
	}
	if err := config.SetKeyringPassword(acct, pw); err != nil {
		return err
	}
	a.notef("password for account %q stored in the keyring", acct.Name)
	return nil
}

type PasswordDeleteCmd struct {
	Account string `short:"A" env:"OUTBOX_ACCOUNT" help:"Account (default: the default account)." placeholder:"NAME"`
}

func (c *PasswordDeleteCmd) Run(a *app, cli *CLI) error {
	acct, err := passwordAccount(cli.Config, c.Account)
	if err != nil {
		return err
	}
	if err := config.DeleteKeyringPassword(acct); err != nil {
		return err
	}
	a.notef("password for account %q removed from the keyring", acct.Name)
	return nil
}

func passwordAccount(path, name string) (*config.Account, error) {
	acct, err := loadAccount(path, name)
	if err != nil {
		return nil, err
	}
	if acct.Username == "" {
		return nil, usagef("account %q has no username: a password is only used with AUTH", acct.Name)
	}
	return acct, nil
}

// readPassword reads without echo from a terminal, else the first line of
// stdin, so `pass show x | outbox password set` works and the password is
// never an argument (visible in ps).
func (a *app) readPassword(prompt string) (string, error) {
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usageError{errors.New("no password on stdin: pipe it in (`printf %s \"$PW\" | outbox password set`) or run at a terminal")}
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageError{errors.New("empty password on stdin")}
	}
	return pw, nil
}
