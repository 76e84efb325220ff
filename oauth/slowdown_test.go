package oauth

import (
	"testing"
	"time"

	"github.com/outboxmail/outbox/oauth/oauthtest"
)

// Issue 17 finding 4: slow_down (RFC 8628 §3.5: "the interval MUST be
// increased by 5 seconds for this and all subsequent requests") is judged
// by the gaps the server saw between polls, not by how long the login took
// on the test's clock. A gap can only be longer than the client's interval
// (a loaded machine delays a poll, never hastens it), so the lower bounds
// hold for a correct client however busy the machine. PollUnit is raised
// here so that a client ignoring slow_down (gaps of one unit) would need
// every delay to exceed four units, 40 ms, to pass by luck.
func TestDeviceFlowSlowDownIntervals(t *testing.T) {
	old := PollUnit
	PollUnit = 10 * time.Millisecond
	t.Cleanup(func() { PollUnit = old })
	setup(t)
	srv := oauthtest.Start(t)
	srv.SlowDown(2)
	a := account(t, srv, "smtp.example.com", 587, "device")
	deviceLogin(t, srv, a)
	// Interval 1; slow_down → 6; slow_down → 11; then the token.
	gaps := srv.PollGaps()
	want := []time.Duration{6 * PollUnit, 11 * PollUnit}
	if len(gaps) != len(want) {
		t.Fatalf("server saw %d polls (gaps %v), want 3: two slow_down, then the token", srv.Polls(), gaps)
	}
	for i, g := range gaps {
		if g < want[i] {
			t.Errorf("gap %d between polls was %v, want at least %v (interval +5 after each slow_down); all gaps %v", i+1, g, want[i], gaps)
		}
	}
}
