// Package completions writes bash, zsh and fish completion scripts for
// outbox from its kong command-line model, so a new command or flag shows
// up in tab completion without anyone editing a script by hand.
//
// The scripts are generated static text, not a runtime hook: kongplete
// (posener/complete) would make every Tab run the outbox binary and parse
// the whole command line in Go, which needs a hook in main and ties
// completion to the installed binary's version. Static scripts are what
// packagers ship in share/bash-completion and friends; only the account
// names (which live in the config file) are asked of the binary, through
// `outbox completion --accounts`.
package completions
