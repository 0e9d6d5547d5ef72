//go:build amd64 && !purego

package vec

import "github.com/descent-ml/descent/internal/cpu"

//go:generate go run gen_kernels.go

// detect returns the best Level the CPU and the OS support: AVX512 needs
// AVX-512F, AVX2 needs AVX2 (the kernels use no FMA).
func detect() Level {
	f := cpu.X86()
	switch {
	case f.AVX512F && f.AVX2:
		return AVX512
	case f.AVX2:
		return AVX2
	}
	return Generic
}
