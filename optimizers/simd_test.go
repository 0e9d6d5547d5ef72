package optimizers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/vec"
)

// The SIMD kernels (internal/vec) must give bit-identical results to the
// scalar Go kernels they replace: every kernel variant (each option
// combination), both dtypes, every SIMD level this machine has, lengths
// 0..70 (all tails) and 1M, aligned and unaligned starts, with inputs that
// mix ordinary values with NaN, ±Inf, ±0, denormals and huge values, and
// scalar factors that include zeros and -0 (lr = 0). A NaN matches any NaN;
// everything else must have the same bits.

// simdLevels returns the levels with kernels on this machine and build.
func simdLevels() []vec.Level {
	var ls []vec.Level
	for l := vec.AVX2; l <= vec.Best(); l++ {
		ls = append(ls, l)
	}
	return ls
}

// withSIMD runs f with the update kernels forced to level l.
func withSIMD(l vec.Level, f func()) {
	old := simd
	simd = l
	defer func() { simd = old }()
	f()
}

// simdKernel is one kernel variant: run updates the arrays in bufs (p
// first, then g, then the state buffers) with the dispatching kernel, or
// with the scalar reference if ref.
type simdKernel[T graph.Float] struct {
	name string
	bufs int
	run  func(b [][]T, ref bool)
	big  bool // also run at 1M elements (one factor set per option combination)
}

func TestSIMDKernelsBitIdentical(t *testing.T) {
	levels := simdLevels()
	if len(levels) == 0 {
		t.Skip("no SIMD kernels on this machine or build")
	}
	if goFusesFloats {
		t.Skip("GOAMD64 >= v3: the compiler contracts the scalar kernels' a*b+c into FMAs, so they are no reference")
	}
	t.Run("float32", func(t *testing.T) { testSIMDKernels[float32](t, levels) })
	t.Run("float64", func(t *testing.T) { testSIMDKernels[float64](t, levels) })
}

func testSIMDKernels[T graph.Float](t *testing.T, levels []vec.Level) {
	type size struct{ n, off int }
	var sizes []size
	for n := 0; n <= 70; n++ {
		for _, off := range []int{0, 1, 3} {
			sizes = append(sizes, size{n, off})
		}
	}
	// 1M (and a tail, unaligned); 4K under the race detector, which
	// makes the scalar kernels slow.
	if raceEnabled || testing.Short() {
		sizes = append(sizes, size{1<<12 + 13, 1})
	} else {
		sizes = append(sizes, size{1<<20 + 13, 1})
	}
	// The inputs are drawn from one pool of random arrays, at a random
	// place; buffer 1 (the gradient) is sometimes free of specials.
	rng := rand.New(rand.NewPCG(7, 8))
	const maxBufs = 5
	pool := make([][]T, maxBufs)
	for i := range pool {
		pool[i] = make([]T, sizes[len(sizes)-1].n+4096)
		fillSpecial(rng, pool[i], i != 1)
	}
	clean := make([]T, len(pool[1]))
	fillSpecial(rng, clean, false)
	ks := simdKernels[T]()
	scratch := make([][]T, 2*maxBufs)
	for i := range scratch {
		scratch[i] = make([]T, sizes[len(sizes)-1].n+2*sizes[len(sizes)-1].off)
	}
	for _, k := range ks {
		for _, sz := range sizes {
			if sz.n > 70 && !k.big {
				continue
			}
			// want: the scalar kernel's result; got: each level's, from the
			// same inputs, each array sz.off elements into its allocation
			// and ending sz.off elements before its end.
			in := make([][]T, k.bufs)
			for i := range in {
				src := pool[i]
				if i == 1 && rng.IntN(2) == 0 {
					src = clean
				}
				at := rng.IntN(len(src) - sz.n - 2*sz.off + 1)
				in[i] = src[at : at+sz.n+2*sz.off]
			}
			want := make([][]T, k.bufs)
			for i := range want {
				want[i] = scratch[maxBufs+i][:sz.n]
				copy(want[i], in[i][sz.off:sz.off+sz.n])
			}
			k.run(want, true)
			for _, l := range levels {
				got := make([][]T, k.bufs)
				for i := range got {
					got[i] = scratch[i][:len(in[i])]
					copy(got[i], in[i])
					got[i] = got[i][sz.off : sz.off+sz.n]
				}
				withSIMD(l, func() { k.run(got, false) })
				for i := range got {
					if j, ok := sameBits(got[i], want[i]); !ok {
						t.Fatalf("%v %s n=%d off=%d: buffer %d element %d = %v (%#x), want %v (%#x)",
							l, k.name, sz.n, sz.off, i, j, got[i][j], bits(got[i][j]), want[i][j], bits(want[i][j]))
					}
				}
			}
		}
	}
	t.Logf("%d kernel variants, %d sizes, levels %v", len(ks), len(sizes), levels)
}

// simdKernels returns every variant of every kernel: each option
// combination, with typical factors and with edge factors.
func simdKernels[T graph.Float]() []simdKernel[T] {
	negz := T(math.Copysign(0, -1))
	var ks []simdKernel[T]
	bools := []bool{false, true}
	for _, neg := range bools {
		for _, wd := range []T{0, 0.01} {
			tag := fmt.Sprintf("neg=%v wd=%v", neg, wd)
			// SGD: plain, momentum (first step or later; with or
			// without dampening; Nesterov).
			for fi, f := range []sgdFactors[T]{
				{wd: wd, mom: 0.9, damp1: 1, nlr: -1e-3, neg: neg},
				{wd: wd, mom: 0.5, damp1: 0.9, nlr: negz, neg: neg},
				{wd: wd, mom: 0.9, damp1: 1, nlr: -3, neg: neg, nesterov: true},
			} {
				ks = append(ks, simdKernel[T]{fmt.Sprintf("sgd %s %+v", tag, f), 2, func(b [][]T, ref bool) {
					if ref {
						sgdPlainGo(b[0], b[1], f)
					} else {
						sgdPlain(b[0], b[1], f)
					}
				}, fi != 1})
				for _, first := range bools {
					ks = append(ks, simdKernel[T]{fmt.Sprintf("momentum first=%v %s %+v", first, tag, f), 3, func(b [][]T, ref bool) {
						if ref {
							sgdMomentumGo(b[0], b[1], b[2], f, first)
						} else {
							sgdMomentum(b[0], b[1], b[2], f, first)
						}
					}, fi != 1})
				}
			}
			// Adagrad.
			for fi, f := range []adagradFactors[T]{
				{wd: wd, nclr: -1e-2, eps: 1e-10, neg: neg},
				{wd: wd, nclr: negz, eps: 0, neg: neg},
			} {
				ks = append(ks, simdKernel[T]{fmt.Sprintf("adagrad %s %+v", tag, f), 3, func(b [][]T, ref bool) {
					if ref {
						adagradKernelGo(b[0], b[1], b[2], f)
					} else {
						adagradKernel(b[0], b[1], b[2], f)
					}
				}, fi == 0})
			}
			// RMSprop: momentum and centered on or off.
			for fi, f := range []rmspropFactors[T]{
				{wd: wd, alpha: 0.99, oma: T(1 - 0.99), eps: 1e-8, mom: 0.9, nlr: -1e-2, neg: neg},
				{wd: wd, alpha: 0, oma: 1, eps: 0, mom: 0, nlr: negz, neg: neg},
			} {
				for _, mom := range bools {
					for _, centered := range bools {
						ks = append(ks, simdKernel[T]{fmt.Sprintf("rmsprop mom=%v centered=%v %s %+v", mom, centered, tag, f), 5, func(b [][]T, ref bool) {
							bb, ga := b[3], b[4]
							if !mom {
								bb = nil
							}
							if !centered {
								ga = nil
							}
							if ref {
								rmspropKernelGo(b[0], b[1], b[2], bb, ga, f)
							} else {
								rmspropKernel(b[0], b[1], b[2], bb, ga, f)
							}
						}, fi == 0})
					}
				}
			}
			// Adam and AdamW (decoupled: wd 0 in the factors, decay != 1),
			// with and without AMSGrad, at steps 1 and 10.
			for _, decoupled := range bools {
				for fi, f := range []adamFactors[T]{
					adamTestFactors[T](1e-3, 0.9, 0.999, 1e-8, float64(wd), 1, neg, decoupled),
					adamTestFactors[T](0.1, 0.5, 0.9, 0, float64(wd), 10, neg, decoupled),
					adamTestFactors[T](0, 0, 0, 1e-8, float64(wd), 3, neg, decoupled),
				} {
					for _, ams := range bools {
						ks = append(ks, simdKernel[T]{fmt.Sprintf("adam decoupled=%v ams=%v %s %+v", decoupled, ams, tag, f), 5, func(b [][]T, ref bool) {
							vmax := b[4]
							if !ams {
								vmax = nil
							}
							if ref {
								adamKernelGo(b[0], b[1], b[2], b[3], vmax, f)
							} else {
								adamKernel(b[0], b[1], b[2], b[3], vmax, f)
							}
						}, fi == 0})
					}
				}
			}
		}
	}
	return ks
}

// adamTestFactors computes the factors as adamUpdate does.
func adamTestFactors[T graph.Float](lr, b1, b2, eps, wd float64, step int, neg, decoupled bool) adamFactors[T] {
	t := float64(step)
	bc1, bc2 := 1-math.Pow(b1, t), 1-math.Pow(b2, t)
	k := adamFactors[T]{wd: T(wd), decay: 1, b1: T(b1), omb1: T(1 - b1), b2: T(b2), omb2: T(1 - b2),
		nstep: T(-(lr / bc1)), bc2sqrt: T(math.Sqrt(bc2)), eps: T(eps), neg: neg}
	if decoupled {
		k.wd, k.decay = 0, T(1-lr*wd)
	}
	return k
}

// fillSpecial fills x with normal values (scaled over a wide range), and,
// if specials, about one in six NaN, ±Inf, ±0, a denormal, a huge or a tiny
// value.
func fillSpecial[T graph.Float](rng *rand.Rand, x []T, specials bool) {
	f32 := unsafe.Sizeof(T(0)) == 4
	scales := [...]float64{1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1e3, 1e4}
	for i := range x {
		x[i] = T(rng.NormFloat64() * scales[rng.IntN(len(scales))])
		if !specials || rng.IntN(6) != 0 {
			continue
		}
		switch rng.IntN(10) {
		case 0:
			x[i] = T(math.NaN())
		case 1:
			x[i] = T(math.Inf(1))
		case 2:
			x[i] = T(math.Inf(-1))
		case 3:
			x[i] = 0
		case 4:
			x[i] = T(math.Copysign(0, -1))
		case 5: // a denormal of either sign
			if f32 {
				x[i] = T(math.Float32frombits(rng.Uint32() & 0x807fffff))
			} else {
				x[i] = T(math.Float64frombits(rng.Uint64() & 0x800fffffffffffff))
			}
		case 6: // huge: squares and products overflow
			if f32 {
				x[i] = T(math.MaxFloat32 * (rng.Float64()*2 - 1))
			} else {
				x[i] = T(math.MaxFloat64 * (rng.Float64()*2 - 1))
			}
		case 7:
			x[i] = T(1e30 * rng.NormFloat64())
		case 8: // tiny normal: squares underflow
			x[i] = T(1e-20 * rng.NormFloat64())
		default:
			x[i] = -x[i]
		}
	}
}

func bits[T graph.Float](x T) uint64 {
	if unsafe.Sizeof(x) == 4 {
		return uint64(math.Float32bits(float32(x)))
	}
	return math.Float64bits(float64(x))
}

// sameBits reports whether a and b hold the same bits, any NaN matching
// any NaN; if not, it returns the first index that differs.
func sameBits[T graph.Float](a, b []T) (int, bool) {
	if unsafe.Sizeof(T(0)) == 4 {
		if slices.Equal(unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(a))), len(a)),
			unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(b))), len(b))) {
			return 0, true
		}
	} else if slices.Equal(unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(a))), len(a)),
		unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(b))) {
		return 0, true
	}
	for i := range a {
		if bits(a[i]) != bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i, false
		}
	}
	return 0, true
}

func TestAllFiniteSIMD(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, l := range append([]vec.Level{vec.Generic}, simdLevels()...) {
		withSIMD(l, func() {
			for n := 0; n <= 70; n++ {
				x := make([]float64, n)
				y := make([]float32, n)
				fillSpecial(rng, x, true)
				fillSpecial(rng, y, true)
				if allFinite(x) != allFiniteGo(x) || allFinite(y) != allFiniteGo(y) {
					t.Fatalf("%v n=%d: allFinite disagrees with allFiniteGo", l, n)
				}
				// All finite (mostly "false" answers above), then one NaN or
				// infinity planted at each position in turn.
				fillSpecial(rng, x, false)
				fillSpecial(rng, y, false)
				if !allFinite(x) || !allFinite(y) {
					t.Fatalf("%v n=%d: finite values reported non-finite", l, n)
				}
				for i := range n {
					for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
						x[i], y[i] = v, float32(v)
						if allFinite(x) || allFinite(y) {
							t.Fatalf("%v n=%d: %v at %d not seen", l, n, v, i)
						}
					}
					x[i], y[i] = 1, 1
				}
			}
		})
	}
}
