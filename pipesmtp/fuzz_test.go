package pipesmtp

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzServe feeds random bytes to a session: no panic, no hang, no 502
// for a command out of sequence, and Deliver's commits match the "queued
// as" replies one for one (the recorder commits only a message read to
// its final dot).
func FuzzServe(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzServe (Symfony's dialogue, BDAT with DSN
	// parameters, commands out of sequence).
	f.Fuzz(func(t *testing.T, in []byte) {
		rec := &recorder{}
		var out bytes.Buffer
		done := make(chan *Result, 1)
		go func() {
			res, err := Serve(bytes.NewReader(in), &out, Options{Deliver: rec.deliver, MaxMessageBytes: 1 << 16, MaxLineLength: 1 << 12})
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
		var res *Result
		select {
		case res = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("session did not end on %q", in)
		}
		// RFC 5321 §4.2.4: no sequence error reaches the client as 502.
		for _, r := range sequenceReplies {
			if strings.Contains("\n"+out.String(), "\n"+r+"\r\n") {
				t.Fatalf("%q reached the client\ninput %q", r, in)
			}
		}
		told := strings.Count(out.String(), " Ok: queued as ID")
		if n := len(rec.all()); n != told || res.Delivered != n {
			t.Fatalf("%d committed, %d replies said so, Result.Delivered %d\ninput %q\noutput:\n%s", n, told, res.Delivered, in, out.String())
		}
	})
}
