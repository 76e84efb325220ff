# fish completion for outbox.
# Generated from outbox's command-line model by `outbox completion fish`; do not edit.
# Install as share/fish/vendor_completions.d/outbox.fish.

function __outbox_commands
	switch $argv[1]
		case ''
			printf '%s\n' 'send' 'sendmail' 'queue' 'run' 'check' 'config' 'oauth' 'password' 'completion' 'man' 'version'
		case 'queue'
			printf '%s\n' 'list' 'flush' 'show' 'retry' 'drop'
		case 'config'
			printf '%s\n' 'init' 'show' 'path'
		case 'oauth'
			printf '%s\n' 'login' 'status' 'logout'
		case 'password'
			printf '%s\n' 'set' 'delete'
	end
end

function __outbox_takes_value
	switch "$argv[1]|$argv[2]"
		case '|--config' '|-c' '|--to' '|--cc' '|--bcc' '|--subject' '|-s' '|--from' '|-f' '|--reply-to' '|--attach' '|-a' '|--inline' '|--body' '|-m' '|--body-file' '|--html' '|--header' '|-H' '|--account' '|-A' 'send|--config' 'send|-c' 'send|--to' 'send|--cc' 'send|--bcc' 'send|--subject' 'send|-s' 'send|--from' 'send|-f' 'send|--reply-to' 'send|--attach' 'send|-a' 'send|--inline' 'send|--body' 'send|-m' 'send|--body-file' 'send|--html' 'send|--header' 'send|-H' 'send|--account' 'send|-A' 'sendmail|--config' 'sendmail|-c' 'queue|--config' 'queue|-c' 'queue list|--config' 'queue list|-c' 'queue flush|--config' 'queue flush|-c' 'queue show|--config' 'queue show|-c' 'queue retry|--config' 'queue retry|-c' 'queue drop|--config' 'queue drop|-c' 'run|--config' 'run|-c' 'run|--to' 'run|--on' 'run|--subject' 'run|-s' 'run|--every' 'run|--timeout' 'run|--attach' 'run|-a' 'run|--key' 'run|--account' 'run|-A' 'check|--config' 'check|-c' 'check|--account' 'check|-A' 'check|--send' 'config|--config' 'config|-c' 'config init|--config' 'config init|-c' 'config init|--email' 'config init|--preset' 'config init|--host' 'config init|--port' 'config init|--tls' 'config init|--username' 'config init|--password-store' 'config init|--tls-ca-file' 'config init|--tls-fingerprint' 'config init|--account' 'config init|-A' 'config init|--output' 'config init|-o' 'config init|--oauth-provider' 'config init|--oauth-client-id' 'config init|--oauth-tenant' 'config init|--oauth-token-url' 'config init|--oauth-device-url' 'config init|--oauth-auth-url' 'config show|--config' 'config show|-c' 'config path|--config' 'config path|-c' 'oauth|--config' 'oauth|-c' 'oauth login|--config' 'oauth login|-c' 'oauth login|--account' 'oauth login|-A' 'oauth status|--config' 'oauth status|-c' 'oauth status|--account' 'oauth status|-A' 'oauth logout|--config' 'oauth logout|-c' 'oauth logout|--account' 'oauth logout|-A' 'password|--config' 'password|-c' 'password set|--config' 'password set|-c' 'password set|--account' 'password set|-A' 'password delete|--config' 'password delete|-c' 'password delete|--account' 'password delete|-A' 'completion|--config' 'completion|-c' 'man|--config' 'man|-c' 'version|--config' 'version|-c'
			return 0
	end
	return 1
end

function __outbox_special
	switch $argv[1]
		case ''
			echo 'default send'
		case 'sendmail'
			echo passthrough
		case 'run'
			echo passthrough
	end
end

# __outbox_path: the command path before the cursor ("queue list"); it
# ends in "+" once a positional argument or a passthrough command was seen.
function __outbox_path
	set -l path ''
	set -l want ''
	set -l special ''
	set -l tokens (commandline -opc)
	for w in $tokens[2..-1]
		if test -n "$want"
			set want ''
			continue
		end
		switch $w
			case '--'
				echo "$path+"
				return
			case '-*=*'
				continue
			case '-*'
				if __outbox_takes_value "$path" $w
					set want 1
				end
				continue
		end
		set special (__outbox_special "$path")
		if test "$special" = passthrough
			break
		else if contains -- $w (__outbox_commands "$path")
			set path (string trim -- "$path $w")
		else if string match -q 'default *' -- "$special"
			set path (string replace 'default ' '' -- "$special")+
			break
		else
			set path "$path+"
			break
		end
	end
	set -l base (string trim -r -c + -- "$path")
	set special (__outbox_special "$base")
	if test "$special" = passthrough
		set path "$base+"
	end
	echo $path
end

# __outbox_at PATH...: the cursor is right after one of these command paths.
function __outbox_at
	contains -- (__outbox_path) $argv
end

function __outbox_accounts
	set -l tokens (commandline -opc)
	set -l cfg
	for i in (seq 2 (count $tokens))
		switch $tokens[$i]
			case '--config' '-c'
				if test $i -lt (count $tokens)
					set cfg --config $tokens[(math $i + 1)]
				end
			case '--config=*'
				set cfg --config (string replace -- '--config=' '' $tokens[$i])
		end
	end
	$tokens[1] $cfg completion --accounts 2>/dev/null
end

complete -c outbox -f

complete -c outbox -n '__outbox_at \'\'' -a 'send' -d 'Compose a message from flags and send it (the default command).'
complete -c outbox -n '__outbox_at \'\'' -a 'sendmail' -d 'Behave as sendmail(8): read an RFC 5322 message on stdin.'
complete -c outbox -n '__outbox_at \'\'' -a 'queue' -d 'List, flush, retry or drop queued messages.'
complete -c outbox -n '__outbox_at \'\'' -a 'run' -d 'Run a command and mail its result by policy (a notifier for cron and monitoring).'
complete -c outbox -n '__outbox_at \'\'' -a 'check' -d 'Probe the smarthost: greeting, capabilities, TLS, certificate, AUTH; sends nothing unless --send ADDR (one test message).'
complete -c outbox -n '__outbox_at \'\'' -a 'config' -d 'Write a config (init), show the effective config (show), or say which file is used (path).'
complete -c outbox -n '__outbox_at \'\'' -a 'oauth' -d 'OAuth2 sign-in for Microsoft 365 and Gmail: login, status, logout.'
complete -c outbox -n '__outbox_at \'\'' -a 'password' -d 'Store or remove an account password in the OS keyring.'
complete -c outbox -n '__outbox_at \'\'' -a 'completion' -d 'Print a shell completion script (bash, zsh, fish).'
complete -c outbox -n '__outbox_at \'\'' -a 'man' -d 'Print the man page (roff).'
complete -c outbox -n '__outbox_at \'\'' -a 'version' -d 'Print the version, commit and Go version.'
complete -c outbox -n '__outbox_at \'\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'\'' -l 'to' -x -d 'Recipient (repeatable; each may be a comma list).'
complete -c outbox -n '__outbox_at \'\'' -l 'cc' -x -d 'Carbon-copy recipient (repeatable).'
complete -c outbox -n '__outbox_at \'\'' -l 'bcc' -x -d 'Blind-copy recipient: in the envelope only, never in the header.'
complete -c outbox -n '__outbox_at \'\'' -s 's' -l 'subject' -x -d 'Subject (any UTF-8 text).'
complete -c outbox -n '__outbox_at \'\'' -s 'f' -l 'from' -x -d 'From address; also picks the account whose from matches.'
complete -c outbox -n '__outbox_at \'\'' -l 'reply-to' -x -d 'Reply-To address.'
complete -c outbox -n '__outbox_at \'\'' -s 'a' -l 'attach' -r -F -d 'Attach a file (repeatable); type from the extension, then the content.'
complete -c outbox -n '__outbox_at \'\'' -l 'inline' -r -F -d 'Inline file for the HTML body, referenced as cid:NAME (repeatable).'
complete -c outbox -n '__outbox_at \'\'' -s 'm' -l 'body' -x -d 'Body text.'
complete -c outbox -n '__outbox_at \'\'' -l 'body-file' -r -F -d 'Read the body text from FILE.'
complete -c outbox -n '__outbox_at \'\'' -l 'html' -r -F -d 'HTML body from FILE (with a text body: multipart/alternative).'
complete -c outbox -n '__outbox_at \'\'' -s 'H' -l 'header' -x -d 'Extra header "Name: value" (repeatable).'
complete -c outbox -n '__outbox_at \'\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Account to send with.'
complete -c outbox -n '__outbox_at \'\'' -l 'dry-run' -d 'Print the envelope and the exact message; send nothing.'
complete -c outbox -n '__outbox_at \'\'' -s 'v' -l 'verbose' -d 'Print the SMTP transcript on stderr (AUTH redacted).'
complete -c outbox -n '__outbox_at \'\'' -l 'no-queue' -d 'Fail with exit 75 instead of queueing when the smarthost can\'t be reached.'

complete -c outbox -n '__outbox_at \'send\' \'send+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'to' -x -d 'Recipient (repeatable; each may be a comma list).'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'cc' -x -d 'Carbon-copy recipient (repeatable).'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'bcc' -x -d 'Blind-copy recipient: in the envelope only, never in the header.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -s 's' -l 'subject' -x -d 'Subject (any UTF-8 text).'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -s 'f' -l 'from' -x -d 'From address; also picks the account whose from matches.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'reply-to' -x -d 'Reply-To address.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -s 'a' -l 'attach' -r -F -d 'Attach a file (repeatable); type from the extension, then the content.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'inline' -r -F -d 'Inline file for the HTML body, referenced as cid:NAME (repeatable).'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -s 'm' -l 'body' -x -d 'Body text.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'body-file' -r -F -d 'Read the body text from FILE.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'html' -r -F -d 'HTML body from FILE (with a text body: multipart/alternative).'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -s 'H' -l 'header' -x -d 'Extra header "Name: value" (repeatable).'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Account to send with.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'dry-run' -d 'Print the envelope and the exact message; send nothing.'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -s 'v' -l 'verbose' -d 'Print the SMTP transcript on stderr (AUTH redacted).'
complete -c outbox -n '__outbox_at \'send\' \'send+\'' -l 'no-queue' -d 'Fail with exit 75 instead of queueing when the smarthost can\'t be reached.'

complete -c outbox -n '__outbox_at \'sendmail\' \'sendmail+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'sendmail\' \'sendmail+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'sendmail\' \'sendmail+\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'queue\'' -a 'list' -d 'List queued and failed messages (also: mailq, sendmail -bp).'
complete -c outbox -n '__outbox_at \'queue\'' -a 'flush' -d 'Try queued messages now (also: sendmail -q).'
complete -c outbox -n '__outbox_at \'queue\'' -a 'show' -d 'Print one queued message: its state, then its bytes.'
complete -c outbox -n '__outbox_at \'queue\'' -a 'retry' -d 'Make a message due now; a failed one goes back into the queue.'
complete -c outbox -n '__outbox_at \'queue\'' -a 'drop' -d 'Delete a queued or failed message.'
complete -c outbox -n '__outbox_at \'queue\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'queue\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'queue\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'queue list\' \'queue list+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'queue list\' \'queue list+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'queue list\' \'queue list+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'queue list\' \'queue list+\'' -l 'json' -d 'Print JSON for scripts.'

complete -c outbox -n '__outbox_at \'queue flush\' \'queue flush+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'queue flush\' \'queue flush+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'queue flush\' \'queue flush+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'queue flush\' \'queue flush+\'' -l 'due' -d 'Only messages whose retry time has come (for cron or a systemd timer).'
complete -c outbox -n '__outbox_at \'queue flush\' \'queue flush+\'' -s 'v' -l 'verbose' -d 'Print the SMTP transcript on stderr (AUTH redacted).'

complete -c outbox -n '__outbox_at \'queue show\' \'queue show+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'queue show\' \'queue show+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'queue show\' \'queue show+\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'queue retry\' \'queue retry+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'queue retry\' \'queue retry+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'queue retry\' \'queue retry+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'queue retry\' \'queue retry+\'' -l 'all' -d 'Every queued message.'

complete -c outbox -n '__outbox_at \'queue drop\' \'queue drop+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'queue drop\' \'queue drop+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'queue drop\' \'queue drop+\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'run\' \'run+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -l 'to' -x -d 'Recipient (repeatable; each may be a comma list). Default: [aliases] root, else default.'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -l 'on' -x -a '\'failure\' \'always\' \'output\' \'change\'' -d 'When to mail: failure (non-zero exit, killed, timed out), always, output (any output, as cron), change (the outcome differs from the previous run).'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -s 's' -l 'subject' -x -d 'Subject as a Go template over .Host .Command .Name .Status .ExitCode .Signal .Duration .Start .Output .Held (default: "[{{.Host}}] {{.Name}} {{.Status}}").'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -l 'every' -x -d 'Mail at most once per DURATION per job and outcome (failure/success); the next mail counts what was held back.'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -l 'timeout' -x -d 'Kill the command\'s process group after DURATION (SIGTERM, then SIGKILL 10s later) and exit 124, as timeout(1).'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -l 'attach-output' -d 'Attach the whole output as output.txt even when it fits in the mail (it always is when larger than 64 KiB).'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -s 'a' -l 'attach' -r -F -d 'Attach FILE to the mail, read after the command has finished (a report it made); repeatable.'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -l 'key' -x -d 'Name of the job for --on change and --every (default: the command line).'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Account to send with.'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -s 'v' -l 'verbose' -d 'Print the SMTP transcript on stderr (AUTH redacted).'
complete -c outbox -n '__outbox_at \'run\' \'run+\'' -l 'no-queue' -d 'Don\'t queue the mail when the smarthost can\'t be reached (outbox still exits with the command\'s status when it failed, else 75).'

complete -c outbox -n '__outbox_at \'check\' \'check+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'check\' \'check+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'check\' \'check+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'check\' \'check+\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Account to check (default: the default account).'
complete -c outbox -n '__outbox_at \'check\' \'check+\'' -l 'json' -d 'Print the report as one JSON object (fields in the README).'
complete -c outbox -n '__outbox_at \'check\' \'check+\'' -s 'v' -l 'verbose' -d 'Show the SMTP dialogue on stderr (AUTH redacted).'
complete -c outbox -n '__outbox_at \'check\' \'check+\'' -l 'send' -x -d 'After the check, send one short test message to ADDR through the account and print the server\'s reply.'

complete -c outbox -n '__outbox_at \'config\'' -a 'init' -d 'Write a config: asks for your address, proposes your provider\'s settings (presets, RFC 6186 SRV), stores the password (keyring, else systemd-creds for root, else a 0600 file) or signs in with OAuth2, runs outbox check and offers a test message.'
complete -c outbox -n '__outbox_at \'config\'' -a 'show' -d 'Print the effective config (after OUTBOX_* overrides), secrets redacted.'
complete -c outbox -n '__outbox_at \'config\'' -a 'path' -d 'Print the config file in use; the lookup order goes to stderr.'
complete -c outbox -n '__outbox_at \'config\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'config\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'config\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'email' -x -d 'Your email address; with it nothing is asked (for scripts).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'preset' -x -d 'Provider preset (gmail, outlook, microsoft365, fastmail, icloud, yahoo, zoho, sendgrid, mailgun, postmark, brevo, ses-REGION, ...).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'host' -x -d 'SMTP server (instead of a preset or DNS discovery).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'port' -x -d 'Port (default: 465 for tls, 587 for starttls).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'tls' -x -a '\'starttls\' \'tls\' \'none\'' -d 'starttls, tls (implicit, port 465) or none.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'username' -x -d 'SMTP username (default: what the preset says, else the address).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'password-stdin' -d 'Read the password (with --oauth: the client secret) from the first line of stdin and store it (see --password-store).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'password-store' -x -a '\'keyring\' \'systemd-creds\' \'file\' \'none\'' -d 'Where a typed password goes: keyring, systemd-creds (root: encrypted in /etc/credstore.encrypted), file (mode 0600 beside the config, as password_file) or none. Default: the keyring when it works, else systemd-creds for root, else file.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'send-test' -d 'After the check, send a test message to your address (as outbox check --send does).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'tls-ca-file' -r -F -d 'Extra CA certificate(s) to trust (PEM), written as tls_ca_file.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'tls-fingerprint' -x -d 'Pin the server certificate (sha256:HEX, as outbox check prints it).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Name of the account to write.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -s 'o' -l 'output' -r -F -d 'Write here (default: -c FILE, $OUTBOX_CONFIG, else ~/.config/outbox/config.toml, or /etc/outbox/config.toml as root).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'force' -d 'Replace an existing config file.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'no-check' -d 'Do not run outbox check afterwards.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'oauth' -d 'Sign in with OAuth2 instead of a password (Microsoft 365, Outlook.com, Gmail, custom).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'oauth-provider' -x -a '\'microsoft\' \'google\' \'custom\'' -d 'microsoft, google or custom (default: from the preset).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'oauth-client-id' -x -d 'Application (client) ID of your app registration.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'oauth-tenant' -x -d 'Microsoft tenant (default: common).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'oauth-token-url' -x -d 'Custom provider: token endpoint.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'oauth-device-url' -x -d 'Custom provider: device authorization endpoint (device flow).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'oauth-auth-url' -x -d 'Custom provider: authorization endpoint (browser flow).'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'no-login' -d 'OAuth2: only write the file; sign in later with outbox oauth login.'
complete -c outbox -n '__outbox_at \'config init\' \'config init+\'' -l 'no-browser' -d 'OAuth2 browser flow: print the URL, don\'t open a browser.'

complete -c outbox -n '__outbox_at \'config show\' \'config show+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'config show\' \'config show+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'config show\' \'config show+\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'config path\' \'config path+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'config path\' \'config path+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'config path\' \'config path+\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'oauth\'' -a 'login' -d 'Sign in (device code or browser) and store the refresh token.'
complete -c outbox -n '__outbox_at \'oauth\'' -a 'status' -d 'Show whether a token is stored, where, its expiry and scopes.'
complete -c outbox -n '__outbox_at \'oauth\'' -a 'logout' -d 'Delete the stored refresh token and cached access token.'
complete -c outbox -n '__outbox_at \'oauth\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'oauth\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'oauth\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'oauth login\' \'oauth login+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'oauth login\' \'oauth login+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'oauth login\' \'oauth login+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'oauth login\' \'oauth login+\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Account (default: the default account).'
complete -c outbox -n '__outbox_at \'oauth login\' \'oauth login+\'' -l 'no-browser' -d 'Browser flow: only print the URL, don\'t try to open a browser.'

complete -c outbox -n '__outbox_at \'oauth status\' \'oauth status+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'oauth status\' \'oauth status+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'oauth status\' \'oauth status+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'oauth status\' \'oauth status+\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Account (default: the default account).'

complete -c outbox -n '__outbox_at \'oauth logout\' \'oauth logout+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'oauth logout\' \'oauth logout+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'oauth logout\' \'oauth logout+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'oauth logout\' \'oauth logout+\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Account (default: the default account).'

complete -c outbox -n '__outbox_at \'password\'' -a 'set' -d 'Store the password (read without echo at a terminal, else the first line of stdin).'
complete -c outbox -n '__outbox_at \'password\'' -a 'delete' -d 'Remove the stored password.'
complete -c outbox -n '__outbox_at \'password\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'password\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'password\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'password set\' \'password set+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'password set\' \'password set+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'password set\' \'password set+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'password set\' \'password set+\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Account (default: the default account).'

complete -c outbox -n '__outbox_at \'password delete\' \'password delete+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'password delete\' \'password delete+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'password delete\' \'password delete+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'password delete\' \'password delete+\'' -s 'A' -l 'account' -x -a '(__outbox_accounts)' -d 'Account (default: the default account).'

complete -c outbox -n '__outbox_at \'completion\' \'completion+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'completion\' \'completion+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'completion\' \'completion+\'' -l 'version' -d 'Print the version and exit.'
complete -c outbox -n '__outbox_at \'completion\' \'completion+\'' -x -a '\'bash\' \'zsh\' \'fish\''

complete -c outbox -n '__outbox_at \'man\' \'man+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'man\' \'man+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'man\' \'man+\'' -l 'version' -d 'Print the version and exit.'

complete -c outbox -n '__outbox_at \'version\' \'version+\'' -s 'h' -l 'help' -d 'Show context-sensitive help.'
complete -c outbox -n '__outbox_at \'version\' \'version+\'' -s 'c' -l 'config' -r -F -d 'Config file (default: $OUTBOX_CONFIG, ~/.config/outbox/config.toml, /etc/outbox/config.toml).'
complete -c outbox -n '__outbox_at \'version\' \'version+\'' -l 'version' -d 'Print the version and exit.'
