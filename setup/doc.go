// Package setup writes a first configuration (`outbox config init`): it
// knows the submission settings of the common mail providers (presets),
// discovers a domain's own settings from RFC 6186 SRV records, asks a
// person the few questions that remain, and writes a TOML file that
// config.Load reads back.
//
// It does not print on its own or touch the keyring: the wizard talks
// through the io.Reader/io.Writer and the callbacks it is given, so that
// the command (and tests) decide where questions, passwords and secrets go.
package setup
