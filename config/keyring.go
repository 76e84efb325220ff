package config

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the keyring service name for everything outbox stores.
const KeyringService = "outbox"

// KeyringTimeout bounds one keyring call. A locked Secret Service can wait
// for an unlock prompt nobody will answer on a server; outbox then moves
// on to the next password source rather than hanging.
var KeyringTimeout = 3 * time.Second

var (
	// ErrKeyringNotFound: the keyring works but has no such entry.
	ErrKeyringNotFound = keyring.ErrNotFound
	// ErrKeyringUnavailable: there is no usable keyring (no D-Bus
	// session, no Secret Service, locked, no answer). Callers that have
	// another place for a secret (OAuth refresh tokens, SPEC §2) fall
	// back when errors.Is(err, ErrKeyringUnavailable).
	ErrKeyringUnavailable = errors.New("keyring unavailable")
)

// keyringError carries a sentence for people and the library's cause.
type keyringError struct {
	msg         string
	cause       error
	unavailable bool
}

func (e *keyringError) Error() string { return e.msg }

func (e *keyringError) Unwrap() []error {
	errs := []error{}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	if e.unavailable {
		errs = append(errs, ErrKeyringUnavailable)
	}
	return errs
}

// KeyringGet reads the secret stored for user under KeyringService. It
// fails fast without a D-Bus session (on Linux and the BSDs, where the
// keyring is the Secret Service) and after KeyringTimeout otherwise.
// Errors are readable sentences; errors.Is finds ErrKeyringNotFound or
// ErrKeyringUnavailable.
func KeyringGet(user string) (string, error) {
	return keyringCall(func() (string, error) { return keyring.Get(KeyringService, user) })
}

// KeyringSet stores secret for user under KeyringService, replacing any
// previous one.
func KeyringSet(user, secret string) error {
	_, err := keyringCall(func() (string, error) { return "", keyring.Set(KeyringService, user, secret) })
	return err
}

// KeyringDelete removes the entry for user; a missing entry is
// ErrKeyringNotFound.
func KeyringDelete(user string) error {
	_, err := keyringCall(func() (string, error) { return "", keyring.Delete(KeyringService, user) })
	return err
}

// SetKeyringPassword stores the account's password in the OS keyring
// (`outbox password set`), under user "<username>@<host>".
func SetKeyringPassword(a *Account, pw string) error {
	if err := keyringAccountCheck(a); err != nil {
		return err
	}
	if pw == "" {
		return &Error{Key: "accounts." + a.Name, Msg: "refusing to store an empty password"}
	}
	if err := KeyringSet(a.KeyringUser(), pw); err != nil {
		return &Error{Key: "accounts." + a.Name, Msg: fmt.Sprintf("can't store the password for %s in the keyring: %s", a.KeyringUser(), keyringMessage(err)), Err: err}
	}
	return nil
}

// DeleteKeyringPassword removes the account's password from the keyring
// (`outbox password delete`). Deleting an entry that does not exist is an
// error saying so (errors.Is(err, ErrKeyringNotFound)).
func DeleteKeyringPassword(a *Account) error {
	if err := keyringAccountCheck(a); err != nil {
		return err
	}
	if err := KeyringDelete(a.KeyringUser()); err != nil {
		msg := fmt.Sprintf("can't delete the password for %s from the keyring: %s", a.KeyringUser(), keyringMessage(err))
		if errors.Is(err, ErrKeyringNotFound) {
			msg = fmt.Sprintf("the keyring holds no password for %s (service %q); nothing to delete", a.KeyringUser(), KeyringService)
		}
		return &Error{Key: "accounts." + a.Name, Msg: msg, Err: err}
	}
	return nil
}

func keyringAccountCheck(a *Account) error {
	if a == nil {
		return &Error{Msg: "no account"}
	}
	if a.Username == "" || a.Host == "" {
		return &Error{File: a.file, Key: "accounts." + a.Name, Msg: "the keyring entry is named <username>@<host>: set username and host for this account first"}
	}
	return nil
}

// usesDBus: go-keyring talks to the Secret Service over D-Bus everywhere
// but macOS (security(1)) and Windows (Credential Manager).
func usesDBus() bool { return runtime.GOOS != "darwin" && runtime.GOOS != "windows" }

func keyringCall(f func() (string, error)) (string, error) {
	if usesDBus() {
		if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a == "" || a == "autolaunch:" {
			// Without this check godbus would try dbus-launch
			// --autolaunch, which needs X11 and can take a while.
			return "", &keyringError{
				msg:         "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS not set), so no Secret Service; use password_command or systemd credentials",
				unavailable: true,
			}
		}
	}
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	// The goroutine is abandoned on timeout: go-keyring has no context.
	// It ends when D-Bus answers or the process exits.
	go func() {
		s, err := f()
		ch <- result{s, err}
	}()
	t := time.NewTimer(KeyringTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", translateKeyringError(r.err)
		}
		return r.s, nil
	case <-t.C:
		return "", &keyringError{
			msg:         fmt.Sprintf("no answer from the Secret Service within %v (a locked keyring may be waiting for an unlock prompt); use password_command or systemd credentials", KeyringTimeout),
			unavailable: true,
		}
	}
}

// translateKeyringError turns go-keyring's and godbus's messages into
// sentences saying what to do.
func translateKeyringError(err error) error {
	if errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	m := err.Error()
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(m, s) {
				return true
			}
		}
		return false
	}
	var msg string
	switch {
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return &keyringError{msg: "the secret is too big for the keyring", cause: err}
	case has("failed to unlock correct collection", "dismissed", "Prompt"):
		msg = "the login keyring is locked and could not be unlocked (unlock it in a desktop session, or use password_command or systemd credentials)"
	case has("ServiceUnknown", "not provided by any .service files", "org.freedesktop.secrets"):
		msg = "no Secret Service on the session bus (start gnome-keyring or use password_command)"
	case has("NoSuchObject", "No such object", "does not exist", "UnknownObject", "UnknownMethod"):
		msg = "the Secret Service has no \"login\" keyring (create one, e.g. with seahorse, or use password_command)"
	case has("dial", "connection refused", "no such file or directory", "EOF", "auth"):
		msg = fmt.Sprintf("can't connect to the D-Bus session bus (%s); use password_command or systemd credentials", m)
	default:
		msg = "keyring error: " + m
	}
	return &keyringError{msg: msg, cause: err, unavailable: true}
}

// keyringMessage is the sentence for a keyring error.
func keyringMessage(err error) string {
	var ke *keyringError
	if errors.As(err, &ke) {
		return ke.msg
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return "no such entry"
	}
	return err.Error()
}
