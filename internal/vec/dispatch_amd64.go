//go:build amd64 && !purego

package vec

//go:generate go run gen_kernels.go

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// detect returns the best Level the CPU and the OS support: AVX512 needs
// AVX-512F and the OS saving the opmask and ZMM state, AVX2 needs AVX2 and
// the OS saving the YMM state (the kernels use no FMA).
func detect() Level {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return Generic
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(osxsave|avx) != osxsave|avx {
		return Generic
	}
	xcr0, _ := xgetbv()
	if xcr0&0x6 != 0x6 { // XMM and YMM state
		return Generic
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const (
		avx2    = 1 << 5
		avx512f = 1 << 16
	)
	switch {
	case ebx7&avx2 == 0:
		return Generic
	case ebx7&avx512f != 0 && xcr0&0xe0 == 0xe0: // opmask, ZMM0-15 upper, ZMM16-31
		return AVX512
	}
	return AVX2
}
