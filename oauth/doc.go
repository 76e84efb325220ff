// Package oauth gets OAuth2 access tokens for SMTP AUTH XOAUTH2 and
// OAUTHBEARER (Microsoft 365, Gmail, or a custom provider): it signs a
// person in with the device authorization grant (RFC 8628) or the
// authorization code grant with PKCE (RFC 7636) on a loopback redirect
// (RFC 8252 §7.3), or uses the client credentials grant (RFC 6749 §4.4)
// for app-only access. The refresh token goes to the OS keyring, or a
// 0600 file when no keyring works; access tokens are cached in the state
// directory until shortly before they expire. Linking the package sets
// config.OAuthToken, through which send fetches the token lazily.
// Tokens never appear in errors. The package never prints on its own.
package oauth
