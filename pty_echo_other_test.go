//go:build !linux

package main

import "os"

// waitEchoOff can't read the terminal's flags here; the test sends at once.
func waitEchoOff(*os.File) bool { return true }
