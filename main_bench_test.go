package main

import (
	"io"
	"testing"
)

// BenchmarkVersion is the in-process part of `outbox --version` (bench/run
// row 1: process start ≤ 5 ms): building the kong model of the whole CLI
// and printing the version. The rest of the start is the runtime, package
// init and the kernel's exec.
func BenchmarkVersion(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if code := run([]string{"outbox", "--version"}, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
