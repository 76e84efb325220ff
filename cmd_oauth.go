package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/outboxmail/outbox/oauth"
)

// OAuthCmd signs an account in with OAuth2 (Microsoft 365, Gmail, or a
// custom provider) and manages the stored tokens (SPEC §2). Importing
// package oauth also wires the token into sending (config.OAuthToken).
type OAuthCmd struct {
	Login  OAuthLoginCmd  `cmd:"" help:"Sign in (device code or browser) and store the refresh token."`
	Status OAuthStatusCmd `cmd:"" help:"Show whether a token is stored, where, its expiry and scopes."`
	Logout OAuthLogoutCmd `cmd:"" help:"Delete the stored refresh token and cached access token."`
}

type OAuthLoginCmd struct {
	Account   string `short:"A" env:"OUTBOX_ACCOUNT" help:"Account (default: the default account)." placeholder:"NAME"`
	NoBrowser bool   `help:"Browser flow: only print the URL, don't try to open a browser."`
}

func (c *OAuthLoginCmd) Run(a *app, cli *CLI) error {
	acct, err := loadAccount(cli.Config, c.Account)
	if err != nil {
		return err
	}
	res, err := oauth.Login(a.ctx, acct, oauth.LoginOptions{Out: a.stderr, NoBrowser: c.NoBrowser})
	if err != nil {
		return err
	}
	if res.Flow == "client_credentials" {
		a.notef("account %q: app-only token fetched with the client secret (valid until %s); sending needs no sign-in", acct.Name, res.Expiry.Local().Format(time.RFC3339))
		return nil
	}
	a.notef("account %q signed in; refresh token stored in %s", acct.Name, res.Where)
	return nil
}

type OAuthStatusCmd struct {
	Account string `short:"A" env:"OUTBOX_ACCOUNT" help:"Account (default: the default account)." placeholder:"NAME"`
}

func (c *OAuthStatusCmd) Run(a *app, cli *CLI) error {
	acct, err := loadAccount(cli.Config, c.Account)
	if err != nil {
		return err
	}
	info, err := oauth.Status(acct)
	if err != nil {
		return err
	}
	w := a.stdout
	fmt.Fprintf(w, "account:       %s (%s)\n", info.Account, acct.Username)
	fmt.Fprintf(w, "provider:      %s, flow %s, client %s\n", info.Provider, info.Flow, info.ClientID)
	switch {
	case info.Flow == "client_credentials":
		fmt.Fprintf(w, "refresh token: none needed (client_credentials: the client secret comes from the password sources)\n")
	case info.Refresh != "":
		fmt.Fprintf(w, "refresh token: stored in %s\n", info.Refresh)
	default:
		note := ""
		if info.KeyringNote != "" {
			note = " (keyring: " + info.KeyringNote + ")"
		}
		fmt.Fprintf(w, "refresh token: none; run: outbox oauth login --account %s%s\n", info.Account, note)
	}
	switch {
	case !info.HasAccess:
		fmt.Fprintf(w, "access token:  none cached\n")
	case info.AccessFresh:
		fmt.Fprintf(w, "access token:  cached, expires %s\n", info.AccessExpiry.Local().Format(time.RFC3339))
	default:
		fmt.Fprintf(w, "access token:  expired %s (a new one is fetched at the next send)\n", info.AccessExpiry.Local().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "scopes:        %s\n", strings.Join(info.Scopes, " "))
	fmt.Fprintf(w, "token cache:   %s\n", info.CacheFile)
	return nil
}

type OAuthLogoutCmd struct {
	Account string `short:"A" env:"OUTBOX_ACCOUNT" help:"Account (default: the default account)." placeholder:"NAME"`
}

func (c *OAuthLogoutCmd) Run(a *app, cli *CLI) error {
	acct, err := loadAccount(cli.Config, c.Account)
	if err != nil {
		return err
	}
	removed, err := oauth.Logout(acct)
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		a.notef("account %q: no OAuth2 tokens were stored; nothing to delete", acct.Name)
		return nil
	}
	a.notef("account %q signed out: deleted %s", acct.Name, strings.Join(removed, " and "))
	return nil
}
