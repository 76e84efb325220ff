package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/oauth"
	"github.com/outboxmail/outbox/setup"
)

// ConfigCmd is `outbox config init|show|path` (SPEC §1).
type ConfigCmd struct {
	Init ConfigInitCmd `cmd:"" help:"Write a config: asks for your address, proposes your provider's settings (presets, RFC 6186 SRV), stores the password (keyring, else systemd-creds for root, else a 0600 file) or signs in with OAuth2, runs outbox check and offers a test message."`
	Show ConfigShowCmd `cmd:"" help:"Print the effective config (after OUTBOX_* overrides), secrets redacted."`
	Path ConfigPathCmd `cmd:"" help:"Print the config file in use; the lookup order goes to stderr."`
}

// ConfigInitCmd writes a first configuration. With --email it asks
// nothing (for scripts); without, it is a wizard.
type ConfigInitCmd struct {
	Email          string `placeholder:"ADDR" help:"Your email address; with it nothing is asked (for scripts)."`
	Preset         string `placeholder:"NAME" help:"Provider preset (gmail, outlook, microsoft365, fastmail, icloud, yahoo, zoho, sendgrid, mailgun, postmark, brevo, ses-REGION, ...)."`
	Host           string `placeholder:"HOST" help:"SMTP server (instead of a preset or DNS discovery)."`
	Port           int    `placeholder:"N" help:"Port (default: 465 for tls, 587 for starttls)."`
	TLS            string `name:"tls" enum:",starttls,tls,none" default:"" placeholder:"MODE" help:"starttls, tls (implicit, port 465) or none."`
	Username       string `placeholder:"USER" help:"SMTP username (default: what the preset says, else the address)."`
	PasswordStdin  bool   `help:"Read the password (with --oauth: the client secret) from the first line of stdin and store it (see --password-store)."`
	PasswordStore  string `name:"password-store" enum:",keyring,systemd-creds,file,none" default:"" placeholder:"WHERE" help:"Where a typed password goes: keyring, systemd-creds (root: encrypted in /etc/credstore.encrypted), file (mode 0600 beside the config, as password_file) or none. Default: the keyring when it works, else systemd-creds for root, else file."`
	SendTest       bool   `help:"After the check, send a test message to your address (as outbox check --send does)."`
	TLSCAFile      string `name:"tls-ca-file" type:"path" placeholder:"FILE" help:"Extra CA certificate(s) to trust (PEM), written as tls_ca_file."`
	TLSFingerprint string `name:"tls-fingerprint" placeholder:"PIN" help:"Pin the server certificate (sha256:HEX, as outbox check prints it)."`
	Account        string `short:"A" placeholder:"NAME" default:"default" help:"Name of the account to write."`
	Output         string `short:"o" type:"path" placeholder:"FILE" help:"Write here (default: -c FILE, $OUTBOX_CONFIG, else ~/.config/outbox/config.toml, or /etc/outbox/config.toml as root)."`
	Force          bool   `help:"Replace an existing config file."`
	NoCheck        bool   `help:"Do not run outbox check afterwards."`
	OAuth          bool   `name:"oauth" help:"Sign in with OAuth2 instead of a password (Microsoft 365, Outlook.com, Gmail, custom)."`
	OAuthProvider  string `name:"oauth-provider" enum:",microsoft,google,custom" default:"" placeholder:"NAME" help:"microsoft, google or custom (default: from the preset)."`
	OAuthClientID  string `name:"oauth-client-id" placeholder:"ID" help:"Application (client) ID of your app registration."`
	OAuthTenant    string `name:"oauth-tenant" placeholder:"TENANT" help:"Microsoft tenant (default: common)."`
	OAuthTokenURL  string `name:"oauth-token-url" placeholder:"URL" help:"Custom provider: token endpoint."`
	OAuthDeviceURL string `name:"oauth-device-url" placeholder:"URL" help:"Custom provider: device authorization endpoint (device flow)."`
	OAuthAuthURL   string `name:"oauth-auth-url" placeholder:"URL" help:"Custom provider: authorization endpoint (browser flow)."`
	NoLogin        bool   `help:"OAuth2: only write the file; sign in later with outbox oauth login."`
	NoBrowser      bool   `help:"OAuth2 browser flow: print the URL, don't open a browser."`
	// DNS sends the SRV/MX lookups to one server: for split-horizon DNS,
	// and for the wizard test, which answers from a loopback server.
	DNS string `name:"dns" hidden:"" placeholder:"HOST:PORT" help:"DNS server for SRV discovery."`
}

// initTarget is where init writes: --output, the global --config, the
// file $OUTBOX_CONFIG names (so that later commands read what was
// written), else the per-user file, or for root the system file that
// cron and daemons' sendmail calls read (SPEC §7).
func (c *ConfigInitCmd) initTarget(cli *CLI) (string, error) {
	switch {
	case c.Output != "":
		return c.Output, nil
	case cli.Config != "":
		return cli.Config, nil
	case os.Getenv("OUTBOX_CONFIG") != "":
		return os.Getenv("OUTBOX_CONFIG"), nil
	case os.Geteuid() == 0:
		return config.SystemFile(), nil
	}
	if p := config.UserPath(); p != "" {
		return p, nil
	}
	return "", usagef("no home directory to write ~/.config/outbox/config.toml into: give --output FILE")
}

func (c *ConfigInitCmd) Run(a *app, cli *CLI) error {
	target, err := c.initTarget(cli)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(target); err == nil && !c.Force {
		// Before any question: nobody should answer them for nothing.
		return usagef("%s already exists: use --force to replace it, or --output FILE to write another", target)
	}
	var resolver setup.Resolver = net.DefaultResolver
	if c.DNS != "" {
		resolver = setup.ResolverAt(c.DNS)
	}

	oauthFlags := c.OAuthProvider != "" || c.OAuthClientID != "" || c.OAuthTenant != "" ||
		c.OAuthTokenURL != "" || c.OAuthDeviceURL != "" || c.OAuthAuthURL != ""
	if oauthFlags && !c.OAuth {
		return usagef("the --oauth-* flags need --oauth")
	}
	if err := c.checkStore(); err != nil {
		return err
	}

	var s *setup.Settings
	var pw string
	var w *setup.Wizard // nil: no questions (--email)
	if c.Email != "" {
		q := setup.Request{Email: c.Email, Preset: c.Preset, Host: c.Host,
			Port: c.Port, TLS: c.TLS, Username: c.Username}
		if c.OAuth {
			q.OAuth = &setup.OAuth{Provider: c.OAuthProvider, ClientID: c.OAuthClientID, Tenant: c.OAuthTenant,
				AuthURL: c.OAuthAuthURL, DeviceURL: c.OAuthDeviceURL, TokenURL: c.OAuthTokenURL}
		}
		s, err = setup.Resolve(a.ctx, resolver, q)
		if err != nil {
			return usageError{err}
		}
		if c.PasswordStdin {
			if pw, err = firstLine(a); err != nil {
				return err
			}
		}
	} else {
		if c.PasswordStdin || c.Preset != "" || c.Host != "" || c.OAuth {
			return usagef("--password-stdin, --preset, --host and --oauth need --email (without --email, config init asks)")
		}
		w = &setup.Wizard{In: a.stdin, Out: a.stdout, Resolver: resolver, ReadPassword: a.termPassword()}
		ans, err := w.Run(a.ctx)
		if err != nil {
			return wizardError(err)
		}
		s, pw = ans.Settings, ans.Password
	}

	f := &setup.File{Account: c.Account, Settings: s, CAFile: c.TLSCAFile, Pin: c.TLSFingerprint}
	if err := f.Validate(); err != nil {
		return usageError{err}
	}
	name := f.AccountName()
	acct := &config.Account{Name: name, Host: s.Host, Username: s.Username}
	// With OAuth2 the only "password" is Google's client secret, which
	// lives in the password sources too.
	secret := "password"
	if s.OAuth != nil {
		secret = "client secret"
	}
	var keyErr error
	var st *stored
	if c.PasswordStore == storeNone {
		pw = "" // the wizard's answer too: nothing is stored
	}
	if pw != "" {
		var err error
		st, keyErr, err = c.storePassword(a, w, acct, pw, target, secret)
		if err != nil {
			return wizardError(err)
		}
		if st == nil {
			pw = "" // the user chose to store it nowhere
		}
	}
	switch {
	case st != nil:
		f.PasswordNote = []string{st.note}
		if st.kind == storeFile {
			f.PasswordFile = st.path
		}
	case keyErr != nil:
		f.PasswordNote = []string{"The keyring could not store the " + secret + "; set password_command (or see `man outbox`, Password sources)."}
	case s.OAuth != nil && s.OAuth.NeedsSecret():
		f.PasswordNote = []string{"No client secret stored yet: run `outbox password set` with the OAuth client's secret."}
	case s.Username != "" && s.OAuth == nil:
		f.PasswordNote = []string{"No password stored yet: run `outbox password set`, or add password_command = [\"pass\", \"show\", \"smtp/" + name + "\"]."}
	}
	if s.OAuth != nil {
		f.PasswordNote = append(f.PasswordNote, "Sign in again with `outbox oauth login --account "+name+"`; the refresh token is kept in the OS keyring, or in a 0600 file in the state directory.")
	}
	data, err := f.Render()
	if err != nil {
		return usageError{err}
	}
	if err := setup.WriteConfig(target, data, c.Force); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return usageError{err}
		}
		return &config.Error{File: target, Msg: "can't write the config: " + err.Error(), Err: err}
	}
	fmt.Fprintf(a.stdout, "Wrote %s (account %q, %s:%d, %s).\n", target, name, s.Host, s.Port, s.TLS)
	if cli.Config == "" && c.Output == "" {
		if used, err := config.Find(""); err == nil && used != "" && used != target {
			a.warnf("outbox reads %s before %s: remove it, or pass -c %s", used, target, target)
		}
	} else if c.Output != "" {
		a.notef("pass -c %s (or set OUTBOX_CONFIG=%s) for outbox to use it", target, target)
	}
	if keyErr != nil {
		fmt.Fprintf(a.stdout, "The %s was not stored: %v\n", secret, keyErr)
		for _, l := range setup.PasswordAlternatives(name, target) {
			fmt.Fprintln(a.stdout, l)
		}
		return &config.Error{File: target, Key: "accounts." + name, Msg: "config written, but no " + secret + " source yet (the keyring is not usable here): use one of the alternatives above, then run `outbox check`", Err: keyErr}
	}
	if st != nil {
		fmt.Fprintln(a.stdout, st.said)
	}
	cfg, err := config.Load(target)
	if err != nil {
		return err
	}
	written := cfg.Accounts[name]
	if os.Geteuid() == 0 && filepath.Clean(target) == filepath.Clean(config.SystemFile()) {
		if err := a.prepareSystemMode(cfg); err != nil {
			return err
		}
	}
	if s.OAuth != nil {
		if done, err := c.signIn(a, cli, written, s.OAuth, target); done || err != nil {
			return err
		}
	}
	if pw == "" && s.Username != "" && s.OAuth == nil {
		// Nothing typed: maybe OUTBOX_PASSWORD, a systemd credential or
		// an earlier keyring entry has it; else say how to add one.
		if _, err := written.Password(); err != nil {
			fmt.Fprintln(a.stdout, "No password stored: run `outbox password set`, or:")
			for _, l := range setup.PasswordAlternatives(name, target) {
				fmt.Fprintln(a.stdout, l)
			}
			return nil
		}
	}
	if !c.NoCheck {
		fmt.Fprintf(a.stdout, "\nChecking the server (outbox check; nothing is sent):\n")
		if err := a.check(written, false, false); err != nil {
			return err
		}
	}
	sendTest := c.SendTest
	if w != nil && !sendTest {
		fmt.Fprintln(a.stdout)
		ok, err := w.Yes(fmt.Sprintf("Send a test message to %s?", s.Email), true)
		switch {
		case errors.Is(err, setup.ErrInterrupted):
			return exitError{code: 130, err: err}
		case errors.Is(err, setup.ErrAborted):
			ok = false // the config is written; no answer is a no
		case err != nil:
			return err
		}
		sendTest = ok
	}
	if sendTest {
		return a.sendTest(cfg, written, s.Email, false, false)
	}
	if !c.NoCheck {
		fmt.Fprintf(a.stdout, "\nAll set. Send yourself a test message:\n  outbox check --send %s\n", s.Email)
	}
	return nil
}

// signIn runs `outbox oauth login` for the account just written. done is
// true when init ends here (no login wanted, or no client secret yet).
// A failed sign-in keeps the file and says how to retry; the error stays
// an *oauth.Error (exit 77, or 75 when temporary).
func (c *ConfigInitCmd) signIn(a *app, cli *CLI, acct *config.Account, o *setup.OAuth, target string) (done bool, err error) {
	retry := "outbox oauth login --account " + acct.Name
	if c.Output != "" || cli.Config != "" {
		retry = "outbox -c " + target + " oauth login --account " + acct.Name
	}
	if o.NeedsSecret() {
		if _, err := acct.Password(); err != nil {
			fmt.Fprintf(a.stdout, "No client secret stored: run `outbox password set --account %s` with your OAuth client's secret, then `%s`.\n", acct.Name, retry)
			return true, nil
		}
	}
	if c.NoLogin {
		fmt.Fprintf(a.stdout, "Not signed in yet: run `%s`.\n", retry)
		return true, nil
	}
	fmt.Fprintf(a.stdout, "\nSigning in with OAuth2 (%s):\n", o.Provider)
	res, err := oauth.Login(a.ctx, acct, oauth.LoginOptions{Out: a.stderr, NoBrowser: c.NoBrowser})
	switch {
	case a.ctx.Err() != nil:
		return true, exitError{code: 130, err: fmt.Errorf("sign-in interrupted; %s is written: sign in with `%s`", target, retry)}
	case err != nil:
		return true, fmt.Errorf("%s is written, but the sign-in failed: %w; try again with `%s`", target, err, retry)
	}
	fmt.Fprintf(a.stdout, "Signed in; refresh token stored in %s.\n", res.Where)
	return c.NoCheck, nil
}

// termPassword reads without echo when stdin is a terminal; nil lets the
// wizard read the next line of stdin.
func (a *app) termPassword() func(ctx context.Context, prompt string) (string, error) {
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	fd := int(f.Fd())
	return func(ctx context.Context, prompt string) (string, error) {
		fmt.Fprint(a.stdout, prompt)
		old, err := term.GetState(fd)
		if err != nil {
			return "", err
		}
		type result struct {
			b   []byte
			err error
		}
		ch := make(chan result, 1)
		go func() {
			b, err := term.ReadPassword(fd)
			ch <- result{b, err}
		}()
		select {
		case r := <-ch:
			fmt.Fprintln(a.stdout)
			return string(r.b), r.err
		case <-ctx.Done():
			// Ctrl-C is caught (signal.NotifyContext): give the
			// terminal its echo back before leaving the read behind.
			term.Restore(fd, old)
			fmt.Fprintln(a.stdout)
			return "", ctx.Err()
		}
	}
}

// firstLine reads the password for --password-stdin: the first line,
// without its line end.
func firstLine(a *app) (string, error) {
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usagef("--password-stdin: no password on stdin")
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usagef("--password-stdin: the first line of stdin is empty")
	}
	return pw, nil
}

// ConfigShowCmd prints the effective configuration.
type ConfigShowCmd struct{}

func (ConfigShowCmd) Run(a *app, cli *CLI) error {
	cfg, err := config.LoadDefault(cli.Config)
	if err != nil {
		return err
	}
	if cfg == nil {
		a.notef("no config file (run `outbox config init`); these are the built-in defaults")
	}
	return cfg.Show(a.stdout)
}

// ConfigPathCmd prints the file in use on stdout (for
// `$EDITOR "$(outbox config path)"`) and the lookup order on stderr.
type ConfigPathCmd struct{}

func (ConfigPathCmd) Run(a *app, cli *CLI) error {
	used, err := config.Find(cli.Config)
	state := func(p string) string {
		fi, err := os.Stat(p)
		switch {
		case err == nil && fi.IsDir():
			return "is a directory"
		case err == nil:
			s := "exists"
			if p == used {
				s += ", in use"
			}
			return s
		case errors.Is(err, fs.ErrNotExist):
			return "missing"
		}
		return err.Error()
	}
	w := a.stderr
	fmt.Fprintln(w, "Config lookup order (the first that exists is used):")
	if cli.Config != "" {
		fmt.Fprintf(w, "  1. --config %s: %s\n", cli.Config, state(cli.Config))
	} else {
		fmt.Fprintln(w, "  1. --config/-c FILE: not given")
	}
	if p := os.Getenv("OUTBOX_CONFIG"); p != "" {
		fmt.Fprintf(w, "  2. $OUTBOX_CONFIG=%s: %s\n", p, state(p))
	} else {
		fmt.Fprintln(w, "  2. $OUTBOX_CONFIG: not set")
	}
	if p := config.UserPath(); p != "" {
		fmt.Fprintf(w, "  3. %s: %s\n", p, state(p))
	} else {
		fmt.Fprintln(w, "  3. ~/.config/outbox/config.toml: no home directory")
	}
	fmt.Fprintf(w, "  4. %s: %s\n", config.SystemFile(), state(config.SystemFile()))
	if err != nil {
		return err
	}
	if used == "" {
		if os.Getenv("OUTBOX_HOST") != "" {
			fmt.Fprintln(w, "No config file: the account comes from OUTBOX_HOST and the other OUTBOX_* variables.")
			return nil
		}
		return exitError{code: exConfig, err: errors.New("no config file: run `outbox config init`")}
	}
	fmt.Fprintln(a.stdout, used)
	return nil
}

// wizardError is the error of a question config init asked: Ctrl-C exits
// 130, an end of input before an answer is a usage error (exit 64).
func wizardError(err error) error {
	switch {
	case errors.Is(err, setup.ErrInterrupted):
		return exitError{code: 130, err: err}
	case errors.Is(err, setup.ErrAborted):
		return usageError{err}
	}
	return err
}
