// Package queue is outbox's durable spool: a Maildir-style directory
// (tmp/, new/, failed/, lock) where a message waits until the smarthost
// answers 250 to its DATA (RFC 5321 §4.1.1.4), or is kept in failed/ with
// the reason. Every state change is write-to-tmp, fsync, rename, fsync the
// directory, so a crash leaves either no entry or a whole one.
//
// The queue also drives delivery (Submit for the first attempt, Flush for
// retries, SubmitAndFlush for a send followed by the automatic flush over
// the same connection) by calling package send; send never calls the
// queue. One duplicate is possible: a crash after the server's 250 and
// before the entry is updated re-sends the message once (see Flush).
// Hooks let main log each attempt (Queue.Log) and show progress (Queue.Progress).
package queue
