package maillog

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func record() *Record {
	return &Record{
		Time: time.Date(2026, 11, 26, 2, 33, 36, 0, time.UTC), ID: "01JD3K0000ABCDEF", Account: "work",
		Host: "smtp.example.com:587", From: "me@example.com", Rcpts: 2, Size: 1234,
		Result: Deferred, Code: 451, Duration: 412 * time.Millisecond,
		Error: `send: MAIL FROM refused by smtp.example.com:587: 451 4.3.0 "busy"`,
	}
}

func TestFormat(t *testing.T) {
	want := `time=2026-11-26T02:33:36.000Z id=01JD3K0000ABCDEF account=work host=smtp.example.com:587 from=<me@example.com> rcpts=2 size=1234 result=deferred code=451 duration=0.412s error="send: MAIL FROM refused by smtp.example.com:587: 451 4.3.0 \"busy\""`
	if got := record().String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	r := &Record{Time: time.Unix(0, 0), Result: Sent, Code: 250, From: "a b\n=c"}
	got := r.String()
	if strings.ContainsAny(got, "\n\r") {
		t.Errorf("line break in %q", got)
	}
	if !strings.Contains(got, `account=default host="" from="<a b\n=c>"`) {
		t.Errorf("quoting: %s", got)
	}
}

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.log")
	for i := 0; i < 2; i++ { // the second Open appends
		l, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Log(record()); err != nil {
			t.Fatal(err)
		}
		l.Close()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || lines[0] != record().String() {
		t.Errorf("file holds %q", b)
	}
	fi, _ := os.Stat(path)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := Open(filepath.Join(path, "nodir", "x.log")); err == nil {
		t.Error("Open under a file: no error")
	}
}

func TestNone(t *testing.T) {
	for _, d := range []string{"", "none"} {
		l, err := Open(d)
		if err != nil || l.Log(record()) != nil {
			t.Errorf("Open(%q): %v", d, err)
		}
	}
}

// The syslog line, as a syslog daemon receives it on its socket.
func TestSyslog(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no syslog on windows")
	}
	sock := filepath.Join(t.TempDir(), "log.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l, err := Dial("unixgram", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := record()
	if err := l.Log(r); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	// <20> = facility mail (2) * 8 + warning (4), RFC 5424 §6.2.1.
	if !strings.HasPrefix(got, "<20>") || !strings.Contains(got, " outbox[") || !strings.HasSuffix(got, ": "+r.String()+"\n") {
		t.Errorf("syslog got %q", got)
	}
}

// Whatever a server or an address holds, a record is one line of
// key=value pairs whose quoted values unquote to what was given.
func FuzzRecordString(f *testing.F) {
	f.Add("me@example.com", "send: 451 4.3.0 \"busy\"\r\nsecond line", "work")
	f.Add("", "", "")
	f.Add("a=b c@example.com", "\x00\x7f\xff€", "acct name")
	f.Fuzz(func(t *testing.T, from, errText, account string) {
		r := &Record{Time: time.Unix(0, 0), ID: "X", Account: account, From: from, Error: errText, Result: Failed}
		line := r.String()
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("line break in %q", line)
		}
		for _, kv := range []struct{ key, want string }{{"from", "<" + from + ">"}, {"error", errText}} {
			if kv.want == "" {
				continue
			}
			i := strings.Index(line, " "+kv.key+"=")
			if i < 0 {
				t.Fatalf("no %s in %q", kv.key, line)
			}
			v := line[i+len(kv.key)+2:]
			if strings.HasPrefix(v, `"`) {
				q, err := strconv.QuotedPrefix(v)
				if err != nil {
					t.Fatalf("%s: %v in %q", kv.key, err, line)
				}
				if v, _ = strconv.Unquote(q); v != kv.want {
					t.Fatalf("%s unquotes to %q, want %q", kv.key, v, kv.want)
				}
			} else if v, _, _ = strings.Cut(v, " "); v != kv.want {
				t.Fatalf("%s = %q, want %q", kv.key, v, kv.want)
			}
		}
	})
}
