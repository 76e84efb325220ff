# bash completion for outbox -*- shell-script -*-
# Generated from outbox's command-line model by `outbox completion bash`; do not edit.
# Install as share/bash-completion/completions/outbox, or: source <(outbox completion bash)

# _outbox_commands PATH: the subcommands of the command PATH.
_outbox_commands() {
	case $1 in
	'') echo 'send sendmail queue run check config oauth password completion man version' ;;
	queue) echo 'list flush show retry drop' ;;
	config) echo 'init show path' ;;
	oauth) echo 'login status logout' ;;
	password) echo 'set delete' ;;
	esac
}

# _outbox_flags PATH: the flags PATH accepts, its parents' included.
_outbox_flags() {
	case $1 in
	'') echo '--help -h --config -c --version --to --cc --bcc --subject -s --from -f --reply-to --attach -a --inline --body -m --body-file --html --header -H --account -A --dry-run --verbose -v --no-queue' ;;
	send) echo '--help -h --config -c --version --to --cc --bcc --subject -s --from -f --reply-to --attach -a --inline --body -m --body-file --html --header -H --account -A --dry-run --verbose -v --no-queue' ;;
	sendmail) echo '--help -h --config -c --version' ;;
	queue) echo '--help -h --config -c --version' ;;
	'queue list') echo '--help -h --config -c --version --json' ;;
	'queue flush') echo '--help -h --config -c --version --due --verbose -v' ;;
	'queue show') echo '--help -h --config -c --version' ;;
	'queue retry') echo '--help -h --config -c --version --all' ;;
	'queue drop') echo '--help -h --config -c --version' ;;
	run) echo '--help -h --config -c --version --to --on --subject -s --every --timeout --attach-output --attach -a --key --account -A --verbose -v --no-queue' ;;
	check) echo '--help -h --config -c --version --account -A --json --verbose -v --send' ;;
	config) echo '--help -h --config -c --version' ;;
	'config init') echo '--help -h --config -c --version --email --preset --host --port --tls --username --password-stdin --password-store --send-test --tls-ca-file --tls-fingerprint --account -A --output -o --force --no-check --oauth --oauth-provider --oauth-client-id --oauth-tenant --oauth-token-url --oauth-device-url --oauth-auth-url --no-login --no-browser' ;;
	'config show') echo '--help -h --config -c --version' ;;
	'config path') echo '--help -h --config -c --version' ;;
	oauth) echo '--help -h --config -c --version' ;;
	'oauth login') echo '--help -h --config -c --version --account -A --no-browser' ;;
	'oauth status') echo '--help -h --config -c --version --account -A' ;;
	'oauth logout') echo '--help -h --config -c --version --account -A' ;;
	password) echo '--help -h --config -c --version' ;;
	'password set') echo '--help -h --config -c --version --account -A' ;;
	'password delete') echo '--help -h --config -c --version --account -A' ;;
	completion) echo '--help -h --config -c --version' ;;
	man) echo '--help -h --config -c --version' ;;
	version) echo '--help -h --config -c --version' ;;
	esac
}

# _outbox_flagvalue PATH FLAG: what FLAG's value completes to; nothing for a switch.
_outbox_flagvalue() {
	case "$1|$2" in
	'|--config' | '|-c' | '|--attach' | '|-a' | '|--inline' | '|--body-file' | '|--html' | 'send|--config' | 'send|-c' | 'send|--attach' | 'send|-a' | 'send|--inline' | 'send|--body-file' | 'send|--html' | 'sendmail|--config' | 'sendmail|-c' | 'queue|--config' | 'queue|-c' | 'queue list|--config' | 'queue list|-c' | 'queue flush|--config' | 'queue flush|-c' | 'queue show|--config' | 'queue show|-c' | 'queue retry|--config' | 'queue retry|-c' | 'queue drop|--config' | 'queue drop|-c' | 'run|--config' | 'run|-c' | 'run|--attach' | 'run|-a' | 'check|--config' | 'check|-c' | 'config|--config' | 'config|-c' | 'config init|--config' | 'config init|-c' | 'config init|--tls-ca-file' | 'config init|--output' | 'config init|-o' | 'config show|--config' | 'config show|-c' | 'config path|--config' | 'config path|-c' | 'oauth|--config' | 'oauth|-c' | 'oauth login|--config' | 'oauth login|-c' | 'oauth status|--config' | 'oauth status|-c' | 'oauth logout|--config' | 'oauth logout|-c' | 'password|--config' | 'password|-c' | 'password set|--config' | 'password set|-c' | 'password delete|--config' | 'password delete|-c' | 'completion|--config' | 'completion|-c' | 'man|--config' | 'man|-c' | 'version|--config' | 'version|-c') echo file ;;
	'|--to' | '|--cc' | '|--bcc' | '|--subject' | '|-s' | '|--from' | '|-f' | '|--reply-to' | '|--body' | '|-m' | '|--header' | '|-H' | 'send|--to' | 'send|--cc' | 'send|--bcc' | 'send|--subject' | 'send|-s' | 'send|--from' | 'send|-f' | 'send|--reply-to' | 'send|--body' | 'send|-m' | 'send|--header' | 'send|-H' | 'run|--to' | 'run|--subject' | 'run|-s' | 'run|--every' | 'run|--timeout' | 'run|--key' | 'check|--send' | 'config init|--email' | 'config init|--preset' | 'config init|--host' | 'config init|--port' | 'config init|--username' | 'config init|--tls-fingerprint' | 'config init|--oauth-client-id' | 'config init|--oauth-tenant' | 'config init|--oauth-token-url' | 'config init|--oauth-device-url' | 'config init|--oauth-auth-url') echo text ;;
	'|--account' | '|-A' | 'send|--account' | 'send|-A' | 'run|--account' | 'run|-A' | 'check|--account' | 'check|-A' | 'config init|--account' | 'config init|-A' | 'oauth login|--account' | 'oauth login|-A' | 'oauth status|--account' | 'oauth status|-A' | 'oauth logout|--account' | 'oauth logout|-A' | 'password set|--account' | 'password set|-A' | 'password delete|--account' | 'password delete|-A') echo accounts ;;
	'run|--on') echo 'enum:failure always output change' ;;
	'config init|--tls') echo 'enum:starttls tls none' ;;
	'config init|--password-store') echo 'enum:keyring systemd-creds file none' ;;
	'config init|--oauth-provider') echo 'enum:microsoft google custom' ;;
	esac
}

# _outbox_argvalue PATH N: what the Nth positional argument of PATH completes to.
_outbox_argvalue() {
	case "$1|$2" in
	'send|'*) echo text ;;
	'sendmail|'*) echo text ;;
	'queue show|'*) echo text ;;
	'queue retry|'*) echo text ;;
	'queue drop|'*) echo text ;;
	'run|'*) echo text ;;
	'completion|'*) echo 'enum:bash zsh fish' ;;
	esac
}

# _outbox_special PATH: "default CMD" when a word that is not a subcommand
# selects CMD, "passthrough" when later words are not ours to complete.
_outbox_special() {
	case $1 in
	'') echo 'default send' ;;
	sendmail) echo passthrough ;;
	run) echo passthrough ;;
	esac
}

_outbox() {
	local cur=${COMP_WORDS[COMP_CWORD]} path='' kind='' flag='' w i n=0 special dashdash=''
	local -a cfg=()
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ -n $kind ]]; then
			# w is the value of the flag before it ("--flag value" or,
			# as bash splits at "=", "--flag = value").
			[[ $w == = ]] && continue
			case $flag in --config | -c) cfg=(--config "${w/#\~/$HOME}") ;; esac
			kind=''
			continue
		fi
		if [[ -n $dashdash ]]; then
			n=$((n + 1))
			continue
		fi
		case $w in
		--)
			dashdash=1
			continue
			;;
		--config=*)
			cfg=(--config "${w#--config=}")
			continue
			;;
		-*=*)
			continue
			;;
		-*)
			flag=$w
			kind=$(_outbox_flagvalue "$path" "$w")
			continue
			;;
		esac
		special=$(_outbox_special "$path")
		[[ $special == passthrough ]] && return 0
		if [[ $n == 0 && " $(_outbox_commands "$path") " == *" $w "* ]]; then
			path=${path:+$path }$w
			[[ $(_outbox_special "$path") == passthrough ]] && return 0
		elif [[ $special == default* && $n == 0 ]]; then
			path=${special#default }
			n=1
		else
			n=$((n + 1))
		fi
	done
	[[ $(_outbox_special "$path") == passthrough ]] && return 0
	if [[ -z $kind && $cur != -* && ${COMP_WORDS[COMP_CWORD-1]} == = && $COMP_CWORD -gt 1 ]]; then
		kind=$(_outbox_flagvalue "$path" "${COMP_WORDS[COMP_CWORD-2]}")
	fi
	[[ $cur == = ]] && cur=''
	if [[ -n $kind ]]; then
		_outbox_complete "$kind"
		return 0
	fi
	if [[ $cur == -* && -z $dashdash ]]; then
		COMPREPLY=($(compgen -W "$(_outbox_flags "$path")" -- "$cur"))
		return 0
	fi
	local cmds
	cmds=$(_outbox_commands "$path")
	if [[ -n $cmds && $n == 0 && -z $dashdash ]]; then
		COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		return 0
	fi
	kind=$(_outbox_argvalue "$path" "$n")
	[[ -n $kind ]] && _outbox_complete "$kind"
	return 0
}

# _outbox_complete KIND: fill COMPREPLY with the candidates for KIND.
_outbox_complete() {
	local IFS=$'\n'
	case $1 in
	file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	dir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	accounts)
		COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "${cfg[@]}" completion --accounts 2>/dev/null)" -- "$cur"))
		;;
	enum:*)
		COMPREPLY=($(IFS=' ' && compgen -W "${1#enum:}" -- "$cur"))
		;;
	esac
}

complete -F _outbox outbox
