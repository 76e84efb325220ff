package smtptest

import (
	"errors"
	"strings"
	"testing"
)

func TestOAuthBearerServer(t *testing.T) {
	check := func(user, token string) error {
		if user != "me@example.com" || token != "tok" {
			return errors.New("refused")
		}
		return nil
	}
	ok := oauthBearerServer(check)
	if _, done, err := ok.Next([]byte("n,a=me@example.com,\x01auth=Bearer tok\x01\x01")); !done || err != nil {
		t.Fatalf("good token: done=%v err=%v", done, err)
	}
	bad := oauthBearerServer(check)
	ch, done, err := bad.Next([]byte("n,a=me@example.com,\x01auth=Bearer other\x01\x01"))
	if done || err != nil || !strings.Contains(string(ch), "invalid_token") {
		t.Fatalf("bad token: challenge=%q done=%v err=%v", ch, done, err)
	}
	if _, done, err := bad.Next([]byte{1}); !done || err == nil {
		t.Fatalf("after %%x01: done=%v err=%v", done, err)
	}
}
