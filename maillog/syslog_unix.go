//go:build !windows && !plan9 && !js && !wasip1

package maillog

import (
	"fmt"
	"log/syslog"
)

// syslogLogger sends to the local syslog daemon with facility mail, as
// MTAs do, tagged "outbox". Severity follows the result: info for sent and
// queued, warning for deferred, err for failed and expired.
type syslogLogger struct{ w *syslog.Writer }

func openSyslog(network, addr string) (Logger, error) {
	w, err := syslog.Dial(network, addr, syslog.LOG_MAIL|syslog.LOG_INFO, "outbox")
	if err != nil {
		return nil, fmt.Errorf("maillog: connect to syslog: %w", err)
	}
	return &syslogLogger{w: w}, nil
}

func (l *syslogLogger) Log(r *Record) error {
	var err error
	switch line := r.String(); r.Result {
	case Failed, Expired:
		err = l.w.Err(line)
	case Deferred:
		err = l.w.Warning(line)
	default:
		err = l.w.Info(line)
	}
	if err != nil {
		return fmt.Errorf("maillog: syslog: %w", err)
	}
	return nil
}

func (l *syslogLogger) Close() error { return l.w.Close() }
