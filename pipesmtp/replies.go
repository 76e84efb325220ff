package pipesmtp

import (
	"bytes"
	"io"
	"strings"
)

// sequenceReplies are go-smtp's (v0.25) replies to a command sent out of
// order, in its exact words. go-smtp answers these with 502 ("command not
// implemented") before any Session hook runs, so no hook can answer them;
// RFC 5321 §4.2.4 and §4.3.2 name 503 "Bad sequence of commands" for them
// (MAIL before HELO/EHLO, RCPT before MAIL, DATA before RCPT, a command
// inside a BDAT transfer). Hence the rewrite lives in the writer, the
// one place outbox sees every reply go by. Only these exact lines change:
// 502 stays for what is really not implemented (HELP, EXPN, TURN,
// "TLS not supported", AUTH's "Authentication not supported"). If a
// go-smtp upgrade rewords one, TestBadInputReplies fails.
var sequenceReplies = []string{
	"502 5.5.1 Please introduce yourself first.",         // MAIL or AUTH before HELO/EHLO
	"502 5.5.1 Missing MAIL FROM command.",               // RCPT before MAIL
	"502 5.5.1 Missing RCPT TO command.",                 // DATA or BDAT before RCPT
	"502 5.5.1 MAIL not allowed during message transfer", // inside BDAT
	"502 5.5.1 RCPT not allowed during message transfer", // inside BDAT
	"502 5.5.1 DATA not allowed during message transfer", // inside BDAT
}

// replyWriter passes the server's replies on to out, with the 502 of each
// line in sequenceReplies turned into 503. go-smtp writes one line per
// Write today, but nothing promises it: a Write may carry several lines
// or part of one, so a line is judged only once it is whole. Bytes that
// can no longer become one of those lines go out at once, so the client
// never waits on a reply held back here.
type replyWriter struct {
	out     io.Writer
	held    []byte // start of the current line, still a prefix of a sequence reply
	midLine bool   // the current line's start has gone out: pass on up to its LF
}

func (w *replyWriter) Write(b []byte) (int, error) {
	var send []byte
	for rest := b; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if w.midLine {
				send = append(send, rest...)
				break
			}
			w.held = append(w.held, rest...)
			if !maybeSequence(w.held) {
				send = append(send, w.held...)
				w.held, w.midLine = nil, true
			}
			break
		}
		line := rest[:i+1]
		rest = rest[i+1:]
		if w.midLine {
			send = append(send, line...)
			w.midLine = false
			continue
		}
		whole := append(w.held, line...)
		w.held = nil
		send = append(send, rewriteSequence(whole)...)
	}
	if len(send) > 0 {
		if _, err := w.out.Write(send); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// flush sends a held partial line as it is (the session is ending).
func (w *replyWriter) flush() error {
	if len(w.held) == 0 {
		return nil
	}
	_, err := w.out.Write(w.held)
	w.held = nil
	return err
}

// maybeSequence says whether p, the start of a line, may still grow into
// one of sequenceReplies.
func maybeSequence(p []byte) bool {
	for _, r := range sequenceReplies {
		if strings.HasPrefix(r+"\r\n", string(p)) {
			return true
		}
	}
	return false
}

// rewriteSequence returns line (which ends in LF) with 502 made 503 when
// it is one of sequenceReplies.
func rewriteSequence(line []byte) []byte {
	text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
	for _, r := range sequenceReplies {
		if text == r {
			return append([]byte("503"), line[3:]...)
		}
	}
	return line
}
