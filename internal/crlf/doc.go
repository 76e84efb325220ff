// Package crlf normalises line endings to CRLF, the only line ending SMTP
// allows (RFC 5321 §2.3.8). It is the client-side defence against SMTP
// smuggling (CVE-2023-51764 class): a bare CR or LF must never reach a
// server, because servers disagree on whether "\n.\n" ends the DATA.
// NewDotWriter also dot-stuffs the message for DATA (RFC 5321 §4.5.2).
//
// Hand-written: no library does this as a streaming writer without
// allocating per line, and net/textproto's DotWriter works byte by byte.
package crlf
