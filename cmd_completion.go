package main

import "errors"

// CompletionCmd is a placeholder until issue 7 (completions) lands.
type CompletionCmd struct{}

func (c *CompletionCmd) Run(a *app) error { return usageError{errors.New("not implemented yet")} }
