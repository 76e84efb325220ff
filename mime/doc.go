// Package mime builds RFC 5322 messages from flags and reads and normalises
// messages given on stdin (sendmail mode).
//
// Compose turns the send flags (addresses, subject, text and HTML bodies,
// attachments, inline files, extra headers) into a MIME message (RFC
// 2045–2049) and streams it: attachments are read from their files while the
// message is written, so memory stays flat whatever their size. Every header
// value given by a user is validated first (no CR, LF or NUL: header
// injection) and encoded with RFC 2047 encoded-words or RFC 2231 parameters
// when it is not plain ASCII. The output uses CRLF line endings, 7-bit
// transfer encodings, and no line longer than 998 octets (RFC 5322 §2.1.1).
package mime
