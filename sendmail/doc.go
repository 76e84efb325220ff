// Package sendmail parses a sendmail(8) / Postfix sendmail(1) command line
// into an Invocation: the mode (deliver, queue list, flush, ...), the
// envelope settings (-f, -N, -R, -V, -B) and the recipients.
//
// The parser is a small hand-written POSIX getopt driven by the Flags table,
// because sendmail's clustered and attached forms (-ti, -fADDR, -oi, -q30m)
// do not fit a general flag library. The table is also the documentation:
// the man page prints it. Nothing here prints, exits or touches files; bad
// command lines come back as *UsageError (exit 64).
package sendmail
