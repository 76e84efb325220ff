package main

import "errors"

// ConfigCmd is a placeholder until issue 7 (config init/show/path) lands.
type ConfigCmd struct{}

func (c *ConfigCmd) Run(a *app) error { return usageError{errors.New("not implemented yet")} }
