package man

import (
	"bytes"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

type testCLI struct {
	Config string `short:"c" placeholder:"FILE" help:"Config file."`
	Send   struct {
		To     []string `placeholder:"ADDR" help:"Recipient."`
		Secret bool     `hidden:"" help:"Not for the page."`
		Rcpts  []string `arg:"" optional:"" placeholder:"ADDR"`
	} `cmd:"" default:"withargs" help:"Send a message (the default command)."`
	Hidden struct{} `cmd:"" hidden:"" help:"Not for the page either."`
}

func TestWrite(t *testing.T) {
	k, err := kong.New(&testCLI{}, kong.Name("prog"), kong.Description("Do things.\n\nMore about it.\n\nExamples:\n  prog --to a@b.example"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, k.Model); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, w := range []string{
		".TH PROG 1 \"\"", "prog \\- do things", ".SH SYNOPSIS", ".SH COMMANDS", `\fBprog send\fP`,
		`\fB\-\-to\fP \fIADDR\fP`, ".SH SENDMAIL COMPATIBILITY", `\fB\-f\fP \fIADDR\fP`,
		".SH EXIT STATUS", ".SH EXAMPLES", `\fBprog \-\-to a@b\&.example\fP`,
	} {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	for _, w := range []string{"Not for the page", "\n\n", "\n'"} {
		if strings.Contains(page, w) {
			t.Errorf("page contains %q", w)
		}
	}
	for _, r := range page {
		if r >= 0x80 {
			t.Fatalf("page contains non-ASCII %q", r)
		}
	}
}
