package completions

import (
	"strings"

	"github.com/alecthomas/kong"
)

// Kind says what a flag's value or a positional argument completes to.
type Kind string

const (
	KindNone     Kind = ""         // a switch: takes no value
	KindText     Kind = "text"     // free text: nothing to offer
	KindFile     Kind = "file"     // a file name
	KindDir      Kind = "dir"      // a directory name
	KindAccounts Kind = "accounts" // an account name from the config file
	KindEnum     Kind = "enum"     // one of Values
)

// Value is what one flag value or positional argument completes to.
type Value struct {
	Kind   Kind
	Values []string // for KindEnum
	Name   string   // placeholder shown by zsh, e.g. "ADDR"
}

// Flag is one command-line flag as the scripts need it.
type Flag struct {
	Long   string // without dashes
	Short  rune   // 0 when there is none
	Help   string
	Value  Value // Kind KindNone for a switch
	Repeat bool  // may be given more than once
}

// Command is one node of the command tree. Flags holds every flag valid at
// this point, the parents' first, as kong accepts a parent's flag after a
// subcommand ("outbox queue list -c FILE").
type Command struct {
	Name     string
	Path     []string // words after the program name; empty for the root
	Help     string
	Flags    []Flag
	Commands []*Command
	Args     []Value // positional arguments, in order
	// Default is the child run when the first word is not a subcommand
	// (kong's default:"withargs"): "outbox ADDR" is "outbox send ADDR".
	Default *Command
	// Passthrough: every later word belongs to another grammar (outbox
	// sendmail ARGS), so the scripts stop interpreting words here.
	Passthrough bool
}

// PathString is Path joined with spaces: the key the scripts use.
func (c *Command) PathString() string { return strings.Join(c.Path, " ") }

// Walk calls f for c and every command below it, parents first.
func (c *Command) Walk(f func(*Command)) {
	f(c)
	for _, s := range c.Commands {
		s.Walk(f)
	}
}

// FromKong converts a kong application model into the command tree.
// Hidden commands and flags are left out.
func FromKong(app *kong.Application) *Command {
	return fromNode(app.Node, nil, nil)
}

func fromNode(n *kong.Node, path []string, inherited []Flag) *Command {
	c := &Command{Name: n.Name, Path: path, Help: n.Help}
	c.Flags = append(c.Flags, inherited...)
	for _, f := range n.Flags {
		if f.Hidden {
			continue
		}
		c.Flags = append(c.Flags, fromFlag(f))
	}
	for _, p := range n.Positional {
		c.Args = append(c.Args, valueOf(p, p.Name))
		if p.Passthrough || p.PassthroughMode != kong.PassThroughModeNone {
			c.Passthrough = true
		}
	}
	if n.Passthrough {
		c.Passthrough = true
	}
	for _, child := range n.Children {
		if child.Hidden || child.Type != kong.CommandNode {
			continue
		}
		sub := fromNode(child, append(append([]string(nil), path...), child.Name), c.Flags)
		c.Commands = append(c.Commands, sub)
		if n.DefaultCmd == child && child.Tag != nil && child.Tag.Default == "withargs" {
			c.Default = sub
		}
	}
	return c
}

func fromFlag(f *kong.Flag) Flag {
	out := Flag{Long: f.Name, Short: f.Short, Help: oneLine(f.Help), Repeat: f.IsCumulative() || f.IsCounter()}
	if f.IsBool() || f.IsCounter() {
		return out
	}
	ph := f.PlaceHolder
	if ph == "" {
		ph = strings.TrimSuffix(f.FormatPlaceHolder(), ",...")
	}
	out.Value = valueOf(f.Value, ph)
	return out
}

// valueOf decides what a value completes to, in this order: an explicit
// predictor:"accounts|file|dir|none" tag (kongplete's tag name), an enum,
// the flag name "account", the kong type (path, existingfile,
// existingdir), then the placeholder (FILE, DIR).
func valueOf(v *kong.Value, placeholder string) Value {
	out := Value{Kind: KindText, Name: placeholder}
	if v.Tag != nil {
		switch p := v.Tag.Get("predictor"); p {
		case "accounts", "file", "dir":
			out.Kind = Kind(p)
			return out
		case "none":
			return out
		}
	}
	if v.Enum != "" {
		out.Kind = KindEnum
		for _, e := range v.EnumSlice() {
			if e != "" {
				out.Values = append(out.Values, e)
			}
		}
		return out
	}
	if v.Name == "account" {
		out.Kind = KindAccounts
		return out
	}
	typ := ""
	if v.Tag != nil {
		typ = v.Tag.Type
	}
	switch {
	case typ == "existingdir" || strings.EqualFold(placeholder, "DIR"):
		out.Kind = KindDir
	case typ == "path" || typ == "existingfile" || typ == "filecontent" ||
		strings.EqualFold(placeholder, "FILE") || strings.EqualFold(placeholder, "PATH"):
		out.Kind = KindFile
	}
	return out
}

// oneLine keeps the first sentence-bearing line of a help text: the
// scripts show it beside a candidate.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}
