// Package smtptest runs SMTP servers on loopback for tests of send, queue
// and the CLI: Start gives a go-smtp server (STARTTLS, implicit TLS or
// plaintext; AUTH PLAIN/LOGIN/CRAM-MD5/XOAUTH2; SIZE, DSN, SMTPUTF8; reply
// injection through the OnMail/OnRcpt/OnData hooks) with a fresh
// self-signed certificate whose pool, PEM file and pin it exposes; Messages
// and WaitMessages return what it accepted, Transcript the server's view of
// the dialogue. Script runs a hand-written server for faults a real server
// can't produce. Everything is torn down by t.Cleanup.
package smtptest
