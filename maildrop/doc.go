// Package maildrop is the drop directory of system mode (SPEC §7): where a
// user who can't read the system configuration leaves a message for root's
// `outbox queue flush` to pick up, as Postfix's sendmail leaves it in its
// maildrop. The directory is mode 1733 (anyone may create a file, nobody
// may list it or read another user's file). A drop file holds the message
// followed by its envelope; who sent it is the file's owner as the kernel
// records it, never anything written in the file. Readers (Open) trust
// nothing else about a file either: symlinks, hard links, special files,
// oversized and malformed files are refused with a reason.
package maildrop
