//go:build amd64 && !purego

package cpu

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

func detect() Features {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return Features{}
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(osxsave|avx) != osxsave|avx {
		return Features{}
	}
	xcr0, _ := xgetbv()
	if xcr0&0x6 != 0x6 { // XMM and YMM state
		return Features{}
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const (
		avx2    = 1 << 5
		avx512f = 1 << 16
	)
	return Features{
		AVX2:    ebx7&avx2 != 0,
		FMA:     ecx1&fma != 0,
		AVX512F: ebx7&avx512f != 0 && xcr0&0xe0 == 0xe0, // opmask, ZMM0-15 upper, ZMM16-31
	}
}
