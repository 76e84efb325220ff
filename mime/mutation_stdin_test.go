package mime

import (
	"bytes"
	gomime "mime"
	"strings"
	"testing"
)

// stdinField returns "X-A: " and foldable text, n bytes in all.
func stdinFieldOf(n int) string {
	fill := n - len("X-A: ")
	return "X-A: " + strings.Repeat("ab ", fill/3) + strings.Repeat("c", fill%3)
}

// The header section may hold MaxStdinHeaderBytes (1 MiB) and not one
// byte more: a header of exactly 1 MiB ending at EOF, or whose field line
// (LF included) leaves one byte for the empty line, is read; one byte more
// is refused with the header-section error. (A field line of exactly
// 1 MiB followed by the empty line is not refused: see issue 17's note;
// the body then gains an empty first line.) A continuation line past the
// limit is refused too, while a first line past it that is no field (even
// one starting with a space) is the body, kept whole.
func TestMutationStdinHeaderLimit(t *testing.T) {
	M := MaxStdinHeaderBytes
	read := func(in string) (string, error) {
		var out bytes.Buffer
		_, err := ReadStdin(&out, strings.NewReader(in), stdinOpts(false, true))
		return out.String(), err
	}
	for name, in := range map[string]string{
		"1 MiB at EOF":           stdinFieldOf(M),
		"1 MiB with the blank":   stdinFieldOf(M-2) + "\n\nbody\n",
		"body line over 1 MiB":   strings.Repeat("y", M+10) + "\nend\n",
		"body line with a space": " " + strings.Repeat("y", M+10) + "\nend\n",
	} {
		out, err := read(in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.HasPrefix(in, "X-A") && !strings.Contains(out, "X-A: ab ab") {
			t.Errorf("%s: field lost", name)
		}
		if strings.HasSuffix(in, "\nend\n") && !strings.HasSuffix(out, "\r\n\r\n"+strings.TrimSuffix(in, "\nend\n")+"\r\nend\r\n") {
			t.Errorf("%s: body not kept whole", name)
		}
		if strings.HasSuffix(in, "\nbody\n") && !strings.HasSuffix(out, "\r\n\r\nbody\r\n") {
			t.Errorf("%s: body %q", name, out[max(0, len(out)-20):])
		}
	}
	for name, in := range map[string]string{
		"1 MiB + 1 at EOF":        stdinFieldOf(M + 1),
		"continuation over 1 MiB": "X-A: b\n " + strings.Repeat("y", M+10) + "\nend\n",
	} {
		if _, err := read(in); err == nil || !strings.Contains(err.Error(), "header section: larger than 1048576 bytes") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A header whose last line ends in a bare CR right at EOF is read, the CR
// taken as its line end.
func TestMutationStdinCRAtEOF(t *testing.T) {
	var out bytes.Buffer
	if _, err := ReadStdin(&out, strings.NewReader("To: a@b.c\r"), stdinOpts(false, true)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "To: a@b.c\r\nDate: ") {
		t.Errorf("got %q", out.String())
	}
}

// Field names may use every printable ASCII character but ":" (RFC 5322
// §3.6.8): "X!~" starts a header field, so the message keeps its header.
func TestMutationStdinFieldNameEdges(t *testing.T) {
	var out bytes.Buffer
	if _, err := ReadStdin(&out, strings.NewReader("X!~: v\nSubject: s\n\nbody\n"), stdinOpts(false, true)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "X!~: v\r\nSubject: s\r\n") || !strings.HasSuffix(out.String(), "\r\n\r\nbody\r\n") {
		t.Errorf("got %q", out.String())
	}
}

// A header line of exactly 998 octets is sent as it is; one of 999 is
// folded at its last space within the limit (RFC 5322 §2.1.1, §2.2.3).
func TestMutationStdinFoldAt998(t *testing.T) {
	for n, folded := range map[int]bool{998: false, 999: true} {
		line := stdinFieldOf(n)
		var out bytes.Buffer
		if _, err := ReadStdin(&out, strings.NewReader(line+"\n\nbody\n"), stdinOpts(false, true)); err != nil {
			t.Fatal(err)
		}
		got, _, _ := strings.Cut(out.String(), "\r\nDate: ")
		unfolded := strings.ReplaceAll(got, "\r\n", "")
		if unfolded != line || strings.Contains(got, "\r\n") != folded {
			t.Errorf("%d octets: folded %v, got %q", n, strings.Contains(got, "\r\n"), got[max(0, len(got)-40):])
		}
		for _, l := range strings.Split(got, "\r\n") {
			if len(l) > 998 {
				t.Errorf("%d octets: a line of %d", n, len(l))
			}
		}
	}
}

// windows-1252 encoded-words decode 0x80 and 0x9F through the table and
// 0xA0 as Latin-1 (a no-break space).
func TestMutationStdinCP1252(t *testing.T) {
	d := gomime.WordDecoder{CharsetReader: stdinCharsetReader}
	got, err := d.DecodeHeader("=?windows-1252?q?=80=9F=A0=E9?=")
	if err != nil || got != "€Ÿ\u00a0é" {
		t.Errorf("decoded %q, %v", got, err)
	}
}

// A field of only white space after the colon past 998 octets cannot be
// folded (a piece would be white space only, RFC 5322 §2.2.3): refused,
// naming the field.
func TestMutationStdinUnfoldable(t *testing.T) {
	for _, line := range []string{
		"X-A:" + strings.Repeat(" ", 1000),
	} {
		var out bytes.Buffer
		_, err := ReadStdin(&out, strings.NewReader(line+"\n\nbody\n"), stdinOpts(false, true))
		if err == nil || !strings.Contains(err.Error(), "header X-A") || !strings.Contains(err.Error(), "no space to fold") {
			t.Errorf("%d octets: %v", len(line), err)
		}
	}
}

// A From: holding an empty group gives no From address (and no crash): the
// sender then comes from the options.
func TestMutationStdinEmptyGroupFrom(t *testing.T) {
	var out bytes.Buffer
	info, err := ReadStdin(&out, strings.NewReader("From: undisclosed:;\nTo: a@b.c\n\nbody\n"), stdinOpts(false, true))
	if err != nil {
		t.Fatal(err)
	}
	if info.FromAddress != "" || !strings.HasPrefix(out.String(), "From: undisclosed:;\r\n") {
		t.Errorf("FromAddress %q, out %q", info.FromAddress, out.String())
	}
}

// -t with a list net/mail refuses (bare local names): comments, nested
// ones too, are dropped and "<root>" is the local name root.
func TestMutationStdinLenientList(t *testing.T) {
	var out bytes.Buffer
	in := "To: root (Cron (daily) job), <admin>, b@c.d\n\nbody\n"
	info, err := ReadStdin(&out, strings.NewReader(in), stdinOpts(true, true))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(info.Recipients, ","); got != "root,admin,b@c.d" {
		t.Errorf("Recipients %q", got)
	}
}

// NUL bytes are dropped; trailing ones do not hide the line end before
// them, so no empty line is added at the end of the body.
func TestMutationStdinTrailingNUL(t *testing.T) {
	for in, want := range map[string]string{
		"Subject: s\n\nx\n\x00":    "\r\n\r\nx\r\n",
		"Subject: s\n\n\n\x00\x00": "\r\n\r\n\r\n",
		"Subject: s\n\nx\x00":      "\r\n\r\nx\r\n",
	} {
		var out bytes.Buffer
		if _, err := ReadStdin(&out, strings.NewReader(in), stdinOpts(false, true)); err != nil {
			t.Fatal(err)
		}
		if _, body, _ := strings.Cut(out.String(), "\r\n\r\n"); "\r\n\r\n"+body != want {
			t.Errorf("%q: body %q, want %q", in, "\r\n\r\n"+body, want)
		}
	}
}

// Values with no space after the colon: the local name or angle-addr
// starts the value and is still qualified; two words are not one name.
func TestMutationStdinQualifyAtStart(t *testing.T) {
	o := stdinOpts(false, true)
	o.Domain = "example.com"
	var out bytes.Buffer
	if _, err := ReadStdin(&out, strings.NewReader("To:root\nCc:<admin>\nReply-To:a b\n\nbody\n"), o); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "To:root@example.com\r\nCc:<admin@example.com>\r\nReply-To:a b\r\n") {
		t.Errorf("got %q", out.String())
	}
}
