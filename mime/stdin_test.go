package mime

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

var updateStdin = flag.Bool("update-stdin", false, "rewrite mime/testdata/stdin golden files")

var stdinTestDate = time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("", 2*3600))

// stdinOpts are the options main would pass: -t and -i set per case.
func stdinOpts(t, i bool) StdinOptions {
	return StdinOptions{
		DotEnds:           !i,
		ExtractRecipients: t,
		From:              `"Cron Daemon" <root@host.example.com>`,
		Date:              stdinTestDate,
		MessageID:         "<20240501100000.abc@host.example.com>",
	}
}

// checkCRLF fails when out has a CR not followed by LF or an LF not
// preceded by CR, or a NUL byte.
func checkCRLF(t testing.TB, out []byte) {
	t.Helper()
	for i, c := range out {
		switch c {
		case '\r':
			if i+1 >= len(out) || out[i+1] != '\n' {
				t.Fatalf("bare CR at offset %d: %q", i, out[max(0, i-20):min(len(out), i+20)])
			}
		case '\n':
			if i == 0 || out[i-1] != '\r' {
				t.Fatalf("bare LF at offset %d: %q", i, out[max(0, i-20):min(len(out), i+20)])
			}
		case 0:
			t.Fatalf("NUL at offset %d", i)
		}
	}
}

func TestReadStdin(t *testing.T) {
	long := func(word string, n int) string { return strings.TrimSpace(strings.Repeat(word+" ", n)) }
	tests := []struct {
		name     string
		in       string
		o        StdinOptions
		rcpts    []string
		read     []string
		from     string // FromHeader
		fromAddr string
		body8    bool
		utf8     bool
	}{{
		// cronie: sendmail -FCronDaemon -i -odi -oem -oi -t -f root
		name: "cronie",
		in: "From: \"(Cron Daemon)\" <root>\nTo: root\n" +
			"Subject: Cron <root@host> /usr/local/bin/backup\nMIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n" +
			"X-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/root>\n\n" +
			"backup done: 3 files \xe2\x9c\x93\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"root"},
		read:     []string{"To"},
		from:     `"(Cron Daemon)" <root>`,
		fromAddr: "root",
		body8:    true,
	}, {
		// Debian cron: sendmail -FCronDaemon -i -B8BITMIME -oem root
		name:     "debian-cron",
		in:       "From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@h> run-parts /etc/cron.hourly\n\nrun-parts: ok\n",
		o:        stdinOpts(false, true),
		from:     "root (Cron Daemon)",
		fromAddr: "root",
	}, {
		// PHP mail(): sendmail -t -i, some setups with CRLF.
		name: "php-crlf",
		in: "To: user@example.com\r\nSubject: Order 42\r\nX-PHP-Originating-Script: 33:index.php\r\n" +
			"From: shop <webmaster@shop.example>\r\n\r\nThank you.\r\n\r\n-- \r\nshop\r\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"user@example.com"},
		read:     []string{"To"},
		from:     "shop <webmaster@shop.example>",
		fromAddr: "webmaster@shop.example",
	}, {
		// git send-email: sendmail -i addr...; a lone "." is data.
		name: "git-send-email",
		in: "From: Dev One <dev@example.org>\nTo: list@example.org\nCc: Maint <maint@example.org>\n" +
			"Subject: [PATCH] fix dots\nDate: Tue, 30 Apr 2024 10:00:00 +0000\n" +
			"Message-ID: <20240430100000.1-1-dev@example.org>\nX-Mailer: git-send-email 2.45.0\n" +
			"MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n\n" +
			"Lines with dots.\n---\n a.txt | 2 ++\n\ndiff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n" +
			"@@ -1 +1,3 @@\n x\n+. \n+.\n.\n..\n. \n-- \n2.45.0\n",
		o:        stdinOpts(false, true),
		from:     "Dev One <dev@example.org>",
		fromAddr: "dev@example.org",
	}, {
		// The same patch without -i: the lone "." ends it (sendmail).
		name: "git-send-email-dot-ends",
		in: "From: Dev One <dev@example.org>\nTo: list@example.org\nSubject: [PATCH] fix dots\n\n" +
			"+. \n+.\n. \nbefore\n.\nafter: never read\n",
		o:        stdinOpts(false, false),
		from:     "Dev One <dev@example.org>",
		fromAddr: "dev@example.org",
	}, {
		// neomutt: sendmail -oem -oi -- addr...
		name: "mutt",
		in: "Date: Wed, 1 May 2024 09:00:00 +0200\nFrom: =?utf-8?q?J=C3=B6rg?= <joerg@example.de>\n" +
			"To: Anna <anna@example.com>\nBcc: boss@example.com\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n" +
			"Message-ID: <abc@example.de>\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=\"b1\"\nContent-Disposition: inline\nUser-Agent: NeoMutt/20240425\n\n" +
			"--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGr\xc3\xbc\xc3\x9fe\n\n--b1--\n",
		o:        stdinOpts(false, true),
		from:     "=?utf-8?q?J=C3=B6rg?= <joerg@example.de>",
		fromAddr: "joerg@example.de",
		body8:    true,
	}, {
		// logwatch: sendmail -t (no -i): a lone "." in the report ends it.
		name: "logwatch",
		in: "To: root\nFrom: logwatch@host.example.com\nSubject: Logwatch for host (Linux)\n" +
			"Content-Type: text/plain; charset=\"iso-8859-1\"\n\n" +
			" ################### Logwatch 7.10 ####################\n\n --------- sshd Begin ----------\n" +
			" Users logging in: 2\n.\n dropped\n",
		o:        stdinOpts(true, false),
		rcpts:    []string{"root"},
		read:     []string{"To"},
		from:     "logwatch@host.example.com",
		fromAddr: "logwatch@host.example.com",
	}, {
		name:     "mixed-endings",
		in:       "To: a@example.com\r\nSubject: mixed\nX-A: 1\r\n\nline1\r\nline2\nline3\rline4\r\n\rline6",
		o:        stdinOpts(true, false),
		rcpts:    []string{"a@example.com"},
		read:     []string{"To"},
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		// Old Mac line ends; a CR inside a field makes two lines, in the
		// parser and on the wire alike.
		name:     "bare-cr",
		in:       "Subject: old mac\rTo: b@example.com\r\rline1\rline2\r.\rafter\r",
		o:        stdinOpts(true, true),
		rcpts:    []string{"b@example.com"},
		read:     []string{"To"},
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "bare-cr-dot-ends",
		in:       "Subject: old mac\r\rline1\r.\rafter\r",
		o:        stdinOpts(false, false),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "mbox-from",
		in:       "From alice@example.com Wed May  1 10:00:00 2024\nFrom: alice@example.com\nTo: bob@example.com\nSubject: hi\n\nFrom here on, body.\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"bob@example.com"},
		read:     []string{"To"},
		from:     "alice@example.com",
		fromAddr: "alice@example.com",
	}, {
		name: "resent",
		in: "From: a@example.com\nTo: orig@example.com\nCc: cc@example.com\nBcc: hidden@example.com\n" +
			"Resent-From: fwd@example.com\nResent-To: new1@example.com,\n\tnew2@example.com\n" +
			"Resent-Cc: NEW1@EXAMPLE.COM\nResent-Bcc: secret@example.com\nSubject: resent\n\nbody\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"new1@example.com", "new2@example.com", "NEW1@EXAMPLE.COM", "secret@example.com"},
		read:     []string{"Resent-To", "Resent-Cc", "Resent-Bcc"},
		from:     "a@example.com",
		fromAddr: "a@example.com",
	}, {
		name:     "undisclosed-recipients",
		in:       "From: a@example.com\nTo: undisclosed-recipients:;\nBcc: x@example.com, root,\n www-data\nSubject: s\n\nb\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"x@example.com", "root", "www-data"},
		read:     []string{"To", "Bcc"},
		from:     "a@example.com",
		fromAddr: "a@example.com",
	}, {
		name: "bcc-removed",
		in: "From: a@example.com\nto: One <one@example.com>, \"Two, Second\" <two@example.com>\n" +
			"BCC: three@example.com,\n  four@example.com (Four)\nCc: one@example.com\nSubject: bcc\n\nbody\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"one@example.com", "two@example.com", "three@example.com", "four@example.com"},
		read:     []string{"To", "Bcc", "Cc"},
		from:     "a@example.com",
		fromAddr: "a@example.com",
	}, {
		name:     "bcc-kept-without-t",
		in:       "From: a@example.com\nTo: one@example.com\nBcc: three@example.com\n\nbody\n",
		o:        stdinOpts(false, true),
		from:     "a@example.com",
		fromAddr: "a@example.com",
	}, {
		name: "long-header-folded",
		in: "From: a@example.com\nTo: " + long("user@example.com,", 300) + "\nSubject: " + long("word", 1000) +
			"\nReferences: " + long("<0123456789.abcdef@mail.example.com>", 130) + "\n\nbody\n",
		o:        stdinOpts(false, true),
		from:     "a@example.com",
		fromAddr: "a@example.com",
	}, {
		name:     "long-body-line",
		in:       "Subject: long line\n\n" + strings.Repeat("0123456789", 500) + "\nshort\n",
		o:        stdinOpts(false, true),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "empty",
		in:       "",
		o:        stdinOpts(false, false),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "empty-t",
		in:       "",
		o:        stdinOpts(true, true),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "no-header",
		in:       "Hello world: a space in the name, not a field\nsecond: line\n",
		o:        stdinOpts(false, true),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "no-header-text",
		in:       "Backup finished with 0 errors\nsee /var/log/backup.log\n",
		o:        stdinOpts(true, true),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "no-header-leading-space",
		in:       "  indented: first line\nsecond\n",
		o:        stdinOpts(false, true),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "header-then-text",
		in:       "Subject: no empty line\nthe body starts here\n",
		o:        stdinOpts(false, true),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "header-only",
		in:       "Subject: only a header",
		o:        stdinOpts(false, false),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "dot-in-header",
		in:       "Subject: short\n.\nnot read\n",
		o:        stdinOpts(false, false),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "nul-bytes",
		in:       "Sub\x00ject: nul\x00s\nTo: a@exa\x00mple.com\n\x00\nbo\x00dy\x00\n.\x00\n\x00",
		o:        stdinOpts(true, false),
		rcpts:    []string{"a@example.com"},
		read:     []string{"To"},
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "no-final-newline",
		in:       "Subject: x\n\nlast line without newline",
		o:        stdinOpts(false, true),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		// Raw 8-bit in headers: UTF-8 display name in To (SMTPUTF8),
		// Latin-1 in Subject (8-bit, not an address field), Latin-1 display
		// name in Cc (net/mail rejects it; the angle-addr still counts).
		name: "8bit-headers",
		in: "From: a@example.com\nTo: J\xc3\xb6rg <joerg@example.de>\nCc: \"Ren\xe9\" <rene@example.fr>\n" +
			"Subject: caf\xe9 \xff\xfe\nX-Garbage: \x80\x81\x82\n\nbody\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"joerg@example.de", "rene@example.fr"},
		read:     []string{"To", "Cc"},
		from:     "a@example.com",
		fromAddr: "a@example.com",
		body8:    true,
		utf8:     true,
	}, {
		name: "encoded-words",
		in: "From: =?koi8-r?B?5OXE?= <ded@example.ru>\nTo: =?iso-8859-1?q?Ren=E9?= <rene@example.fr>,\n" +
			" =?windows-1252?q?=80uro?= <euro@example.com>, =?x-unknown?q?abc?= <u@example.com>\n\nb\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"rene@example.fr", "euro@example.com", "u@example.com"},
		read:     []string{"To"},
		from:     "=?koi8-r?B?5OXE?= <ded@example.ru>",
		fromAddr: "ded@example.ru",
	}, {
		name:     "utf8-address",
		in:       "From: a@example.com\nTo: j\xc3\xb6rg@b\xc3\xbccher.example\n\nb\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"j\xc3\xb6rg@b\xc3\xbccher.example"},
		read:     []string{"To"},
		from:     "a@example.com",
		fromAddr: "a@example.com",
		utf8:     true,
	}, {
		name:     "no-address-headers-t",
		in:       "Subject: where to?\n\nb\n",
		o:        stdinOpts(true, true),
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}, {
		name:     "obsolete-space-before-colon",
		in:       "Subject : old style\nTo : a@example.com\n\nb\n",
		o:        stdinOpts(true, true),
		rcpts:    []string{"a@example.com"},
		read:     []string{"To"},
		from:     `"Cron Daemon" <root@host.example.com>`,
		fromAddr: "root@host.example.com",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			info, err := ReadStdin(&out, strings.NewReader(tt.in), tt.o)
			if err != nil {
				t.Fatalf("ReadStdin: %v", err)
			}
			got := out.Bytes()
			checkCRLF(t, got)
			if info.Size != int64(len(got)) {
				t.Errorf("Size = %d, wrote %d bytes", info.Size, len(got))
			}
			if !reflect.DeepEqual(info.Recipients, tt.rcpts) {
				t.Errorf("Recipients = %q, want %q", info.Recipients, tt.rcpts)
			}
			if !reflect.DeepEqual(info.HeadersRead, tt.read) {
				t.Errorf("HeadersRead = %q, want %q", info.HeadersRead, tt.read)
			}
			if info.FromHeader != tt.from || info.FromAddress != tt.fromAddr {
				t.Errorf("FromHeader, FromAddress = %q, %q; want %q, %q", info.FromHeader, info.FromAddress, tt.from, tt.fromAddr)
			}
			if info.Body8Bit != tt.body8 || info.SMTPUTF8 != tt.utf8 {
				t.Errorf("Body8Bit, SMTPUTF8 = %v, %v; want %v, %v", info.Body8Bit, info.SMTPUTF8, tt.body8, tt.utf8)
			}
			for _, l := range bytes.Split(got, []byte("\r\n")) {
				if len(l) > 998 && !bytes.Contains(got[:bytes.Index(got, []byte("\r\n\r\n"))], l) {
					continue // a body line: kept as is
				}
				if len(l) > 998 {
					t.Errorf("header line of %d octets: %.60q...", len(l), l)
				}
			}
			if tt.o.ExtractRecipients && bytes.Contains(bytes.ToLower(got), []byte("bcc:")) {
				t.Errorf("a Bcc field was sent with -t")
			}
			golden(t, filepath.Join("testdata", "stdin", tt.name+".eml"), got)
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateStdin {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mime -run ReadStdin -update-stdin)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (-update-stdin to rewrite):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestReadStdinFolding checks that folding only inserts CRLF before WSP:
// unfolding (RFC 5322 §2.2.3) gives back the original field.
func TestReadStdinFolding(t *testing.T) {
	value := strings.Repeat("abc ", 1500) + strings.Repeat("x", 900) + "  " + strings.Repeat("y", 990)
	var out bytes.Buffer
	if _, err := ReadStdin(&out, strings.NewReader("X-Long: "+value+"\n\n"), stdinOpts(false, true)); err != nil {
		t.Fatal(err)
	}
	hdr := out.String()[:strings.Index(out.String(), "\r\n\r\n")]
	lines := strings.Split(hdr, "\r\n")
	for _, l := range lines {
		if len(l) > 998 {
			t.Errorf("line of %d octets", len(l))
		}
		if strings.TrimSpace(l) == "" {
			t.Errorf("whitespace-only line %q", l)
		}
	}
	if got := strings.Join(lines, ""); !strings.HasPrefix(got, "X-Long: "+value) {
		t.Errorf("unfolded field differs from the input")
	}
}

func TestReadStdinErrors(t *testing.T) {
	tests := []struct {
		name, in string
		o        StdinOptions
		field    string
		contains string
	}{
		{"bad-address", "To: a@@b\n\n", stdinOpts(true, true), "To", `"a@@b"`},
		{"bad-address-in-list", "To: ok@example.com,\n a@@b\n\n", stdinOpts(true, true), "To", `"a@@b"`},
		{"bad-bcc", "Bcc: <broken\n\n", stdinOpts(true, true), "Bcc", "Bcc"},
		{"unfoldable", "X-Token: " + strings.Repeat("A", 2000) + "\n\n", stdinOpts(false, true), "header X-Token", "998"},
		{"too-large", strings.Repeat("X-Filler: "+strings.Repeat("f", 900)+"\n", 1200), stdinOpts(false, true), "header section", "larger"},
		{"too-large-one-line", "X-Huge: " + strings.Repeat("f ", MaxStdinHeaderBytes) + "\n", stdinOpts(false, true), "header section", "larger"},
		{"too-many-fields", strings.Repeat("X-A: 1\n", MaxStdinHeaderFields+1), stdinOpts(false, true), "header section", "fields"},
		{"from-option-injection", "", StdinOptions{From: "root\nBcc: evil@example.com"}, "From", "line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := ReadStdin(&out, strings.NewReader(tt.in), tt.o)
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want *mime.Error", err)
			}
			if me.Field != tt.field || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("err = %v (Field %q), want Field %q and %q", err, me.Field, tt.field, tt.contains)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", out.Len())
			}
		})
	}
}

// A first line longer than the header budget that is not a field is body,
// streamed like any other.
func TestReadStdinHugeFirstLine(t *testing.T) {
	in := strings.Repeat("no header here ", MaxStdinHeaderBytes/8) + "\nend\n"
	var out bytes.Buffer
	info, err := ReadStdin(&out, strings.NewReader(in), stdinOpts(false, false))
	if err != nil {
		t.Fatal(err)
	}
	checkCRLF(t, out.Bytes())
	if !strings.HasSuffix(out.String(), "\r\n\r\n"+strings.TrimSuffix(in, "\nend\n")+"\r\nend\r\n") {
		t.Errorf("body not preserved")
	}
	if info.Size != int64(out.Len()) {
		t.Errorf("Size %d != %d", info.Size, out.Len())
	}
}

// DotEnds: sendmail stops reading at the lone "."; what follows stays
// unread.
func TestReadStdinStopsAtDot(t *testing.T) {
	src := strings.NewReader("Subject: x\n\nbody\n.\n" + strings.Repeat("rest\n", 100000))
	var out bytes.Buffer
	if _, err := ReadStdin(&out, src, stdinOpts(false, false)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\r\n\r\nbody\r\n") {
		t.Errorf("output %q", out.String())
	}
	if src.Len() == 0 {
		t.Errorf("read all input after the lone dot")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("broken pipe")
	}
	return n, err
}

func TestReadStdinIOErrors(t *testing.T) {
	_, err := ReadStdin(failingWriter{}, strings.NewReader("Subject: x\n\nbody\n"), stdinOpts(false, true))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error: %v", err)
	}
	var me *Error
	if errors.As(err, &me) {
		t.Errorf("write error is a *mime.Error (65): %v", err)
	}
	for _, in := range []string{"Subject: x\n", "Subject: x\n\nbody"} {
		_, err = ReadStdin(io.Discard, &failingReader{strings.NewReader(in)}, stdinOpts(false, true))
		if err == nil || !strings.Contains(err.Error(), "broken pipe") {
			t.Errorf("read error for %q: %v", in, err)
		}
	}
}

// patternReader yields n bytes of repeated text lines without holding them.
type patternReader struct {
	line []byte
	n    int64
	off  int
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	k := 0
	for k < len(p) {
		c := copy(p[k:], r.line[r.off:])
		k += c
		r.off = (r.off + c) % len(r.line)
	}
	r.n -= int64(k)
	return k, nil
}

type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestReadStdinStreams pushes a 100 MB body through ReadStdin and checks
// that it allocates a small constant amount, not the message size.
func TestReadStdinStreams(t *testing.T) {
	const size = 100 << 20
	line := []byte("a body line of cron output, some 60 bytes long ..........\n")
	src := io.MultiReader(strings.NewReader("Subject: big\nTo: root\n\n"), &patternReader{line: line, n: size})
	dst := &countingDiscard{}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	info, err := ReadStdin(dst, src, stdinOpts(true, false))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != dst.n || dst.n < size {
		t.Errorf("Size %d, wrote %d, body %d", info.Size, dst.n, size)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes for a %d byte message; want < 1 MiB", alloc, size)
	}
}

func FuzzReadStdin(f *testing.F) {
	f.Add([]byte("From: a@b\nTo: c@d, root\nBcc: e@f\n\nbody\n.\nrest\n"), true, true)
	f.Add([]byte("From x Wed\r\nSubject: s\r\r\n.\r\n\x00.\x00\r"), false, false)
	f.Add([]byte("To: undisclosed-recipients:;\nResent-To: \"a,b\" <a@b>\n\n\xff\xfe"), true, false)
	f.Add([]byte("no header\r.\r\n.."), false, true)
	f.Add([]byte("X: "+strings.Repeat("y ", 600)+"\n\n"), false, true)
	f.Fuzz(func(t *testing.T, in []byte, dotEnds, extract bool) {
		var out bytes.Buffer
		o := stdinOpts(extract, !dotEnds)
		info, err := ReadStdin(&out, bytes.NewReader(in), o)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error not a *mime.Error: %v", err)
			}
			return
		}
		got := out.Bytes()
		checkCRLF(t, got)
		if info.Size != int64(len(got)) {
			t.Fatalf("Size %d != %d", info.Size, len(got))
		}
		sep := bytes.Index(got, []byte("\r\n\r\n"))
		if sep < 0 {
			t.Fatalf("no empty line after the header: %q", got)
		}
		if dotEnds && bytes.Contains(got[sep:], []byte("\r\n.\r\n")) {
			t.Fatalf("lone dot in the body with DotEnds: %q", got)
		}
		if extract && bytes.Contains(bytes.ToLower(append([]byte("\n"), got[:sep+2]...)), []byte("\nbcc:")) {
			t.Fatalf("Bcc sent with -t: %q", got)
		}
	})
}

func BenchmarkReadStdin(b *testing.B) {
	const size = 10 << 20
	line := []byte("a body line of cron output, some 60 bytes long ..........\n")
	body := bytes.Repeat(line, size/len(line))
	in := append([]byte("Subject: bench\nTo: root\n\n"), body...)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadStdin(io.Discard, bytes.NewReader(in), stdinOpts(true, false)); err != nil {
			b.Fatal(err)
		}
	}
}
