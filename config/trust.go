package config

import (
	"fmt"
	"io/fs"
	"os"
)

// A configuration file is code, not data: password_command runs a
// program, and the file decides where the mail and the password go. So
// outbox only uses a file that the user running it (or root) owns and
// that nobody else can change, the rule OpenSSH applies to ~/.ssh/config
// and cron to crontabs. Without it, root's cron job pointed at a file
// another user owns (sendmail -C, $OUTBOX_CONFIG) would run that user's
// password_command as root, and one user could read a config of another
// through outbox's error messages if outbox were ever installed setuid.

// checkTrust applies the rule above to the file Load opened. euid is the
// effective user id of this process.
func checkTrust(path string, fi fs.FileInfo, euid int) error {
	if err := checkOwner(path, fi, euid); err != nil {
		return err
	}
	return checkWritable(path, fi)
}

// checkOwner is the first half of checkTrust. Load calls it before reading
// a byte of the file, so not even a syntax error quotes another user's
// file.
func checkOwner(path string, fi fs.FileInfo, euid int) error {
	if uid, ok := statOwner(fi); ok && uid != euid && uid != 0 {
		return &Error{File: path, Msg: fmt.Sprintf(
			"owned by uid %d, not by the user running outbox (uid %d) or root; outbox won't use a config file another user controls (its password_command would run as you): copy it into a file of your own",
			uid, euid)}
	}
	return nil
}

// checkWritable is the second half of checkTrust.
func checkWritable(path string, fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		who := "other users"
		if perm&0o002 == 0 {
			who = "its group"
		}
		return &Error{File: path, Msg: fmt.Sprintf(
			"writable by %s (mode %04o); outbox won't use a config file others can change: run chmod go-w %s",
			who, perm, path)}
	}
	return nil
}

// CheckProcess refuses to run setuid or setgid. outbox is meant to run as
// the user who invoked it (cron's user, the web server's user, root);
// with raised privileges its -C/--config, $OUTBOX_CONFIG, password_command
// and queue directory would all act for a user other than the caller.
// main calls it first; LoadDefault calls it too, so that no path reads a
// configuration under borrowed privileges.
func CheckProcess() error {
	return checkIDs(os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid())
}

func checkIDs(uid, euid, gid, egid int) error {
	switch {
	case uid != euid:
		return &Error{Msg: fmt.Sprintf(
			"running setuid (uid %d, effective uid %d) is not supported; remove the setuid bit: chmod u-s on the outbox binary", uid, euid)}
	case gid != egid:
		return &Error{Msg: fmt.Sprintf(
			"running setgid (gid %d, effective gid %d) is not supported; remove the setgid bit: chmod g-s on the outbox binary", gid, egid)}
	}
	return nil
}
