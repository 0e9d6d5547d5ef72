//go:build amd64 && !purego

package vec

// Scale sets z[i] = c*x[i], and Shift z[i] = x[i]+c, for the leading whole
// vectors of z, and return how many: Binary with a scalar operand, which
// they run with the same kernels, called directly so that the scalar can
// live on the caller's stack (a call through Binary's tables makes it
// escape to the heap: an allocation per call).
func Scale[T Float](l Level, z, x []T, c T) int {
	l, n := bulk[T](l, len(z))
	if n == 0 {
		return 0
	}
	_ = x[n-1]
	cs := [1]T{c}
	switch {
	case is64[T]() && l == AVX512:
		binMULSVAVX512D(f64(z), f64(cs[:]), f64(x), n)
	case is64[T]():
		binMULSVAVX2D(f64(z), f64(cs[:]), f64(x), n)
	case l == AVX512:
		binMULSVAVX512S(f32(z), f32(cs[:]), f32(x), n)
	default:
		binMULSVAVX2S(f32(z), f32(cs[:]), f32(x), n)
	}
	return n
}

// Shift: see Scale.
func Shift[T Float](l Level, z, x []T, c T) int {
	l, n := bulk[T](l, len(z))
	if n == 0 {
		return 0
	}
	_ = x[n-1]
	cs := [1]T{c}
	switch {
	case is64[T]() && l == AVX512:
		binADDVSAVX512D(f64(z), f64(x), f64(cs[:]), n)
	case is64[T]():
		binADDVSAVX2D(f64(z), f64(x), f64(cs[:]), n)
	case l == AVX512:
		binADDVSAVX512S(f32(z), f32(x), f32(cs[:]), n)
	default:
		binADDVSAVX2S(f32(z), f32(x), f32(cs[:]), n)
	}
	return n
}
