//go:build !unix

package smtptest

// processAlive: Postfix runs only on Unix; elsewhere there is nothing to wait for.
func processAlive(pid int) bool { return false }
