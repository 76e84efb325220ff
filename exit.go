package main

import (
	"errors"

	"github.com/outboxmail/outbox/config"
	"github.com/outboxmail/outbox/mime"
	"github.com/outboxmail/outbox/notify"
	"github.com/outboxmail/outbox/oauth"
	"github.com/outboxmail/outbox/queue"
	"github.com/outboxmail/outbox/send"
	"github.com/outboxmail/outbox/sendmail"
)

// Exit codes from sysexits.h (SPEC §4).
const (
	exOK          = 0
	exUsage       = 64
	exDataErr     = 65
	exNoInput     = 66
	exNoUser      = 67
	exUnavailable = 69
	exSoftware    = 70
	exCantCreat   = 73
	exIOErr       = 74
	exTempFail    = 75
	exProtocol    = 76
	exNoPerm      = 77
	exConfig      = 78
)

// exitCode maps an error to its sysexits(3) status. It is the only place
// that knows about exit codes.
func exitCode(err error) int {
	if err == nil {
		return exOK
	}
	var (
		st    *notify.ExitStatus
		ex    exitError
		usage usageError
		smu   *sendmail.UsageError
		cfg   *config.Error
		oerr  *oauth.Error
		mfile *mime.FileError
		mmsg  *mime.Error
		qerr  *queue.Error
		serr  *send.Error
	)
	switch {
	case errors.As(err, &st):
		// outbox run exits with its command's status, even when the
		// alert about it failed too (that error is printed).
		return st.Code
	case errors.As(err, &ex):
		return ex.code
	case errors.As(err, &usage), errors.As(err, &smu):
		return exUsage
	case errors.As(err, &cfg):
		return exConfig
	case errors.As(err, &oerr):
		if oerr.Temporary {
			return exTempFail
		}
		return exNoPerm
	case errors.As(err, &mfile):
		return exNoInput
	case errors.As(err, &mmsg):
		return exDataErr
	case errors.As(err, &qerr) && qerr.Kind == queue.KindWrite:
		return exCantCreat
	case errors.As(err, &qerr) && qerr.Kind == queue.KindBusy:
		return exTempFail
	case errors.As(err, &qerr) && qerr.Kind == queue.KindNotFound:
		return exNoInput
	case errors.As(err, &serr):
		return sendExitCode(serr)
	}
	return exSoftware
}

// sendExitCode classifies an SMTP failure (SPEC §4).
func sendExitCode(e *send.Error) int {
	switch {
	case e.Kind == send.KindTLSPolicy || (e.Kind == send.KindAuth && !e.Temporary):
		return exNoPerm
	case e.Kind == send.KindConfig:
		return exConfig
	case e.Kind == send.KindProtocol:
		return exProtocol
	case e.Temporary:
		return exTempFail
	case e.Op == "rcpt":
		return exNoUser
	}
	return exUnavailable
}
