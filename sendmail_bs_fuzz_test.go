package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzSendmailBS feeds random bytes to a whole `sendmail -bs` run (the
// same run() as the binary) with a real queue and a smarthost that is
// down, so every accepted message stays in the queue. Whatever the input:
// no panic, no hang, and the queue holds exactly the messages the client
// was told "250 ... queued as ID" for — nothing of an incomplete
// transaction, no leftover draft.
func FuzzSendmailBS(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzSendmailBS (Symfony's dialogue, ESMTP
	// parameters, input cut inside DATA, BDAT, commands out of place).
	f.Fuzz(func(t *testing.T, in []byte) {
		dir := t.TempDir()
		qdir := filepath.Join(dir, "queue")
		conf := filepath.Join(dir, "config.toml")
		// 127.0.0.1:1: nothing listens there, so delivery fails at once
		// and each accepted message is committed to the queue.
		must(t, os.WriteFile(conf, []byte(fmt.Sprintf("default_domain = \"example.com\"\nqueue_dir = %q\n\n[accounts.a]\nhost = \"127.0.0.1\"\nport = 1\ntls = \"none\"\ntimeout = \"2s\"\n", qdir)), 0o600))
		var out, errb bytes.Buffer
		done := make(chan int, 1)
		go func() {
			done <- run([]string{"sendmail", "-bs", "-C", conf}, bytes.NewReader(in), &out, &errb)
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("sendmail -bs did not end on this input:\n%q\noutput:\n%s", in, out.String())
		}
		told := queueIDs(out.String())
		var kept []string
		des, _ := os.ReadDir(filepath.Join(qdir, "new"))
		for _, de := range des {
			if id, ok := strings.CutSuffix(de.Name(), ".json"); ok {
				kept = append(kept, id)
			}
		}
		slices.Sort(told)
		slices.Sort(kept)
		if !slices.Equal(told, kept) {
			t.Fatalf("queue holds %v, the client was told %v\ninput %q\noutput:\n%s", kept, told, in, out.String())
		}
		if tmp, _ := os.ReadDir(filepath.Join(qdir, "tmp")); len(tmp) != 0 {
			t.Fatalf("drafts left in tmp/: %v\ninput %q", tmp, in)
		}
	})
}
