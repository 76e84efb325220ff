package main

import "errors"

// OAuthCmd is a placeholder until issue 9 (OAuth2) lands.
type OAuthCmd struct{}

func (c *OAuthCmd) Run(a *app) error { return usageError{errors.New("not implemented yet")} }
