package main

import "errors"

// RunCmd is a placeholder until issue 6 (notifier) lands.
type RunCmd struct{}

func (c *RunCmd) Run(a *app) error { return usageError{errors.New("not implemented yet")} }
