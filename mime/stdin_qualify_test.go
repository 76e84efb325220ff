package mime

import (
	"bytes"
	"strings"
	"testing"
)

func TestStdinQualify(t *testing.T) {
	for in, want := range map[string]string{
		" root":                              " root@example.com",
		` "(Cron Daemon)" <root>`:            ` "(Cron Daemon)" <root@example.com>`,
		" root (Cron Daemon)":                " root@example.com (Cron Daemon)",
		" mdadm monitoring <root>":           " mdadm monitoring <root@example.com>",
		" A <a@example.net>, root":           " A <a@example.net>, root@example.com",
		" root, www-data":                    " root@example.com, www-data@example.com",
		" undisclosed-recipients:;":          " undisclosed-recipients:;",
		" ops: root, b@example.net;":         " ops: root@example.com, b@example.net;",
		` "root, not an address" <x@y.z>`:    ` "root, not an address" <x@y.z>`,
		" (comment only)":                    " (comment only)",
		" two words":                         " two words",
		" <root >":                           " <root@example.com >",
		" a@b.c":                             " a@b.c",
		` "quoted"@b.c`:                      ` "quoted"@b.c`,
		" root\n\t, admin":                   " root@example.com\n\t, admin@example.com",
		" <@route:root>":                     " <@route:root>",
		` "esc \" <root>" <x@y.z>, (a) root`: ` "esc \" <root>" <x@y.z>, (a) root@example.com`,
	} {
		got, _ := stdinQualify(in, "example.com")
		if got != want {
			t.Errorf("stdinQualify(%q) = %q, want %q", in, got, want)
		}
	}
}

// Through ReadStdin: recipients are extracted unqualified (for aliases),
// the header is qualified, folding is kept, other fields are untouched.
func TestReadStdinDomain(t *testing.T) {
	in := "From: \"(Cron Daemon)\" <root>\nTo: root,\n  www-data\nSubject: root\nX-Other: root\n\nroot\n"
	o := stdinOpts(true, true)
	o.Domain = "example.com"
	var out bytes.Buffer
	info, err := ReadStdin(&out, strings.NewReader(in), o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(info.Recipients, ",") != "root,www-data" {
		t.Errorf("Recipients %q", info.Recipients)
	}
	if info.FromAddress != "root@example.com" {
		t.Errorf("FromAddress %q", info.FromAddress)
	}
	want := "From: \"(Cron Daemon)\" <root@example.com>\r\nTo: root@example.com,\r\n  www-data@example.com\r\nSubject: root\r\nX-Other: root\r\n"
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("got\n%q\nwant prefix\n%q", out.String(), want)
	}
	if !strings.HasSuffix(out.String(), "\r\n\r\nroot\r\n") {
		t.Errorf("body changed: %q", out.String())
	}
}
