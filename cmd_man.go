package main

import "errors"

// ManCmd is a placeholder until issue 7 (man page) lands.
type ManCmd struct{}

func (c *ManCmd) Run(a *app) error { return usageError{errors.New("not implemented yet")} }
