// Package send runs one ESMTP session (RFC 5321) with the smarthost:
// connect, STARTTLS (RFC 3207) or implicit TLS (RFC 8314), AUTH (RFC 4954),
// then transactions of MAIL, RCPT and DATA or BDAT (CHUNKING, RFC 3030)
// with SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531) and DSN
// (RFC 3461) parameters, pipelined when the server offers PIPELINING
// (RFC 2920; see pipeline.go, written by hand).
//
// It fails closed (SPEC §3): no plaintext fallback when STARTTLS is missing
// or refused, verified certificates, no password over an unencrypted
// connection, and an abort when bytes arrive between the STARTTLS reply and
// the handshake. Every failure is an *Error whose Kind and Temporary let the
// queue choose retry or dead-letter and main choose the exit code.
package send
