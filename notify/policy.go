package notify

import (
	"fmt"
	"strconv"
	"syscall"
)

// Policy says which runs are worth a mail (SPEC §6).
type Policy string

const (
	OnFailure Policy = "failure" // non-zero exit, killed, timed out, or not started (the default)
	OnAlways  Policy = "always"  // every run
	OnOutput  Policy = "output"  // any output on stdout or stderr, as cron mails
	OnChange  Policy = "change"  // the outcome differs from the previous run of the same job
)

// ParsePolicy checks a --on value.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case OnFailure, OnAlways, OnOutput, OnChange:
		return p, nil
	case "":
		return OnFailure, nil
	}
	return "", fmt.Errorf("notify: unknown policy %q: use failure, always, output or change", s)
}

// Outcome is what `change` compares between runs: the exact status, so
// that a monitoring check going from WARNING (exit 1) to CRITICAL (exit 2)
// counts as a change, as does any exit to or from 0.
func (r *Result) Outcome() string {
	switch {
	case r.TimedOut:
		return "timeout"
	case r.Signal != 0:
		return signalName(r.Signal)
	case r.StartErr != nil:
		return "not started"
	}
	return "exit " + strconv.Itoa(r.ExitCode)
}

// Class is what --every rate-limits by: "failure" or "success". Windows are
// per class, so a recovery is never held back behind a burst of failures.
func (r *Result) Class() string {
	if r.Failed() {
		return "failure"
	}
	return "success"
}

// wants applies the policy to a run. prev is the previous run's Outcome,
// known whether there was one. A job with no history counts as having
// succeeded before, so `change` mails a first run only when it fails.
func (p Policy) wants(r *Result, prev string, known bool) bool {
	switch p {
	case OnAlways:
		return true
	case OnOutput:
		return r.OutputSize > 0
	case OnChange:
		if !known {
			return r.Failed()
		}
		return r.Outcome() != prev
	}
	return r.Failed()
}

// signalName is "SIGKILL" for signal 9; others read "signal 42".
func signalName(sig syscall.Signal) string {
	if n, ok := signalNames[sig]; ok {
		return n
	}
	return "signal " + strconv.Itoa(int(sig))
}
