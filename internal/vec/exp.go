package vec

import "math"

// The exponential of softmax, log-sum-exp and the cross entropy: these
// ops take one exp per element, and with math.Exp (about 9 ns) the
// exponentials were most of their time (the softmax of the Transformer's
// attention weights, [32, 4, 32, 32], took 2.0 ms). Exp computes eight at
// a time in float64 with AVX-512: the same steps as Exp1, in the same
// order, each one IEEE operation (fused multiply-adds included), so the
// two give the same bits.
//
// The method: x = k·ln2 + r with k = round(x/ln2) (to nearest, ties to
// even) and |r| <= ln2/2, r computed with ln2 split in two parts (Cody and
// Waite); exp(r) by its Taylor polynomial of degree 13 in Horner's form;
// exp(x) = exp(r)·2^k. At most 2 units in the last place from the exact
// value over [-745, 709] (TestExp1Accuracy); x is first clamped to
// [-746, 710], where exp underflows to 0 and overflows to +Inf; a NaN
// stays NaN.

// expConst holds the constants in the order the kernel loads them.
var expConst = [...]float64{
	-746, 710, // clamp
	1.4426950408889634,     // 1/ln2
	0.6931471803691238,     // ln2, high part (its low 21 bits zero: k·ln2hi is exact)
	1.9082149292705877e-10, // ln2, low part
	1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320,
	1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1, // 1/13! down to 1/0!
}

// Exp1 returns e**x as Exp's kernels compute it: the reference for them.
func Exp1(x float64) float64 {
	if x != x {
		return x
	}
	c := &expConst
	x = min(max(x, c[0]), c[1])
	k := math.RoundToEven(x * c[2])
	r := math.FMA(-k, c[3], x)
	r = math.FMA(-k, c[4], r)
	p := c[5]
	for _, ci := range c[6:] {
		p = math.FMA(p, r, ci)
	}
	return math.Ldexp(p, int(k))
}

// Exp writes e**x[i] to y[i] (y may be x) for the leading whole vectors of
// x and returns how many it wrote: a multiple of 8 with AVX512, 0 at the
// other levels (the caller does the rest, with Exp1 for the same bits).
func Exp(l Level, y, x []float64) int {
	if min(l, best) < AVX512 {
		return 0
	}
	n := len(x) &^ 7
	if n == 0 {
		return 0
	}
	y = y[:n]
	expAVX512(&y[0], &x[0], n, &expConst[0])
	return n
}
