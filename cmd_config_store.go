package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/maildrop"
	"github.com/outboxmail/outbox/queue"
	"github.com/outboxmail/outbox/setup"
)

// Where `config init` keeps a typed password (SPEC §2 --password-store).
const (
	storeKeyring = "keyring"
	storeCreds   = "systemd-creds"
	storeFile    = "file"
	storeNone    = "none"
)

// stored says where init put the password.
type stored struct {
	kind string
	path string // the encrypted credential or the password file
	said string // the sentence for stdout
	note string // the comment for the config file
}

// checkStore refuses, before any question, a --password-store that can't
// work here.
func (c *ConfigInitCmd) checkStore() error {
	switch c.PasswordStore {
	case storeCreds:
		if ok, why := config.SystemdCreds(); !ok {
			return usagef("--password-store systemd-creds: %s; use --password-store file", why)
		}
	case storeNone:
		if c.PasswordStdin {
			return usagef("--password-store none stores nothing: leave out --password-stdin")
		}
	}
	return nil
}

// storePassword keeps pw in the place --password-store names or, by
// default, the best one this host has: the OS keyring when it works,
// else (root with systemd-creds) an encrypted credential, else a 0600
// file beside the config. At a terminal (w != nil) it says what it is
// about to do and asks first. A nil *stored with a nil error means the
// user chose not to store it. keyErr is the keyring's failure when the
// keyring was asked for by name (the caller then lists the alternatives).
func (c *ConfigInitCmd) storePassword(a *app, w *setup.Wizard, acct *config.Account, pw, target, secret string) (st *stored, keyErr, err error) {
	kind := c.PasswordStore
	if kind == "" || kind == storeKeyring {
		err := config.SetKeyringPassword(acct, pw)
		if err == nil {
			return &stored{kind: storeKeyring,
				said: fmt.Sprintf("Stored the %s in the keyring (service %q, user %q).", secret, config.KeyringService, acct.KeyringUser()),
				note: fmt.Sprintf("The %s is in the OS keyring (service %q, user %q); change it with `outbox password set`.", secret, config.KeyringService, acct.KeyringUser()),
			}, nil, nil
		}
		if kind == storeKeyring {
			return nil, err, nil
		}
		// SetKeyringPassword's *config.Error wraps the keyring's own
		// sentence, which says why without repeating the entry's name.
		why := err.Error()
		var ce *config.Error
		if errors.As(err, &ce) && ce.Err != nil {
			why = ce.Err.Error()
		}
		say(a, w, "The OS keyring can't be used here: %s.", why)
		kind = storeFile
		if ok, _ := config.SystemdCreds(); ok {
			kind = storeCreds
		}
		if w != nil {
			if kind, err = c.askStore(w, kind, acct.Name, target, secret); err != nil {
				return nil, nil, err
			}
		}
	}
	switch kind {
	case storeCreds:
		path, err := config.EncryptCredential(acct.Name, pw)
		if err != nil {
			return nil, nil, err
		}
		return &stored{kind: storeCreds, path: path,
			said: fmt.Sprintf("Stored the %s encrypted with systemd-creds in %s: only root can decrypt it (outbox does, and the shipped units pass it with LoadCredentialEncrypted=).", secret, path),
			note: fmt.Sprintf("The %s is encrypted with systemd-creds in %s (host key, and the TPM where there is one); root's outbox decrypts it.", secret, path),
		}, nil, nil
	case storeFile:
		path := config.PasswordFilePath(target, acct.Name)
		if err := config.WritePasswordFile(path, pw); err != nil {
			return nil, nil, err
		}
		return &stored{kind: storeFile, path: path,
			said: fmt.Sprintf("Stored the %s in %s (mode 0600, in a 0700 directory; outbox refuses it if others can read it).", secret, path),
			note: fmt.Sprintf("The %s is the first line of password_file; outbox refuses the file if it is not yours or others can read it.", secret),
		}, nil, nil
	}
	return nil, nil, nil
}

// askStore asks before the password goes anywhere but the keyring; a
// "no" to the encrypted credential offers the file, a "no" to the file
// stores nothing.
func (c *ConfigInitCmd) askStore(w *setup.Wizard, kind, account, target, secret string) (string, error) {
	if kind == storeCreds {
		ok, err := w.Yes(fmt.Sprintf("Encrypt the %s with systemd-creds into %s (only root can decrypt it)?", secret, config.CredentialPath(account)), true)
		if err != nil || ok {
			return storeCreds, err
		}
	}
	ok, err := w.Yes(fmt.Sprintf("Keep the %s in %s, a file only you can read (mode 0600)?", secret, config.PasswordFilePath(target, account)), true)
	if err != nil || ok {
		return storeFile, err
	}
	return storeNone, nil
}

func say(a *app, w *setup.Wizard, format string, args ...any) {
	if w != nil {
		w.Say(format, args...)
		return
	}
	fmt.Fprintf(a.stdout, format+"\n", args...)
}

// prepareSystemMode readies root's side of system mode (SPEC §7) when
// root writes the system config: root's queue, and the maildrop beside
// it (mode 1733, its parent 0711), made and checked exactly as root's
// flush does, so that an unprivileged sendmail works at once instead of
// failing until root's first flush.
func (a *app) prepareSystemMode(cfg *config.Config) error {
	q, err := queue.Open(cfg.QueueDirectory())
	if err != nil {
		return err
	}
	dir := maildrop.Directory()
	if filepath.Dir(dir) != filepath.Clean(q.Dir) && os.Getenv("OUTBOX_MAILDROP_DIR") == "" {
		// A queue_dir elsewhere: the maildrop keeps its own place, which
		// root's flush (and the pickup unit) create as they always do.
		return nil
	}
	if err := maildrop.Prepare(dir); err != nil {
		return &queue.Error{Kind: queue.KindWrite, Op: "create the maildrop", Dir: dir, Err: err}
	}
	fmt.Fprintf(a.stdout, "System mode is ready: users without a config of their own leave mail in %s (mode 1733) for root's queue %s.\n", dir, q.Dir)
	fmt.Fprintf(a.stdout, "Enable the systemd units (pickup within a second, retries every 5 minutes):\n  systemctl enable --now outbox-pickup.path outbox-flush.timer\n")
	return nil
}
