//go:build !unix

package oauth

// lock is a no-op where there is no flock(2); concurrent refreshes with
// a rotating refresh token may then need a new sign-in.
func (s *store) lock() (unlock func(), err error) { return func() {}, nil }
