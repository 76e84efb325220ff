package oauth

// Error is an OAuth2 failure a person has to act on: not signed in, a
// sign-in that expired or was revoked (invalid_grant), a client or scope
// the provider refuses, a declined or timed-out sign-in; or, Temporary, a
// token endpoint that can't be reached or answers 5xx. main maps it to
// exit 77 (75 when Temporary). Msg never holds a token: provider replies
// are reduced to their error code and a bounded description.
type Error struct {
	Account   string
	Code      string // the provider's error code (RFC 6749 §5.2, RFC 8628 §3.5), "" when none
	Temporary bool
	Msg       string
	Err       error // cause; may be an *oauth2.RetrieveError, whose text is never shown
}

func (e *Error) Error() string { return "oauth: " + e.Msg }

func (e *Error) Unwrap() error { return e.Err }
