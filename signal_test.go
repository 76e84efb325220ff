package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outboxmail/outbox/internal/smtptest"
)

// Issue 13 item 7: outbox catches SIGINT and SIGTERM only where it has
// work to finish (start-up is cheaper without the signal watcher), and
// sending is such a place: SIGTERM while the smarthost stalls ends the
// dialogue, keeps the message queued, says so, and exits 0 as a queued
// send does — it is not killed with a half-written spool file.
func TestSignalDuringSendQueues(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	for name, args := range map[string][]string{
		"sendmail": {"sendmail", "-t", "-i"},
		"kong":     {"outbox", "send", "--to", "rcpt@example.com", "-s", "stalled", "-m", "body"},
	} {
		t.Run(name, func(t *testing.T) { signalDuringSend(t, args) })
	}
}

func signalDuringSend(t *testing.T, args []string) {
	bin, err := exec.LookPath(args[0]) // put on PATH by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	connected := make(chan struct{}, 1)
	addr := smtptest.Script(t, func(c net.Conn) {
		connected <- struct{}{}
		io.Copy(io.Discard, c) // a smarthost that never greets
	})
	host, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	toml := fmt.Sprintf("[accounts.test]\nhost = %q\nport = %s\ntls = \"none\"\nauth = \"none\"\nfrom = \"sender@example.com\"\ntimeout = \"1m\"\n", host, port)
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	qdir := filepath.Join(dir, "queue")
	cmd := exec.Command(bin, args[1:]...)
	cmd.Env = append(os.Environ(), "OUTBOX_CONFIG="+cfg, "OUTBOX_QUEUE_DIR="+qdir, "HOME="+dir, "XDG_STATE_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	cmd.Stdin = strings.NewReader("To: rcpt@example.com\nSubject: stalled\n\nbody\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("outbox never connected")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if err != nil {
		t.Fatalf("exit: %v, want 0 (queued); stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "message queued as") {
		t.Errorf("stderr %q does not say the message is queued", stderr.String())
	}
	queued, _ := filepath.Glob(filepath.Join(qdir, "new", "*.eml"))
	spooling, _ := filepath.Glob(filepath.Join(qdir, "tmp", "*"))
	if len(queued) != 1 || len(spooling) != 0 {
		t.Errorf("queue: new %v, tmp %v; want one message in new/", queued, spooling)
	}
}
