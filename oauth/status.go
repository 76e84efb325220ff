package oauth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outboxmail/outbox/config"
)

// Info is what `outbox oauth status` shows. It holds no token.
type Info struct {
	Account, Provider, Flow, ClientID string
	TokenURL                          string
	// Refresh: where the refresh token is ("" when there is none);
	// KeyringNote: why the keyring could not be asked, when it couldn't.
	Refresh     string
	KeyringNote string
	// HasAccess: an access token is cached; it expires at AccessExpiry
	// and is used until ExpiryMargin before that.
	HasAccess    bool
	AccessExpiry time.Time
	AccessFresh  bool
	// Scopes: as granted when the provider said, else as requested.
	Scopes    []string
	CacheFile string
}

// Status reports the account's stored tokens without contacting anyone.
func Status(a *config.Account) (*Info, error) {
	o, err := a.OAuth()
	if err != nil {
		return nil, err
	}
	st := newStore(o)
	r := st.read()
	info := &Info{Account: o.Account, Provider: o.Provider, Flow: o.Flow, ClientID: o.ClientID, TokenURL: o.TokenURL,
		Scopes: o.Scopes, CacheFile: st.path}
	if o.Flow != "client_credentials" {
		_, where, note := st.loadRefresh(r)
		if where != "" {
			info.Refresh = st.describe(where)
		}
		info.KeyringNote = note
	}
	if r.AccessToken != "" {
		info.HasAccess, info.AccessExpiry, info.AccessFresh = true, r.Expiry, r.fresh()
	}
	if r.Scope != "" {
		info.Scopes = strings.Fields(r.Scope)
	}
	return info, nil
}

// Logout removes the account's refresh token (keyring and file) and the
// cached access token. It returns what it removed, for people; nothing
// removed is not an error.
func Logout(a *config.Account) ([]string, error) {
	o, err := a.OAuth()
	if err != nil {
		return nil, err
	}
	st := newStore(o)
	unlock, err := st.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var removed []string
	err = config.KeyringDelete(st.keyringUser)
	switch {
	case err == nil:
		removed = append(removed, st.describe(inKeyring))
	case errors.Is(err, config.ErrKeyringNotFound), errors.Is(err, config.ErrKeyringUnavailable):
	default:
		return nil, &Error{Account: o.Account, Msg: fmt.Sprintf("can't delete the refresh token from the keyring: %v", err), Err: err}
	}
	ok, err := st.remove()
	if err != nil {
		return removed, err
	}
	if ok {
		removed = append(removed, "the file "+st.path)
	}
	return removed, nil
}
