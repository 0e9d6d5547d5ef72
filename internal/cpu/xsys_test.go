//go:build amd64 && !purego

package cpu

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestMatchesXSys compares the detector with an independent one,
// golang.org/x/sys/cpu, which also checks XCR0 for the OS's register
// support: a detector that reports nothing (and so silently turns every
// assembly kernel off) fails here on any machine with AVX2.
func TestMatchesXSys(t *testing.T) {
	want := Features{AVX2: cpu.X86.HasAVX2, FMA: cpu.X86.HasFMA, AVX512F: cpu.X86.HasAVX512F}
	if got := X86(); got != want {
		t.Fatalf("X86() = %+v, golang.org/x/sys/cpu says %+v", got, want)
	}
	t.Logf("%+v", want)
}
