package sendmail

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// deliver returns the default Invocation with f applied, to keep rows short.
func deliver(f func(*Invocation)) *Invocation {
	inv := &Invocation{Mode: ModeDeliver}
	if f != nil {
		f(inv)
	}
	return inv
}

// Real callers' exact argv, from shared/research/sendmail-compat.md.
func TestParseCallers(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want *Invocation
	}{
		{"cronie", []string{"-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"},
			deliver(func(v *Invocation) {
				v.FullName, v.IgnoreDots, v.ExtractRecipients, v.From, v.FromSet = "CronDaemon", true, true, "root", true
			})},
		{"debian cron", []string{"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"},
			deliver(func(v *Invocation) {
				v.FullName, v.IgnoreDots, v.BodyType, v.Recipients = "CronDaemon", true, "8BITMIME", []string{"root"}
			})},
		{"php mail()", []string{"-t", "-i"},
			deliver(func(v *Invocation) { v.ExtractRecipients, v.IgnoreDots = true, true })},
		{"php mail() with -f", []string{"-t", "-i", "-f", "www@x"},
			deliver(func(v *Invocation) { v.ExtractRecipients, v.IgnoreDots, v.From, v.FromSet = true, true, "www@x", true })},
		{"git send-email", []string{"-i", "-f", "me@x", "a@y", "b@z"},
			deliver(func(v *Invocation) {
				v.IgnoreDots, v.From, v.FromSet, v.Recipients = true, "me@x", true, []string{"a@y", "b@z"}
			})},
		{"mutt", []string{"-oem", "-oi", "-f", "me@x", "-N", "success,failure", "--", "a@y"},
			deliver(func(v *Invocation) {
				v.IgnoreDots, v.From, v.FromSet, v.Notify, v.Recipients = true, "me@x", true, []string{"SUCCESS", "FAILURE"}, []string{"a@y"}
			})},
		{"ruby mail gem", []string{"-i", "-f", "me", "--", "a", "b"},
			deliver(func(v *Invocation) {
				v.IgnoreDots, v.From, v.FromSet, v.Recipients = true, "me", true, []string{"a", "b"}
			})},
		{"mailx", []string{"-i", "--", "a"},
			deliver(func(v *Invocation) { v.IgnoreDots, v.Recipients = true, []string{"a"} })},
		{"logwatch, mdadm", []string{"-t"},
			deliver(func(v *Invocation) { v.ExtractRecipients = true })},
		{"unattended-upgrades", []string{"-oi", "-t"},
			deliver(func(v *Invocation) { v.IgnoreDots, v.ExtractRecipients = true, true })},
		{"no arguments", nil, deliver(nil)},
		{"-q", []string{"-q"}, &Invocation{Mode: ModeFlush}},
		{"-q30m", []string{"-q30m"}, &Invocation{Mode: ModeFlush}},
		{"-qRsite", []string{"-qRexample.com"}, &Invocation{Mode: ModeFlush}},
		{"-qI -qS", []string{"-qI01J", "-qSx"}, &Invocation{Mode: ModeFlush}},
		{"-bp", []string{"-bp"}, &Invocation{Mode: ModeQueueList}},
		{"-bi", []string{"-bi"}, &Invocation{Mode: ModeNewAliases}},
		{"-I", []string{"-I"}, &Invocation{Mode: ModeNewAliases}},
		{"-bs", []string{"-bs"}, &Invocation{Mode: ModeSMTP}},
		{"-bv", []string{"-bv", "root"}, &Invocation{Mode: ModeVerify, Recipients: []string{"root"}}},
		{"-bm explicit", []string{"-bm", "a@x"}, deliver(func(v *Invocation) { v.Recipients = []string{"a@x"} })},
		{"-b m separate", []string{"-b", "m", "a@x"}, deliver(func(v *Invocation) { v.Recipients = []string{"a@x"} })},
		{"last mode wins", []string{"-bp", "-bm"}, deliver(nil)},
		{"-X warns and does nothing else", []string{"-X", "/var/www/x.php", "-t"},
			deliver(func(v *Invocation) {
				v.ExtractRecipients = true
				v.Warnings = []string{"-X /var/www/x.php ignored: outbox never writes a traffic log"}
			})},
		{"-X attached", []string{"-X/var/www/x.php"},
			deliver(func(v *Invocation) {
				v.Warnings = []string{"-X /var/www/x.php ignored: outbox never writes a traffic log"}
			})},
		{"-XV is VERP", []string{"-XV"},
			deliver(func(v *Invocation) {
				v.Warnings = []string{"-XV ignored: outbox does not do VERP; the envelope sender is used as given"}
			})},

		// PHPMailer CVE-2016-10033: the sender reaches argv as ONE word.
		{"injection: attached -f is one sender", []string{`-fx\" -X/var/www/shell.php`, "-t"},
			deliver(func(v *Invocation) {
				v.From, v.FromSet, v.ExtractRecipients = `x\" -X/var/www/shell.php`, true, true
			})},
		{"injection: separate -f is one sender", []string{"-f", `"x\" -X/var/www/shell.php"`, "-t", "-i"},
			deliver(func(v *Invocation) {
				v.From, v.FromSet, v.ExtractRecipients, v.IgnoreDots = `"x\" -X/var/www/shell.php"`, true, true, true
			})},
		// ... and when a shell did split it, -X still writes nothing.
		{"injection: shell-split -X only warns", []string{`-fx\"`, "-X/var/www/shell.php", "-t"},
			deliver(func(v *Invocation) {
				v.From, v.FromSet, v.ExtractRecipients = `x\"`, true, true
				v.Warnings = []string{"-X /var/www/shell.php ignored: outbox never writes a traffic log"}
			})},
		{"after --, -rfoo is a recipient", []string{"--", "-rfoo"},
			deliver(func(v *Invocation) { v.Recipients = []string{"-rfoo"} })},
		{"after the first recipient, words are recipients", []string{"a@x", "-X/var/www/shell.php", "-t"},
			deliver(func(v *Invocation) { v.Recipients = []string{"a@x", "-X/var/www/shell.php", "-t"} })},
		{"only the first -- ends options", []string{"--", "--", "a"},
			deliver(func(v *Invocation) { v.Recipients = []string{"--", "a"} })},
		{"lone - is a recipient and ends options", []string{"-", "-t"},
			deliver(func(v *Invocation) { v.Recipients = []string{"-", "-t"} })},

		// getopt forms.
		{"cluster -ti", []string{"-ti"}, deliver(func(v *Invocation) { v.ExtractRecipients, v.IgnoreDots = true, true })},
		{"cluster -it", []string{"-it"}, deliver(func(v *Invocation) { v.ExtractRecipients, v.IgnoreDots = true, true })},
		{"cluster ending in -f takes the rest", []string{"-tfaddr@x"},
			deliver(func(v *Invocation) { v.ExtractRecipients, v.From, v.FromSet = true, "addr@x", true })},
		{"cluster ending in -f takes the next word", []string{"-tif", "addr@x"},
			deliver(func(v *Invocation) { v.ExtractRecipients, v.IgnoreDots, v.From, v.FromSet = true, true, "addr@x", true })},
		{"cluster with -oi", []string{"-toi"}, deliver(func(v *Invocation) { v.ExtractRecipients, v.IgnoreDots = true, true })},
		{"-o i separate", []string{"-o", "i"}, deliver(func(v *Invocation) { v.IgnoreDots = true })},
		{"-oiX still -oi (Postfix reads *optarg)", []string{"-oitrue"}, deliver(func(v *Invocation) { v.IgnoreDots = true })},
		{"required arg may start with -", []string{"-f", "-t"},
			deliver(func(v *Invocation) { v.From, v.FromSet = "-t", true })},
		{"-r is -f", []string{"-r", "a@x"}, deliver(func(v *Invocation) { v.From, v.FromSet = "a@x", true })},
		{"-rADDR", []string{"-ra@x"}, deliver(func(v *Invocation) { v.From, v.FromSet = "a@x", true })},
		{"null sender <>", []string{"-f", "<>"}, deliver(func(v *Invocation) { v.FromSet = true })},
		{"null sender -f<>", []string{"-f<>"}, deliver(func(v *Invocation) { v.FromSet = true })},
		{"null sender empty word", []string{"-f", ""}, deliver(func(v *Invocation) { v.FromSet = true })},
		{"-F empty word", []string{"-F", "", "a"}, deliver(func(v *Invocation) { v.Recipients = []string{"a"} })},
		{"-F NAME", []string{"-F", "Cron Daemon"}, deliver(func(v *Invocation) { v.FullName = "Cron Daemon" })},

		// Values.
		{"-N never", []string{"-N", "never"}, deliver(func(v *Invocation) { v.Notify = []string{"NEVER"} })},
		{"-Nnever", []string{"-Nnever"}, deliver(func(v *Invocation) { v.Notify = []string{"NEVER"} })},
		{"-N all three, spaces, case, dups", []string{"-N", "Delay, FAILURE,success,delay"},
			deliver(func(v *Invocation) { v.Notify = []string{"DELAY", "FAILURE", "SUCCESS"} })},
		{"-R hdrs", []string{"-R", "hdrs"}, deliver(func(v *Invocation) { v.Ret = "HDRS" })},
		{"-RFULL", []string{"-RFULL"}, deliver(func(v *Invocation) { v.Ret = "FULL" })},
		{"-V", []string{"-V", "abc+123"}, deliver(func(v *Invocation) { v.EnvID = "abc+123" })},
		{"-Vattached", []string{"-Vq1"}, deliver(func(v *Invocation) { v.EnvID = "q1" })},
		{"-B 7bit any case", []string{"-B", "7bit"}, deliver(func(v *Invocation) { v.BodyType = "7BIT" })},
		{"-B8bitmime", []string{"-B8bitmime"}, deliver(func(v *Invocation) { v.BodyType = "8BITMIME" })},
		{"-C", []string{"-C", "/etc/outbox/other.toml"}, deliver(func(v *Invocation) { v.Config = "/etc/outbox/other.toml" })},
		{"-CFILE", []string{"-C/x.toml"}, deliver(func(v *Invocation) { v.Config = "/x.toml" })},
		{"-v", []string{"-v", "-v"}, deliver(func(v *Invocation) { v.Verbose = true })},

		// Accepted and ignored.
		{"ignored legacy flags", []string{"-L", "tag", "-G", "-U", "-em", "-ep", "-eq", "-ew", "-h", "5", "-h5", "-n", "-m", "-O", "X=y", "-Am", "-c", "-x", "-odb", "-oQ/var/q", "-or0s", "-oee", "-oep", "-om", "-o7", "-pesmtp:h", "a"},
			deliver(func(v *Invocation) { v.Recipients = []string{"a"} })},
		{"-GUm cluster", []string{"-GUmnt"}, deliver(func(v *Invocation) { v.ExtractRecipients = true })},

		// Recipient lists.
		{"comma list", []string{"a@x, b@y", "c@z"},
			deliver(func(v *Invocation) { v.Recipients = []string{"a@x", "b@y", "c@z"} })},
		{"commas in quotes, comments, angles", []string{`"Doe, John" <j@x>, (a, b) k@x, <@r1,@r2:m@x>, ,`},
			deliver(func(v *Invocation) { v.Recipients = []string{`"Doe, John" <j@x>`, "(a, b) k@x", "<@r1,@r2:m@x>"} })},
		{"escaped quote in quoted string", []string{`"a\",b" <q@x>,r@x`},
			deliver(func(v *Invocation) { v.Recipients = []string{`"a\",b" <q@x>`, "r@x"} })},
		{"empty recipient word dropped", []string{"--", "", " ", "a"},
			deliver(func(v *Invocation) { v.Recipients = []string{"a"} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.args)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.args, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		flag string // UsageError.Flag
		msg  string // substring of Error()
	}{
		{"unknown -k", []string{"-k"}, "-k", "sendmail: unknown option -k (see outbox man, SENDMAIL COMPATIBILITY)"},
		{"unknown in a cluster", []string{"-tk"}, "-k", "unknown option -k"},
		{"unknown non-ASCII", []string{"-é"}, "-é", "unknown option -é"},
		{"unknown control byte is quoted", []string{"-\x1b[2J"}, "-\x1b", `unknown option "-\x1b"`},
		{"long option", []string{"--help"}, "--help", "unknown option --help"},
		{"-N bogus", []string{"-N", "bogus"}, "-N", "sendmail: -N bogus: bogus is not a notify value; use never, or a comma list of success, failure, delay"},
		{"-N never with others", []string{"-Nnever,success"}, "-N", "never can't be combined"},
		{"-N empty", []string{"-N", ""}, "-N", "empty value"},
		{"-N trailing comma", []string{"-N", "success,"}, "-N", "empty value"},
		{"-B 9BIT", []string{"-B", "9BIT"}, "-B", "-B needs 7BIT or 8BITMIME, not 9BIT"},
		{"-R bad", []string{"-R", "some"}, "-R", "-R needs full or hdrs"},
		{"-V space", []string{"-V", "a b"}, "-V", "printable ASCII"},
		{"-V too long", []string{"-V", strings.Repeat("x", 101)}, "-V", "1 to 100 characters"},
		{"-V empty", []string{"-V", ""}, "-V", "1 to 100 characters"},
		{"missing -f argument", []string{"-t", "-f"}, "-f", "option -f needs an argument: -f ADDR"},
		{"missing -o argument", []string{"-o"}, "-o", "option -o needs an argument"},
		{"missing -b argument", []string{"-b"}, "-b", "option -b needs an argument"},
		{"empty -b", []string{"-b", ""}, "-b", "option -b needs a mode letter"},
		{"unknown mode", []string{"-bz"}, "-bz", "unknown mode -bz"},
		{"-bd", []string{"-bd"}, "-bd", "-bd (daemon mode) is not supported"},
		{"-bD", []string{"-bD"}, "-bD", "not supported"},
		{"-bt", []string{"-bt"}, "-bt", "not supported"},
		{"-bh", []string{"-bh"}, "-bh", "not supported"},
		{"-t with -bp", []string{"-t", "-bp"}, "-t", "-t can't be used with -bp"},
		{"-t with -q", []string{"-q", "-t"}, "-t", "-t can't be used with -q"},
		{"-bp with recipients", []string{"-bp", "a@x"}, "-bp", "-bp takes no recipients"},
		{"-q with recipients", []string{"-q30m", "a@x"}, "-q", "-q takes no recipients"},
		{"-bi with recipients", []string{"-bi", "--", "a"}, "-bi", "takes no recipients"},
		{"-bs with recipients", []string{"-bs", "a"}, "-bs", "takes no recipients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse(tt.args)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) = %+v, %v; want *UsageError", tt.args, inv, err)
			}
			if inv != nil {
				t.Errorf("Parse(%q) returned an Invocation with its error", tt.args)
			}
			if ue.Flag != tt.flag {
				t.Errorf("Flag = %q, want %q", ue.Flag, tt.flag)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Error() = %q, want it to contain %q", err.Error(), tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "sendmail: ") || strings.ContainsAny(err.Error(), "\r\n\x1b") {
				t.Errorf("Error() = %q: want one clean line starting with \"sendmail: \"", err.Error())
			}
		})
	}
}

func TestFlagsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Flags {
		if strings.TrimSpace(f.Effect) == "" {
			t.Errorf("%s: empty Effect", f.Name)
		}
		if seen[f.Name] {
			t.Errorf("%s: listed twice", f.Name)
		}
		seen[f.Name] = true
		if (f.Arg == ArgNone) != (f.ArgName == "") {
			t.Errorf("%s: Arg %v but ArgName %q", f.Name, f.Arg, f.ArgName)
		}
		if f.Name != "--" && f.apply == nil {
			t.Errorf("%s: no action", f.Name)
		}
	}
	// Every letter of Postfix's getopt string (sendmail.c GETOPT_LIST) is
	// known, with the same argument-ness, except -q (attached only, see
	// the ArgOptional comment).
	const postfix = "A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx"
	for i := 0; i < len(postfix); i++ {
		c := postfix[i]
		if c == ':' {
			continue
		}
		l := letters[c]
		if l == nil {
			t.Errorf("-%c: in Postfix's option string but not in Flags", c)
			continue
		}
		want := ArgNone
		if i+1 < len(postfix) && postfix[i+1] == ':' {
			want = ArgRequired
		}
		if c == 'q' {
			want = ArgOptional
		}
		if got := l.takesArg(); got != want {
			t.Errorf("-%c: takes %v, Postfix %v", c, got, want)
		}
	}
	for _, tt := range []struct{ name, want string }{{"-f", "-f ADDR"}, {"-q", "-q[TIME]"}, {"-bm", "-bm"}, {"-t", "-t"}} {
		for _, f := range Flags {
			if f.Name == tt.name && f.Synopsis() != tt.want {
				t.Errorf("%s Synopsis = %q, want %q", tt.name, f.Synopsis(), tt.want)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"-FCronDaemon\x00-i\x00-odi\x00-oem\x00-oi\x00-t\x00-f\x00root",
		"-oem\x00-oi\x00-f\x00me@x\x00-N\x00success,failure\x00--\x00a@y",
		"-tfaddr\x00\"a, b\" <c@d>, e@f",
		"-q30m", "-bp", "-X\x00/var/www/x.php", "-", "--\x00-rfoo", "-N", "-b", "-\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		inv, err := Parse(args)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) || inv != nil {
				t.Fatalf("Parse(%q) = %v, %v; want only a *UsageError", args, inv, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err.Error())
			}
			return
		}
		switch inv.Mode {
		case ModeDeliver, ModeQueueList, ModeNewAliases, ModeFlush, ModeSMTP, ModeVerify:
		default:
			t.Fatalf("Parse(%q): unknown mode %q", args, inv.Mode)
		}
		for _, r := range inv.Recipients {
			if r == "" {
				t.Fatalf("Parse(%q): empty recipient", args)
			}
			found := false
			for _, a := range args {
				found = found || strings.Contains(a, r)
			}
			if !found {
				t.Fatalf("Parse(%q): recipient %q is in no argument", args, r)
			}
		}
	})
}
