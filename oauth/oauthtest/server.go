// Package oauthtest is a loopback OAuth2 authorization server for tests:
// device authorization (RFC 8628), authorization code with PKCE
// verification (RFC 7636) behind an auto-approving /authorize page, and
// a token endpoint for the device_code, authorization_code,
// refresh_token (with rotation) and client_credentials grants, with the
// error responses clients must handle (authorization_pending,
// slow_down, expired_token, invalid_grant, invalid_client).
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running test authorization server.
type Server struct {
	URL       string // base URL, http://127.0.0.1:PORT
	AuthURL   string // URL + "/authorize"
	DeviceURL string // URL + "/device"
	TokenURL  string // URL + "/token"

	ClientID     string // accepted client; "" accepts any
	ClientSecret string // required for client_credentials (and checked when sent)
	// AccessToken, when set, is issued every time (so that a test SMTP
	// server with a fixed user table accepts it); else "at-1", "at-2"...
	AccessToken string
	Scope       string // granted scope echoed in responses; "" → the requested one

	srv *httptest.Server

	mu          sync.Mutex
	expiresIn   int
	interval    int
	rotate      bool
	slowDowns   int  // answer slow_down to this many polls first
	expireCodes bool // answer expired_token to device polls
	approved    bool
	devices     map[string]*device // by device code
	codes       map[string]*authCode
	refresh     map[string]bool // refresh token → valid
	counts      map[string]int  // token requests by grant_type
	issued      []string        // access tokens, in order
	n           int
	polls       int
	pollTimes   []time.Time // when each device poll arrived
}

type device struct{ userCode string }

type authCode struct {
	redirect, challenge, method, clientID string
}

// Start runs a server until the test ends (see New).
func Start(t testing.TB) *Server {
	s := New()
	t.Cleanup(s.Close)
	return s
}

// New runs a server until Close. Defaults: access tokens live 3600 s,
// the device poll interval is 1 (seconds, scaled by the client's
// PollUnit), refresh tokens rotate on every use.
func New() *Server {
	s := &Server{
		ClientID:     "outbox-test",
		ClientSecret: "client-secret",
		expiresIn:    3600,
		interval:     1,
		rotate:       true,
		devices:      map[string]*device{},
		codes:        map[string]*authCode{},
		refresh:      map[string]bool{},
		counts:       map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /device", s.device)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /authorize", s.authorize)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	s.AuthURL, s.DeviceURL, s.TokenURL = s.URL+"/authorize", s.URL+"/device", s.URL+"/token"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetExpiresIn sets expires_in of the access tokens issued from now on.
func (s *Server) SetExpiresIn(sec int) { s.mu.Lock(); s.expiresIn = sec; s.mu.Unlock() }

// SetInterval sets the device flow's poll interval.
func (s *Server) SetInterval(sec int) { s.mu.Lock(); s.interval = sec; s.mu.Unlock() }

// SetRotate turns refresh token rotation on or off.
func (s *Server) SetRotate(on bool) { s.mu.Lock(); s.rotate = on; s.mu.Unlock() }

// SlowDown makes the next n device polls answer slow_down.
func (s *Server) SlowDown(n int) { s.mu.Lock(); s.slowDowns = n; s.mu.Unlock() }

// ExpireDeviceCodes makes device polls answer expired_token.
func (s *Server) ExpireDeviceCodes() { s.mu.Lock(); s.expireCodes = true; s.mu.Unlock() }

// Approve lets pending and future device codes through: the person
// entered the code and consented.
func (s *Server) Approve() { s.mu.Lock(); s.approved = true; s.mu.Unlock() }

// DeviceCodes is the number of device codes handed out so far.
func (s *Server) DeviceCodes() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.devices) }

// Polls is the number of device token requests so far.
func (s *Server) Polls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

// PollGaps is the time between consecutive device polls as the server saw
// them (one fewer than Polls): what a client's polling interval looks
// like from the server's side (RFC 8628 §3.5).
func (s *Server) PollGaps() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gaps []time.Duration
	for i := 1; i < len(s.pollTimes); i++ {
		gaps = append(gaps, s.pollTimes[i].Sub(s.pollTimes[i-1]))
	}
	return gaps
}

// RevokeAll invalidates every refresh token: the user changed their
// password, or an admin revoked the sessions.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.refresh {
		s.refresh[k] = false
	}
}

// ValidRefreshTokens are the refresh tokens that still work.
func (s *Server) ValidRefreshTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, ok := range s.refresh {
		if ok {
			out = append(out, k)
		}
	}
	return out
}

// Count is the number of token requests with grant_type grant ("device",
// "authorization_code", "refresh_token", "client_credentials"), counting
// only successful ones.
func (s *Server) Count(grant string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.counts[grant] }

// Issued returns the access tokens issued so far.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

func (s *Server) device(w http.ResponseWriter, r *http.Request) {
	if !s.clientOK(r, false) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	s.mu.Lock()
	code, user := rand.Text(), strings.ToUpper(rand.Text()[:8])
	s.devices[code] = &device{userCode: user}
	interval := s.interval
	s.mu.Unlock()
	writeJSON(w, map[string]any{
		"device_code":      code,
		"user_code":        user,
		"verification_uri": s.URL + "/devicelogin",
		"expires_in":       900,
		"interval":         interval,
	})
}

// authorize is the person's browser at the authorization endpoint: it
// checks the request, "consents" at once, and redirects back with a code
// (RFC 6749 §4.1.2).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	switch {
	case q.Get("response_type") != "code":
		back.Set("error", "unsupported_response_type")
	case s.ClientID != "" && q.Get("client_id") != s.ClientID:
		back.Set("error", "unauthorized_client")
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		back.Set("error", "invalid_request")
		back.Set("error_description", "PKCE S256 required")
	default:
		code := rand.Text()
		s.mu.Lock()
		s.codes[code] = &authCode{redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), clientID: q.Get("client_id")}
		s.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	grant := r.PostForm.Get("grant_type")
	if !s.clientOK(r, grant == "client_credentials") {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch grant {
	case "urn:ietf:params:oauth:grant-type:device_code":
		d := s.devices[r.PostForm.Get("device_code")]
		if d == nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
			return
		}
		s.polls++
		s.pollTimes = append(s.pollTimes, time.Now())
		switch {
		case s.expireCodes:
			oauthError(w, http.StatusBadRequest, "expired_token", "the device code expired")
		case s.slowDowns > 0:
			s.slowDowns--
			oauthError(w, http.StatusBadRequest, "slow_down", "")
		case !s.approved:
			oauthError(w, http.StatusBadRequest, "authorization_pending", "")
		default:
			delete(s.devices, r.PostForm.Get("device_code"))
			s.issue(w, "device", r.PostForm.Get("scope"), true)
		}
	case "authorization_code":
		c := s.codes[r.PostForm.Get("code")]
		delete(s.codes, r.PostForm.Get("code")) // one use (RFC 6749 §4.1.2)
		switch {
		case c == nil:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		case c.redirect != r.PostForm.Get("redirect_uri"):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs")
		case !pkceOK(c, r.PostForm.Get("code_verifier")):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		default:
			s.issue(w, "authorization_code", r.PostForm.Get("scope"), true)
		}
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if !s.refresh[rt] {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70008: The refresh token has expired or was revoked.\r\nTrace ID: 1234")
			return
		}
		if s.rotate {
			s.refresh[rt] = false
		}
		s.issue(w, "refresh_token", r.PostForm.Get("scope"), s.rotate)
	case "client_credentials":
		s.issue(w, "client_credentials", r.PostForm.Get("scope"), false)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", grant)
	}
}

// issue writes a token response (RFC 6749 §5.1); s.mu is held.
func (s *Server) issue(w http.ResponseWriter, grant, scope string, newRefresh bool) {
	s.counts[grant]++
	s.n++
	at := s.AccessToken
	if at == "" {
		at = fmt.Sprintf("at-%d", s.n)
	}
	s.issued = append(s.issued, at)
	if s.Scope != "" {
		scope = s.Scope
	}
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": s.expiresIn}
	if scope != "" {
		resp["scope"] = scope
	}
	if newRefresh {
		rt := "rt-" + rand.Text()
		s.refresh[rt] = true
		resp["refresh_token"] = rt
	}
	writeJSON(w, resp)
}

// clientOK checks client authentication: client_id (and the secret when
// required or sent) as form parameters or HTTP Basic (RFC 6749 §2.3.1).
func (s *Server) clientOK(r *http.Request, needSecret bool) bool {
	r.ParseForm()
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if s.ClientID != "" && id != s.ClientID {
		return false
	}
	if needSecret || secret != "" {
		return subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) == 1
	}
	return true
}

// pkceOK verifies the code verifier (RFC 7636 §4.6).
func pkceOK(c *authCode, verifier string) bool {
	if c.method != "S256" || len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]) == c.challenge
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	m := map[string]string{"error": code}
	if desc != "" {
		m["error_description"] = desc
	}
	json.NewEncoder(w).Encode(m)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}
