package completions

import (
	"bytes"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

type testCLI struct {
	Config string `short:"c" type:"path"`
	Send   struct {
		Account string   `short:"A"`
		Attach  []string `placeholder:"FILE"`
		Mode    string   `enum:"a,b" default:"a"`
		Secret  bool     `hidden:""`
		To      []string `arg:"" optional:""`
	} `cmd:"" default:"withargs"`
	Raw struct {
		Args []string `arg:"" optional:"" passthrough:"all"`
	} `cmd:""`
	Out struct {
		Dir string `predictor:"dir"`
	} `cmd:""`
	Internal struct{} `cmd:"" hidden:""`
}

func model(t *testing.T) *Command {
	t.Helper()
	k, err := kong.New(&testCLI{}, kong.Name("prog"))
	if err != nil {
		t.Fatal(err)
	}
	return FromKong(k.Model)
}

func TestFromKong(t *testing.T) {
	root := model(t)
	var names []string
	for _, c := range root.Commands {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "send raw out" {
		t.Errorf("commands %q, want send raw out (hidden left out)", got)
	}
	if root.Default == nil || root.Default.Name != "send" {
		t.Errorf("default command %v, want send", root.Default)
	}
	send, raw, out := root.Commands[0], root.Commands[1], root.Commands[2]
	kinds := map[string]Kind{}
	for _, f := range send.Flags {
		kinds[f.Long] = f.Value.Kind
	}
	want := map[string]Kind{"help": KindNone, "config": KindFile, "account": KindAccounts, "attach": KindFile, "mode": KindEnum}
	for k, v := range want {
		if kinds[k] != v {
			t.Errorf("send --%s kind %q, want %q", k, kinds[k], v)
		}
	}
	if _, ok := kinds["secret"]; ok {
		t.Error("hidden flag --secret is offered")
	}
	if !raw.Passthrough {
		t.Error("raw is not passthrough")
	}
	if out.Flags[len(out.Flags)-1].Value.Kind != KindDir {
		t.Errorf("predictor:dir gave %q", out.Flags[len(out.Flags)-1].Value.Kind)
	}
}

// Every shell gets a script naming every visible command; the syntax is
// checked by the shells themselves in the outbox package's docs_test.go.
func TestWrite(t *testing.T) {
	root := model(t)
	for _, sh := range Shells {
		var b bytes.Buffer
		if err := Write(&b, sh.Name, root); err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"send", "raw", "out", "--attach"} {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s script lacks %q", sh.Name, w)
			}
		}
		if strings.Contains(b.String(), "internal") || strings.Contains(b.String(), "secret") {
			t.Errorf("%s script offers a hidden command or flag", sh.Name)
		}
	}
	if err := Write(&bytes.Buffer{}, "tcsh", root); err == nil {
		t.Error("tcsh: no error")
	}
}
