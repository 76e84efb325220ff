package mime

import (
	"errors"
	gomime "mime"
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseField(t *testing.T) {
	tests := []struct {
		in      string
		want    Field
		wantErr bool
	}{
		{"X-Tag: nightly", Field{"X-Tag", "nightly"}, false},
		{"X-Tag:nightly  ", Field{"X-Tag", "nightly"}, false},
		{"X-Empty:", Field{"X-Empty", ""}, false},
		{"X-Url: http://a/b:c", Field{"X-Url", "http://a/b:c"}, false},
		{"X-Tag : spaced name", Field{"X-Tag", "spaced name"}, false},
		{"no colon", Field{}, true},
		{": no name", Field{}, true},
		{"X Tag: v", Field{}, true},
		{"X-Tag: a\r\nBcc: x@example.com", Field{}, true},
		{"X-Tag: a\x00", Field{}, true},
	}
	for _, tt := range tests {
		got, err := ParseField(tt.in)
		if tt.wantErr {
			var me *Error
			if !errors.As(err, &me) {
				t.Errorf("ParseField(%q) = %v, %v; want *Error", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseField(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestNewMessageID(t *testing.T) {
	a, b := NewMessageID("example.com"), NewMessageID("example.com")
	if a == b {
		t.Errorf("two identical Message-IDs %s", a)
	}
	if err := checkMessageID("Message-ID", a); err != nil || !strings.HasSuffix(a, "@example.com>") {
		t.Errorf("NewMessageID = %q (%v)", a, err)
	}
	// ≥ 96 random bits: 26 base32 characters carry 130.
	if left := strings.TrimPrefix(a[:strings.IndexByte(a, '@')], "<"); len(left)*5 < 96 {
		t.Errorf("random part %q too short", left)
	}
	if id := NewMessageID(""); !strings.HasSuffix(id, "@localhost>") {
		t.Errorf("NewMessageID(\"\") = %q", id)
	}
}

func TestHeaderFold(t *testing.T) {
	tests := []struct{ name, value string }{
		{"Subject", "short"},
		{"Subject", strings.Repeat("abc ", 60)},
		{"Subject", strings.Repeat("x", 2000)},
		{"Subject", strings.Repeat("日本語のテキスト", 30)},
		{"Subject", "tabs\tand  double  spaces " + strings.Repeat("y", 90)},
		{"Subject", "looks like =?utf-8?q?an_encoded_word?= but is not"},
		{"Subject", "caf\xe9 latin-1"},
		{"X-" + strings.Repeat("N", 198), strings.Repeat("z", 990)},
	}
	for _, tt := range tests {
		line, err := hdrUnstructured(tt.name, tt.value)
		if err != nil {
			t.Fatalf("%q: %v", tt.value, err)
		}
		headerCheckLine(t, tt.name, tt.value, line)
	}
}

// headerCheckLines asserts that line is one folded field with CRLF only,
// 7-bit, no line over 998 octets and no line of white space only.
func headerCheckLines(t *testing.T, line string) {
	t.Helper()
	if !strings.HasSuffix(line, "\r\n") {
		t.Fatalf("no final CRLF: %q", line)
	}
	for i, l := range strings.Split(strings.TrimSuffix(line, "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n\x00") {
			t.Fatalf("bare CR/LF/NUL in %q", l)
		}
		if len(l) > 998 {
			t.Fatalf("line of %d octets", len(l))
		}
		if i > 0 && (strings.Trim(l, " \t") == "" || (l[0] != ' ' && l[0] != '\t')) {
			t.Fatalf("bad continuation line %q", l)
		}
		for j := 0; j < len(l); j++ {
			if l[j] >= 0x80 {
				t.Fatalf("8-bit octet in header: %q", l)
			}
		}
	}
}

// headerCheckLine also asserts that line decodes back to value (invalid
// UTF-8 replaced by U+FFFD).
func headerCheckLine(t *testing.T, name, value, line string) {
	t.Helper()
	headerCheckLines(t, line)
	v, ok := strings.CutPrefix(strings.ReplaceAll(strings.TrimSuffix(line, "\r\n"), "\r\n", ""), name+":")
	if !ok {
		t.Fatalf("line does not start with %q: %q", name+":", line)
	}
	got, err := new(gomime.WordDecoder).DecodeHeader(strings.TrimLeft(v, " "))
	if err != nil {
		t.Fatalf("DecodeHeader(%q): %v", v, err)
	}
	if want := strings.ToValidUTF8(value, "\uFFFD"); got != want {
		t.Fatalf("round trip:\n got %q\nwant %q\nline %q", got, want, line)
	}
}

func FuzzHeaderValue(f *testing.F) {
	for _, s := range []string{
		"Report für März", "hi\r\nBcc: x@example.com", "=?utf-8?q?x?=", strings.Repeat("a", 1200),
		"a  b\tc", "\xff\xfe", "日本語", "x\x00y", " lead and trail ", strings.Repeat("ä ", 300),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		m := composeFixed()
		m.Subject = v
		m.From.Name = v
		m.Headers = []Field{{"X-Fuzz", v}}
		err := m.Validate()
		if strings.ContainsAny(v, "\r\n\x00") {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("Validate accepted %q: %v", v, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Validate(%q): %v", v, err)
		}
		want := strings.Trim(v, " \t")
		line, err := hdrUnstructured("Subject", want)
		if err != nil {
			t.Fatal(err)
		}
		headerCheckLine(t, "Subject", want, line)
		// The display name too: a phrase of encoded-words or a quoted-string.
		a, err := addrHeader("From", []*mail.Address{m.From})
		if err != nil {
			t.Fatal(err)
		}
		headerCheckLines(t, a)
		got, err := mail.ParseAddress(strings.ReplaceAll(strings.TrimPrefix(strings.TrimSuffix(a, "\r\n"), "From: "), "\r\n", ""))
		if err != nil {
			t.Fatalf("net/mail cannot parse back %q: %v", a, err)
		}
		if got.Address != m.From.Address {
			t.Fatalf("address %q, want %q", got.Address, m.From.Address)
		}
		if utf8.ValidString(v) && strings.TrimSpace(got.Name) != strings.TrimSpace(v) {
			t.Fatalf("display name %q comes back as %q", v, got.Name)
		}
	})
}
