package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// PasswordCommandTimeout bounds a password_command run. It is long because
// the command may wait for a person (a GPG pinentry); it exists so that a
// hung command can't hold a cron job's sendmail forever.
var PasswordCommandTimeout = 2 * time.Minute

// Password returns the account's password from the first source that
// yields one (SPEC §2):
//
//  1. $OUTBOX_PASSWORD;
//  2. the account's password key (only allowed in a 0600 file);
//  3. password_command, run without a shell with the environment minus
//     OUTBOX_PASSWORD: the first line of its stdout. A command that fails
//     is an error with its stderr, not a reason to try the next source:
//     the user chose that source;
//  4. password_file: its first line; the file must be the caller's own
//     with mode 0600 or stricter (checked at every read);
//  5. $CREDENTIALS_DIRECTORY/outbox-NAME (systemd credentials);
//  6. for root, the encrypted credential CredstoreDir()/outbox-NAME,
//     decrypted with `systemd-creds decrypt`;
//  7. the OS keyring: service "outbox", user "<username>@<host>".
//
// password_file and the encrypted credential, like password_command, are
// sources the user set up on purpose: when they fail, that is the error.
//
// When none yields, the *Error lists every source and why it gave
// nothing. The password itself never appears in an error.
func (a *Account) Password() (string, error) {
	var why []string

	if pw, ok := os.LookupEnv("OUTBOX_PASSWORD"); ok && pw != "" {
		return pw, nil
	} else if ok {
		why = append(why, "OUTBOX_PASSWORD is empty")
	} else {
		why = append(why, "OUTBOX_PASSWORD not set")
	}

	if a.password != "" {
		return a.password, nil
	}

	if len(a.PasswordCommand) > 0 {
		return a.runPasswordCommand()
	}
	why = append(why, "no password_command")

	if a.PasswordFile != "" {
		return a.readPasswordFile()
	}
	why = append(why, "no password_file")

	pw, reason := a.systemdCredential()
	if pw != "" {
		return pw, nil
	}
	why = append(why, reason)

	pw, reason, err := a.encryptedCredential()
	if err != nil {
		return "", err
	}
	if pw != "" {
		return pw, nil
	}
	if reason != "" {
		why = append(why, reason)
	}

	pw, err = KeyringGet(a.KeyringUser())
	if err == nil && pw != "" {
		return pw, nil
	}
	why = append(why, keyringReason(err, a))

	return "", &Error{
		File: a.file,
		Key:  "accounts." + a.Name,
		Msg:  fmt.Sprintf("no password for account %q (%s): %s", a.Name, a.KeyringUser(), strings.Join(why, "; ")),
	}
}

func keyringReason(err error, a *Account) string {
	switch {
	case err == nil:
		return "keyring: the stored password is empty"
	case errors.Is(err, ErrKeyringNotFound):
		return fmt.Sprintf("keyring: no entry for %s (store one with: outbox password set --account %s)", a.KeyringUser(), a.Name)
	default:
		return "keyring: " + keyringMessage(err)
	}
}

// systemdCredential reads $CREDENTIALS_DIRECTORY/outbox-NAME
// (systemd.exec(5) LoadCredential=/SetCredential=). It returns the
// password or, when there is none, why.
func (a *Account) systemdCredential() (pw, reason string) {
	dir := os.Getenv("CREDENTIALS_DIRECTORY")
	if dir == "" {
		return "", "$CREDENTIALS_DIRECTORY not set"
	}
	name := CredentialName(a.Name)
	b, err := os.ReadFile(filepath.Join(dir, name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Sprintf("no %s in $CREDENTIALS_DIRECTORY", name)
	case err != nil:
		return "", fmt.Sprintf("$CREDENTIALS_DIRECTORY/%s: %v", name, unwrapPath(err))
	}
	pw = strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", fmt.Sprintf("$CREDENTIALS_DIRECTORY/%s is empty", name)
	}
	return pw, ""
}

// runPasswordCommand runs password_command directly (exec, no shell, so
// "$HOME" or ";" in an argument stay literal) and returns the first line
// of its stdout. The child does not get OUTBOX_PASSWORD, nor our stdin:
// in sendmail mode stdin is the message.
func (a *Account) runPasswordCommand() (string, error) {
	argv := a.PasswordCommand
	ctx, cancel := context.WithTimeout(context.Background(), PasswordCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = environWithout("OUTBOX_PASSWORD")
	stdout := &capped{max: 64 << 10}
	stderr := &capped{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 2 * time.Second // don't wait for grandchildren holding the pipes

	fail := func(msg string, err error) error {
		return &Error{File: a.file, Key: "accounts." + a.Name + ".password_command", Msg: msg, Err: err}
	}
	shown := quoteArgv(argv)
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		switch {
		case errors.Is(err, exec.ErrNotFound):
			return "", fail(fmt.Sprintf("%q not found in $PATH (password_command %s)", argv[0], shown), err)
		case ctx.Err() != nil:
			return "", fail(fmt.Sprintf("%s gave no answer within %v", shown, PasswordCommandTimeout), err)
		case errors.As(err, &ee):
			msg := fmt.Sprintf("%s failed (%v)", shown, ee.ProcessState)
			if s := firstLines(stderr.String(), 3); s != "" {
				msg += ": " + s
			}
			return "", fail(msg, err)
		default:
			return "", fail(fmt.Sprintf("can't run %s: %v", shown, unwrapPath(err)), err)
		}
	}
	line := passwordLine(stdout.String())
	if line == "" {
		msg := fmt.Sprintf("%s printed no password (its first line of output is empty)", shown)
		if s := firstLines(stderr.String(), 3); s != "" {
			msg += ": " + s
		}
		return "", fail(msg, nil)
	}
	return line, nil
}

// environWithout is os.Environ minus the named variables.
func environWithout(names ...string) []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			if k == n {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// capped is a bytes.Buffer that keeps at most max bytes and discards the
// rest, so a chatty command can't fill the memory.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		if len(p) > room {
			c.Buffer.Write(p[:room])
		} else {
			c.Buffer.Write(p)
		}
	}
	return len(p), nil
}

// passwordLine is the password in a source's output: its first line,
// without the line end (LF or CRLF).
func passwordLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimRight(line, "\r")
}

// firstLines joins the first n non-empty lines of s with " / ", trimmed,
// for a one-line error.
func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	return strings.Join(out, " / ")
}

func quoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = strconv.Quote(a)
	}
	return "[" + strings.Join(q, " ") + "]"
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
