package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/outboxmail/outbox/config"
)

// record is the per-account file in the state directory (0600): the
// cached access token, and the refresh token only when no keyring works.
// Config fingerprints the settings the tokens were issued for, so that a
// changed client ID, endpoint or scope list is not served old tokens.
type record struct {
	AccessToken  string    `json:"access_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Scope        string    `json:"scope,omitempty"` // as granted, when the provider said
	RefreshToken string    `json:"refresh_token,omitempty"`
	Config       string    `json:"config"`
}

// store is where one account's tokens live.
type store struct {
	o           *config.OAuth
	keyringUser string // "oauth:<username>@<host>"
	path        string // the record file
}

func newStore(o *config.OAuth) *store {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("@.+-_", r):
			return r
		}
		return '_'
	}, o.StoreKey)
	return &store{
		o:           o,
		keyringUser: "oauth:" + o.StoreKey,
		path:        filepath.Join(config.StateDirectory(), "oauth", name+".json"),
	}
}

// fingerprint identifies what the tokens were issued for.
func fingerprint(o *config.OAuth) string {
	return strings.Join([]string{o.Flow, o.TokenURL, o.ClientID, strings.Join(o.Scopes, " ")}, "|")
}

// read returns the record. A missing, unreadable or garbled one, or one
// written for other settings, is empty: the tokens are fetched again.
func (s *store) read() *record {
	b, err := os.ReadFile(s.path)
	if err != nil {
		return &record{}
	}
	var r record
	if json.Unmarshal(b, &r) != nil || r.Config != fingerprint(s.o) {
		return &record{}
	}
	return &r
}

// write replaces the record atomically (temporary file, fsync, rename),
// so a crash or a concurrent reader never sees half a token.
func (s *store) write(r *record) error {
	r.Config = fingerprint(s.o)
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("oauth: encode token file: %w", err)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("oauth: create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("oauth: write token file: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes 0600 files; say so anyway, the file holds secrets.
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("oauth: write %s: %w", s.path, err)
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("oauth: write %s: %w", s.path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("oauth: write %s: %w", s.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("oauth: write %s: %w", s.path, err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("oauth: write %s: %w", s.path, err)
	}
	ok = true
	return nil
}

// remove deletes the record file; a missing one is not an error.
func (s *store) remove() (bool, error) {
	err := os.Remove(s.path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("oauth: remove %s: %w", s.path, err)
}

// Where a refresh token is kept.
const (
	inKeyring = "keyring"
	inFile    = "file"
)

// loadRefresh finds the refresh token: the keyring first, then the
// record file. where is "" when there is none; keyringNote says why the
// keyring gave nothing when it is not simply empty.
func (s *store) loadRefresh(r *record) (token, where, keyringNote string) {
	tok, err := config.KeyringGet(s.keyringUser)
	if err == nil && tok != "" {
		return tok, inKeyring, ""
	}
	if err != nil && !errors.Is(err, config.ErrKeyringNotFound) {
		keyringNote = err.Error()
	}
	if r.RefreshToken != "" {
		return r.RefreshToken, inFile, keyringNote
	}
	return "", "", keyringNote
}

// saveRefresh stores a refresh token in the keyring, or, when no keyring
// works, in the record (written by the caller). A keyring that works but
// refuses the entry is an error: the token must not silently land in a
// file when the user has a keyring.
func (s *store) saveRefresh(r *record, tok string) (string, error) {
	err := config.KeyringSet(s.keyringUser, tok)
	switch {
	case err == nil:
		r.RefreshToken = ""
		return inKeyring, nil
	case errors.Is(err, config.ErrKeyringUnavailable):
		r.RefreshToken = tok
		return inFile, nil
	}
	return "", &Error{Account: s.o.Account, Msg: fmt.Sprintf("can't store the refresh token in the keyring: %v", err), Err: err}
}

// describe says where a refresh token is, for people.
func (s *store) describe(where string) string {
	switch where {
	case inKeyring:
		return fmt.Sprintf("the keyring (service %q, user %q)", config.KeyringService, s.keyringUser)
	case inFile:
		return fmt.Sprintf("the file %s (mode 0600; no keyring available)", s.path)
	}
	return "nowhere"
}
