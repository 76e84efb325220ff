package main

import "errors"

// CheckCmd is a placeholder until issue 7 (check) lands.
type CheckCmd struct{}

func (c *CheckCmd) Run(a *app) error { return usageError{errors.New("not implemented yet")} }
