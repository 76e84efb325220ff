package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/outboxmail/outbox/internal/smtptest"
	"github.com/outboxmail/outbox/oauth"
	"github.com/outboxmail/outbox/oauth/oauthtest"
)

// The outbox processes the scripts start are this test binary, so this
// also shortens their RFC 8628 polling: "interval": 1 is 1 ms.
func init() { oauth.PollUnit = time.Millisecond }

// oauthToken is the access token every test authorization server issues,
// and the one the XOAUTH2 test SMTP server accepts for oauth@example.com.
const oauthToken = "smtp-access-token"

// Issue 9: the OAuth2 CLI stories in testdata/oauth/*.txtar. Each script
// gets its own loopback authorization server (oauthtest); they share an
// SMTP server that offers only AUTH XOAUTH2 and requires it. The keyring
// is out of reach (no D-Bus), so tokens go to the 0600 state file.
func TestOAuthScript(t *testing.T) {
	smtpSrv := smtptest.Start(t, smtptest.Options{
		AuthMechs:   []string{"XOAUTH2"},
		Users:       map[string]string{"oauth@example.com": oauthToken, "me@example.com": oauthToken},
		RequireAuth: true,
	})
	servers := map[string]*smtptest.Server{"starttls": smtpSrv}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/oauth",
		Setup: func(env *testscript.Env) error {
			isolateScript(env)
			srv := oauthtest.New()
			srv.AccessToken = oauthToken
			env.Defer(srv.Close)
			env.Values["oauth"] = srv
			env.Setenv("OAUTH_URL", srv.URL)
			// For stories that write their own config (config init).
			env.Setenv("SMTP_PORT", strconv.Itoa(smtpSrv.Port))
			env.Setenv("SMTP_CA", smtpSrv.CAFile)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"oauthconfig": func(ts *testscript.TestScript, neg bool, args []string) { oauthConfig(ts, smtpSrv, args) },
			"oauthserver": oauthServerCmd,
			"received":    func(ts *testscript.TestScript, neg bool, args []string) { received(ts, neg, servers, args) },
			"exits":       exits,
		},
		RequireExplicitExec: true,
	})
}

// oauthconfig FLOW [toml line...] writes ~/.config/outbox/config.toml with
// one account "test" (oauth@example.com on the XOAUTH2 test server) using
// the script's authorization server as a custom provider.
func oauthConfig(ts *testscript.TestScript, smtpSrv *smtptest.Server, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: oauthconfig device|browser|client_credentials [toml line...]")
	}
	srv := ts.Value("oauth").(*oauthtest.Server)
	var b strings.Builder
	fmt.Fprintf(&b, "default_domain = \"example.com\"\n\n[accounts.test]\n")
	fmt.Fprintf(&b, "host = \"127.0.0.1\"\nport = %d\ntls_ca_file = %q\nusername = \"oauth@example.com\"\n", smtpSrv.Port, smtpSrv.CAFile)
	fmt.Fprintf(&b, "from = \"OAuth Sender <oauth@example.com>\"\ntimeout = \"5s\"\nauth = \"xoauth2\"\n")
	fmt.Fprintf(&b, "oauth_provider = \"custom\"\noauth_flow = %q\noauth_client_id = %q\n", args[0], srv.ClientID)
	fmt.Fprintf(&b, "oauth_auth_url = %q\noauth_device_url = %q\noauth_token_url = %q\n", srv.AuthURL, srv.DeviceURL, srv.TokenURL)
	fmt.Fprintf(&b, "oauth_scopes = [\"mail.send\", \"offline_access\"]\n")
	for _, line := range args[1:] {
		b.WriteString(line + "\n")
	}
	path := filepath.Join(ts.Getenv("XDG_CONFIG_HOME"), "outbox", "config.toml")
	ts.Check(os.MkdirAll(filepath.Dir(path), 0o700))
	ts.Check(os.WriteFile(path, []byte(b.String()), 0o600))
}

// oauthserver approve | revoke | expires-in SECONDS | count GRANT N |
// browse FILE acts on the script's authorization server: approve lets
// device codes through (the person entered the code); revoke voids every
// refresh token; count asserts the number of token requests of a grant;
// browse waits for FILE to hold a URL (written by the $BROWSER the
// script set up) and opens it the way a browser would, following the
// redirect back to outbox's loopback listener.
func oauthServerCmd(ts *testscript.TestScript, neg bool, args []string) {
	srv := ts.Value("oauth").(*oauthtest.Server)
	if len(args) == 0 {
		ts.Fatalf("usage: oauthserver approve|revoke|expires-in N|count GRANT N|browse FILE")
	}
	switch args[0] {
	case "approve":
		srv.Approve()
	case "revoke":
		srv.RevokeAll()
	case "expires-in":
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		srv.SetExpiresIn(n)
	case "count":
		if len(args) != 3 {
			ts.Fatalf("usage: oauthserver count GRANT N")
		}
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		if got := srv.Count(args[1]); got != want {
			ts.Fatalf("%d %s token requests, want %d", got, args[1], want)
		}
	case "browse":
		path := ts.MkAbs(args[1])
		var u string
		for deadline := time.Now().Add(10 * time.Second); ; {
			b, err := os.ReadFile(path)
			if u = strings.TrimSpace(string(b)); err == nil && u != "" {
				break
			}
			if time.Now().After(deadline) {
				ts.Fatalf("no URL in %s", args[1])
			}
			time.Sleep(20 * time.Millisecond) // polling with a deadline
		}
		resp, err := http.Get(u)
		ts.Check(err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(ts.Stdout(), "%d %s\n", resp.StatusCode, body)
	default:
		ts.Fatalf("oauthserver: unknown action %q", args[0])
	}
}
