package queue

import (
	"math/rand/v2"
	"time"
)

// schedule is the wait after the 1st, 2nd, 3rd, 4th failed attempt;
// later attempts wait as long as the last step. RFC 5321 §4.5.4.1 asks for
// at least 30 minutes between retries to one destination; outbox retries
// sooner at first because it talks to its own smarthost (an outage of a
// relay is usually short) and its own mail is often waited for. Hourly
// from then on, as Postfix's maximal_backoff_time (4000 s) and mox's
// hours-long steps, until the age limit (Queue.MaxAge).
var schedule = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}

// Backoff returns the wait, without jitter, after the given number of
// failed attempts (1 = the first attempt failed).
func Backoff(attempts int) time.Duration {
	switch {
	case attempts < 1:
		return 0
	case attempts > len(schedule):
		return schedule[len(schedule)-1]
	}
	return schedule[attempts-1]
}

// jitter spreads retries ±10% so that many queues (or many entries made
// in one outage) don't hit the smarthost in the same second.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	span := int64(d / 5)
	if span <= 0 {
		return d
	}
	return d - d/10 + time.Duration(rand.Int64N(span+1))
}

// nextAttempt is when an entry that has failed attempts times is due.
func (q *Queue) nextAttempt(now time.Time, attempts int) time.Time {
	d := Backoff(attempts)
	if q.Jitter != nil {
		d = q.Jitter(d)
	} else {
		d = jitter(d)
	}
	return now.Add(d)
}
