// Package bench holds benchmarks that run the real outbox binary and
// measure what a user would: peak memory (RSS) of a whole process.
// They are not run by `go test ./...` timing assertions; run them with
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/
//
// (OUTBOX_BIN=/path/to/outbox measures that binary instead of a fresh
// build.)
package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// stdinSize is the message of issue 3 item 5: 100 MB on stdin.
const stdinSize = 100 << 20

// maxRSS is the bound the issue sets for that message.
const maxRSS = 40 << 20

// BenchmarkSendmailStdinRSS pipes a 100 MB message into
// `outbox sendmail -t -i`, which spools it to the queue draft and streams
// it over STARTTLS to a loopback server, and reports the child's peak RSS
// (getrusage ru_maxrss, what /usr/bin/time -v calls "Maximum resident set
// size"). It fails when the peak passes 40 MB: the message must never be
// held whole in memory.
func BenchmarkSendmailStdinRSS(b *testing.B) { stdinRSS(b, writeMessage) }

// BenchmarkSendmailLongLinesRSS is the same with lines of 3,000 octets
// (issue 14): ReadStdin re-encodes the spooled message as
// quoted-printable in two more passes over the queue file, and the bound
// is the same.
func BenchmarkSendmailLongLinesRSS(b *testing.B) { stdinRSS(b, writeLongLines) }

func stdinRSS(b *testing.B, writeMessage func(io.Writer, int) error) {
	dir := b.TempDir()
	// OUTBOX_BIN: measure a binary built elsewhere (a release build).
	bin := os.Getenv("OUTBOX_BIN")
	if bin == "" {
		bin = filepath.Join(dir, "outbox")
		build := exec.Command("go", "build", "-o", bin, "github.com/outboxmail/outbox")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	var got int64
	srv := smtptest.Start(b, smtptest.Options{OnData: func(data []byte) error {
		got = int64(len(data))
		return nil
	}})
	cfg := filepath.Join(dir, "config.toml")
	conf := fmt.Sprintf("default_domain = \"example.com\"\n[accounts.bench]\nhost = \"127.0.0.1\"\nport = %d\ntls_ca_file = %q\nusername = \"user\"\nfrom = \"bench@example.com\"\ntimeout = \"60s\"\n", srv.Port, srv.CAFile)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		b.Fatal(err)
	}

	var peak int64
	for b.Loop() {
		cmd := exec.Command(bin, "sendmail", "-t", "-i")
		cmd.Env = append(os.Environ(), "OUTBOX_CONFIG="+cfg, "OUTBOX_PASSWORD=secret",
			"OUTBOX_QUEUE_DIR="+filepath.Join(dir, "queue"), "HOME="+dir, "XDG_STATE_HOME="+dir)
		in, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		werr := make(chan error, 1)
		go func() {
			werr <- writeMessage(in, stdinSize)
			in.Close()
		}()
		err = cmd.Wait()
		if e := <-werr; e != nil {
			b.Fatalf("writing stdin: %v", e)
		}
		if err != nil {
			b.Fatalf("outbox sendmail: %v\n%s", err, stderr.String())
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
		peak = max(peak, rss)
	}
	if got < stdinSize {
		b.Fatalf("server received %d bytes, want at least %d", got, stdinSize)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(stdinSize)/(1<<20), "message-MiB")
	if peak > maxRSS {
		b.Errorf("peak RSS %.1f MiB for a %d MiB message; the bound is %d MiB", float64(peak)/(1<<20), stdinSize>>20, maxRSS>>20)
	}
}

// writeMessage writes a -t message of about size bytes: cron-like text
// lines, some 8-bit, some starting with "." (dot-stuffing on the wire).
func writeMessage(w io.Writer, size int) error {
	if _, err := io.WriteString(w, "To: big@example.net\nSubject: 100 MB\n\n"); err != nil {
		return err
	}
	chunk := bytes.Repeat([]byte("backup: copied /var/lib/data/file-000123 ok, terminée\n.dot line\n"), 1024)
	for n := 0; n < size; n += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return err
		}
	}
	return nil
}

// writeLongLines writes a -t message of about size bytes in lines of
// 3,000 octets, over the 998 of RFC 5322 §2.1.1.
func writeLongLines(w io.Writer, size int) error {
	if _, err := io.WriteString(w, "To: big@example.net\nSubject: 100 MB of long lines\n\n"); err != nil {
		return err
	}
	chunk := bytes.Repeat(append(bytes.Repeat([]byte(`{"k":"v"},`), 300), '\n'), 64)
	for n := 0; n < size; n += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return err
		}
	}
	return nil
}
