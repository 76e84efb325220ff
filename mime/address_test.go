package mime

import (
	"errors"
	"net/mail"
	"strings"
	"testing"
)

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		in   string
		want []mail.Address
	}{
		{"a@example.com", []mail.Address{{Address: "a@example.com"}}},
		{"a@example.com, b@example.com", []mail.Address{{Address: "a@example.com"}, {Address: "b@example.com"}}},
		{`"Doe, John" <j@example.com>, Zoë <zoe@example.com>`, []mail.Address{{Name: "Doe, John", Address: "j@example.com"}, {Name: "Zoë", Address: "zoe@example.com"}}},
		{"=?utf-8?q?Zo=C3=AB?= <zoe@example.com>", []mail.Address{{Name: "Zoë", Address: "zoe@example.com"}}},
		{"root", []mail.Address{{Address: "root"}}},
		{"root, www-data,ops@example.com", []mail.Address{{Address: "root"}, {Address: "www-data"}, {Address: "ops@example.com"}}},
		{"a@example.com,,b@example.com,", []mail.Address{{Address: "a@example.com"}, {Address: "b@example.com"}}},
		{"jörg@exämple.com", []mail.Address{{Address: "jörg@exämple.com"}}},
		{"team: a@example.com, b@example.com;", []mail.Address{{Address: "a@example.com"}, {Address: "b@example.com"}}},
		{"undisclosed-recipients:;", nil},
		{"", nil},
		{"  ", nil},
	}
	for _, tt := range tests {
		got, err := ParseAddressList(tt.in)
		if err != nil {
			t.Errorf("ParseAddressList(%q): %v", tt.in, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("ParseAddressList(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if *got[i] != tt.want[i] {
				t.Errorf("ParseAddressList(%q)[%d] = %+v, want %+v", tt.in, i, *got[i], tt.want[i])
			}
		}
	}
}

func TestParseAddressListErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a@@b", `mime: invalid address "a@@b": `},
		{"ok@example.com, a@@b", `mime: invalid address "a@@b": `},
		{"a@example.com\r\nBcc: x@example.com", `mime: invalid address "a@example.com\r\nBcc: x@example.com": contains a line break`},
		{"a@example.com\x00", `mime: invalid address "a@example.com\x00": contains a NUL byte`},
		{"<unclosed@example.com", `mime: invalid address "<unclosed@example.com": `},
		{strings.Repeat("a", 250) + "@example.com", `mime: invalid address "aaaa`},
		{"Name <root>", `mime: invalid address "Name <root>": `},
	}
	for _, tt := range tests {
		_, err := ParseAddressList(tt.in)
		var me *Error
		if !errors.As(err, &me) {
			t.Errorf("ParseAddressList(%q) = %v, want *Error", tt.in, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) || strings.ContainsAny(err.Error(), "\r\n\x00") {
			t.Errorf("ParseAddressList(%q): got %q, want prefix %q", tt.in, err, tt.want)
		}
	}
}

func TestAddressHeader(t *testing.T) {
	list := []*mail.Address{
		{Name: "Zoë", Address: "zoe@example.com"},
		{Name: `He said "hi" (twice)`, Address: "q@example.com"},
		{Name: "Very Long Name That Goes On And On And On And On And On And On Forever", Address: "l@example.com"},
		{Name: strings.Repeat("N", 300), Address: "n@example.com"},
		{Name: "Ünïcödé, with specials", Address: "u@example.com"},
		{Address: "jörg@exämple.com"},
	}
	line, err := addrHeader("To", list)
	if err != nil {
		t.Fatal(err)
	}
	headerCheckLinesUTF8(t, line)
	got, err := mail.ParseAddressList(strings.ReplaceAll(strings.TrimPrefix(strings.TrimSuffix(line, "\r\n"), "To: "), "\r\n", ""))
	if err != nil {
		t.Fatalf("net/mail cannot read %q: %v", line, err)
	}
	if len(got) != len(list) {
		t.Fatalf("got %d addresses, want %d", len(got), len(list))
	}
	for i := range got {
		if *got[i] != *list[i] {
			t.Errorf("address %d: got %+v, want %+v", i, *got[i], *list[i])
		}
	}
}

// headerCheckLinesUTF8 is headerCheckLines for fields that may carry UTF-8
// addresses (SMTPUTF8).
func headerCheckLinesUTF8(t *testing.T, line string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(line, "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n\x00") || len(l) > 998 {
			t.Fatalf("bad line %q", l)
		}
	}
}

func FuzzParseAddressList(f *testing.F) {
	for _, s := range []string{
		"a@example.com", `"Doe, John" <j@example.com>, root`, "a@@b", "team: a@x.org, b@y.org;",
		"=?utf-8?q?Zo=C3=AB?= <zoe@example.com>", "x\r\ny", "(comment) a@b.c", "<>", "\"unterminated",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		list, err := ParseAddressList(s)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error %T, want *Error: %v", err, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n\x00") {
				t.Fatalf("error message not one safe line: %q", err)
			}
			return
		}
		for _, a := range list {
			if a == nil || a.Address == "" || strings.ContainsAny(a.Address+a.Name, "\r\n\x00") || len(a.Address) > 254 {
				t.Fatalf("bad address %+v from %q", a, s)
			}
			if !strings.Contains(a.Address, "@") {
				continue // a local name, resolved by the caller
			}
			if err := addrCheckHeader("To", a); err != nil {
				continue // net/mail accepts a few addr-specs it cannot read back; Validate rejects them
			}
			line, err := addrHeader("To", []*mail.Address{a})
			if err != nil {
				t.Fatalf("addrHeader(%+v): %v", a, err)
			}
			headerCheckLinesUTF8(t, line)
		}
	})
}
