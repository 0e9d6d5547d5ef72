//go:build amd64 && !purego

package gemm

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestKernelMatchesCPU: the dispatched kernels are the best this machine
// runs, by an independent probe (golang.org/x/sys/cpu). A detector that
// silently reports nothing would leave the generic kernel in place, every
// test green and the speed gone.
func TestKernelMatchesCPU(t *testing.T) {
	want := "generic"
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		want = "avx512"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		want = "avx2"
	}
	if got := Kernel(); got != want {
		t.Fatalf("Kernel() = %q, want %q on this CPU", got, want)
	}
	if got := dKernels[0].name; got != want {
		t.Fatalf("float64 kernel %q, want %q on this CPU", got, want)
	}
}
