module github.com/outboxmail/outbox

go 1.26.8

// Each direct dependency, and why (issue 5: as few as the work allows).
require (
	github.com/BurntSushi/toml v1.6.0 // config file; TOML with line numbers in errors, no dependencies
	github.com/alecthomas/kong v1.17.0 // command line from one struct model, also the source of completions and the man page
	github.com/creack/pty v1.1.24 // tests only: terminal-only behaviour (progress bar, wizard) under a pseudo-terminal
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // SASL framing and PLAIN for the SMTP client; the test server's mechanisms
	github.com/emersion/go-smtp v0.25.1 // SMTP reply errors for the client send/ writes by hand (go-smtp's client can't pipeline) and the loopback test server
	github.com/muesli/mango v0.2.0 // man page generated from the kong model
	github.com/muesli/roff v0.1.0 // roff output for mango
	github.com/rogpeppe/go-internal v1.16.0 // tests only: testscript CLI stories
	github.com/zalando/go-keyring v0.2.8 // OS keyring: Secret Service (D-Bus), macOS Keychain, Windows Credential Manager
	golang.org/x/oauth2 v0.38.0 // OAuth2 device/browser/client-credentials flows and refresh (Microsoft 365, Gmail)
	golang.org/x/sys v0.50.0 // tests only: reading a pty's echo flag (already required by term and keyring)
	golang.org/x/term v0.48.0 // password prompt without echo; terminal detection
)

require (
	github.com/danieljoos/wincred v1.2.3 // indirect
	github.com/godbus/dbus/v5 v5.2.2 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
