package send

import (
	"crypto/x509"
	"sync/atomic"
	"testing"
)

// StubSystemRoots makes pool the system roots until the test ends and
// counts how often they are asked for. Tests using it must not run in
// parallel.
func StubSystemRoots(t testing.TB, pool *x509.CertPool) *atomic.Int32 {
	var n atomic.Int32
	old := systemRoots
	systemRoots = func() *x509.CertPool {
		n.Add(1)
		return pool
	}
	t.Cleanup(func() { systemRoots = old })
	return &n
}

// DataReference is the DATA content (after 354) that go-smtp's own DATA
// writer would send for msg.
func DataReference(msg []byte) []byte { return dataReference(msg) }

// DataCases are interesting message bodies for the DATA path.
var DataCases = dataCases
