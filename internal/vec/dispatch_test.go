//go:build amd64 && !purego

package vec

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestBestMatchesCPU: Best is the widest level this machine runs, by an
// independent probe (golang.org/x/sys/cpu); a detector reporting nothing
// would otherwise make the SIMD tests skip and pass.
func TestBestMatchesCPU(t *testing.T) {
	want := Generic
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX2:
		want = AVX512
	case cpu.X86.HasAVX2:
		want = AVX2
	}
	if got := Best(); got != want {
		t.Fatalf("Best() = %v, want %v on this CPU", got, want)
	}
}
