package queue

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// crockford is Crockford's base32 alphabet (no I, L, O, U): IDs sort by
// time as strings and survive being read aloud or retyped.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newID returns 10 characters of millisecond time (48 bits, as ULID) and 10
// random characters (50 bits): sortable by creation time, unique across
// processes and hosts without coordination.
func newID(now time.Time) string {
	var b [20]byte
	ms := uint64(now.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	var r [8]byte
	rand.Read(r[:]) // never fails (crypto/rand, Go ≥ 1.24)
	x := binary.BigEndian.Uint64(r[:])
	for i := 19; i >= 10; i-- {
		b[i] = crockford[x&31]
		x >>= 5
	}
	return string(b[:])
}

// validID reports whether id has the shape newID produces. IDs reach the
// file system from the command line (queue drop ID), so anything else —
// "../x", "a/b" — is refused before it becomes a path.
func validID(id string) bool {
	if len(id) != 20 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') || c == 'I' || c == 'L' || c == 'O' || c == 'U' {
			return false
		}
	}
	return true
}
