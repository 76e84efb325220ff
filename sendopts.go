package main

import (
	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/send"
)

// sendOptions maps an account to the options of one SMTP session: config
// is data, and the caller that dials builds the options. The secret is
// not read here: send calls Password only when it will send AUTH.
// Verbose and DataTimeout are left for the caller.
func sendOptions(a *config.Account) send.Options {
	return send.Options{
		Host:        a.Host,
		Port:        a.Port,
		TLS:         send.TLSMode(a.TLS),
		CAFile:      a.TLSCAFile,
		Fingerprint: a.TLSFingerprint,
		Helo:        a.Helo,
		Timeout:     a.Timeout,
		Auth:        a.AuthMechanism(),
		Username:    a.Username,
		Password:    a.Secret,
	}
}
