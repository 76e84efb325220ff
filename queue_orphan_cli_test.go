package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/queue"
)

// Issue 17 finding 3, as a user sees it: a queue entry whose message file
// is missing makes `outbox queue list` and `outbox queue flush` warn about
// that entry (its ID and the command that removes it) and exit 0, with
// the other entries listed and sent; it never fails the whole queue.
func TestQueueOrphanEntryCLI(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	bin, env, qdir := crashEnv(t, srv.Addr, srv.CAFile)
	q, err := queue.Open(qdir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, to := range []string{"kept@example.com", "orphan@example.com"} {
		d, err := q.NewDraft()
		if err != nil {
			t.Fatal(err)
		}
		d.Write([]byte("Subject: orphan test\r\n\r\nx\r\n"))
		if err := d.Commit(&queue.Entry{Account: "test", From: "sender@example.com", Rcpts: queue.Pending([]string{to})}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID())
	}
	orphan := ids[1]
	if err := os.Remove(filepath.Join(qdir, "new", orphan+".eml")); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("outbox %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	wantWarning := func(what, stderr string) {
		t.Helper()
		if !strings.Contains(stderr, orphan+".json has no message file") || !strings.Contains(stderr, "outbox queue drop "+orphan) {
			t.Errorf("%s: stderr does not name the orphan %s and how to remove it:\n%s", what, orphan, stderr)
		}
	}

	stdout, stderr := run("queue", "list")
	wantWarning("queue list", stderr)
	if !strings.Contains(stdout, ids[0]) || !strings.Contains(stdout, "kept@example.com") {
		t.Errorf("queue list does not show the readable entry %s:\n%s", ids[0], stdout)
	}

	_, stderr = run("queue", "flush")
	wantWarning("queue flush", stderr)
	if !strings.Contains(stderr, "flush: 1 tried, 1 sent") {
		t.Errorf("queue flush stderr:\n%s", stderr)
	}
	if _, ok := findMessage(srv, "kept@example.com", 0); !ok {
		t.Error("the readable entry was not delivered")
	}

	// The orphan alone: an empty listing and the warning, exit 0.
	stdout, stderr = run("queue", "list")
	wantWarning("queue list (orphan alone)", stderr)
	if !strings.Contains(stdout, "Mail queue is empty") {
		t.Errorf("queue list stdout:\n%s", stdout)
	}
	run("queue", "drop", orphan)
	if stdout, stderr = run("queue", "list"); stderr != "" || !strings.Contains(stdout, "Mail queue is empty") {
		t.Errorf("after queue drop: stdout %q stderr %q", stdout, stderr)
	}
}
