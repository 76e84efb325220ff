//go:build windows || plan9 || js || wasip1

package maillog

import "errors"

func openSyslog(network, addr string) (Logger, error) {
	return nil, errors.New(`maillog: syslog is not available on this system; set log to a file path or "none"`)
}
