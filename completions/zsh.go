package completions

import (
	"fmt"
	"io"
	"strings"
)

// Zsh writes a zsh completion function (#compdef) for root. It works both
// from a directory in $fpath (autoloaded as _outbox) and when sourced.
func Zsh(w io.Writer, root *Command) error {
	prog := root.Name
	fn := "_" + ident(prog)
	var b strings.Builder
	fmt.Fprintf(&b, "#compdef %s\n", prog)
	fmt.Fprintf(&b, "# zsh completion for %s.\n", prog)
	fmt.Fprintf(&b, "# Generated from %s's command-line model by `%s completion zsh`; do not edit.\n", prog, prog)
	fmt.Fprintf(&b, "# Install as share/zsh/site-functions/_%s (a directory in $fpath).\n\n", prog)

	// The account list is asked of the program the user typed, with the
	// config file the command line names; both are taken from the whole
	// line before _arguments shifts $words for a subcommand.
	fmt.Fprintf(&b, `%[1]s_accounts() {
	local -a accounts
	accounts=(${(f)"$(_call_program accounts ${(q)%[1]s_argv0} ${(q)%[1]s_cfg[@]} completion --accounts 2>/dev/null)"})
	_wanted accounts expl account compadd -a accounts
}

`, fn)

	root.Walk(func(c *Command) { zshFunc(&b, fn, c) })

	fmt.Fprintf(&b, `%[1]s() {
	local %[1]s_argv0=$words[1] i
	local -a %[1]s_cfg
	for (( i = 2; i < CURRENT; i++ )); do
		case $words[i] in
		%[2]s) %[1]s_cfg=(--config "${words[i+1]}") ;;
		--config=*) %[1]s_cfg=(--config "${words[i]#--config=}") ;;
		esac
	done
	%[1]s_cmd_ "$@"
}

if [[ $funcstack[1] == %[1]s ]]; then
	%[1]s "$@"
else
	compdef %[1]s %[3]s
fi
`, fn, strings.ReplaceAll(configFlag(root), " ", ""), prog)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("completions: writing the zsh script: %w", err)
	}
	return nil
}

// zshFunc writes the function for one command: _outbox_cmd_queue_list
// completes "outbox queue list ...".
func zshFunc(b *strings.Builder, fn string, c *Command) {
	name := fn + "_cmd_" + ident(strings.Join(c.Path, "_"))
	fmt.Fprintf(b, "%s() {\n", name)
	specs := []string{}
	for _, f := range flagsAt(c) {
		specs = append(specs, zshFlag(fn, f))
	}
	switch {
	case c.Passthrough:
		specs = append(specs, `'*:: :_default'`)
	case len(c.Commands) > 0:
		specs = append(specs, `': :->command'`, `'*:: :->args'`)
	default:
		for i, a := range c.Args {
			prefix := ":"
			if i == len(c.Args)-1 {
				prefix = "*:"
			}
			specs = append(specs, "'"+prefix+zshEsc(strings.ToLower(a.Name))+":"+zshAction(fn, a)+"'")
		}
	}
	if len(c.Commands) > 0 {
		b.WriteString("\tlocal curcontext=$curcontext state state_descr line ret=1\n\ttypeset -A opt_args\n")
	}
	b.WriteString("\t_arguments -s -S")
	if len(c.Commands) > 0 {
		b.WriteString(" -C")
	}
	for _, s := range specs {
		b.WriteString(" \\\n\t\t" + s)
	}
	if len(c.Commands) == 0 {
		b.WriteString("\n}\n\n")
		return
	}
	b.WriteString(" && ret=0\n\tcase $state in\n\tcommand)\n\t\tlocal -a commands=(\n")
	for _, s := range c.Commands {
		fmt.Fprintf(b, "\t\t\t%s\n", zshQuote(strings.ReplaceAll(s.Name, ":", `\:`)+":"+s.Help))
	}
	title := strings.TrimSpace(fmt.Sprintf("%s command", strings.Join(append([]string{strings.TrimPrefix(fn, "_")}, c.Path...), " ")))
	fmt.Fprintf(b, "\t\t)\n\t\t_describe -t commands %s commands && ret=0\n\t\t;;\n\targs)\n", zshQuote(title))
	b.WriteString("\t\tcase $words[1] in\n")
	for _, s := range c.Commands {
		fmt.Fprintf(b, "\t\t%s) %s_cmd_%s && ret=0 ;;\n", zshQuote(s.Name), fn, ident(strings.Join(s.Path, "_")))
	}
	if c.Default != nil {
		// Not a subcommand: the words belong to the default command.
		fmt.Fprintf(b, "\t\t*) %s_cmd_%s && ret=0 ;;\n", fn, ident(strings.Join(c.Default.Path, "_")))
	}
	b.WriteString("\t\tesac\n\t\t;;\n\tesac\n\treturn ret\n}\n\n")
}

// zshFlag is one _arguments spec: '(-s --subject)'{-s+,--subject=}'[help]:SUBJECT:'.
func zshFlag(fn string, f Flag) string {
	help := "[" + strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(f.Help) + "]"
	arg := ""
	if f.Value.Kind != KindNone {
		arg = ":" + zshEsc(strings.ToLower(f.Value.Name)) + ":" + zshAction(fn, f.Value)
	}
	long, short := "--"+f.Long, ""
	if f.Short != 0 {
		short = "-" + string(f.Short)
	}
	if f.Value.Kind != KindNone {
		long += "="
		if short != "" {
			short += "+"
		}
	}
	rest := zshQuote(help + arg)
	switch {
	case short == "" && f.Repeat:
		return zshQuote("*" + long + help + arg)
	case short == "":
		return zshQuote(long + help + arg)
	case f.Repeat:
		return zshQuote("*") + "{" + short + "," + long + "}" + rest
	}
	return zshQuote("(-"+string(f.Short)+" --"+f.Long+")") + "{" + short + "," + long + "}" + rest
}

func zshAction(fn string, v Value) string {
	switch v.Kind {
	case KindFile:
		return "_files"
	case KindDir:
		return "_files -/"
	case KindAccounts:
		return fn + "_accounts"
	case KindEnum:
		vs := make([]string, len(v.Values))
		for i, s := range v.Values {
			vs[i] = zshEsc(s)
		}
		return "(" + strings.Join(vs, " ") + ")"
	}
	return " "
}

// zshEsc escapes what _arguments gives a meaning to inside a spec:
// brackets end a description, colons separate fields.
func zshEsc(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `:`, `\:`)
	return r.Replace(s)
}

// zshQuote single-quotes s for the shell.
func zshQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
