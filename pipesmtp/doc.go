// Package pipesmtp serves sendmail -bs: one RFC 5321 server dialogue with a
// local client over a pair of byte streams (stdin and stdout), on
// emersion/go-smtp's server. The package parses nothing itself: go-smtp
// reads the commands, and each transaction's envelope and message bytes go
// to the caller's Deliver function, whose answer becomes the reply to the
// final dot. There is no AUTH and no STARTTLS: the client is a local process
// that could run sendmail -t just as well.
package pipesmtp
