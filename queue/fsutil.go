package queue

import (
	"io"
	"os"
	"path/filepath"
)

// writeFileSync writes b to a new file at path (mode 0600) and fsyncs it.
func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return closeSynced(f, err)
}

// closeSynced finishes a file the queue wrote: err is the writing's
// outcome; when it is nil, f is fsynced. f is closed either way, and on
// any failure its file is removed, so no partial file is left behind.
func closeSynced(f *os.File, err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// linkOrCopy makes dst a second name of src: a hard link when the file
// system allows it, else a synced copy. Used to move an entry between new/
// and failed/ without a moment where neither holds a whole entry.
func linkOrCopy(src, dst string) error {
	os.Remove(dst) // a leftover from an interrupted move
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return closeSynced(out, err)
}

// removeIfExists removes path; a missing file is not an error.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func join(dir string, elem ...string) string {
	return filepath.Join(append([]string{dir}, elem...)...)
}
