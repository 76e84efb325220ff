package completions

import (
	"fmt"
	"io"
	"strings"
)

// Fish writes a fish completion script for root (fish 3.0 or later).
func Fish(w io.Writer, root *Command) error {
	prog := root.Name
	fn := "__" + ident(prog)
	var b strings.Builder
	fmt.Fprintf(&b, "# fish completion for %s.\n", prog)
	fmt.Fprintf(&b, "# Generated from %s's command-line model by `%s completion fish`; do not edit.\n", prog, prog)
	fmt.Fprintf(&b, "# Install as share/fish/vendor_completions.d/%s.fish.\n\n", prog)

	// Tables the path walker needs, as functions (fish has no maps).
	fmt.Fprintf(&b, "function %s_commands\n\tswitch $argv[1]\n", fn)
	root.Walk(func(c *Command) {
		if len(c.Commands) == 0 {
			return
		}
		var names []string
		for _, s := range c.Commands {
			names = append(names, fishQuote(s.Name))
		}
		fmt.Fprintf(&b, "\t\tcase %s\n\t\t\tprintf '%%s\\n' %s\n", fishQuote(c.PathString()), strings.Join(names, " "))
	})
	b.WriteString("\tend\nend\n\n")

	fmt.Fprintf(&b, "function %s_takes_value\n\tswitch \"$argv[1]|$argv[2]\"\n", fn)
	var withValue []string
	root.Walk(func(c *Command) {
		for _, f := range flagsAt(c) {
			if f.Value.Kind == KindNone {
				continue
			}
			withValue = append(withValue, fishQuote(c.PathString()+"|--"+f.Long))
			if f.Short != 0 {
				withValue = append(withValue, fishQuote(c.PathString()+"|-"+string(f.Short)))
			}
		}
	})
	if len(withValue) > 0 {
		fmt.Fprintf(&b, "\t\tcase %s\n\t\t\treturn 0\n", strings.Join(withValue, " "))
	}
	b.WriteString("\tend\n\treturn 1\nend\n\n")

	fmt.Fprintf(&b, "function %s_special\n\tswitch $argv[1]\n", fn)
	root.Walk(func(c *Command) {
		switch {
		case c.Passthrough:
			fmt.Fprintf(&b, "\t\tcase %s\n\t\t\techo passthrough\n", fishQuote(c.PathString()))
		case c.Default != nil:
			fmt.Fprintf(&b, "\t\tcase %s\n\t\t\techo %s\n", fishQuote(c.PathString()), fishQuote("default "+c.Default.PathString()))
		}
	})
	b.WriteString("\tend\nend\n\n")

	cfg := strings.Fields(strings.ReplaceAll(configFlag(root), "|", " "))
	for i := range cfg {
		cfg[i] = fishQuote(cfg[i])
	}
	fmt.Fprintf(&b, `# %[1]s_path: the command path before the cursor ("queue list"); it
# ends in "+" once a positional argument or a passthrough command was seen.
function %[1]s_path
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
				if %[1]s_takes_value "$path" $w
					set want 1
				end
				continue
		end
		set special (%[1]s_special "$path")
		if test "$special" = passthrough
			break
		else if contains -- $w (%[1]s_commands "$path")
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
	set special (%[1]s_special "$base")
	if test "$special" = passthrough
		set path "$base+"
	end
	echo $path
end

# %[1]s_at PATH...: the cursor is right after one of these command paths.
function %[1]s_at
	contains -- (%[1]s_path) $argv
end

function %[1]s_accounts
	set -l tokens (commandline -opc)
	set -l cfg
	for i in (seq 2 (count $tokens))
		switch $tokens[$i]
			case %[2]s
				if test $i -lt (count $tokens)
					set cfg --config $tokens[(math $i + 1)]
				end
			case '--config=*'
				set cfg --config (string replace -- '--config=' '' $tokens[$i])
		end
	end
	$tokens[1] $cfg completion --accounts 2>/dev/null
end

complete -c %[3]s -f
`, fn, strings.Join(cfg, " "), prog)

	root.Walk(func(c *Command) {
		p := c.PathString()
		at := fishQuote(fn + "_at " + fishQuote(p))
		atArgs := fishQuote(fn + "_at " + fishQuote(p) + " " + fishQuote(p+"+"))
		b.WriteString("\n")
		for _, s := range c.Commands {
			fmt.Fprintf(&b, "complete -c %s -n %s -a %s -d %s\n", prog, at, fishQuote(s.Name), fishQuote(s.Help))
		}
		flagCond := atArgs
		if len(c.Commands) > 0 {
			flagCond = at
		}
		for _, f := range flagsAt(c) {
			line := fmt.Sprintf("complete -c %s -n %s", prog, flagCond)
			if f.Short != 0 {
				line += " -s " + fishQuote(string(f.Short))
			}
			line += " -l " + fishQuote(f.Long)
			line += fishValue(fn, f.Value)
			line += " -d " + fishQuote(f.Help)
			b.WriteString(line + "\n")
		}
		if len(c.Commands) == 0 && !c.Passthrough && len(c.Args) > 0 {
			// Positional arguments: fish can't tell the first from the
			// second here, so the last one's kind stands for all (they
			// are one argument, or one repeated, in practice).
			if v := fishValue(fn, c.Args[len(c.Args)-1]); v != "" && v != " -x" {
				fmt.Fprintf(&b, "complete -c %s -n %s%s\n", prog, atArgs, strings.Replace(v, " -r", "", 1))
			}
		}
	})
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("completions: writing the fish script: %w", err)
	}
	return nil
}

func fishValue(fn string, v Value) string {
	switch v.Kind {
	case KindFile:
		return " -r -F"
	case KindDir:
		return " -x -a '(__fish_complete_directories)'"
	case KindAccounts:
		return " -x -a " + fishQuote("("+fn+"_accounts)")
	case KindEnum:
		vs := make([]string, len(v.Values))
		for i, s := range v.Values {
			vs[i] = fishQuote(s)
		}
		return " -x -a " + fishQuote(strings.Join(vs, " "))
	case KindText:
		return " -x"
	}
	return ""
}

// fishQuote single-quotes s for fish (which escapes only \ and ' there).
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
