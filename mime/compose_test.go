package mime

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	gomime "mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The -update flag rewrites the golden files: go test ./mime -run Golden -update.
// It is registered in init only when no other test file of the package has
// registered it already (a package-level flag.Bool("update", ...) elsewhere
// runs first and is reused).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata/")
	}
}

func composeUpdate() bool {
	f := flag.Lookup("update")
	v, _ := f.Value.(flag.Getter).Get().(bool)
	return v
}

var composeDate = time.Date(2025, 3, 14, 9, 26, 53, 0, time.FixedZone("", 3600))

// composeFixed returns a Compose with deterministic Date, Message-ID and
// boundaries. "=_" cannot occur in base64 or quoted-printable text, so these
// short boundaries never collide with content.
func composeFixed() *Compose {
	n := 0
	return &Compose{
		From:      &mail.Address{Name: "Build Bot", Address: "bot@example.com"},
		To:        []*mail.Address{{Address: "ops@example.com"}},
		Date:      composeDate,
		MessageID: "<20250314092653.golden@example.com>",
		Boundary: func() string {
			n++
			return fmt.Sprintf("=_outbox_%d", n)
		},
	}
}

// composeFiles writes test files into a temporary directory and returns
// their paths by name.
func composeFiles(t testing.TB, files map[string][]byte) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// Minimal but real file starts, so sniffing sees what it would in the field.
var (
	composePDF  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	composePNG  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), bytes.Repeat([]byte{0x90, 0x77, 0x53, 0xde}, 40)...)
	composeText = []byte("Umsatz;Monat\n100;März\n")
)

func TestGolden(t *testing.T) {
	files := composeFiles(t, map[string][]byte{
		"report.pdf":          composePDF,
		"blob.unknownext":     composePNG,
		"logo.png":            composePNG,
		"Übersicht März.csv~": composeText, // unknown extension, non-ASCII name
	})
	tests := []struct {
		name string
		edit func(m *Compose)
	}{
		{"plain", func(m *Compose) {
			m.Subject = "Nightly backup OK"
			m.Text = "Backup finished in 42s.\n"
		}},
		{"nonascii", func(m *Compose) {
			m.From = &mail.Address{Name: "Zoë", Address: "zoe@example.com"}
			m.To = []*mail.Address{{Name: "Jürgen Groß", Address: "j@example.com"}, {Name: "Ops, Team", Address: "ops@example.com"}}
			m.Cc = []*mail.Address{{Address: "audit@example.com"}}
			m.Bcc = []*mail.Address{{Address: "secret@example.com"}}
			m.ReplyTo = []*mail.Address{{Name: "Zoë", Address: "zoe+reply@example.com"}}
			m.Subject = "Report für März"
			m.Text = "Grüße aus Köln.\nThis line is deliberately longer than seventy-eight characters so it must be encoded.\n"
			m.Headers = []Field{{"X-Priority", "3"}, {"X-Note", "Größe"}}
		}},
		{"alternative", func(m *Compose) {
			m.Subject = "Weekly report"
			m.Text = "Hello,\r\nplain text version.\r\n"
			m.HTML = "<html><body><p>Hello,<br>HTML version.</p></body></html>\n"
		}},
		{"inline", func(m *Compose) {
			m.Subject = "Dashboard"
			m.HTML = `<p>Today:</p><img src="cid:logo.png">` + "\n"
			m.Inline = []string{files["logo.png"]}
		}},
		{"attachments", func(m *Compose) {
			m.Subject = "Files"
			m.Text = "Three files attached.\n"
			m.Attach = []string{files["report.pdf"], files["blob.unknownext"], files["Übersicht März.csv~"]}
		}},
		{"longsubject", func(m *Compose) {
			m.Subject = strings.Repeat("A rather long subject line that keeps going ", 5) +
				"and then some non-ASCII: Übergrößenträger " + strings.Repeat("ä", 40)
			m.Headers = []Field{{"X-Long", strings.Repeat("word ", 40) + strings.Repeat("x", 1200)}}
		}},
		{"bcconly", func(m *Compose) {
			m.To = nil
			m.Bcc = []*mail.Address{{Address: "hidden@example.com"}}
			m.Subject = "Bcc only"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := composeFixed()
			tt.edit(m)
			var buf bytes.Buffer
			n, err := m.WriteTo(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(buf.Len()) {
				t.Errorf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
			}
			got := buf.Bytes()
			composeCheckLines(t, got)
			golden := filepath.Join("testdata", tt.name+".eml")
			if composeUpdate() {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./mime -run Golden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the output; diff after go test ./mime -run Golden -update\ngot:\n%s", golden, got)
			}
			// Whatever the golden file says, the message must decode back.
			composeDecodeCheck(t, m, got)
		})
	}
}

// composeCheckLines asserts CRLF line endings only and no line over 998
// octets (RFC 5322 §2.1.1, §2.3).
func composeCheckLines(t testing.TB, msg []byte) {
	t.Helper()
	for i, line := range bytes.Split(msg, []byte("\r\n")) {
		if j := bytes.IndexAny(line, "\r\n"); j >= 0 {
			t.Fatalf("line %d: bare CR or LF at %d: %q", i+1, j, line)
		}
		if len(line) > 998 {
			t.Fatalf("line %d: %d octets (> 998): %.60q...", i+1, len(line), line)
		}
		if bytes.IndexByte(line, 0) >= 0 {
			t.Fatalf("line %d: NUL byte", i+1)
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Fatalf("line %d: 8-bit byte in a message Compose promised 7-bit: %q", i+1, line)
			}
		}
	}
}

// composeLeaf is one decoded leaf part.
type composeLeaf struct {
	ctype    string
	params   map[string]string
	disp     string
	filename string
	cid      string
	data     []byte
}

// composeDecode parses msg with the standard library only and returns the
// message and its leaves in order, checking that base64 lines are at most
// 76 characters (RFC 2045 §6.8).
func composeDecode(t testing.TB, msg []byte) (*mail.Message, []composeLeaf) {
	t.Helper()
	mm, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v", err)
	}
	var leaves []composeLeaf
	var walk func(h map[string][]string, body io.Reader)
	walk = func(h map[string][]string, body io.Reader) {
		get := func(k string) string {
			if v := h[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		ct, params, err := gomime.ParseMediaType(get("Content-Type"))
		if err != nil {
			t.Fatalf("Content-Type %q: %v", get("Content-Type"), err)
		}
		if strings.HasPrefix(ct, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("multipart: %v", err)
				}
				walk(p.Header, p)
			}
			return
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		var data []byte
		switch cte := strings.ToLower(get("Content-Transfer-Encoding")); cte {
		case "base64":
			for _, line := range strings.Split(string(raw), "\r\n") {
				if len(line) > 76 {
					t.Fatalf("base64 line of %d characters", len(line))
				}
			}
			data, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(raw)))
		case "quoted-printable":
			data, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		case "7bit", "":
			data = raw
		default:
			t.Fatalf("unexpected Content-Transfer-Encoding %q", cte)
		}
		if err != nil {
			t.Fatalf("decode %s: %v", ct, err)
		}
		l := composeLeaf{ctype: ct, params: params, data: data, cid: get("Content-Id")}
		if d := get("Content-Disposition"); d != "" {
			disp, dp, err := gomime.ParseMediaType(d)
			if err != nil {
				t.Fatalf("Content-Disposition %q: %v", d, err)
			}
			l.disp, l.filename = disp, dp["filename"]
		}
		leaves = append(leaves, l)
	}
	walk(mm.Header, mm.Body)
	return mm, leaves
}

// composeDecodeCheck decodes msg and compares it with what m asked for.
func composeDecodeCheck(t *testing.T, m *Compose, msg []byte) {
	t.Helper()
	mm, leaves := composeDecode(t, msg)
	dec := new(gomime.WordDecoder)
	subj, err := dec.DecodeHeader(mm.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject: %v", err)
	}
	if subj != strings.TrimSpace(m.Subject) {
		t.Errorf("Subject decodes to %q, want %q", subj, m.Subject)
	}
	if mm.Header.Get("Bcc") != "" || bytes.Contains(msg, []byte("hidden@")) || bytes.Contains(msg, []byte("secret@")) {
		t.Errorf("Bcc leaked into the header")
	}
	from, err := mm.Header.AddressList("From")
	if err != nil || len(from) != 1 || *from[0] != *m.From {
		t.Errorf("From decodes to %v (%v), want %v", from, err, m.From)
	}
	if len(m.To) > 0 {
		to, err := mm.Header.AddressList("To")
		if err != nil || len(to) != len(m.To) {
			t.Fatalf("To decodes to %v (%v), want %v", to, err, m.To)
		}
		for i := range to {
			if *to[i] != *m.To[i] {
				t.Errorf("To[%d] = %v, want %v", i, to[i], m.To[i])
			}
		}
	}
	for _, f := range m.Headers {
		got, err := dec.DecodeHeader(mm.Header.Get(f.Name))
		if err != nil || got != f.Value {
			t.Errorf("%s decodes to %q (%v), want %q", f.Name, got, err, f.Value)
		}
	}
	if got := mm.Header.Get("Message-Id"); got != m.MessageID {
		t.Errorf("Message-ID %q, want %q", got, m.MessageID)
	}
	if d, err := mm.Header.Date(); err != nil || !d.Equal(m.Date) {
		t.Errorf("Date %v (%v), want %v", d, err, m.Date)
	}
	// Bodies and files, in order.
	i := 0
	next := func(what string) composeLeaf {
		t.Helper()
		if i >= len(leaves) {
			t.Fatalf("missing part: %s", what)
		}
		i++
		return leaves[i-1]
	}
	norm := func(s string) string {
		s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		return s
	}
	if m.Text != "" || (m.HTML == "" && len(m.Attach)+len(m.Inline) == 0) {
		l := next("text")
		if got := norm(string(l.data)); l.ctype != "text/plain" || got != norm(m.Text) {
			t.Errorf("text part %s %q, want %q", l.ctype, got, norm(m.Text))
		}
	}
	if m.HTML != "" {
		l := next("html")
		if l.ctype != "text/html" || norm(string(l.data)) != norm(m.HTML) {
			t.Errorf("html part %s %q, want %q", l.ctype, l.data, m.HTML)
		}
	}
	files := append(append([]string{}, m.Inline...), m.Attach...)
	for _, p := range files {
		l := next(p)
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(l.data) != sha256.Sum256(want) {
			t.Errorf("%s: decoded bytes differ from the file", p)
		}
		if l.filename != filepath.Base(p) {
			t.Errorf("%s: filename %q, want the base name %q", p, l.filename, filepath.Base(p))
		}
	}
	if i != len(leaves) {
		t.Errorf("%d extra parts", len(leaves)-i)
	}
}

func TestComposeStructure(t *testing.T) {
	files := composeFiles(t, map[string][]byte{"a.pdf": composePDF, "x.bin": composePNG, "logo.png": composePNG})
	tests := []struct {
		name  string
		edit  func(m *Compose)
		types []string // leaf types in order
		top   string
	}{
		{"empty", func(m *Compose) {}, []string{"text/plain"}, "text/plain"},
		{"html only", func(m *Compose) { m.HTML = "<p>x</p>" }, []string{"text/html"}, "text/html"},
		{"text+html", func(m *Compose) { m.Text, m.HTML = "x", "<p>x</p>" }, []string{"text/plain", "text/html"}, "multipart/alternative"},
		{"html+inline", func(m *Compose) { m.HTML, m.Inline = "<img src=cid:logo.png>", []string{files["logo.png"]} },
			[]string{"text/html", "image/png"}, "multipart/related"},
		{"text+html+inline+attach", func(m *Compose) {
			m.Text, m.HTML = "x", "<img src=cid:logo.png>"
			m.Inline, m.Attach = []string{files["logo.png"]}, []string{files["a.pdf"]}
		}, []string{"text/plain", "text/html", "image/png", "application/pdf"}, "multipart/mixed"},
		{"attachment only", func(m *Compose) { m.Attach = []string{files["a.pdf"]} }, []string{"application/pdf"}, "multipart/mixed"},
		{"inline without html", func(m *Compose) { m.Text, m.Inline = "see image", []string{files["logo.png"]} },
			[]string{"text/plain", "image/png"}, "multipart/mixed"},
		{"sniffed", func(m *Compose) { m.Attach = []string{files["x.bin"]} }, []string{"image/png"}, "multipart/mixed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := composeFixed()
			m.Boundary = nil // random ones must work too
			tt.edit(m)
			var buf bytes.Buffer
			if _, err := m.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			composeCheckLines(t, buf.Bytes())
			mm, leaves := composeDecode(t, buf.Bytes())
			top, _, _ := gomime.ParseMediaType(mm.Header.Get("Content-Type"))
			if top != tt.top {
				t.Errorf("top type %s, want %s", top, tt.top)
			}
			var types []string
			for _, l := range leaves {
				types = append(types, l.ctype)
				if l.ctype == "image/png" && m.HTML != "" {
					if l.disp != "inline" || l.cid != "<logo.png>" {
						t.Errorf("inline part: disposition %q, Content-ID %q", l.disp, l.cid)
					}
				}
			}
			if strings.Join(types, " ") != strings.Join(tt.types, " ") {
				t.Errorf("parts %v, want %v", types, tt.types)
			}
		})
	}
}

func TestComposeBodies(t *testing.T) {
	tests := []struct {
		name, text, cte string
	}{
		{"ascii", "hello\nworld\n", "7bit"},
		{"no final newline", "hello", "7bit"},
		{"bare CR and CRLF", "a\rb\r\nc\n", "7bit"},
		{"non-ASCII", "Grüße\n", "quoted-printable"},
		{"long line", strings.Repeat("x", 79) + "\n", "quoted-printable"},
		{"5000-octet line", strings.Repeat("word ", 1000), "quoted-printable"},
		{"NUL and controls", "a\x00b\x1bc\n", "quoted-printable"},
		{"invalid UTF-8", "caf\xe9\n", "quoted-printable"},
		{"dot lines", ".\n..\nFrom me\n", "7bit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := composeFixed()
			m.Text = tt.text
			var buf bytes.Buffer
			if _, err := m.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			composeCheckLines(t, buf.Bytes())
			mm, leaves := composeDecode(t, buf.Bytes())
			if got := mm.Header.Get("Content-Transfer-Encoding"); got != tt.cte {
				t.Errorf("Content-Transfer-Encoding %s, want %s", got, tt.cte)
			}
			want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(tt.text)
			if !strings.HasSuffix(want, "\n") {
				want += "\n"
			}
			if got := strings.ReplaceAll(string(leaves[0].data), "\r\n", "\n"); got != want {
				t.Errorf("body decodes to %q, want %q", got, want)
			}
		})
	}
}

func TestComposeDefaults(t *testing.T) {
	m := composeFixed()
	m.Date, m.MessageID = time.Time{}, ""
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	mm, _ := composeDecode(t, buf.Bytes())
	if d, err := mm.Header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date %v (%v), want about now", d, err)
	}
	if id := mm.Header.Get("Message-Id"); checkMessageID("Message-ID", id) != nil {
		t.Errorf("generated Message-ID %q is invalid", id)
	}
	// -H Date and Message-ID replace the generated ones, once each.
	m = composeFixed()
	m.Headers = []Field{{"Message-ID", "<thread-1@example.org>"}, {"Date", "Mon, 1 Jan 2024 00:00:00 +0000"}, {"In-Reply-To", "<x@example.org>"}}
	buf.Reset()
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	mm, _ = composeDecode(t, buf.Bytes())
	if got := mm.Header["Message-Id"]; len(got) != 1 || got[0] != "<thread-1@example.org>" {
		t.Errorf("Message-ID %q", got)
	}
	if got := mm.Header["Date"]; len(got) != 1 || got[0] != "Mon, 1 Jan 2024 00:00:00 +0000" {
		t.Errorf("Date %q", got)
	}
}

func TestComposeInfo(t *testing.T) {
	m := composeFixed()
	m.From.Name = "Zoë"
	if got := m.Info(); got != (Info{}) {
		t.Errorf("ASCII addresses: Info %+v, want all false", got)
	}
	m.Bcc = []*mail.Address{{Address: "jörg@example.com"}}
	if got := m.Info(); !got.SMTPUTF8 || got.Body8Bit {
		t.Errorf("UTF-8 Bcc address: Info %+v, want SMTPUTF8 only", got)
	}
}

// errWriter fails after n bytes: a write error must come back as it is, not
// as a *FileError.
type errWriter struct{ n int }

func (w *errWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, io.ErrShortWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestComposeWriteError(t *testing.T) {
	files := composeFiles(t, map[string][]byte{"big.bin": bytes.Repeat([]byte{1, 2, 3}, 100000)})
	m := composeFixed()
	m.Attach = []string{files["big.bin"]}
	_, err := m.WriteTo(&errWriter{n: 1000})
	if err == nil {
		t.Fatal("no error")
	}
	var fe *FileError
	if errors.As(err, &fe) {
		t.Errorf("write error reported as %T: %v", fe, err)
	}
}

// TestComposeStreaming checks that a 20 MB attachment is streamed: the bytes
// allocated while writing it stay far below its size.
func TestComposeStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 20 MB file")
	}
	const size = 20 << 20
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	for written := 0; written < size; written += len(chunk) {
		bw.Write(chunk)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	m := composeFixed()
	m.Text = "see attachment"
	m.Attach = []string{path}

	gomime.TypeByExtension(".pdf") // load the system's mime.types once, outside the measurement
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := m.WriteTo(io.Discard)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if n < size*4/3 {
		t.Errorf("wrote %d bytes for a %d-byte attachment", n, size)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("wrote %d bytes, allocated %d bytes in total", n, alloc)
	if alloc > size/20 {
		t.Errorf("allocated %d bytes for a %d-byte attachment: not streaming", alloc, size)
	}
}

func BenchmarkCompose25MB(b *testing.B) {
	const size = 25 << 20
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	files := composeFiles(b, map[string][]byte{"big.pdf": data})
	data = nil
	m := composeFixed()
	m.Text = "Report attached."
	m.Attach = []string{files["big.pdf"]}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
