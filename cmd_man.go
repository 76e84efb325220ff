package main

import (
	"github.com/alecthomas/kong"

	"github.com/outboxmail/outbox/man"
)

// ManCmd prints outbox(1), generated from the same kong model that parses
// the command line (the copy in man/outbox.1 is checked by docs_test.go).
type ManCmd struct{}

func (c *ManCmd) Run(a *app, kctx *kong.Context) error {
	return man.Write(a.stdout, kctx.Model)
}
