package config

import (
	"fmt"
	"net/mail"
	"os"
	"strings"
)

// Select picks the account for one message (SPEC §2):
//
//  1. name (--account), else $OUTBOX_ACCOUNT: that account, or an error
//     listing the configured names;
//  2. else, when from is given: the account whose from address equals it,
//     ignoring case (the default account wins a tie);
//  3. else default_account, else the account named "default", else the
//     only account;
//  4. else an error asking for --account.
//
// The result is a copy with the OUTBOX_* overrides read by LoadDefault
// applied; changing it does not change c.
func (c *Config) Select(name, from string) (*Account, error) {
	if c == nil || len(c.Accounts) == 0 {
		file := ""
		if c != nil {
			file = c.Path
		}
		return nil, &Error{File: file, Msg: "no accounts configured; add an [accounts.NAME] table (outbox config init)"}
	}
	a, err := c.pick(name, from)
	if err != nil {
		return nil, err
	}
	a = a.clone()
	if c.env != nil {
		c.env.apply(a)
	}
	return a, nil
}

func (c *Config) pick(name, from string) (*Account, error) {
	via := "--account"
	if name == "" {
		name, via = os.Getenv("OUTBOX_ACCOUNT"), "OUTBOX_ACCOUNT"
	}
	if name != "" {
		if a, ok := c.Accounts[name]; ok {
			return a, nil
		}
		return nil, &Error{File: c.Path, Key: via, Msg: fmt.Sprintf("no account %q; configured: %s", name, c.accountList())}
	}
	if addr := bareAddress(from); addr != "" {
		var match *Account
		for _, n := range c.AccountNames() {
			a := c.Accounts[n]
			if !strings.EqualFold(a.FromAddress(), addr) {
				continue
			}
			if match == nil || n == c.DefaultAccount {
				match = a
			}
		}
		if match != nil {
			return match, nil
		}
	}
	if c.DefaultAccount != "" {
		if a, ok := c.Accounts[c.DefaultAccount]; ok {
			return a, nil
		}
	}
	if a, ok := c.Accounts["default"]; ok {
		return a, nil
	}
	if len(c.Accounts) == 1 {
		for _, a := range c.Accounts {
			return a, nil
		}
	}
	return nil, &Error{File: c.Path, Msg: fmt.Sprintf("several accounts (%s) and no default_account; pass --account NAME", c.accountList())}
}

// FromAddress is the bare address of the account's from key
// ("me@example.com" for "Me <me@example.com>"), "" when unset.
func (a *Account) FromAddress() string {
	if a == nil {
		return ""
	}
	return bareAddress(a.From)
}

func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if m, err := mail.ParseAddress(s); err == nil {
		return m.Address
	}
	return strings.Trim(s, "<>")
}
