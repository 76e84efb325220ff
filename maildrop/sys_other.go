//go:build !unix

package maildrop

import (
	"io/fs"
	"os"
)

// System mode needs file owners: without them (Windows) every drop file
// is refused.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }

func links(fs.FileInfo) uint64 { return 1 }

func openNoFollow(path string) (*os.File, error) { return os.Open(path) }

func isLoop(error) bool { return false }
