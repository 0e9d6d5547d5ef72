package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/internal/parallel"
)

// gemvShapes are products with one row or one column: batch-1 inference
// of the MLP (x·W), its backward products at batch 1, and matrices wide
// enough to be split over threads.
var gemvShapes = []struct {
	name    string
	tA, tB  bool
	m, n, k int
}{
	{"fwd1/b1", false, false, 1, 256, 784},
	{"fwd3/b1", false, false, 1, 10, 128},
	{"dX1/b1", false, true, 1, 784, 256},
	{"col", false, false, 1000, 1, 300},
	{"colT", true, true, 700, 1, 513},
	{"wide", true, false, 1, 1500, 200},
	{"wideT", false, true, 1, 1100, 333},
}

// TestGEMVLarge checks the GEMV path against naive on products large
// enough to be cut into several chunks, with every alpha and beta, for
// every kernel.
func TestGEMVLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	sk, dk, abs := sKernels, dKernels, alphaBetas
	if testing.Short() { // the dispatched kernels, three alpha/beta pairs (the race detector is slow)
		sk, dk, abs = sKernels[:1], dKernels[:1], alphaBetas[:3]
	}
	for _, s := range gemvShapes {
		for i, ab := range abs {
			tc := caseT{tA: s.tA, tB: s.tB, m: s.m, n: s.n, k: s.k, alpha: ab[0], beta: ab[1], pad: i % 2 * 3}
			for _, kn := range sk {
				run(t, kn, tc, rng)
			}
			for _, kn := range dk {
				run(t, kn, tc, rng)
			}
		}
	}
}

// TestThreadsSameBits checks that every kernel gives bit-identical C for
// 1, 2, 3 and 5 threads (macro-tiles, GEMV chunks), on products of every
// orientation, with beta != 0 so that C's old value is involved.
func TestThreadsSameBits(t *testing.T) {
	defer parallel.SetThreads(0)
	shapes := []shape{{300, 200, 150}, {128, 256, 784}, {784, 256, 128}, {97, 1000, 61}, {1, 900, 400}, {900, 1, 400}, {37, 45, 61}}
	for _, kn := range sKernels {
		for _, s := range shapes {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					sameBits(t, kn, tA, tB, s)
				}
			}
		}
	}
	for _, kn := range dKernels {
		sameBits(t, kn, false, true, shape{200, 300, 100})
		sameBits(t, kn, true, false, shape{1, 700, 300})
	}
}

// lds returns the row strides of op(A) and op(B) stored densely for
// shape s.
func lds(tA, tB bool, s shape) (lda, ldb int) {
	lda, ldb = s.k, s.n
	if tA {
		lda = s.m
	}
	if tB {
		ldb = s.k
	}
	return lda, ldb
}

func sameBits[T float](t *testing.T, kn *kernel[T], tA, tB bool, s shape) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(s.m), uint64(s.n)))
	lda, ldb := lds(tA, tB, s)
	a, b, c0 := randSlice[T](s.m*s.k, rng), randSlice[T](s.k*s.n, rng), randSlice[T](s.m*s.n, rng)
	var want []T
	for _, th := range []int{1, 2, 3, 5} {
		require.NoError(t, parallel.SetThreads(th))
		c := append([]T(nil), c0...)
		gemm(kn, tA, tB, s.m, s.n, s.k, 0.7, a, lda, b, ldb, -0.3, c, s.n)
		if want == nil {
			want = c
			continue
		}
		for i := range c {
			if math.Float64bits(float64(c[i])) != math.Float64bits(float64(want[i])) {
				require.Failf(t, "bits differ", "%s %v tA=%v tB=%v: %d threads: C[%d] = %v, 1 thread: %v", kn.name, s, tA, tB, th, i, c[i], want[i])
			}
		}
	}
}

func TestTileGrid(t *testing.T) {
	for _, tc := range []struct {
		m, n, k, threads int
		pm, pn           int
	}{
		{128, 256, 784, 2, 1, 2}, // split n: each half packs all of op(A) (128 rows) and half of op(B)
		{784, 256, 128, 2, 2, 1}, // split m: op(A) is the larger operand
		{512, 512, 512, 2, 1, 2}, // 43 row slivers split unevenly, 16 column slivers evenly
		{128, 10, 128, 2, 1, 1},  // too small to pay
		{1024, 1024, 1024, 1, 1, 1},
	} {
		pm, pn := tileGrid(12, 32, tc.m, tc.n, tc.k, tc.threads)
		require.Equal(t, [2]int{tc.pm, tc.pn}, [2]int{pm, pn}, "%+v", tc)
	}
	for _, th := range []int{2, 3, 4, 7, 16} {
		for _, s := range []shape{{1024, 1024, 1024}, {128, 784, 256}, {25, 33, 1000}} {
			pm, pn := tileGrid(12, 32, s.m, s.n, s.k, th)
			require.LessOrEqual(t, pm*pn, th, fmt.Sprint(s, th))
			require.LessOrEqual(t, pm, (s.m+11)/12)
			require.LessOrEqual(t, pn, (s.n+31)/32)
		}
	}
}

// TestPackedSameBits checks that a product with a packed operand gives
// the bits of the same product through Sgemm/Dgemm, for 1 and 2 threads,
// including shapes that take the GEMV path and several k blocks.
func TestPackedSameBits(t *testing.T) {
	defer parallel.SetThreads(0)
	for _, th := range []int{1, 2} {
		require.NoError(t, parallel.SetThreads(th))
		for _, s := range []shape{{64, 392, 801}, {800, 392, 64}, {13, 45, 1000}, {1, 50, 30}, {30, 1, 50}} {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					packedSameBits[float32](t, tA, tB, s)
				}
			}
			packedSameBits[float64](t, true, false, s)
		}
	}
}

func packedSameBits[T float](t *testing.T, tA, tB bool, s shape) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(s.m), uint64(s.k)))
	lda, ldb := max(s.k, 1), max(s.n, 1)
	if tA {
		lda = max(s.m, 1)
	}
	if tB {
		ldb = max(s.k, 1)
	}
	a, b, c0 := randSlice[T](s.m*s.k, rng), randSlice[T](s.k*s.n, rng), randSlice[T](s.m*s.n, rng)
	want := append([]T(nil), c0...)
	gemm(kernelFor[T](), tA, tB, s.m, s.n, s.k, 0.7, a, lda, b, ldb, 0.5, want, s.n)
	var pa, pb Packed[T]
	for range 2 { // the second time reuses the Packed's memory
		PackA(&pa, tA, s.m, s.k, a, lda)
		PackB(&pb, tB, s.k, s.n, b, ldb)
		ca, cb := append([]T(nil), c0...), append([]T(nil), c0...)
		GemmPackedA(&pa, tB, s.n, 0.7, b, ldb, 0.5, ca, s.n)
		GemmPackedB(tA, s.m, 0.7, a, lda, &pb, 0.5, cb, s.n)
		require.Equal(t, want, ca, "packed A: %v tA=%v tB=%v", s, tA, tB)
		require.Equal(t, want, cb, "packed B: %v tA=%v tB=%v", s, tA, tB)
	}
}

// TestSplitKSameBits holds gemmK (a product of two k blocks cut along k)
// to the blocked algorithm in one pass, bit for bit: every kernel, with its
// real blocking and with kc = 20 (k = 33: blocks of 17 and 16), through
// gemm at 1 to 4 threads (1 and 3 threads take the tiles of C, 2 and 4 the
// cut along k), and gemmK itself at 2 and 4 threads.
func TestSplitKSameBits(t *testing.T) {
	defer parallel.SetThreads(0)
	for _, kn := range sKernels {
		t.Run("f32/"+kn.name, func(t *testing.T) { splitKSameBits(t, kn) })
	}
	for _, kn := range dKernels {
		t.Run("f64/"+kn.name, func(t *testing.T) { splitKSameBits(t, kn) })
	}
}

func splitKSameBits[T float](t *testing.T, kn *kernel[T]) {
	small := *kn
	small.kc = 20
	cases := []struct {
		kn    *kernel[T]
		shape shape
	}{{&small, shape{13, 70, 33}}, {&small, shape{5, 3 * kn.nr, 33}}, {&small, shape{2*kn.mr + 1, kn.nr + 1, 33}}, {kn, shape{128, 256, kn.kc + kn.kc/2}}}
	for _, c := range cases {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				s := c.shape
				rng := rand.New(rand.NewPCG(uint64(s.m), uint64(s.k)))
				lda, ldb := lds(tA, tB, s)
				a, b := randSlice[T](s.m*s.k, rng), randSlice[T](s.k*s.n, rng)
				require.NoError(t, parallel.SetThreads(1))
				want := make([]T, s.m*s.n)
				gemmTiles(c.kn, tA, tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, want, s.n, nil, nil)
				check := func(what string, got []T) {
					t.Helper()
					for i := range got {
						if math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i])) {
							require.Failf(t, "bits differ", "%s kc=%d %v tA=%v tB=%v %s: C[%d] = %v, in one pass %v", c.kn.name, c.kn.kc, s, tA, tB, what, i, got[i], want[i])
						}
					}
				}
				for _, th := range []int{1, 2, 3, 4} {
					require.NoError(t, parallel.SetThreads(th))
					got := randSlice[T](s.m*s.n, rng) // beta 0: C is overwritten
					gemm(c.kn, tA, tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, got, s.n)
					check(fmt.Sprintf("gemm at %d threads", th), got)
					if th%2 == 0 {
						got = randSlice[T](s.m*s.n, rng)
						gemmK(c.kn, tA, tB, s.m, s.n, s.k, a, lda, b, ldb, got, s.n)
						check(fmt.Sprintf("gemmK at %d threads", th), got)
					}
				}
			}
		}
	}
}

// TestSplitsK: which products are cut along k.
func TestSplitsK(t *testing.T) {
	require.True(t, splitsK(400, 128, 256, 784, 2), "the MLP's x·W₁ at 2 threads")
	require.True(t, splitsK(400, 128, 256, 784, 4))
	require.False(t, splitsK(400, 128, 256, 784, 1), "one thread")
	require.False(t, splitsK(400, 128, 256, 784, 3), "odd threads")
	require.False(t, splitsK(400, 128, 256, 1000, 2), "three k blocks")
	require.False(t, splitsK(400, 128, 256, 400, 2), "one k block")
	require.False(t, splitsK(400, 512, 512, 512, 2), "k < 2m: C as large as op(B)")
	require.False(t, splitsK(400, 8, 8, 784, 2), "too small to split")
}

// TestConcurrentSplitK runs products cut along k from several goroutines
// at once (the pool is busy for all but one: the others run their chunks
// serially), each against the one-pass bits; meaningful under -race.
func TestConcurrentSplitK(t *testing.T) {
	defer parallel.SetThreads(0)
	require.NoError(t, parallel.SetThreads(2))
	kn := sKernels[0]
	s := shape{128, 256, kn.kc + kn.kc/2}
	require.True(t, splitsK(kn.kc, s.m, s.n, s.k, 2))
	concurrently(t, 4, func(g int) error {
		rng := rand.New(rand.NewPCG(uint64(g), 7))
		a, b := randSlice[float32](s.m*s.k, rng), randSlice[float32](s.k*s.n, rng)
		want := make([]float32, s.m*s.n)
		gemmTiles(kn, false, false, s.m, s.n, s.k, 1, a, s.k, b, s.n, 0, want, s.n, nil, nil)
		c := make([]float32, s.m*s.n)
		for range 3 {
			Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, b, s.n, 0, c, s.n)
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
					return fmt.Errorf("goroutine %d: C[%d] = %v, in one pass %v", g, i, c[i], want[i])
				}
			}
		}
		return nil
	})
}
