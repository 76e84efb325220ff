package main

import (
	"io"
	"testing"
)

// BenchmarkVersion is the in-process part of `outbox --version` (bench/run
// row 1: process start): printing the version, without building the kong
// model of the whole CLI (issue 13). The rest of the start is the runtime,
// package init and the kernel's exec; bench/startup measures all of it.
func BenchmarkVersion(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if code := run([]string{"outbox", "--version"}, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
