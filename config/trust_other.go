//go:build !unix

package config

import "io/fs"

// statOwner: Windows has no uid; its ACLs are left to the user (os.Getuid
// is -1 there, so checkIDs passes).
func statOwner(fs.FileInfo) (int, bool) { return 0, false }
