package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// maxPasswordFile bounds what is read from a password_file: a password is
// a line, and a mistaken path such as /dev/zero must not eat the memory.
const maxPasswordFile = 64 << 10

// readPasswordFile returns the first line of the account's password_file.
// The file must be the caller's own, a regular file with mode 0600 or
// stricter, in a directory nobody else can write to (msmtp's and
// OpenSSH's rule for private keys): a password other users could read is
// no longer a secret, and a file another user controls could send mail
// through an account of theirs. The check is made at every read, so a
// chmod that loosens the file stops outbox at the next send.
func (a *Account) readPasswordFile() (string, error) {
	path := a.PasswordFile
	fail := func(msg string, err error) error {
		return &Error{File: a.file, Key: "accounts." + a.Name + ".password_file", Msg: msg, Err: err}
	}
	if err := checkPasswordDir(filepath.Dir(path)); err != nil {
		return "", fail(fmt.Sprintf("refusing %s: %v", path, err), nil)
	}
	// Stat before open: a FIFO in the file's place would block the open.
	pre, err := os.Stat(path)
	if err != nil {
		return "", fail(fmt.Sprintf("can't read %s: %v", path, unwrapPath(err)), err)
	}
	if !pre.Mode().IsRegular() {
		return "", fail(fmt.Sprintf("refusing %s: not a regular file", path), nil)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fail(fmt.Sprintf("can't read %s: %v", path, unwrapPath(err)), err)
	}
	defer f.Close()
	// The checks are on the file actually opened (fstat), so a file
	// swapped in after the Stat can't slip past them.
	fi, err := f.Stat()
	if err != nil {
		return "", fail(fmt.Sprintf("can't read %s: %v", path, unwrapPath(err)), err)
	}
	if !os.SameFile(pre, fi) {
		return "", fail(fmt.Sprintf("refusing %s: it changed while being opened", path), nil)
	}
	if err := checkPasswordFileMode(path, fi); err != nil {
		return "", fail(err.Error(), nil)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPasswordFile))
	if err != nil {
		return "", fail(fmt.Sprintf("can't read %s: %v", path, unwrapPath(err)), err)
	}
	line := passwordLine(string(b))
	if line == "" {
		return "", fail(fmt.Sprintf("%s is empty (its first line holds the password)", path), nil)
	}
	return line, nil
}

// checkPasswordFileMode refuses a password file someone else owns or may
// read.
func checkPasswordFileMode(path string, fi fs.FileInfo) error {
	if runtime.GOOS == "windows" {
		return nil // no uid or mode bits; NTFS ACLs are the user's to set
	}
	euid := os.Geteuid()
	if uid, ok := statOwner(fi); ok && uid != euid {
		return fmt.Errorf("refusing %s: owned by uid %d, not by the user running outbox (uid %d); the password file must be your own", path, uid, euid)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("refusing %s: mode %04o lets other users read it: run chmod 600 %s", path, perm, path)
	}
	return nil
}

// checkPasswordDir refuses a directory that others could write to (they
// could put a file of their choosing in place of the password file) or
// that belongs to another user.
func checkPasswordDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("its directory: %v", unwrapPath(err))
	}
	euid := os.Geteuid()
	if uid, ok := statOwner(fi); ok && uid != euid && uid != 0 {
		return fmt.Errorf("its directory %s is owned by uid %d, not by you (uid %d) or root", dir, uid, euid)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("its directory %s is writable by group or others (mode %04o): run chmod go-w %s", dir, perm, dir)
	}
	return nil
}

// PasswordFilePath is where `outbox config init` keeps an account's
// password when there is no keyring: passwords/NAME beside the config
// file, in a directory of its own with mode 0700.
func PasswordFilePath(configFile, account string) string {
	return filepath.Join(filepath.Dir(configFile), "passwords", account)
}

// WritePasswordFile stores pw as the first line of path with mode 0600,
// creating its directory with mode 0700 (and tightening it to 0700 when
// it is this user's own and looser). The file appears complete or not at
// all: a temporary file, fsync, rename. It then reads the password back
// through the same checks every send makes.
func WritePasswordFile(path, pw string) error {
	if pw == "" || strings.ContainsAny(pw, "\r\n") {
		return &Error{Key: "password_file", Msg: "refusing to store an empty password or one with a line break"}
	}
	fail := func(err error) error {
		return &Error{Key: "password_file", Msg: fmt.Sprintf("can't write %s: %v", path, unwrapPath(err)), Err: err}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	if fi, err := os.Stat(dir); err == nil && runtime.GOOS != "windows" {
		if uid, ok := statOwner(fi); ok && uid == os.Geteuid() && fi.Mode().Perm() != 0o700 {
			if err := os.Chmod(dir, 0o700); err != nil {
				return fail(err)
			}
		}
	}
	tmp, err := os.CreateTemp(dir, ".password.*")
	if err != nil {
		return fail(err)
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fail(err)
	}
	if _, err := tmp.WriteString(pw + "\n"); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail(err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the new name is durable too; best effort
		d.Close()
	}
	got, err := (&Account{Name: "(new)", PasswordFile: path}).readPasswordFile()
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.Key = "password_file"
		}
		return err
	}
	if got != pw {
		return &Error{Key: "password_file", Msg: fmt.Sprintf("%s does not read back as written", path)}
	}
	return nil
}
