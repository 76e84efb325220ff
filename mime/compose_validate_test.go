package mime

import (
	"errors"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/outboxmail/outbox/internal/testuser"
)

func TestValidateHeaders(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(m *Compose)
		field string // wanted Error.Field
	}{
		{"subject LF", func(m *Compose) { m.Subject = "hi\nBcc: victim@example.com" }, "Subject"},
		{"subject CR", func(m *Compose) { m.Subject = "hi\rthere" }, "Subject"},
		{"subject CRLF", func(m *Compose) { m.Subject = "hi\r\n\r\nbody" }, "Subject"},
		{"subject NUL", func(m *Compose) { m.Subject = "hi\x00" }, "Subject"},
		{"from name LF", func(m *Compose) { m.From.Name = "Bot\nBcc: x@example.com" }, "From display name"},
		{"from address CR", func(m *Compose) { m.From.Address = "bot@example.com\r" }, "From"},
		{"from missing", func(m *Compose) { m.From = nil }, "From"},
		{"to name NUL", func(m *Compose) { m.To[0].Name = "a\x00b" }, "To display name"},
		{"to local name", func(m *Compose) { m.To[0].Address = "root" }, "To"},
		{"to bad addr", func(m *Compose) { m.To[0].Address = "a@@b" }, "To"},
		{"to too long", func(m *Compose) { m.To[0].Address = strings.Repeat("a", 250) + "@example.com" }, "To"},
		{"cc nil", func(m *Compose) { m.Cc = []*mail.Address{nil} }, "Cc"},
		{"bcc LF", func(m *Compose) { m.Bcc = []*mail.Address{{Address: "x@example.com\nRCPT TO:<y@z>"}} }, "Bcc"},
		{"reply-to name LF", func(m *Compose) { m.ReplyTo = []*mail.Address{{Name: "x\ny", Address: "r@example.com"}} }, "Reply-To display name"},
		{"-H value LF", func(m *Compose) { m.Headers = []Field{{"X-Tag", "a\nBcc: x@example.com"}} }, "header X-Tag"},
		{"-H value NUL", func(m *Compose) { m.Headers = []Field{{"X-Tag", "a\x00"}} }, "header X-Tag"},
		{"-H name LF", func(m *Compose) { m.Headers = []Field{{"X-Tag\nBcc", "a"}} }, "header name"},
		{"-H name space", func(m *Compose) { m.Headers = []Field{{"X Tag", "a"}} }, "header name"},
		{"-H name colon", func(m *Compose) { m.Headers = []Field{{"X:Tag", "a"}} }, "header name"},
		{"-H name empty", func(m *Compose) { m.Headers = []Field{{"", "a"}} }, "header name"},
		{"-H name non-ASCII", func(m *Compose) { m.Headers = []Field{{"X-Größe", "a"}} }, "header name"},
		{"-H name too long", func(m *Compose) { m.Headers = []Field{{strings.Repeat("X", 201), "a"}} }, "header name"},
		{"-H Bcc", func(m *Compose) { m.Headers = []Field{{"bcc", "x@example.com"}} }, "header name"},
		{"-H Subject", func(m *Compose) { m.Headers = []Field{{"Subject", "x"}} }, "header name"},
		{"-H Content-Type", func(m *Compose) { m.Headers = []Field{{"Content-Type", "text/html"}} }, "header name"},
		{"-H Content-Foo", func(m *Compose) { m.Headers = []Field{{"content-foo", "x"}} }, "header name"},
		{"-H bad Date", func(m *Compose) { m.Headers = []Field{{"Date", "yesterday"}} }, "header Date"},
		{"-H bad Message-ID", func(m *Compose) { m.Headers = []Field{{"Message-ID", "no-brackets@x"}} }, "header Message-ID"},
		{"-H two Message-IDs", func(m *Compose) {
			m.Headers = []Field{{"Message-ID", "<a@x>"}, {"message-id", "<b@x>"}}
		}, "header name"},
		{"message id LF", func(m *Compose) { m.MessageID = "<a@b>\nBcc: x" }, "Message-ID"},
		{"message id no @", func(m *Compose) { m.MessageID = "<ab>" }, "Message-ID"},
		{"message id space", func(m *Compose) { m.MessageID = "<a b@c>" }, "Message-ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := composeFixed()
			tt.edit(m)
			err := m.Validate()
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("Validate() = %v, want *Error", err)
			}
			if me.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", me.Field, tt.field, err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n\x00") || !strings.HasPrefix(msg, "mime: ") {
				t.Errorf("error is not one safe line: %q", msg)
			}
			// WriteTo validates too and writes nothing.
			n, werr := m.WriteTo(io.Discard)
			if !errors.As(werr, &me) || n != 0 {
				t.Errorf("WriteTo = %d, %v; want 0, *Error", n, werr)
			}
		})
	}
}

func TestValidateOK(t *testing.T) {
	m := composeFixed()
	m.Subject = "Grüße\tand tabs"
	m.Headers = []Field{{"X-Empty", ""}, {"List-Unsubscribe", "<mailto:u@example.com>"}, {"Date", "Fri, 14 Mar 2025 09:26:53 +0100"}}
	m.To = append(m.To, &mail.Address{Name: "Jörg", Address: "jörg@exämple.com"})
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorMessage(t *testing.T) {
	err := (&Error{Field: "Subject", Value: "a\r\nBcc: x", Msg: "contains a line break"}).Error()
	if want := `mime: invalid Subject "a\r\nBcc: x": contains a line break`; err != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	long := (&Error{Field: "Subject", Value: strings.Repeat("x", 5000) + "\n", Msg: "m"}).Error()
	if len(long) > 200 || strings.Contains(long, "\n") {
		t.Errorf("long value not shortened: %d characters", len(long))
	}
}

func TestValidateFiles(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.pdf")
	if err := os.WriteFile(ok, composePDF, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		attach []string
		inline []string
		want   string
	}{
		{"missing", []string{filepath.Join(dir, "report.pdf")}, nil, `mime: attachment "` + filepath.Join(dir, "report.pdf") + `": no such file or directory`},
		{"directory", []string{dir}, nil, `mime: attachment "` + dir + `": is a directory`},
		{"fifo", []string{fifo}, nil, `mime: attachment "` + fifo + `": not a regular file`},
		{"inline missing", nil, []string{"nope.png"}, `mime: inline file "nope.png": no such file or directory`},
		{"second missing", []string{ok, "missing.txt"}, nil, `mime: attachment "missing.txt": no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := composeFixed()
			m.Attach, m.Inline = tt.attach, tt.inline
			err := m.Validate()
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want *FileError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		// Root reads anything: under root (CI) this runs as an ordinary
		// user (issue 17 finding 9).
		if !testuser.Unprivileged(t) {
			return
		}
		p := filepath.Join(dir, "secret.pdf")
		if err := os.WriteFile(p, composePDF, 0o000); err != nil {
			t.Fatal(err)
		}
		m := composeFixed()
		m.Attach = []string{p}
		var fe *FileError
		if err := m.Validate(); !errors.As(err, &fe) || !strings.HasSuffix(err.Error(), "permission denied") {
			t.Errorf("Validate() = %v, want *FileError permission denied", err)
		}
	})

	t.Run("removed before WriteTo", func(t *testing.T) {
		p := filepath.Join(dir, "gone.pdf")
		if err := os.WriteFile(p, composePDF, 0o644); err != nil {
			t.Fatal(err)
		}
		m := composeFixed()
		m.Attach = []string{p}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		os.Remove(p)
		var fe *FileError
		if _, err := m.WriteTo(io.Discard); !errors.As(err, &fe) {
			t.Errorf("WriteTo = %v, want *FileError", err)
		}
	})

	t.Run("duplicate inline names", func(t *testing.T) {
		sub := filepath.Join(dir, "sub")
		os.Mkdir(sub, 0o755)
		a, b := filepath.Join(dir, "logo.png"), filepath.Join(sub, "logo.png")
		for _, p := range []string{a, b} {
			if err := os.WriteFile(p, composePNG, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		m := composeFixed()
		m.HTML, m.Inline = "<img src=cid:logo.png>", []string{a, b}
		var me *Error
		if err := m.Validate(); !errors.As(err, &me) {
			t.Errorf("Validate() = %v, want *Error", err)
		}
	})
}
