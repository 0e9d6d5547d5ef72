//go:build amd64 && !purego

package vec

// Scale sets z[i] = c*x[i], and Shift z[i] = x[i]+c, for the leading whole
// vectors of z, and return how many: Binary with a scalar operand, which
// they run with the same kernels, called directly so that the scalar can
// live on the caller's stack (a call through Binary's tables makes it
// escape to the heap: an allocation per call).
func Scale[T Float](l Level, z, x []T, c T) int { return withScalar(l, Mul, z, x, c) }

// Shift: see Scale.
func Shift[T Float](l Level, z, x []T, c T) int { return withScalar(l, Add, z, x, c) }

// withScalar runs c*x (op Mul: the scalar first, as binMULSV) or x+c (op
// Add: binADDVS).
func withScalar[T Float](l Level, op BinOp, z, x []T, c T) int {
	l, n := bulk[T](l, len(z))
	if n == 0 {
		return 0
	}
	_ = x[n-1]
	cs := [1]T{c}
	if is64[T]() {
		z, x, c := f64(z), f64(x), f64(cs[:])
		switch {
		case op == Mul && l == AVX512:
			binMULSVAVX512D(z, c, x, n)
		case op == Mul:
			binMULSVAVX2D(z, c, x, n)
		case l == AVX512:
			binADDVSAVX512D(z, x, c, n)
		default:
			binADDVSAVX2D(z, x, c, n)
		}
		return n
	}
	z32, x32, c32 := f32(z), f32(x), f32(cs[:])
	switch {
	case op == Mul && l == AVX512:
		binMULSVAVX512S(z32, c32, x32, n)
	case op == Mul:
		binMULSVAVX2S(z32, c32, x32, n)
	case l == AVX512:
		binADDVSAVX512S(z32, x32, c32, n)
	default:
		binADDVSAVX2S(z32, x32, c32, n)
	}
	return n
}
