package sendmail

// Command-line grammar, and why (evidence: postfix/src/sendmail/sendmail.c
// and postfix/src/util/sys_defs.h):
//
//   - Postfix parses with getopt(3) and the option string
//     "A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx"; on Linux sys_defs.h
//     defines PREPEND_PLUS_TO_OPTSTRING, so GETOPT passes "+..." and glibc
//     works in POSIX mode: option parsing STOPS at the first word that is
//     not an option. Every later word is a recipient, even "-X/var/www/x".
//     We do the same. It is also the safe reading against argument injection
//     (PHPMailer CVE-2016-10033, SwiftMailer CVE-2016-10074, Roundcube
//     CVE-2016-9920): a word can only become a flag while we are still in
//     front of the first recipient.
//   - Boolean letters cluster ("-ti" = -t -i). A letter that takes an
//     argument takes the rest of its word ("-fADDR", "-tfADDR") or else the
//     whole next word, whatever it looks like ("-f -X" sets the sender to
//     "-X"; "-F ''" sets an empty full name). So "-o i" is the same as "-oi":
//     that is what getopt does with "o:", and Postfix accepts it.
//   - "--" ends the options; it is not a recipient.
//   - A lone "-" is a recipient: POSIX getopt treats "-" as an operand and
//     stops there, and Postfix passes it on as an address. Address
//     validation later refuses it.
//   - "-q" is special in Postfix (it is "q:" for getopt, but a bare "-q" is
//     matched before getopt runs). Here -q's argument is optional and only
//     ever attached (-q30m, -qRsite); "-q" never takes the next word.
//   - -b and -o select by the FIRST character of their argument, as Postfix
//     does (switch (*optarg)): "-oi" and "-oiX" both mean "ignore dots",
//     "-bp" lists the queue.
//
// Where outbox deliberately differs from Postfix, the row's Effect says so:
// -n, -X, -qS are accepted (Postfix refuses them), -R means DSN RET as in
// sendmail 8 (Postfix ignores it), and bad -N, -R, -V, -B values are errors
// (Postfix warns and goes on for -N and -V) because a silently dropped DSN
// request is worse than a clear exit 64.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Modes of operation, the values of Invocation.Mode.
const (
	ModeDeliver    = "deliver"    // -bm (default): read a message on stdin and send it
	ModeQueueList  = "queue-list" // -bp: list the queue, as mailq
	ModeNewAliases = "newaliases" // -bi, -I: nothing to rebuild
	ModeFlush      = "flush"      // -q...: run the queue once
	ModeSMTP       = "smtp"       // -bs: SMTP dialogue on stdin/stdout
	ModeVerify     = "verify"     // -bv: resolve recipients, send nothing
)

// Invocation is a parsed sendmail command line.
type Invocation struct {
	Mode              string   // one of the Mode constants
	ExtractRecipients bool     // -t
	IgnoreDots        bool     // -i, -oi
	From              string   // -f/-r; "" with FromSet means the null sender <>
	FromSet           bool     // -f or -r was given
	FullName          string   // -F
	Verbose           bool     // -v
	Notify            []string // -N: "NEVER", or some of "SUCCESS", "FAILURE", "DELAY"
	Ret               string   // -R: "FULL" or "HDRS"
	EnvID             string   // -V
	BodyType          string   // -B: "7BIT" or "8BITMIME"
	Config            string   // -C
	Warnings          []string // things the caller asked for that outbox ignores on purpose
	Recipients        []string // operands, comma lists split; after "--" everything
}

// UsageError is a command line outbox can't honour (exit 64, EX_USAGE).
type UsageError struct {
	Flag string // the option as written, e.g. "-k", "-bd", "-N"
	Msg  string // one line for people, without the "sendmail: " prefix
}

func (e *UsageError) Error() string { return "sendmail: " + e.Msg }

// ArgKind says whether and how a flag takes an argument.
type ArgKind int

const (
	// ArgNone: a switch; it may be clustered with others ("-ti").
	ArgNone ArgKind = iota
	// ArgRequired: attached ("-fADDR") or the whole next word ("-f ADDR").
	ArgRequired
	// ArgOptional: attached only ("-q30m"); a bare "-q" never takes the
	// next word. (getopt has no separate optional arguments, so "optional"
	// and "attached-only" are the same thing here.)
	ArgOptional
)

// Flag is one row of the sendmail command-line table. Rows whose Name has a
// letter after the option letter ("-bm", "-oi") are selected by the first
// character of that option's argument.
type Flag struct {
	Name    string  // as written: "-t", "-f", "-bm", "-oi", "--"
	Arg     ArgKind // ArgNone for "-bm"-style rows: the letter is the argument
	ArgName string  // placeholder in the synopsis: "ADDR", "FILE"
	Effect  string  // one or two sentences for the man page

	apply func(p *parser, arg string) error
}

// Synopsis is how the flag is written in usage text: "-f ADDR", "-q[TIME]".
func (f Flag) Synopsis() string {
	switch f.Arg {
	case ArgRequired:
		return f.Name + " " + f.ArgName
	case ArgOptional:
		return f.Name + "[" + f.ArgName + "]"
	}
	return f.Name
}

// Flags is every option outbox's sendmail accepts, in man-page order.
var Flags = []Flag{
	// Message and envelope.
	{Name: "-t", Effect: "Take recipients from the To:, Cc: and Bcc: headers (only the Resent- ones when present) and remove Bcc: before sending. Recipients given as arguments are added to them, as Postfix does.",
		apply: func(p *parser, _ string) error { p.inv.ExtractRecipients = true; return nil }},
	{Name: "-i", Effect: "A line with a single dot is message text, not the end of input; input ends at end of file. Without -i (or -oi) a lone dot line ends the message.",
		apply: ignoreDots},
	{Name: "-oi", Effect: "Same as -i.",
		apply: ignoreDots},
	{Name: "-f", Arg: ArgRequired, ArgName: "ADDR", Effect: "Envelope sender (SMTP MAIL FROM), where bounces go. \"<>\" or an empty argument means the null sender. Also written -fADDR.",
		apply: setFrom},
	{Name: "-r", Arg: ArgRequired, ArgName: "ADDR", Effect: "Same as -f (the old spelling).",
		apply: setFrom},
	{Name: "-F", Arg: ArgRequired, ArgName: "NAME", Effect: "Full name for the From: header that outbox adds when the message has none. May be empty. Also written -FNAME.",
		apply: func(p *parser, arg string) error { p.inv.FullName = arg; return nil }},
	{Name: "-B", Arg: ArgRequired, ArgName: "TYPE", Effect: "Body type, 7BIT or 8BITMIME (any case). 8BITMIME asks for BODY=8BITMIME (RFC 6152); the send fails clearly if the server does not offer it.",
		apply: setBodyType},
	{Name: "-N", Arg: ArgRequired, ArgName: "DSN", Effect: "Delivery status notifications (RFC 3461 §4.1 NOTIFY): never, or a comma list of success, failure, delay. Used when the server offers DSN.",
		apply: setNotify},
	{Name: "-R", Arg: ArgRequired, ArgName: "RET", Effect: "What a bounce returns (RFC 3461 §4.3 RET): full or hdrs, as in sendmail 8 (Postfix ignores -R). Used when the server offers DSN.",
		apply: setRet},
	{Name: "-V", Arg: ArgRequired, ArgName: "ENVID", Effect: "Envelope ID for DSNs (RFC 3461 §4.4 ENVID): printable ASCII without spaces, at most 100 characters. Used when the server offers DSN.",
		apply: setEnvID},
	{Name: "-v", Effect: "Verbose: write the SMTP dialogue to stderr, with AUTH data redacted.",
		apply: func(p *parser, _ string) error { p.inv.Verbose = true; return nil }},
	{Name: "-C", Arg: ArgRequired, ArgName: "FILE", Effect: "Read this outbox configuration file (not a sendmail.cf or main.cf).",
		apply: func(p *parser, arg string) error { p.inv.Config = arg; return nil }},

	// Modes. The last one given wins, as in Postfix.
	{Name: "-bm", Effect: "Read a message on stdin and send it (the default).",
		apply: setMode(ModeDeliver)},
	{Name: "-bp", Effect: "List the queue, as mailq does. Takes no recipients.",
		apply: setMode(ModeQueueList)},
	{Name: "-bs", Effect: "Hold an SMTP dialogue (RFC 5321) on stdin and stdout, as Symfony Mailer, SwiftMailer and Laravel expect by default: each message goes the way of -t, and its 250 reply, which says \"queued as ID\", comes only once the smarthost accepted it or it is safe in the queue. Takes no recipients; -f replaces MAIL FROM, -F and -C apply, -i changes nothing. See SENDMAIL -bs.",
		apply: setMode(ModeSMTP)},
	{Name: "-bi", Effect: "Rebuild the aliases database, as newaliases does: nothing to do, aliases live in the config file. Takes no recipients.",
		apply: setMode(ModeNewAliases)},
	{Name: "-I", Effect: "Same as -bi.",
		apply: setMode(ModeNewAliases)},
	{Name: "-bv", Effect: "Verify: resolve the recipients through the aliases and print them; read and send no message.",
		apply: setMode(ModeVerify)},
	{Name: "-bd", Effect: "Daemon mode: not supported, outbox sends mail and never receives it.",
		apply: unsupported("daemon mode", "outbox sends mail and never receives it")},
	{Name: "-bD", Effect: "Foreground daemon mode: not supported, as -bd.",
		apply: unsupported("daemon mode", "outbox sends mail and never receives it")},
	{Name: "-bt", Effect: "Address test mode: not supported; use -bv to see where recipients go.",
		apply: unsupported("address test mode", "use -bv to see where recipients go")},
	{Name: "-bh", Effect: "Print host status: not supported, outbox keeps no host status.",
		apply: unsupported("host status", "outbox keeps no host status")},
	{Name: "-bH", Effect: "Purge host status: not supported, as -bh.",
		apply: unsupported("host status", "outbox keeps no host status")},
	{Name: "-ba", Effect: "ARPANET mode: not supported.",
		apply: unsupported("ARPANET mode", "send the message on stdin instead")},
	{Name: "-bP", Effect: "Print queue counts: not supported; use -bp.",
		apply: unsupported("queue counts", "use -bp (mailq) to list the queue")},
	{Name: "-q", Arg: ArgOptional, ArgName: "TIME", Effect: "Try to send everything in the queue, once, now. What is attached (-q30m, -qRsite, -qIid, -qSsite) is accepted and ignored: there is no queue daemon to give an interval to, and the whole queue is tried. Takes no recipients.",
		apply: setMode(ModeFlush)},

	// Accepted and ignored, so that existing callers keep working.
	{Name: "-o", Arg: ArgRequired, ArgName: "OPTION", Effect: "Any other sendmail option (-oem, -odi, -odb, -oQdir, -or0s, -om, -o7, ...): accepted and ignored. Usually attached, but \"-o i\" works too, as with getopt.",
		apply: ignore},
	{Name: "-e", Arg: ArgRequired, ArgName: "MODE", Effect: "Error reporting mode (-em, -ep, -eq, -ew, -ee): ignored; outbox reports on stderr and through its exit status.",
		apply: ignore},
	{Name: "-X", Arg: ArgRequired, ArgName: "FILE", Effect: "Traffic log file: ignored with a warning. outbox never writes a file named on its command line (the -X of PHPMailer CVE-2016-10033).",
		apply: ignoreTrafficLog},
	{Name: "-h", Arg: ArgRequired, ArgName: "N", Effect: "Hop count: ignored.",
		apply: ignore},
	{Name: "-L", Arg: ArgRequired, ArgName: "TAG", Effect: "Syslog label: ignored.",
		apply: ignore},
	{Name: "-O", Arg: ArgRequired, ArgName: "OPTION=VALUE", Effect: "Long-form sendmail option: ignored.",
		apply: ignore},
	{Name: "-A", Arg: ArgRequired, ArgName: "X", Effect: "-Am / -Ac (which sendmail.cf to use): ignored.",
		apply: ignore},
	{Name: "-p", Arg: ArgRequired, ArgName: "PROTOCOL", Effect: "Received: protocol and host: ignored.",
		apply: ignore},
	{Name: "-G", Effect: "Relay (gateway) submission: ignored.", apply: ignore},
	{Name: "-U", Effect: "Initial user submission: ignored.", apply: ignore},
	{Name: "-m", Effect: "Also send to the sender when in an alias (\"me too\"): ignored.", apply: ignore},
	{Name: "-n", Effect: "Do not expand aliases: ignored (Postfix refuses -n; outbox accepts it).", apply: ignore},
	{Name: "-c", Effect: "Hold expensive connections: ignored.", apply: ignore},
	{Name: "-x", Effect: "Accepted by Postfix for compatibility: ignored.", apply: ignore},

	{Name: "--", Effect: "End of options: every later argument is a recipient, even one that starts with \"-\". Options also end at the first recipient, so a word after it is never an option."},
}

// letter is what the getopt loop knows about one option letter.
type letter struct {
	flag *Flag          // the two-character row ("-f"), or the fallback ("-o")
	sub  map[byte]*Flag // selector rows ("-bm", "-oi") by argument's first byte
}

// letters indexes Flags by option letter; built once from the table so the
// table stays the only place a flag is described.
var letters = indexFlags(Flags)

func indexFlags(flags []Flag) map[byte]*letter {
	idx := make(map[byte]*letter)
	get := func(c byte) *letter {
		if idx[c] == nil {
			idx[c] = &letter{sub: map[byte]*Flag{}}
		}
		return idx[c]
	}
	for i := range flags {
		f := &flags[i]
		if f.Name == "--" {
			continue // handled by the loop itself
		}
		if len(f.Name) < 2 || len(f.Name) > 3 || f.Name[0] != '-' || f.apply == nil {
			panic("sendmail: malformed Flags row " + f.Name)
		}
		l := get(f.Name[1])
		if len(f.Name) == 3 {
			l.sub[f.Name[2]] = f
		} else {
			l.flag = f
		}
	}
	return idx
}

// takesArg reports how letter l reads its argument: a letter with
// selector rows ("-b", "-o") always needs one.
func (l *letter) takesArg() ArgKind {
	if l.flag != nil {
		if len(l.sub) > 0 && l.flag.Arg == ArgNone {
			return ArgRequired
		}
		return l.flag.Arg
	}
	return ArgRequired
}

const seeMan = "(see outbox man, SENDMAIL COMPATIBILITY)"

type parser struct {
	inv      *Invocation
	cur      string // the option being applied, as written, for messages
	modeFlag string // the option that set inv.Mode
}

// Parse parses a sendmail command line (without argv[0]).
// A command line outbox cannot honour returns a *UsageError.
func Parse(args []string) (*Invocation, error) {
	p := &parser{inv: &Invocation{Mode: ModeDeliver}}
	i := 0
options:
	for i < len(args) {
		w := args[i]
		switch {
		case w == "--":
			i++
			break options
		case len(w) < 2 || w[0] != '-':
			break options // first recipient (or a lone "-"): options end here
		case strings.HasPrefix(w, "--"):
			return nil, &UsageError{Flag: w, Msg: "unknown option " + shown(w) + " " + seeMan}
		}
		i++
		for j := 1; j < len(w); {
			c := w[j]
			l := letters[c]
			if l == nil {
				r, _ := utf8.DecodeRuneInString(w[j:])
				name := "-" + string(r)
				if r == utf8.RuneError {
					name = "-" + w[j:j+1]
				}
				return nil, &UsageError{Flag: name, Msg: "unknown option " + shown(name) + " " + seeMan}
			}
			j++
			var arg string
			switch l.takesArg() {
			case ArgOptional:
				arg, j = w[j:], len(w)
			case ArgRequired:
				switch {
				case j < len(w):
					arg, j = w[j:], len(w)
				case i < len(args):
					arg = args[i]
					i++
				default:
					return nil, missingArg(c, l)
				}
			}
			if err := p.apply(c, l, arg); err != nil {
				return nil, err
			}
		}
	}
	for _, w := range args[i:] {
		p.inv.Recipients = append(p.inv.Recipients, splitRecipients(w)...)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p.inv, nil
}

// apply runs the row for letter c with argument arg, choosing a selector
// row by the argument's first byte when the letter has them.
func (p *parser) apply(c byte, l *letter, arg string) error {
	f := l.flag
	p.cur = "-" + string(c) + arg
	if len(l.sub) > 0 {
		if arg != "" && l.sub[arg[0]] != nil {
			f = l.sub[arg[0]]
			p.cur = f.Name
		}
		if f == nil { // only -b has no fallback row
			if arg == "" {
				return &UsageError{Flag: "-" + string(c), Msg: fmt.Sprintf("option -%c needs a mode letter, as in -%cm %s", c, c, seeMan)}
			}
			name := "-" + string(c) + firstRune(arg)
			return &UsageError{Flag: name, Msg: "unknown mode " + shown(name) + " " + seeMan}
		}
	}
	return f.apply(p, arg)
}

func missingArg(c byte, l *letter) error {
	name := "-" + string(c)
	what := "an argument"
	if l.flag != nil && l.flag.ArgName != "" {
		what = "an argument: " + l.flag.Synopsis()
	}
	return &UsageError{Flag: name, Msg: fmt.Sprintf("option %s needs %s %s", name, what, seeMan)}
}

// check refuses combinations Postfix refuses too (sendmail.c: "-t can be
// used only in delivery mode", "display queue mode requires no recipient"...).
func (p *parser) check() error {
	inv := p.inv
	if inv.ExtractRecipients && inv.Mode != ModeDeliver {
		return &UsageError{Flag: "-t", Msg: fmt.Sprintf("-t can't be used with %s: -t only works when sending a message (-bm)", p.modeFlag)}
	}
	switch inv.Mode {
	case ModeQueueList, ModeFlush, ModeNewAliases, ModeSMTP:
		if len(inv.Recipients) > 0 {
			return &UsageError{Flag: p.modeFlag, Msg: fmt.Sprintf("%s takes no recipients, but got %s; put recipients after the options of a delivery", p.modeFlag, shown(inv.Recipients[0]))}
		}
	}
	return nil
}

// The row actions.

func ignore(*parser, string) error { return nil }

func ignoreDots(p *parser, _ string) error { p.inv.IgnoreDots = true; return nil }

func setMode(mode string) func(*parser, string) error {
	return func(p *parser, _ string) error {
		p.inv.Mode, p.modeFlag = mode, p.cur
		if mode == ModeFlush {
			p.modeFlag = "-q"
		}
		return nil
	}
}

func unsupported(what, hint string) func(*parser, string) error {
	return func(p *parser, _ string) error {
		return &UsageError{Flag: p.cur, Msg: fmt.Sprintf("%s (%s) is not supported: %s", p.cur, what, hint)}
	}
}

// setFrom takes the word as given: Postfix hands it to its RFC 822
// tokenizer, and outbox's address check does the same job later. Only the
// null sender is recognised here.
func setFrom(p *parser, arg string) error {
	p.inv.FromSet = true
	p.inv.From = arg
	if t := strings.TrimSpace(arg); t == "" || t == "<>" {
		p.inv.From = ""
	}
	return nil
}

func setBodyType(p *parser, arg string) error {
	switch t := strings.ToUpper(arg); t {
	case "7BIT", "8BITMIME":
		p.inv.BodyType = t
		return nil
	}
	return &UsageError{Flag: "-B", Msg: fmt.Sprintf("-B needs 7BIT or 8BITMIME, not %s", shown(arg))}
}

// setNotify validates -N as RFC 3461 §4.1 does: NEVER alone, or any of
// SUCCESS, FAILURE, DELAY.
func setNotify(p *parser, arg string) error {
	bad := func(why string) error {
		return &UsageError{Flag: "-N", Msg: fmt.Sprintf("-N %s: %s; use never, or a comma list of success, failure, delay", shown(arg), why)}
	}
	var out []string
	for _, raw := range strings.Split(arg, ",") {
		raw = strings.TrimSpace(raw)
		v := strings.ToUpper(raw)
		switch v {
		case "NEVER", "SUCCESS", "FAILURE", "DELAY":
		case "":
			return bad("empty value")
		default:
			return bad(shown(raw) + " is not a notify value")
		}
		dup := false
		for _, o := range out {
			dup = dup || o == v
		}
		if !dup {
			out = append(out, v)
		}
	}
	for _, v := range out {
		if v == "NEVER" && len(out) > 1 {
			return bad("never can't be combined with other values")
		}
	}
	p.inv.Notify = out
	return nil
}

func setRet(p *parser, arg string) error {
	switch t := strings.ToUpper(arg); t {
	case "FULL", "HDRS":
		p.inv.Ret = t
		return nil
	}
	return &UsageError{Flag: "-R", Msg: fmt.Sprintf("-R needs full or hdrs, not %s", shown(arg))}
}

// setEnvID enforces RFC 3461 §4.4: ENVID is printable US-ASCII (the send
// side xtext-encodes it) and at most 100 characters.
func setEnvID(p *parser, arg string) error {
	if arg == "" || len(arg) > 100 {
		return &UsageError{Flag: "-V", Msg: fmt.Sprintf("-V needs an envelope ID of 1 to 100 characters, got %d", len(arg))}
	}
	for i := 0; i < len(arg); i++ {
		if arg[i] < '!' || arg[i] > '~' {
			return &UsageError{Flag: "-V", Msg: fmt.Sprintf("-V %s: an envelope ID may hold only printable ASCII without spaces", shown(arg))}
		}
	}
	p.inv.EnvID = arg
	return nil
}

func ignoreTrafficLog(p *parser, arg string) error {
	if strings.HasPrefix(arg, "V") {
		// Postfix reads -XV[xy] as VERP, not as a log file.
		p.inv.Warnings = append(p.inv.Warnings, shown("-X"+arg)+" ignored: outbox does not do VERP; the envelope sender is used as given")
		return nil
	}
	p.inv.Warnings = append(p.inv.Warnings, "-X "+shown(arg)+" ignored: outbox never writes a traffic log")
	return nil
}

// splitRecipients splits one argument at commas that are outside quoted
// strings, comments and angle brackets (RFC 5322 §3.4 address lists; Postfix
// parses each argument "as if it were an RFC 822 message header"), and trims
// each piece. Empty pieces are dropped. The pieces are otherwise raw.
func splitRecipients(w string) []string {
	var out []string
	quoted, paren, angle := false, 0, 0
	start := 0
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case (quoted || paren > 0) && c == '\\':
			i++ // quoted-pair
		case quoted:
			quoted = c != '"'
		case paren > 0:
			switch c {
			case '(':
				paren++
			case ')':
				paren--
			}
		case c == '"':
			quoted = true
		case c == '(':
			paren++
		case c == '<':
			angle++
		case c == '>' && angle > 0:
			angle--
		case c == ',' && angle == 0:
			add(w[start:i])
			start = i + 1
		}
	}
	add(w[start:])
	return out
}

// shown returns s as is when it is plain printable text, else Go-quoted, so
// that an error message never carries control characters from argv.
func shown(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// firstRune is the first character of s (one byte when s is not UTF-8).
func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}
