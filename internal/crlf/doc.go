// Package crlf normalises line endings to CRLF, the only line ending SMTP
// allows (RFC 5321 §2.3.8). It is the client-side defence against SMTP
// smuggling (CVE-2023-51764 class): a bare CR or LF must never reach a
// server, because servers disagree on whether "\n.\n" ends the DATA.
//
// Hand-written: no library does this as a streaming writer without
// allocating per line.
package crlf
