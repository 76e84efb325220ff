// Package config finds, loads and validates outbox's TOML configuration
// (SPEC §2), applies the OUTBOX_* environment overrides, chooses the
// account for a message, resolves local recipient names through
// [aliases], and finds an account's password: OUTBOX_PASSWORD, the
// password key (only in a 0600 file), password_command (never through a
// shell), password_file (the user's own, 0600), systemd credentials (for
// root also encrypted ones, via systemd-creds), then the OS keyring; and
// stores one where `config init` puts it. Every problem is a
// *Error naming the file, line and key, which main maps to exit code 78.
// The package never prints and never exits.
package config
