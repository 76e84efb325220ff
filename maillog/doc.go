// Package maillog writes outbox's delivery log: one line per message and
// attempt, in a stable key=value form (time, id, account, host, from,
// rcpts, size, result, code, duration, and the error when there is one),
// to syslog (facility mail) or appended to a file (0600). It is the
// `log` setting of SPEC §2. A Record carries no message content and no
// credentials, so a line can never leak a secret; error text comes from
// the server's reply or the network, never from a password source.
package maillog
