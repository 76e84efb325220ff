// Package man writes outbox's manual page, outbox(1), in roff: the
// commands and flags come from the kong command-line model (so the page
// never lags behind the CLI), the sendmail section from sendmail.Flags, and
// the rest (configuration keys, environment, exit status, files) from the
// tables in content.go, which tests hold against the code they describe.
//
// It writes through github.com/muesli/roff's Document, the builder behind
// github.com/muesli/mango, but lays the page out itself: see page.go.
package man
