package man

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/muesli/mango"
	"github.com/muesli/roff"

	"github.com/outboxmail/outbox/sendmail"
)

// Why not mango.ManPage.Build: it stamps time.Now() into the title line
// (the checked-in page would be stale every day and builds would not be
// reproducible), prints a fixed "[options...] [argument...]" synopsis,
// sorts flags alphabetically (kong's order is the help order), drops
// placeholders, and writes extra sections as escaped plain text only (no
// tagged paragraphs for the sendmail flag table). So this file keeps
// mango's Builder interface, which roff.Document implements, and does the
// layout: the small kong adapter that mango-kong would have been.

// Write writes outbox(1) for the kong application app.
func Write(w io.Writer, app *kong.Application) error {
	p := &page{Builder: roff.NewDocument()}
	p.build(app)
	if _, err := io.WriteString(w, p.String()); err != nil {
		return fmt.Errorf("man: writing the page: %w", err)
	}
	return nil
}

type page struct {
	mango.Builder
	out strings.Builder // finished chunks; Builder holds the current one
}

// raw appends roff source as it is (for requests roff.Document has no
// method for); the caller escapes text with esc.
func (p *page) raw(s string) {
	p.out.WriteString(p.Builder.String())
	p.out.WriteString("\n" + s + "\n")
	p.Builder = roff.NewDocument()
}

var blankLines = regexp.MustCompile(`\n{2,}`)

// String is the page. roff.Document avoids empty lines within itself; the
// joins between chunks may leave some, and in roff an empty line is a
// blank output line, never wanted here.
func (p *page) String() string {
	s := p.out.String() + p.Builder.String()
	s = blankLines.ReplaceAllString(s, "\n")
	// "-" is a hyphen in roff (U+2010 in UTF-8 output), which breaks
	// copying an option or a command from the page: print minus signs,
	// as go-md2man does.
	lines := strings.Split(strings.TrimLeft(s, "\n"), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, ".") {
			lines[i] = strings.ReplaceAll(l, "-", `\-`)
		}
	}
	return asciiOnly(strings.Join(lines, "\n"))
}

// asciiOnly writes every non-ASCII character as a groff \[uXXXX] escape,
// so the page renders the same whatever input encoding groff, mandoc or
// man-db's preconv assume.
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\[u%04X]`, r)
		}
	}
	return b.String()
}

func (p *page) build(app *kong.Application) {
	name := app.Name
	desc, examples := splitDescription(app.Help)
	summary := desc
	if i := strings.Index(summary, "\n"); i >= 0 {
		summary = summary[:i]
	}
	summary = strings.TrimSuffix(strings.TrimSpace(summary), ".")

	// No date: the page is generated into the repository and must not
	// change by itself. The version is in `outbox version`.
	p.raw(fmt.Sprintf(`.TH %s 1 "" "%s" "User Commands"`, strings.ToUpper(name), name))

	p.Section("Name")
	p.raw(esc(name) + " - " + esc(lowerFirst(summary)))

	p.synopsis(app)

	p.Section("Description")
	for i, para := range paragraphs(desc) {
		if i > 0 {
			p.Paragraph()
		}
		p.Text(para)
	}

	if flags := visibleFlags(app.Node); len(flags) > 0 {
		p.Section("Options")
		p.Text("Accepted before or after any command.")
		p.flags(flags)
	}

	p.Section("Commands")
	first := true
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, c := range n.Children {
			if c.Hidden || c.Type != kong.CommandNode {
				continue
			}
			if !first {
				p.EndSection()
			}
			first = false
			p.command(c)
			walk(c)
		}
	}
	walk(app.Node)

	p.sendmailSection(name)
	p.configSection()
	p.items("Environment", envItems(app))
	p.Section("Exit status")
	p.Text(name + " exits with a sysexits(3) code, so scripts and cron can tell what happened:")
	for _, e := range ExitStatus {
		p.TaggedParagraph(-1)
		p.TextBold(fmt.Sprint(e.Code))
		p.EndSection()
		p.Text(e.Text)
	}
	p.items("Files", Files)

	p.Section("Examples")
	for _, ex := range examples {
		p.TaggedParagraph(-1)
		p.TextBold(ex)
		p.EndSection()
	}
	for _, ex := range Examples {
		p.TaggedParagraph(-1)
		p.TextBold(ex.Term)
		p.EndSection()
		p.Text(ex.Text)
	}

	p.Section("Protocol")
	for i, s := range Protocol {
		if i > 0 {
			p.Paragraph()
		}
		p.Text(s)
	}

	p.Section("Security")
	for i, s := range Security {
		if i > 0 {
			p.Paragraph()
		}
		p.Text(s)
	}

	p.Section("See also")
	for i, s := range SeeAlso {
		n, sec, _ := strings.Cut(s, "(")
		p.TextBold(n)
		p.Text("(" + sec)
		if i < len(SeeAlso)-1 {
			p.Text(", ")
		}
	}
}

func (p *page) synopsis(app *kong.Application) {
	p.Section("Synopsis")
	lines := 0
	line := func(prog string, args ...string) {
		if lines > 0 {
			p.Paragraph()
		}
		lines++
		p.TextBold(prog)
		for _, a := range args {
			p.Text(" ")
			p.argWord(a)
		}
	}
	if d := app.DefaultCmd; d != nil {
		line(app.Name, append([]string{"[" + d.Name + "]", "[flags]"}, positionals(d)...)...)
	}
	line(app.Name, "COMMAND", "[flags]", "[ARG...]")
	line("sendmail", "[flags]", "[ADDR...]")
	line("mailq")
	line("newaliases")
}

// argWord writes a synopsis word: brackets and dots plain, names in
// italics, literal command names in bold.
func (p *page) argWord(a string) {
	core := strings.Trim(a, "[].")
	pre, post, _ := strings.Cut(a, core)
	if pre != "" {
		p.Text(pre)
	}
	if core == strings.ToUpper(core) || core == "flags" {
		p.TextItalic(core)
	} else {
		p.TextBold(core)
	}
	if post != "" {
		p.Text(post)
	}
}

// command writes one command: its full path and arguments, its help, and
// its own flags indented below.
func (p *page) command(c *kong.Node) {
	p.TaggedParagraph(-1)
	p.TextBold(c.FullPath())
	for _, a := range positionals(c) {
		p.Text(" ")
		p.argWord(a)
	}
	if len(c.Children) > 0 {
		p.Text(" ")
		p.argWord("COMMAND")
	}
	p.EndSection()
	help := c.Help
	if c.Detail != "" {
		help += "\n" + c.Detail
	}
	if c.Parent != nil && c.Parent.DefaultCmd == c && !strings.Contains(help, "default") {
		help += " Default when no command is given."
	}
	for i, para := range paragraphs(help) {
		if i > 0 {
			p.Paragraph()
		}
		p.Text(para)
	}
	if flags := visibleFlags(c); len(flags) > 0 {
		p.Indent(-1)
		p.flags(flags)
		p.IndentEnd()
	}
}

func (p *page) flags(flags []*kong.Flag) {
	for _, f := range flags {
		p.TaggedParagraph(-1)
		if f.Short != 0 {
			p.TextBold("-" + string(f.Short))
			p.Text(", ")
		}
		p.TextBold("--" + f.Name)
		if !f.IsBool() && !f.IsCounter() {
			p.Text(" ")
			p.TextItalic(placeholder(f))
		}
		p.EndSection()
		help := f.Help
		if f.HasDefault && f.Default != "" {
			help += " Default: " + f.Default + "."
		}
		if len(f.Envs) > 0 {
			help += " Environment: $" + strings.Join(f.Envs, ", $") + "."
		}
		p.Text(oneParagraph(help))
	}
}

func (p *page) sendmailSection(name string) {
	p.Section("Sendmail compatibility")
	p.Text("Run as sendmail (a link named sendmail, or " + name + " sendmail), " + name +
		" reads an RFC 5322 message on standard input and takes the flags of sendmail(8) and Postfix's sendmail(1), spelled as they spell them: clustered (-ti), with attached arguments (-fADDR, -FName, -q30m) or separate ones. Option parsing stops at the first recipient. Missing Date, Message-ID and From headers are added; a leading mbox \"From \" line is dropped; LF, CRLF and bare CR line endings all become CRLF. Recipients without a domain (root, www-data) go through [aliases], then default_domain. An unknown flag is a usage error (64) naming it. Run as mailq it lists the queue; as newaliases it does nothing and says so (aliases live in the config file).")
	for _, f := range sendmail.Flags {
		p.TaggedParagraph(-1)
		switch f.Arg {
		case sendmail.ArgRequired:
			p.TextBold(f.Name)
			p.Text(" ")
			p.TextItalic(f.ArgName)
		case sendmail.ArgOptional:
			p.TextBold(f.Name)
			p.Text("[")
			p.TextItalic(f.ArgName)
			p.Text("]")
		default:
			p.TextBold(f.Name)
		}
		p.EndSection()
		p.Text(oneParagraph(f.Effect))
	}
	p.sendmailBSSection()
}

// sendmailBSSection documents sendmail -bs (issue 14).
func (p *page) sendmailBSSection() {
	p.Section("Sendmail -bs")
	p.Text("With -bs, outbox answers an SMTP client on standard input and output, with no network, no AUTH and no STARTTLS: the 220 greeting; HELO or EHLO (offering PIPELINING, 8BITMIME, SMTPUTF8, SIZE, DSN, ENHANCEDSTATUSCODES, CHUNKING); MAIL (SIZE, BODY, SMTPUTF8, RET, ENVID); RCPT (NOTIFY; ORCPT is accepted and not passed on); DATA or BDAT; RSET, NOOP, VRFY (252) and QUIT (221); as many transactions as the client likes. Commands may end in LF; the message ends only at CRLF.CRLF. RCPT TO needs an address with a domain (RCPT TO:<root>, and <postmaster> too, get 501 from go-smtp's parser). Each message is handled as sendmail -t would handle it, with the envelope from MAIL and RCPT: Date, Message-ID and From are added when missing, Bcc is removed from the header, 8-bit content is carried as such, and in system mode the message goes to the maildrop.")
	p.Paragraph()
	p.Text("The reply to the final dot is 250 \"Ok: queued as ID\" only once the smarthost has accepted the message or it is committed to the queue (or the maildrop); when the smarthost can't be reached the reply is still 250, saying the message waits in the queue. A permanent refusal by the smarthost is passed on as the reply (its code and text) and the message is kept in the failed queue, as with -t, for outbox queue retry ID after the cause is fixed. When only some recipients were refused, the reply is 250 and says so: the others have the message; the refused ones are in the failed queue.")
	p.Paragraph()
	p.Text("Bad input gets an SMTP reply, never a crash or a hang: an unknown command 500, HELP, EXPN, AUTH and STARTTLS 502, a command out of sequence 503 (RFC 5321 4.2.4: MAIL before HELO or EHLO, RCPT before MAIL, DATA before RCPT, a second MAIL), a syntax error 501, a line over 1 MiB 500 (and the session ends), a message over the SIZE limit (64 MiB) 552 with nothing kept. After five minutes without input (RFC 5321 4.5.3.2.7) the reply is 421 and outbox exits 75. Input that ends inside DATA drops that message and keeps every earlier one (exit 65). After QUIT, when the input ends between commands, or after the fourth bad command (go-smtp then says 500 and ends the session), the exit status is 0. A client that closes its end of the pipe before reading a reply ends the session there: what was accepted is kept, and the exit status is 74. Warnings about the command line (an ignored -X) come on standard error after the session, never before the greeting.")
}

func (p *page) configSection() {
	p.Section("Configuration")
	p.Text("A TOML file, the first found of: --config (sendmail -C), $OUTBOX_CONFIG, $XDG_CONFIG_HOME/outbox/config.toml (~/.config/outbox/config.toml), /etc/outbox/config.toml. An unknown key or a bad value is an error (78) naming the file, line and key. With no config file at all, messages wait in the queue and outbox says how to set it up (outbox config init). For example:")
	// "\&" keeps the example's empty lines: String drops empty lines.
	p.raw(".PP\n.RS 4\n.nf\n" + strings.ReplaceAll(esc(exampleConfig), "\n\n", "\n\\&\n") + "\n.fi\n.RE")
	p.Paragraph()
	p.Text("Top-level keys:")
	p.itemList(ConfigKeys)
	p.Paragraph()
	p.Text("Keys of an [accounts.NAME] table:")
	p.itemList(AccountKeys)
	p.Paragraph()
	p.Text("The password is taken from the first source that has one: $OUTBOX_PASSWORD, password (in a 0600 file), password_command, password_file, the systemd credential $CREDENTIALS_DIRECTORY/outbox-NAME, for root the encrypted credential /etc/credstore.encrypted/outbox-NAME (decrypted with systemd-creds decrypt), the OS keyring (service \"outbox\", user USERNAME@HOST; see outbox password set). When none has it and AUTH is needed, the error names every source tried. outbox config init stores a typed password in the keyring when it works, else (root with systemd-creds) in the encrypted credential, else in a password_file beside the config, and says which; --password-store keyring|systemd-creds|file|none chooses.")
}

const exampleConfig = `default_account = "work"
default_domain  = "example.com"

[aliases]
root    = "ops@example.com"
default = "ops@example.com"

[accounts.work]
host     = "smtp.example.com"
port     = 587
tls      = "starttls"
username = "me@example.com"
password_command = ["pass", "show", "smtp/work"]
from     = "Me <me@example.com>"`

func (p *page) items(section string, items []Item) {
	p.Section(section)
	p.itemList(items)
}

func (p *page) itemList(items []Item) {
	for _, it := range items {
		p.TaggedParagraph(-1)
		p.TextBold(it.Term)
		p.EndSection()
		p.Text(it.Text)
	}
}

// envItems is Environment plus the env:"" variables of flags that it does
// not list yet.
func envItems(app *kong.Application) []Item {
	out := append([]Item(nil), Environment...)
	seen := map[string]bool{}
	for _, it := range out {
		seen[it.Term] = true
	}
	_ = kong.Visit(app.Node, func(n kong.Visitable, next kong.Next) error {
		if nd, ok := n.(*kong.Node); ok && !nd.Hidden {
			for _, f := range nd.Flags {
				for _, e := range f.Envs {
					if !seen[e] && !f.Hidden {
						seen[e] = true
						out = append(out, Item{e, "Same as --" + f.Name + "."})
					}
				}
			}
		}
		return next(nil)
	})
	return out
}

func visibleFlags(n *kong.Node) []*kong.Flag {
	var out []*kong.Flag
	for _, f := range n.Flags {
		if !f.Hidden {
			out = append(out, f)
		}
	}
	return out
}

// positionals are a command's arguments as synopsis words: ID, [ADDR...].
func positionals(n *kong.Node) []string {
	var out []string
	for _, a := range n.Positional {
		name := strings.ToUpper(a.Name)
		if a.Tag != nil && a.Tag.PlaceHolder != "" {
			name = a.Tag.PlaceHolder
		}
		if a.IsCumulative() {
			name += "..."
		}
		if !a.Required {
			name = "[" + name + "]"
		}
		out = append(out, name)
	}
	return out
}

func placeholder(f *kong.Flag) string {
	if f.PlaceHolder != "" {
		return f.PlaceHolder
	}
	return strings.TrimSuffix(f.FormatPlaceHolder(), ",...")
}

// splitDescription separates kong's description into prose and the
// commands listed under its "Examples:" line.
func splitDescription(s string) (desc string, examples []string) {
	desc, ex, found := strings.Cut(s, "\nExamples:")
	if !found {
		return strings.TrimSpace(s), nil
	}
	for _, l := range strings.Split(ex, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			examples = append(examples, l)
		}
	}
	return strings.TrimSpace(desc), examples
}

// paragraphs splits help text at blank lines and joins the lines of each
// paragraph (roff.Document's Text starts a new paragraph at every newline).
func paragraphs(s string) []string {
	var out []string
	for _, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if para = oneParagraph(para); para != "" {
			out = append(out, para)
		}
	}
	return out
}

func oneParagraph(s string) string { return strings.Join(strings.Fields(s), " ") }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// esc makes text safe as roff input lines: backslashes are printed, and a
// line can't start a request with "." or "'".
func esc(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}
