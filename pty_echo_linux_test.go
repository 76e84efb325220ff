package main

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// waitEchoOff waits until the terminal behind master has echo switched
// off: a program prints its password prompt a moment before it turns echo
// off, and a person never types that fast, but a test does.
func waitEchoOff(master *os.File) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		t, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
		if err != nil {
			return false
		}
		if t.Lflag&unix.ECHO == 0 {
			return true
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
	return false
}
