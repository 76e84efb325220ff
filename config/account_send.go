package config

import "github.com/outboxmail/outbox/send"

// SendOptions maps the account to the options of one SMTP session. The
// password is not read here: send calls a.Password only when it will
// send AUTH, so a server that needs none never triggers a keyring prompt
// or a password_command. Verbose and DataTimeout are left for the caller.
func (a *Account) SendOptions() send.Options {
	return send.Options{
		Host:        a.Host,
		Port:        a.Port,
		TLS:         send.TLSMode(a.TLS),
		CAFile:      a.TLSCAFile,
		Fingerprint: a.TLSFingerprint,
		Helo:        a.Helo,
		Timeout:     a.Timeout,
		Auth:        a.Auth,
		Username:    a.Username,
		Password:    a.Password,
	}
}
