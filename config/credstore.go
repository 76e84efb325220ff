package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultCredstore is where systemd looks for encrypted credentials that a
// unit names without a path (systemd.exec(5), LoadCredentialEncrypted=):
// the shipped units pass outbox-default from there, and root's outbox
// decrypts outbox-NAME from there itself when it runs outside a unit.
const DefaultCredstore = "/etc/credstore.encrypted"

// CredstoreDir is $OUTBOX_CREDSTORE_DIR when it is an absolute path (for
// packagers and tests, like OUTBOX_SYSTEM_CONFIG), else DefaultCredstore.
func CredstoreDir() string {
	if d := os.Getenv("OUTBOX_CREDSTORE_DIR"); filepath.IsAbs(d) {
		return d
	}
	return DefaultCredstore
}

// CredentialName is the systemd credential name of an account's password:
// outbox-NAME, in $CREDENTIALS_DIRECTORY and in the credstore alike.
func CredentialName(account string) string { return "outbox-" + account }

// CredentialPath is the encrypted credential of an account in the
// credstore.
func CredentialPath(account string) string {
	return filepath.Join(CredstoreDir(), CredentialName(account))
}

// SystemdCredsTimeout bounds one systemd-creds run (a TPM can be slow; a
// hung one must not hold a cron job's sendmail).
var SystemdCredsTimeout = 30 * time.Second

// SystemdCreds reports whether encrypted credentials can be made here:
// running as root with systemd-creds(1) installed. Decrypting needs the
// host key (/var/lib/systemd/credential.secret, root only) or the TPM.
func SystemdCreds() (bool, string) {
	if os.Geteuid() != 0 {
		return false, "only root can use systemd-creds' host key"
	}
	if _, err := exec.LookPath("systemd-creds"); err != nil {
		return false, "systemd-creds is not installed"
	}
	return true, ""
}

// encryptedCredential decrypts the account's credential in the credstore
// with `systemd-creds decrypt`, for root only (the host key is root's).
// It returns the password; or "" and why there is none; or an error when
// the credential exists but can't be decrypted (the user chose this
// source, so that is not a reason to try the next one).
func (a *Account) encryptedCredential() (pw, reason string, err error) {
	path := CredentialPath(a.Name)
	if os.Geteuid() != 0 {
		return "", "", nil
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", "no " + path, nil
	case err != nil:
		return "", fmt.Sprintf("%s: %v", path, unwrapPath(err)), nil
	case !fi.Mode().IsRegular():
		return "", "", a.credError(fmt.Sprintf("refusing %s: not a regular file", path), nil)
	}
	if uid, ok := statOwner(fi); ok && uid != 0 {
		return "", "", a.credError(fmt.Sprintf("refusing %s: owned by uid %d, not root", path, uid), nil)
	}
	out, err := systemdCreds(nil, "decrypt", "--name="+CredentialName(a.Name), path, "-")
	if err != nil {
		return "", "", a.credError(fmt.Sprintf("systemd-creds can't decrypt %s: %v", path, err), err)
	}
	line := passwordLine(string(out))
	if line == "" {
		return "", "", a.credError(fmt.Sprintf("%s decrypts to an empty password", path), nil)
	}
	return line, "", nil
}

func (a *Account) credError(msg string, err error) error {
	return &Error{File: a.file, Key: "accounts." + a.Name, Msg: msg, Err: err}
}

// EncryptCredential stores pw as the account's encrypted credential
// (`systemd-creds encrypt --name=outbox-NAME`, with the host key and the
// TPM where there is one) and returns its path. The credstore is created
// with mode 0700; the credential appears complete or not at all.
func EncryptCredential(account, pw string) (string, error) {
	if ok, why := SystemdCreds(); !ok {
		return "", &Error{Key: "accounts." + account, Msg: "can't store an encrypted credential: " + why}
	}
	if pw == "" {
		return "", &Error{Key: "accounts." + account, Msg: "refusing to store an empty password"}
	}
	dir := CredstoreDir()
	path := CredentialPath(account)
	fail := func(msg string, err error) error {
		return &Error{Key: "accounts." + account, Msg: msg, Err: err}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fail(fmt.Sprintf("can't create %s: %v", dir, unwrapPath(err)), err)
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return "", fail(fmt.Sprintf("%s is not a directory", dir), err)
	} else if uid, ok := statOwner(fi); ok && uid != 0 {
		return "", fail(fmt.Sprintf("refusing %s: owned by uid %d, not root", dir, uid), nil)
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.%d.tmp", CredentialName(account), os.Getpid()))
	os.Remove(tmp)
	// The password goes in on stdin, never as an argument (ps shows those).
	if _, err := systemdCreds([]byte(pw), "encrypt", "--name="+CredentialName(account), "-", tmp); err != nil {
		os.Remove(tmp)
		return "", fail(fmt.Sprintf("systemd-creds can't encrypt the password: %v", err), err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		os.Remove(tmp)
		return "", fail(fmt.Sprintf("can't write %s: %v", path, unwrapPath(err)), err)
	}
	if f, err := os.Open(tmp); err == nil {
		f.Sync()
		f.Close()
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fail(fmt.Sprintf("can't write %s: %v", path, unwrapPath(err)), err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	// Read it back as a send would, so a host key that can't be used
	// (or a TPM that won't unseal) shows now, not at the first send.
	got, _, err := (&Account{Name: account}).encryptedCredential()
	if err != nil {
		return path, err
	}
	if got != pw {
		return path, fail(fmt.Sprintf("%s does not decrypt to what was stored", path), nil)
	}
	return path, nil
}

// systemdCreds runs systemd-creds with args and returns its stdout. Its
// environment is ours minus OUTBOX_PASSWORD; SYSTEMD_CREDENTIAL_SECRET,
// when set, names another host key file (tests use one of their own).
func systemdCreds(stdin []byte, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), SystemdCredsTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "systemd-creds", args...)
	cmd.Env = environWithout("OUTBOX_PASSWORD")
	if stdin != nil {
		cmd.Stdin = strings.NewReader(string(stdin))
	}
	stdout := &capped{max: 64 << 10}
	stderr := &capped{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		// systemd-creds warns on stderr about a host key on unencrypted
		// media; only the lines that explain a failure are kept.
		msg := err.Error()
		if errors.Is(err, exec.ErrNotFound) {
			msg = "systemd-creds is not installed"
		} else if ctx.Err() != nil {
			msg = fmt.Sprintf("no answer within %v", SystemdCredsTimeout)
		}
		if s := credsStderr(stderr.String()); s != "" {
			msg += ": " + s
		}
		return nil, errors.New(msg)
	}
	return stdout.Bytes(), nil
}

func credsStderr(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "not located on encrypted media") {
			keep = append(keep, l)
		}
	}
	if len(keep) > 3 {
		keep = keep[:3]
	}
	return strings.Join(keep, " / ")
}
