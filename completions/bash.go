package completions

import (
	"fmt"
	"io"
	"strings"
)

// Bash writes a bash completion script for root (named root.Name). It
// needs bash 3.2 or later (macOS's /bin/bash) and nothing from the
// bash-completion package, so it can be sourced from ~/.bashrc too.
func Bash(w io.Writer, root *Command) error {
	prog := root.Name
	fn := "_" + ident(prog)
	var b strings.Builder
	fmt.Fprintf(&b, "# bash completion for %s -*- shell-script -*-\n", prog)
	fmt.Fprintf(&b, "# Generated from %s's command-line model by `%s completion bash`; do not edit.\n", prog, prog)
	fmt.Fprintf(&b, "# Install as share/bash-completion/completions/%s, or: source <(%s completion bash)\n\n", prog, prog)

	fmt.Fprintf(&b, "# %s_commands PATH: the subcommands of the command PATH.\n", fn)
	fmt.Fprintf(&b, "%s_commands() {\n\tcase $1 in\n", fn)
	root.Walk(func(c *Command) {
		if len(c.Commands) == 0 {
			return
		}
		var names []string
		for _, s := range c.Commands {
			names = append(names, s.Name)
		}
		fmt.Fprintf(&b, "\t%s) echo %s ;;\n", shq(c.PathString()), shq(strings.Join(names, " ")))
	})
	b.WriteString("\tesac\n}\n\n")

	fmt.Fprintf(&b, "# %s_flags PATH: the flags PATH accepts, its parents' included.\n", fn)
	fmt.Fprintf(&b, "%s_flags() {\n\tcase $1 in\n", fn)
	root.Walk(func(c *Command) {
		var words []string
		for _, f := range flagsAt(c) {
			words = append(words, "--"+f.Long)
			if f.Short != 0 {
				words = append(words, "-"+string(f.Short))
			}
		}
		if len(words) > 0 {
			fmt.Fprintf(&b, "\t%s) echo %s ;;\n", shq(c.PathString()), shq(strings.Join(words, " ")))
		}
	})
	b.WriteString("\tesac\n}\n\n")

	fmt.Fprintf(&b, "# %s_flagvalue PATH FLAG: what FLAG's value completes to; nothing for a switch.\n", fn)
	fmt.Fprintf(&b, "%s_flagvalue() {\n\tcase \"$1|$2\" in\n", fn)
	byKind := map[string][]string{}
	var kinds []string
	root.Walk(func(c *Command) {
		for _, f := range flagsAt(c) {
			if f.Value.Kind == KindNone {
				continue
			}
			k := bashKind(f.Value)
			if _, ok := byKind[k]; !ok {
				kinds = append(kinds, k)
			}
			byKind[k] = append(byKind[k], shq(c.PathString()+"|--"+f.Long))
			if f.Short != 0 {
				byKind[k] = append(byKind[k], shq(c.PathString()+"|-"+string(f.Short)))
			}
		}
	})
	for _, k := range kinds {
		fmt.Fprintf(&b, "\t%s) echo %s ;;\n", strings.Join(byKind[k], " | "), shq(k))
	}
	b.WriteString("\tesac\n}\n\n")

	fmt.Fprintf(&b, "# %s_argvalue PATH N: what the Nth positional argument of PATH completes to.\n", fn)
	fmt.Fprintf(&b, "%s_argvalue() {\n\tcase \"$1|$2\" in\n", fn)
	root.Walk(func(c *Command) {
		for i, a := range c.Args {
			// The last argument may repeat (kong's []string args): it
			// takes every later position.
			pat := shq(fmt.Sprintf("%s|%d", c.PathString(), i))
			if i == len(c.Args)-1 {
				pat = shq(c.PathString()+"|") + "*"
			}
			fmt.Fprintf(&b, "\t%s) echo %s ;;\n", pat, shq(bashKind(a)))
		}
	})
	b.WriteString("\tesac\n}\n\n")

	fmt.Fprintf(&b, "# %s_special PATH: \"default CMD\" when a word that is not a subcommand\n", fn)
	b.WriteString("# selects CMD, \"passthrough\" when later words are not ours to complete.\n")
	fmt.Fprintf(&b, "%s_special() {\n\tcase $1 in\n", fn)
	root.Walk(func(c *Command) {
		switch {
		case c.Passthrough:
			fmt.Fprintf(&b, "\t%s) echo passthrough ;;\n", shq(c.PathString()))
		case c.Default != nil:
			fmt.Fprintf(&b, "\t%s) echo %s ;;\n", shq(c.PathString()), shq("default "+c.Default.PathString()))
		}
	})
	b.WriteString("\tesac\n}\n\n")

	cfg := configFlag(root)
	fmt.Fprintf(&b, `%[1]s() {
	local cur=${COMP_WORDS[COMP_CWORD]} path='' kind='' flag='' w i n=0 special dashdash=''
	local -a cfg=()
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ -n $kind ]]; then
			# w is the value of the flag before it ("--flag value" or,
			# as bash splits at "=", "--flag = value").
			[[ $w == = ]] && continue
			case $flag in %[2]s) cfg=(--config "${w/#\~/$HOME}") ;; esac
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
			kind=$(%[1]s_flagvalue "$path" "$w")
			continue
			;;
		esac
		special=$(%[1]s_special "$path")
		[[ $special == passthrough ]] && return 0
		if [[ $n == 0 && " $(%[1]s_commands "$path") " == *" $w "* ]]; then
			path=${path:+$path }$w
			[[ $(%[1]s_special "$path") == passthrough ]] && return 0
		elif [[ $special == default* && $n == 0 ]]; then
			path=${special#default }
			n=1
		else
			n=$((n + 1))
		fi
	done
	[[ $(%[1]s_special "$path") == passthrough ]] && return 0
	if [[ -z $kind && $cur != -* && ${COMP_WORDS[COMP_CWORD-1]} == = && $COMP_CWORD -gt 1 ]]; then
		kind=$(%[1]s_flagvalue "$path" "${COMP_WORDS[COMP_CWORD-2]}")
	fi
	[[ $cur == = ]] && cur=''
	if [[ -n $kind ]]; then
		%[1]s_complete "$kind"
		return 0
	fi
	if [[ $cur == -* && -z $dashdash ]]; then
		COMPREPLY=($(compgen -W "$(%[1]s_flags "$path")" -- "$cur"))
		return 0
	fi
	local cmds
	cmds=$(%[1]s_commands "$path")
	if [[ -n $cmds && $n == 0 && -z $dashdash ]]; then
		COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		return 0
	fi
	kind=$(%[1]s_argvalue "$path" "$n")
	[[ -n $kind ]] && %[1]s_complete "$kind"
	return 0
}

# %[1]s_complete KIND: fill COMPREPLY with the candidates for KIND.
%[1]s_complete() {
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

complete -F %[1]s %[3]s
`, fn, cfg, prog)
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("completions: writing the bash script: %w", err)
	}
	return nil
}

// flagsAt is the flags offered at c: its own and its parents', and at a
// command with a default subcommand also that one's ("outbox --to x" is
// "outbox send --to x").
func flagsAt(c *Command) []Flag {
	if c.Default == nil {
		return c.Flags
	}
	seen := map[string]bool{}
	var out []Flag
	for _, f := range append(append([]Flag(nil), c.Flags...), c.Default.Flags...) {
		if !seen[f.Long] {
			seen[f.Long] = true
			out = append(out, f)
		}
	}
	return out
}

// configFlag is a bash case pattern matching the root's --config flag
// spellings, so the account list is read from the config file the command
// line names. "”" (matches nothing useful) when there is no such flag.
func configFlag(root *Command) string {
	for _, f := range root.Flags {
		if f.Long == "config" {
			if f.Short != 0 {
				return "--config | -" + string(f.Short)
			}
			return "--config"
		}
	}
	return "''"
}

func bashKind(v Value) string {
	switch v.Kind {
	case KindEnum:
		return "enum:" + strings.Join(v.Values, " ")
	case KindText:
		return "text"
	}
	return string(v.Kind)
}

// shq quotes s for any POSIX-style shell (bash, zsh, fish all read it).
func shq(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=@%+,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ident turns a program or command name into a shell function name part.
func ident(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
