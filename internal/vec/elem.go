package vec

// Elementwise kernels of package graph's maps: each processes the leading
// elements that fill whole vectors and returns how many; the caller does
// the rest with its scalar loop. Binary and ReLU give the scalar loops'
// bits (one IEEE operation, or the same bit operations, per element); Sum
// has an order of its own (float64 lanes, then a fixed tree), the same
// for every call on the same length.

// BinOp is a binary operation of Binary.
type BinOp int

// The operations of Binary, in the order of the generated kernels.
const (
	Add BinOp = iota
	Sub
	Mul
	Div
)

// Binary sets z[i] = x[i] op y[i] for the leading whole vectors of z,
// where an operand of length 1 (with z longer) is a scalar broadcast to
// every i. x and y must be at least as long as z otherwise.
func Binary[T Float](l Level, op BinOp, z, x, y []T) int {
	l, n := bulk[T](l, len(z))
	if n == 0 || op < Add || op > Div {
		return 0
	}
	form := 0 // x and y arrays
	switch {
	case len(x) == 1 && len(y) == 1:
		return 0 // both scalars: the caller fills
	case len(y) == 1:
		form, _ = 1, x[n-1]
	case len(x) == 1:
		form, _ = 2, y[n-1]
	default:
		_, _ = x[n-1], y[n-1]
	}
	if is64[T]() {
		binD[l-AVX2][op][form](f64(z), f64(x), f64(y), n)
	} else {
		binS[l-AVX2][op][form](f32(z), f32(x), f32(y), n)
	}
	return n
}

// ReLU sets y[i] = x[i] when its sign bit is clear, else +0 (NaNs with the
// sign bit, -0 and negative values become +0), for the leading whole
// vectors of y.
func ReLU[T Float](l Level, y, x []T) int {
	l, n := bulk[T](l, len(y))
	if n == 0 {
		return 0
	}
	_ = x[n-1]
	if is64[T]() {
		reluD(l, f64(y), f64(x), n)
	} else {
		reluS(l, f32(y), f32(x), n)
	}
	return n
}

// ReLUGrad sets out[i] = g[i] where the bits of y[i] are not 0, else +0,
// for the leading whole vectors of out (y is ReLU's output: y > 0 exactly
// when its bits are not 0).
func ReLUGrad[T Float](l Level, out, y, g []T) int {
	l, n := bulk[T](l, len(out))
	if n == 0 {
		return 0
	}
	_, _ = y[n-1], g[n-1]
	if is64[T]() {
		reluGradD(l, f64(out), f64(y), f64(g), n)
	} else {
		reluGradS(l, f32(out), f32(y), f32(g), n)
	}
	return n
}

// Sum returns how many leading elements of x it added (whole vectors of
// float64 lanes) and their sum, in float64.
func Sum[T Float](l Level, x []T) (n int, s float64) {
	l, n = bulk[T](l, len(x))
	if n == 0 {
		return 0, 0
	}
	if is64[T]() {
		return n, sumD(l, f64(x), n)
	}
	// A float32 vector converts to two vectors of float64: whole ones of
	// those.
	n &^= lanes[float64](l) - 1
	return n, sumS(l, f32(x), n)
}
