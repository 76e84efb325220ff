package oauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/oauth/oauthtest"
	"github.com/outboxmail/outbox/send"
)

func init() { PollUnit = time.Millisecond }

// setup isolates the state directory and the password sources, and
// makes the keyring unavailable (no D-Bus), so tokens go to the 0600
// file; keyringTest covers the keyring.
func setup(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	for _, v := range []string{"OUTBOX_CONFIG", "OUTBOX_HOST", "OUTBOX_PORT", "OUTBOX_TLS", "OUTBOX_USERNAME",
		"OUTBOX_PASSWORD", "OUTBOX_FROM", "OUTBOX_ACCOUNT", "CREDENTIALS_DIRECTORY", "DBUS_SESSION_BUS_ADDRESS"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	return dir
}

// sendOptions is what the main package's dialer builds from an account
// (config no longer knows about send): the fields these tests need.
func sendOptions(a *config.Account) send.Options {
	return send.Options{Host: a.Host, Port: a.Port, TLS: send.TLSMode(a.TLS), CAFile: a.TLSCAFile,
		Auth: a.AuthMechanism(), Username: a.Username, Password: a.Secret}
}

// account loads an account "work" using srv as a custom provider.
func account(t *testing.T, srv *oauthtest.Server, host string, port int, flow string, extra ...string) *config.Account {
	t.Helper()
	dir := t.TempDir()
	text := fmt.Sprintf(`[accounts.work]
host = %q
port = %d
username = "me@example.com"
auth = "xoauth2"
timeout = "5s"
oauth_provider = "custom"
oauth_flow = %q
oauth_client_id = "outbox-test"
oauth_auth_url = %q
oauth_device_url = %q
oauth_token_url = %q
%s
`, host, port, flow, srv.AuthURL, srv.DeviceURL, srv.TokenURL, strings.Join(extra, "\n"))
	if !strings.Contains(text, "oauth_scopes") {
		text += `oauth_scopes = ["mail.send", "offline_access"]` + "\n"
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Accounts["work"]
}

// notify calls f once when a line containing marker is written: the
// person reading the instructions and acting on them.
type notify struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	f      func()
}

func (n *notify) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.buf.Write(p)
	if n.f != nil && strings.Contains(n.buf.String(), n.marker) {
		f := n.f
		n.f = nil
		go f()
	}
	return len(p), nil
}

func (n *notify) String() string { n.mu.Lock(); defer n.mu.Unlock(); return n.buf.String() }

func deviceLogin(t *testing.T, srv *oauthtest.Server, a *config.Account) (*LoginResult, *notify) {
	t.Helper()
	out := &notify{marker: "enter the code", f: srv.Approve}
	res, err := Login(context.Background(), a, LoginOptions{Out: out})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	return res, out
}

func readRecord(t *testing.T, a *config.Account) (*record, os.FileInfo) {
	t.Helper()
	o, err := a.OAuth()
	if err != nil {
		t.Fatal(err)
	}
	st := newStore(o)
	fi, err := os.Stat(st.path)
	if err != nil {
		t.Fatal(err)
	}
	return st.read(), fi
}

// Issue 9: device flow (RFC 8628) with slow_down, the refresh token in a
// 0600 file when no keyring works.
func TestDeviceFlow(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	srv.SlowDown(2)
	a := account(t, srv, "smtp.example.com", 587, "device")
	res, out := deviceLogin(t, srv, a)
	if !strings.Contains(out.String(), srv.URL+"/devicelogin") {
		t.Errorf("instructions lack the verification URL:\n%s", out)
	}
	if srv.Polls() < 3 {
		t.Errorf("%d polls, want at least 3 (2 × slow_down, then the token)", srv.Polls())
	}
	// slow_down itself: TestDeviceFlowSlowDownIntervals.
	if !strings.Contains(res.Where, "file") || !strings.Contains(res.Where, "0600") {
		t.Errorf("Where = %q, want the 0600 file", res.Where)
	}
	r, fi := readRecord(t, a)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	if valid := srv.ValidRefreshTokens(); len(valid) != 1 || r.RefreshToken != valid[0] {
		t.Errorf("stored refresh token %q, server's valid ones %q", r.RefreshToken, valid)
	}
	if strings.Contains(out.String(), r.RefreshToken) || strings.Contains(out.String(), r.AccessToken) {
		t.Error("a token was printed")
	}
	// The login's access token is cached: sending needs no token request.
	if tok, err := Token(context.Background(), a); err != nil || tok != r.AccessToken {
		t.Fatalf("Token = %q, %v; want the cached %q", tok, err, r.AccessToken)
	}
	if n := srv.Count("refresh_token"); n != 0 {
		t.Errorf("%d refresh requests, want 0", n)
	}
}

func TestDeviceFlowExpired(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	srv.ExpireDeviceCodes()
	a := account(t, srv, "smtp.example.com", 587, "device")
	_, err := Login(context.Background(), a, LoginOptions{})
	var oe *Error
	if !errors.As(err, &oe) || oe.Code != "expired_token" || !strings.Contains(err.Error(), "run outbox oauth login again") {
		t.Fatalf("err = %v, want expired_token", err)
	}
}

func TestDeviceFlowInterrupted(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "device")
	ctx, cancel := context.WithCancel(context.Background())
	out := &notify{marker: "enter the code", f: cancel}
	_, err := Login(ctx, a, LoginOptions{Out: out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// Issue 9: browser flow — authorization code with PKCE S256 on a
// loopback redirect; the test's HTTP client is the browser.
func TestBrowserFlow(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "browser")
	pages := make(chan string, 1)
	browse := func(u string) error {
		go func() {
			resp, err := http.Get(u) // follows the 302 to 127.0.0.1
			if err != nil {
				pages <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pages <- string(b)
		}()
		return nil
	}
	var out bytes.Buffer
	res, err := Login(context.Background(), a, LoginOptions{Out: &out, OpenBrowser: browse})
	if err != nil {
		t.Fatalf("Login: %v\n%s", err, out.String())
	}
	if srv.Count("authorization_code") != 1 {
		t.Errorf("%d code exchanges, want 1", srv.Count("authorization_code"))
	}
	if !strings.Contains(out.String(), srv.AuthURL+"?") || !strings.Contains(out.String(), "code_challenge_method=S256") {
		t.Errorf("the URL to open is not printed:\n%s", out.String())
	}
	if !strings.Contains(res.Where, "file") {
		t.Errorf("Where = %q", res.Where)
	}
	if p := <-pages; !strings.Contains(p, "signed in") {
		t.Errorf("browser page: %q", p)
	}
}

// A redirect with another state parameter (a forged request, a stale tab)
// is refused (RFC 6749 §10.12).
func TestBrowserFlowBadState(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "browser")
	pages := make(chan string, 1)
	browse := func(u string) error {
		pu, err := url.Parse(u)
		if err != nil {
			return err
		}
		redirect := pu.Query().Get("redirect_uri")
		go func() {
			resp, err := http.Get(redirect + "?state=forged&code=stolen")
			if err != nil {
				pages <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pages <- fmt.Sprint(resp.StatusCode, " ", string(b))
		}()
		return nil
	}
	_, err := Login(context.Background(), a, LoginOptions{OpenBrowser: browse})
	if err == nil || !strings.Contains(err.Error(), "wrong state") {
		t.Fatalf("err = %v, want the state refusal", err)
	}
	if p := <-pages; !strings.HasPrefix(p, "400 ") {
		t.Errorf("browser saw %q, want a 400 page", p)
	}
	if srv.Count("authorization_code") != 0 {
		t.Error("the forged code was exchanged")
	}
}

// Issue 9: token cached across sends; expiry → refresh; the rotated
// refresh token is stored (else the next refresh would be invalid_grant).
func TestRefreshAndRotation(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "device")
	deviceLogin(t, srv, a)
	for range 2 {
		if _, err := Token(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Count("refresh_token"); n != 0 {
		t.Fatalf("%d refreshes for a fresh token, want 0", n)
	}

	// The cached token expires: two hours later it is refreshed.
	now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	defer func() { now = time.Now }()
	srv.SetExpiresIn(30) // shorter than ExpiryMargin: never reused
	tok, err := Token(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	now = time.Now
	if n := srv.Count("refresh_token"); n != 1 {
		t.Fatalf("%d refreshes after expiry, want 1", n)
	}
	if issued := srv.Issued(); tok != issued[len(issued)-1] {
		t.Errorf("Token = %q, want the new %q", tok, issued[len(issued)-1])
	}
	// 30 s < 60 s margin: the next call refreshes again, with the
	// rotated token.
	if _, err := Token(context.Background(), a); err != nil {
		t.Fatalf("second refresh (rotated token): %v", err)
	}
	r, _ := readRecord(t, a)
	if valid := srv.ValidRefreshTokens(); len(valid) != 1 || r.RefreshToken != valid[0] {
		t.Errorf("stored refresh token %q, server's valid ones %q", r.RefreshToken, valid)
	}
	srv.SetExpiresIn(3600)
	Token(context.Background(), a)
	Token(context.Background(), a)
	if n := srv.Count("refresh_token"); n != 3 {
		t.Errorf("%d refreshes, want 3", n)
	}
}

// Issue 9: a revoked refresh token is a permanent authentication failure
// (exit 77) with the command to run.
func TestRevoked(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "device")
	deviceLogin(t, srv, a)
	srv.RevokeAll()
	now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	defer func() { now = time.Now }()

	_, err := Token(context.Background(), a)
	want := `oauth: the sign-in for work expired or was revoked; run: outbox oauth login --account work`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	_, err = sendToken(a)
	var se *send.Error
	if !errors.As(err, &se) || se.Kind != send.KindAuth || se.Temporary {
		t.Fatalf("sendToken err = %#v, want a permanent KindAuth *send.Error", err)
	}
	if !strings.Contains(se.Error(), want) || strings.Contains(se.Error(), "AADSTS") {
		t.Errorf("send error %q", se.Error())
	}
}

func TestNotSignedIn(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "device")
	_, err := Token(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), `account "work" is not signed in; run: outbox oauth login --account work`) {
		t.Fatalf("err = %v", err)
	}
}

// A token endpoint that can't be reached is temporary: the message waits
// in the queue instead of failing.
func TestTokenEndpointDown(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "client_credentials")
	t.Setenv("OUTBOX_PASSWORD", "client-secret")
	srv.Close()
	_, err := sendToken(a)
	var se *send.Error
	if !errors.As(err, &se) || se.Kind != send.KindAuth || !se.Temporary {
		t.Fatalf("err = %v, want a temporary KindAuth *send.Error", err)
	}
	if !strings.Contains(err.Error(), "can't reach the token endpoint") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v", err)
	}
}

// Issue 9: client_credentials (app-only, cron): the secret comes from the
// password sources; the token is cached for the next process.
func TestClientCredentials(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "client_credentials")

	_, err := Token(context.Background(), a)
	var ce *config.Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no OAuth2 client secret") || !strings.Contains(err.Error(), "outbox password set --account work") {
		t.Fatalf("without a secret: %v", err)
	}

	t.Setenv("OUTBOX_PASSWORD", "wrong")
	_, err = Token(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "refused the client") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong secret: %v", err)
	}

	t.Setenv("OUTBOX_PASSWORD", "client-secret")
	for range 3 {
		if _, err := Token(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Count("client_credentials"); n != 1 {
		t.Errorf("%d client_credentials requests, want 1 (then cached)", n)
	}
	r, _ := readRecord(t, a)
	if r.RefreshToken != "" {
		t.Error("client_credentials stored a refresh token")
	}
}

func TestStatusLogout(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "device")
	info, err := Status(a)
	if err != nil || info.Refresh != "" || info.HasAccess {
		t.Fatalf("before login: %+v, %v", info, err)
	}
	deviceLogin(t, srv, a)
	info, err = Status(a)
	if err != nil || !strings.Contains(info.Refresh, "file") || !info.AccessFresh || strings.Join(info.Scopes, " ") != "mail.send offline_access" {
		t.Fatalf("after login: %+v, %v", info, err)
	}
	removed, err := Logout(a)
	if err != nil || len(removed) != 1 {
		t.Fatalf("Logout = %q, %v", removed, err)
	}
	if info, _ := Status(a); info.Refresh != "" || info.HasAccess {
		t.Errorf("after logout: %+v", info)
	}
	if removed, err := Logout(a); err != nil || len(removed) != 0 {
		t.Errorf("second Logout = %q, %v", removed, err)
	}
}

// Changing the client or scopes invalidates the stored tokens instead of
// sending a token issued for other settings.
func TestSettingsChanged(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	a := account(t, srv, "smtp.example.com", 587, "device")
	deviceLogin(t, srv, a)
	b := account(t, srv, "smtp.example.com", 587, "device", `oauth_scopes = ["other"]`)
	if _, err := Token(context.Background(), b); err == nil || !strings.Contains(err.Error(), "not signed in") {
		t.Fatalf("err = %v, want not signed in", err)
	}
}

// Issue 9: sending over XOAUTH2 with the token; two sessions, one token
// request (the login's); the -v transcript never shows the token.
func TestSendXOAUTH2(t *testing.T) {
	setup(t)
	srv := oauthtest.Start(t)
	srv.AccessToken = "tok-for-smtp"
	smtpSrv := smtptest.Start(t, smtptest.Options{AuthMechs: []string{"XOAUTH2"}, Users: map[string]string{"me@example.com": "tok-for-smtp"}, RequireAuth: true})
	a := account(t, srv, smtpSrv.Host, smtpSrv.Port, "device", fmt.Sprintf("tls_ca_file = %q", smtpSrv.CAFile))
	deviceLogin(t, srv, a)

	var transcript bytes.Buffer
	for i := range 2 {
		o := sendOptions(a)
		o.Verbose = &transcript
		c, err := send.Dial(context.Background(), o)
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		rcpt := fmt.Sprintf("to%d@example.com", i)
		if _, err := c.Send(&send.Envelope{From: "me@example.com", To: []string{rcpt}}, strings.NewReader("Subject: hi\r\n\r\nhi\r\n")); err != nil {
			t.Fatalf("Send: %v", err)
		}
		c.Close()
	}
	msgs := smtpSrv.WaitMessages(t, 2)
	if msgs[0].Auth != "me@example.com" {
		t.Errorf("authenticated as %q", msgs[0].Auth)
	}
	if n := len(srv.Issued()); n != 1 {
		t.Errorf("%d tokens issued, want 1 (the login's, cached)", n)
	}
	payload := base64.StdEncoding.EncodeToString([]byte("user=me@example.com\x01auth=Bearer tok-for-smtp\x01\x01"))
	if s := transcript.String(); !strings.Contains(s, "AUTH XOAUTH2") || strings.Contains(s, "tok-for-smtp") || strings.Contains(s, payload) {
		t.Errorf("transcript shows the token or no AUTH:\n%s", s)
	}
}

// The refresh token goes to the real keyring when there is one (test.sh
// runs the tests under a session bus with an unlocked gnome-keyring).
func TestKeyring(t *testing.T) {
	bus := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	setup(t)
	if bus == "" {
		if os.Getenv("OUTBOX_TEST_KEYRING") == "1" {
			t.Fatal("OUTBOX_TEST_KEYRING=1 but no session bus")
		}
		t.Skip("no session bus: run under ./test.sh")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	srv := oauthtest.Start(t)
	// A username of its own, so parallel runs don't share the entry.
	a := account(t, srv, "keyring-"+fmt.Sprint(time.Now().UnixNano())+".example.com", 587, "device")
	res, _ := deviceLogin(t, srv, a)
	if !strings.Contains(res.Where, "keyring") {
		t.Fatalf("Where = %q, want the keyring", res.Where)
	}
	defer Logout(a)
	r, _ := readRecord(t, a)
	if r.RefreshToken != "" {
		t.Error("the refresh token is in the file too")
	}
	got, err := config.KeyringGet(a.OAuthKeyringUser())
	if valid := srv.ValidRefreshTokens(); err != nil || len(valid) != 1 || got != valid[0] {
		t.Errorf("keyring holds %q (%v), server's valid ones %q", got, err, valid)
	}
	removed, err := Logout(a)
	if err != nil || len(removed) != 2 {
		t.Errorf("Logout = %q, %v", removed, err)
	}
	if _, err := config.KeyringGet(a.OAuthKeyringUser()); !errors.Is(err, config.ErrKeyringNotFound) {
		t.Errorf("after logout: %v", err)
	}
}
