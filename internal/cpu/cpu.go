// Package cpu reports which x86 vector extensions the CPU and the operating
// system support, for the packages with assembly kernels (internal/gemm,
// internal/vec) to pick theirs once at start-up. It has no state but what
// it reads at init.
package cpu

// Features are the extensions the assembly kernels use. A feature is only
// reported when the OS also saves the registers it needs (XCR0: the YMM
// state for AVX2, the opmask and ZMM state for AVX-512).
type Features struct {
	AVX2    bool
	FMA     bool
	AVX512F bool
}

var x86 = detect()

// X86 returns the features of this machine (all false off amd64 or with
// the purego build tag).
func X86() Features { return x86 }
