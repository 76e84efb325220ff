// Package notify turns a command into a monitored job: it runs the command
// with its output passed through and captured, decides by policy whether
// the result is worth a mail, keeps the little per-job state that the
// `change` policy and the `--every` rate limit need, and writes the report.
//
// It knows nothing about SMTP, the queue or flags: main turns a Report into
// a message and sends it on the same path as `outbox send` (SPEC §6). Like
// every package here it never prints and never exits; the child's exit
// status travels back as an *ExitStatus error.
package notify
