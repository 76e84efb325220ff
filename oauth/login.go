package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/outboxmail/outbox/config"
)

// PollUnit is the length of one second of RFC 8628 polling interval;
// tests shrink it so that "interval": 1 and slow_down's +5 s take
// milliseconds.
var PollUnit = time.Second

// LoginTimeout bounds a browser sign-in when the device flow's own expiry
// does not apply.
var LoginTimeout = 10 * time.Minute

// LoginOptions configure Login.
type LoginOptions struct {
	// Out receives the instructions for the person: the URL to open and
	// the code to enter. Never a token.
	Out io.Writer
	// NoBrowser: only print the URL (an SSH session, a server).
	NoBrowser bool
	// OpenBrowser opens url in a browser; nil tries $BROWSER, xdg-open or
	// open, and never fails the login when none works.
	OpenBrowser func(url string) error
}

// LoginResult says what Login stored.
type LoginResult struct {
	Flow   string
	Where  string // where the refresh token went, for people; "" for client_credentials
	Scopes []string
	Expiry time.Time // of the access token
}

// Login signs the account in with its flow and stores the tokens:
// device (RFC 8628) and browser (authorization code with PKCE, RFC 7636,
// on a loopback redirect, RFC 8252 §7.3) store a refresh token;
// client_credentials fetches a token to prove the secret works. It is
// also what `outbox config init` calls for its OAuth path.
func Login(ctx context.Context, a *config.Account, opt LoginOptions) (*LoginResult, error) {
	o, err := a.OAuth()
	if err != nil {
		return nil, err
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	st := newStore(o)
	ctx = withClient(ctx, a)
	var tok *oauth2.Token
	switch o.Flow {
	case "client_credentials":
		tok, err = clientCredentials(ctx, a, o)
	case "device":
		tok, err = deviceFlow(ctx, a, o, opt.Out)
	case "browser":
		tok, err = browserFlow(ctx, a, o, opt)
	default:
		return nil, &config.Error{Key: "accounts." + a.Name + ".oauth_flow", Msg: fmt.Sprintf("unknown flow %q", o.Flow)}
	}
	if err != nil {
		return nil, err
	}
	unlock, err := st.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	r := &record{}
	res := &LoginResult{Flow: o.Flow, Expiry: tok.Expiry, Scopes: o.Scopes}
	if o.Flow != "client_credentials" {
		if tok.RefreshToken == "" {
			hint := ""
			if o.Provider == "microsoft" {
				hint = " (include offline_access in oauth_scopes)"
			}
			return nil, &Error{Account: o.Account, Msg: "the provider signed you in but sent no refresh token" + hint + "; outbox needs one to send later without you"}
		}
		where, err := st.saveRefresh(r, tok.RefreshToken)
		if err != nil {
			return nil, err
		}
		res.Where = st.describe(where)
	}
	r.cache(tok)
	if err := st.write(r); err != nil {
		return nil, err
	}
	if r.Scope != "" {
		res.Scopes = strings.Fields(r.Scope)
	}
	return res, nil
}

// deviceFlow is RFC 8628: ask for a device code (§3.1), tell the person
// where to enter it (§3.3), poll the token endpoint (§3.4) at the
// server's interval, slowing down by 5 s on slow_down (§3.5), until the
// sign-in succeeds, is declined, or the code expires.
func deviceFlow(ctx context.Context, a *config.Account, o *config.OAuth, out io.Writer) (*oauth2.Token, error) {
	secret, err := a.ClientSecret(o)
	if err != nil {
		return nil, err
	}
	cfg := oauthConfig(o, secret)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return nil, deviceError(o, err)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, &Error{Account: o.Account, Msg: fmt.Sprintf("the device authorization endpoint %s sent no device code, user code or verification URL", o.DeviceURL)}
	}
	fmt.Fprintf(out, "To sign in to %s, open %s in a browser (on any device) and enter the code %s\n", a.Username, printable(da.VerificationURI), printable(da.UserCode))
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(out, "(or open %s)\n", printable(da.VerificationURIComplete))
	}
	fmt.Fprintln(out, "Waiting for the sign-in…")

	expiry := da.Expiry
	if expiry.IsZero() {
		expiry = time.Now().Add(LoginTimeout)
	}
	ctx, cancel := context.WithDeadline(ctx, expiry)
	defer cancel()
	// RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the
	// default."
	interval := time.Duration(da.Interval) * PollUnit
	if da.Interval <= 0 {
		interval = 5 * PollUnit
	}
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, &Error{Account: o.Account, Code: "expired_token", Msg: "the sign-in code expired before the sign-in finished; run outbox oauth login again"}
			}
			return nil, fmt.Errorf("oauth: sign-in for %s: %w", o.Account, ctx.Err())
		case <-t.C:
		}
		tok, err := deviceToken(ctx, o, secret, da.DeviceCode)
		if err == nil {
			return tok, nil
		}
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			if ctx.Err() != nil {
				continue // reported by the select
			}
			return nil, tokenError(o, "device_code", err)
		}
		switch re.ErrorCode {
		case "authorization_pending":
		case "slow_down":
			interval += 5 * PollUnit
		case "expired_token":
			return nil, &Error{Account: o.Account, Code: re.ErrorCode, Err: err, Msg: "the sign-in code expired before the sign-in finished; run outbox oauth login again"}
		case "access_denied":
			return nil, &Error{Account: o.Account, Code: re.ErrorCode, Err: err, Msg: "the sign-in was declined (access_denied)" + describe(re.ErrorDescription)}
		default:
			return nil, tokenError(o, "device_code", err)
		}
		t.Reset(interval)
	}
}

func deviceError(o *config.OAuth, err error) error {
	e := tokenError(o, "device authorization", err)
	var oe *Error
	if errors.As(e, &oe) {
		oe.Msg = strings.ReplaceAll(oe.Msg, "token endpoint "+o.TokenURL, "device authorization endpoint "+o.DeviceURL)
	}
	return e
}

// deviceToken is one device access token request (RFC 8628 §3.4).
// x/oauth2's DeviceAccessToken polls with a fixed one-second clock and no
// way to shorten it; this request is the same, with errors as
// *oauth2.RetrieveError.
func deviceToken(ctx context.Context, o *config.OAuth, secret, deviceCode string) (*oauth2.Token, error) {
	v := url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {deviceCode},
		"client_id":   {o.ClientID},
	}
	if secret != "" {
		v.Set("client_secret", secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.TokenURL, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	client := http.DefaultClient
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok {
		client = c
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var tj struct {
		AccessToken  string          `json:"access_token"`
		TokenType    string          `json:"token_type"`
		RefreshToken string          `json:"refresh_token"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
		Scope        string          `json:"scope"`
		Error        string          `json:"error"`
		Description  string          `json:"error_description"`
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	jsonErr := json.Unmarshal(body, &tj)
	if resp.StatusCode < 200 || resp.StatusCode > 299 || tj.Error != "" || tj.AccessToken == "" {
		re := &oauth2.RetrieveError{Response: resp, Body: body, ErrorCode: tj.Error, ErrorDescription: tj.Description}
		if jsonErr != nil && (ct == "application/x-www-form-urlencoded" || ct == "text/plain") {
			if q, err := url.ParseQuery(string(body)); err == nil {
				re.ErrorCode, re.ErrorDescription = q.Get("error"), q.Get("error_description")
			}
		}
		return nil, re
	}
	tok := &oauth2.Token{AccessToken: tj.AccessToken, TokenType: tj.TokenType, RefreshToken: tj.RefreshToken}
	// expires_in is a number, but some servers send a string.
	if n, err := strconv.ParseInt(strings.Trim(string(tj.ExpiresIn), `"`), 10, 64); err == nil && n > 0 {
		tok.Expiry = time.Now().Add(time.Duration(n) * time.Second)
	}
	if tj.Scope != "" {
		tok = tok.WithExtra(map[string]any{"scope": tj.Scope})
	}
	return tok, nil
}

// browserFlow is the authorization code grant with PKCE S256 (RFC 7636
// §4) and a loopback redirect on 127.0.0.1 with a port the kernel picks
// (RFC 8252 §7.3; Google requires it for installed apps). The state
// parameter ties the redirect to this sign-in (RFC 6749 §10.12).
func browserFlow(ctx context.Context, a *config.Account, o *config.OAuth, opt LoginOptions) (*oauth2.Token, error) {
	secret, err := a.ClientSecret(o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("oauth: listen on 127.0.0.1 for the sign-in redirect: %w", err)
	}
	cfg := oauthConfig(o, secret)
	cfg.RedirectURL = fmt.Sprintf("http://127.0.0.1:%d/", ln.Addr().(*net.TCPAddr).Port)
	verifier := oauth2.GenerateVerifier()
	state := rand.Text()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("login_hint", a.Username)}
	if o.Provider == "google" {
		// Without these Google sends a refresh token only on the
		// first consent.
		opts = append(opts, oauth2.AccessTypeOffline, oauth2.SetAuthURLParam("prompt", "consent"))
	}
	authURL := cfg.AuthCodeURL(state, opts...)

	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("state") == "" && q.Get("code") == "" && q.Get("error") == "" {
				http.NotFound(w, r) // a favicon request, a port scan
				return
			}
			var res result
			switch {
			case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
				res.err = &Error{Account: o.Account, Msg: "the sign-in redirect carried the wrong state parameter (a stale browser tab, or a forged request); run outbox oauth login again"}
			case q.Get("error") != "":
				res.err = &Error{Account: o.Account, Code: q.Get("error"), Msg: fmt.Sprintf("the sign-in failed: %s%s", printable(q.Get("error")), describe(q.Get("error_description")))}
			case q.Get("code") == "":
				res.err = &Error{Account: o.Account, Msg: "the sign-in redirect carried no authorization code"}
			default:
				res.code = q.Get("code")
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			if res.err != nil {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, "<!doctype html><title>outbox</title><p>Sign-in failed: %s</p>\n", html.EscapeString(res.err.Error()))
			} else {
				fmt.Fprint(w, "<!doctype html><title>outbox</title><p>outbox is signed in. You can close this tab.</p>\n")
			}
			select {
			case done <- res:
			default:
			}
		}),
	}
	go srv.Serve(ln)
	defer srv.Close()

	fmt.Fprintf(opt.Out, "To sign in to %s, open this URL in a browser on this machine:\n\n  %s\n\nWaiting for the sign-in (redirect to %s)…\n", a.Username, authURL, cfg.RedirectURL)
	if !opt.NoBrowser {
		open := opt.OpenBrowser
		if open == nil {
			open = openBrowser
		}
		// Best effort: the URL is printed either way.
		_ = open(authURL)
	}

	ctx, cancel := context.WithTimeout(ctx, LoginTimeout)
	defer cancel()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, &Error{Account: o.Account, Msg: fmt.Sprintf("no sign-in within %v; run outbox oauth login again", LoginTimeout)}
		}
		return nil, fmt.Errorf("oauth: sign-in for %s: %w", o.Account, ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	tok, err := cfg.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, tokenError(o, "authorization_code", err)
	}
	return tok, nil
}

// openBrowser tries $BROWSER, then the desktop's opener. Where there is
// no display it does nothing: the printed URL is the way.
func openBrowser(u string) error {
	var argv []string
	switch {
	case os.Getenv("BROWSER") != "":
		argv = []string{os.Getenv("BROWSER"), u}
	case runtime.GOOS == "darwin":
		argv = []string{"open", u}
	case runtime.GOOS == "windows":
		argv = []string{"rundll32", "url.dll,FileProtocolHandler", u}
	case os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "":
		argv = []string{"xdg-open", u}
	default:
		return errors.New("no display")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it; its exit status does not matter
	return nil
}

// printable strips control characters from text a server sent, before it
// reaches the person's terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
