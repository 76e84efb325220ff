package man

// Item is one tagged paragraph: a term (a key, a variable, a status) and
// what it means.
type Item struct {
	Term string
	Text string
}

// ConfigKeys are the top-level keys of the config file (SPEC §2). The
// config package rejects any other key; docs_test.go checks that the two
// lists agree.
var ConfigKeys = []Item{
	{"default_account", "Account used when neither --account nor $OUTBOX_ACCOUNT names one and no account's from matches the sender. Without it: the account named \"default\", else the only one."},
	{"default_domain", "Domain for local names (root becomes root@DOMAIN) and for Message-IDs. Default: the host name."},
	{"queue_dir", "Queue directory (absolute path). Default: $XDG_STATE_HOME/outbox/queue (~/.local/state/outbox/queue), or /var/spool/outbox for root."},
	{"queue_max_age", "How long a message may wait in the queue before it is moved to failed/, e.g. \"5d\" or \"72h\". Default 5d."},
	{"log", "\"syslog\", \"none\" or an absolute file path: one key=value line per message (time, queue id, account, host, sender, recipient count, size, result, reply code, duration); never a secret."},
	{"trusted_users", "Local users whose -f is honoured as the envelope sender of mail picked up from the system maildrop."},
	{"aliases", "The [aliases] table: local name = \"address\" (or a comma list, or an array). Aliases may chain; loops are reported. The name \"default\" catches every other local name."},
	{"accounts", "The [accounts.NAME] tables, one per smarthost account; keys below."},
}

// AccountKeys are the keys of an [accounts.NAME] table.
var AccountKeys = []Item{
	{"host", "Smarthost name or IP address (required)."},
	{"port", "Port. Default: 587 for starttls, 465 for tls, 25 for none."},
	{"tls", "\"starttls\" (default): upgrade with STARTTLS and refuse a server that does not offer it; \"tls\": implicit TLS (port 465); \"none\": plaintext, for a relay on localhost only."},
	{"tls_ca_file", "Extra PEM CA bundle trusted besides the system roots."},
	{"tls_fingerprint", "\"sha256:HEX\" pin of the server's leaf certificate; replaces CA verification."},
	{"username", "AUTH user name. Without it outbox does not authenticate."},
	{"auth", "auto (default: PLAIN, then LOGIN, then CRAM-MD5 from what the server offers), plain, login, cram-md5, xoauth2, oauthbearer or none."},
	{"password", "The password itself. Refused unless the file's mode is 0600 or stricter; prefer the keyring or password_command."},
	{"password_command", "Command (an array: program and arguments, run without a shell) whose first line of output is the password, e.g. [\"pass\", \"show\", \"smtp/work\"]."},
	{"password_file", "File whose first line is the password (absolute path, or ~/...). It must be yours, mode 0600 or stricter, in a directory others can't write to; outbox checks this at every read and refuses the file otherwise (exit 78, the message is kept). outbox config init writes passwords/NAME beside the config (directory mode 0700) on a host without a keyring."},
	{"from", "Default From address, e.g. \"Me <me@example.com>\". A message whose sender matches it selects this account."},
	{"helo", "Name sent in EHLO. Default: the host name."},
	{"timeout", "Connect and per-command timeout, e.g. \"30s\" (the default)."},
	{"oauth_provider", "OAuth2 provider for xoauth2/oauthbearer: microsoft, google or custom."},
	{"oauth_flow", "device, browser (with PKCE) or client_credentials."},
	{"oauth_client_id", "OAuth2 client (application) ID."},
	{"oauth_tenant", "Microsoft tenant; default \"common\"."},
	{"oauth_scopes", "Scopes to request (array); default: the provider's for SMTP."},
	{"oauth_auth_url", "Authorization endpoint (custom provider)."},
	{"oauth_device_url", "Device authorization endpoint (custom provider)."},
	{"oauth_token_url", "Token endpoint (custom provider)."},
}

// Environment lists the variables outbox reads. Flags with an env:"" tag
// are added from the kong model.
var Environment = []Item{
	{"OUTBOX_CONFIG", "Config file to use when --config is not given."},
	{"OUTBOX_HOST", "Smarthost for one-off use and CI; with no config file it makes an account named \"default\"."},
	{"OUTBOX_PORT", "Overrides the account's port."},
	{"OUTBOX_TLS", "Overrides the account's tls (starttls, tls, none)."},
	{"OUTBOX_USERNAME", "Overrides the account's username."},
	{"OUTBOX_PASSWORD", "The password; first in the password source chain."},
	{"OUTBOX_FROM", "Overrides the account's from."},
	{"OUTBOX_ACCOUNT", "Account to use, as --account."},
	{"OUTBOX_QUEUE_DIR", "Queue directory (absolute path); overrides queue_dir."},
	{"OUTBOX_SYSTEM_CONFIG", "The system config file (absolute path) in place of /etc/outbox/config.toml; for packagers and tests."},
	{"OUTBOX_MAILDROP_DIR", "The maildrop of system mode (absolute path) in place of /var/spool/outbox/maildrop; for packagers and tests."},
	{"OUTBOX_CREDSTORE_DIR", "Where root's encrypted credentials outbox-NAME are (absolute path) in place of /etc/credstore.encrypted; for packagers and tests."},
	{"SYSTEMD_CREDENTIAL_SECRET", "Passed on to systemd-creds: the host key file in place of /var/lib/systemd/credential.secret (tests use one of their own)."},
	{"XDG_CONFIG_HOME", "Base of the per-user config file (default ~/.config)."},
	{"XDG_STATE_HOME", "Base of the per-user queue and state (default ~/.local/state)."},
	{"CREDENTIALS_DIRECTORY", "systemd credentials directory: the password of account NAME is read from the file outbox-NAME there."},
}

// ExitStatus is SPEC §4, the sysexits(3) codes outbox ends with.
var ExitStatus = []struct {
	Code int
	Text string
}{
	{0, "Sent, or safely queued (also when no config exists: the message waits in the queue)."},
	{64, "Usage error (EX_USAGE): an unknown flag, a missing argument."},
	{65, "Bad message or address (EX_DATAERR)."},
	{66, "An input file (attachment, body file) is missing or unreadable (EX_NOINPUT)."},
	{67, "A recipient was rejected by the server (5xx at RCPT, EX_NOUSER)."},
	{69, "Permanent server failure (EX_UNAVAILABLE)."},
	{70, "Internal error (EX_SOFTWARE)."},
	{73, "The queue can't be written (EX_CANTCREAT)."},
	{74, "I/O error (EX_IOERR)."},
	{75, "Temporary failure with --no-queue, or the queue is busy (EX_TEMPFAIL)."},
	{76, "SMTP protocol error (EX_PROTOCOL)."},
	{77, "Authentication failed, or the TLS policy refused the server (EX_NOPERM)."},
	{78, "Configuration error (EX_CONFIG)."},
}

// Files are the paths outbox reads and writes.
var Files = []Item{
	{"~/.config/outbox/config.toml", "Per-user config file ($XDG_CONFIG_HOME/outbox/config.toml)."},
	{"/etc/outbox/config.toml", "System config file, used when there is no per-user one."},
	{"~/.local/state/outbox/queue/", "Per-user queue ($XDG_STATE_HOME/outbox/queue): new/ holds queued messages (ID.eml, the exact bytes, and ID.json, the envelope and state), failed/ those that will not be retried, tmp/ messages being written."},
	{"/var/spool/outbox/", "The queue when outbox runs as root."},
	{"/var/spool/outbox/maildrop/", "System mode (mode 1733): a user who can't read the system config leaves messages here; root's outbox queue flush picks them up (regular files owned by their sender only) and sends them as user@default_domain."},
	{"outbox-pickup.path, outbox-flush.timer", "systemd units (make install): flush as soon as a message is dropped, and every 5 minutes for retries. Their services pass the encrypted credential outbox-default (LoadCredentialEncrypted=)."},
	{"/etc/credstore.encrypted/outbox-NAME", "Root's password for account NAME, encrypted with systemd-creds (host key, and the TPM where there is one) by outbox config init."},
	{"~/.config/outbox/passwords/NAME", "The password_file outbox config init writes on a host without a keyring (mode 0600, directory 0700)."},
	{"~/.local/state/outbox/", "Per-user state: outbox run history (run/), OAuth2 tokens when no keyring works (oauth/)."},
}

// Examples are shown after those of the command-line description.
var Examples = []Item{
	{"echo 'all good' | outbox -s 'backup done' ops@example.com", "Send standard input as the body."},
	{"outbox --to ops@example.com -s Report -a report.pdf -m 'attached'", "Send a file."},
	{"ln -s /usr/local/bin/outbox /usr/sbin/sendmail", "Make every program that calls sendmail (cron, PHP mail(), git send-email, smartd) send through outbox; make install does this with PREFIX=/usr."},
	{"printf 'Subject: hi\\n\\nbody\\n' | sendmail -t -i ops@example.com", "Send a prepared message as sendmail(8) does."},
	{"outbox check --send me@example.com", "Send one test message through the account and show the server's reply."},
	{"outbox queue flush --due", "Retry queued messages whose time has come (from cron or a systemd timer)."},
	{"source <(outbox completion bash)", "Tab completion in the current bash."},
}

// Protocol is the PROTOCOL section: what outbox does on the wire.
var Protocol = []string{
	"outbox speaks ESMTP (RFC 5321) with STARTTLS (RFC 3207) or implicit TLS (RFC 8314), AUTH (RFC 4954), SIZE, 8BITMIME, SMTPUTF8 and DSN, using what the server offers after TLS.",
	"With PIPELINING (RFC 2920), MAIL, every RCPT and DATA go in one group and the message follows the 354; a queue flush sends the next message's commands with the end of the previous one. AUTH PLAIN leads the first group (RFC 4954 §4); XOAUTH2 and OAUTHBEARER go alone.",
	"With CHUNKING (RFC 3030) the message goes as BDAT <n> LAST, unchanged and without dot-stuffing; with PIPELINING as well, a flush sends up to 16 messages ahead of their replies. A message leaves the queue only when its own replies have arrived; if the connection breaks, every unconfirmed message stays queued (the server may have taken up to 16 of them: they can arrive twice).",
	"Without these extensions each command waits for its reply. Results and exit status are the same either way. QUIT is sent and the connection closed without waiting for the 221.",
}

// Security is the short SECURITY section (SPEC §3).
var Security = []string{
	"TLS certificates are verified; with tls = \"starttls\" a server that does not offer STARTTLS is refused, never used in plaintext. TLS 1.2 is the minimum. AUTH is never sent over an unencrypted connection.",
	"Passwords never appear in arguments, logs, -v transcripts, config show or error messages; they come from $OUTBOX_PASSWORD, password_command, a password_file of the user's own (mode 0600), systemd credentials (encrypted at rest for root) or the OS keyring, and a password key in the config file is refused unless the file is private (0600).",
	"Header values given as flags can't add headers (CR and LF are refused), and every line of a message is sent with CRLF endings, so no bare CR or LF (SMTP smuggling) reaches the server. sendmail -X never writes the file it names.",
}

// SeeAlso are the related pages, as name(section).
var SeeAlso = []string{"sendmail(8)", "mailq(1)", "newaliases(1)", "crontab(5)", "msmtp(1)", "sysexits(3)", "systemd-creds(1)"}
