// Package config finds, loads and validates outbox's TOML configuration
// (SPEC §2), applies the OUTBOX_* environment overrides, chooses the
// account for a message, resolves local recipient names through
// [aliases], and finds an account's password: OUTBOX_PASSWORD, the
// password key (only in a 0600 file), password_command (never through a
// shell), systemd credentials, then the OS keyring. Every problem is a
// *Error naming the file, line and key, which main maps to exit code 78.
// The package never prints and never exits.
package config
