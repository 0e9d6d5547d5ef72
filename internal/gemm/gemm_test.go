package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/internal/parallel"
)

// naive computes the reference result in float64 together with the bound
// scale |alpha|*Σ|a||b| + |beta*c| for each element of C.
func naive[T float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if tA {
					av = float64(a[p*lda+i])
				} else {
					av = float64(a[i*lda+p])
				}
				if tB {
					bv = float64(b[j*ldb+p])
				} else {
					bv = float64(b[p*ldb+j])
				}
				s += av * bv
				sa += math.Abs(av * bv)
			}
			w := float64(alpha) * s
			g := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				w += float64(beta) * float64(c[i*ldc+j])
				g += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j], mag[i*n+j] = w, g
		}
	}
	return want, mag
}

type shape struct{ m, n, k int }

type caseT struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float64
	pad         int // extra elements per row of A, B and C (submatrices)
}

func (tc caseT) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d", tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad)
}

func nanOf[T float]() T { return T(math.NaN()) }

// run executes one case with kernel kn and checks it against naive.
func run[T float](t *testing.T, kn *kernel[T], tc caseT, rng *rand.Rand) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if tc.tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tc.tB {
		br, bc = n, k
	}
	lda, ldb, ldc := max(1, ac)+tc.pad, max(1, bc)+tc.pad, max(1, n)+tc.pad
	fill := func(rows, cols, ld int) []T {
		s := make([]T, max(0, (rows-1)*ld+cols)+tc.pad)
		for i := range s {
			s[i] = nanOf[T]() // padding must never be read
		}
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				s[i*ld+j] = T(rng.Float64()*2 - 1)
			}
		}
		return s
	}
	a := fill(ar, ac, lda)
	b := fill(br, bc, ldb)
	c := fill(m, n, ldc)
	if tc.beta == 0 {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c[i*ldc+j] = nanOf[T]() // beta == 0 must overwrite
			}
		}
	}
	require.NoError(t, Check(tc.tA, tc.tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc))
	want, mag := naive(tc.tA, tc.tB, m, n, k, T(tc.alpha), a, lda, b, ldb, T(tc.beta), c, ldc)
	orig := append([]T(nil), c...)
	gemm(kn, tc.tA, tc.tB, m, n, k, T(tc.alpha), a, lda, b, ldb, T(tc.beta), c, ldc)
	eps := 1e-5
	var z T
	if _, ok := any(z).(float64); ok {
		eps = 1e-13
	}
	tol := eps * float64(max(k, 1))
	for i := range c {
		row, col := i/ldc, i%ldc
		if row >= m || col >= n {
			if orig[i] != c[i] && !(math.IsNaN(float64(orig[i])) && math.IsNaN(float64(c[i]))) {
				require.Failf(t, "padding of C written", "%v: at %d", tc, i)
			}
			continue
		}
		w, g := want[row*n+col], mag[row*n+col]
		got := float64(c[i])
		if !(math.Abs(got-w) <= tol*g+1e-30) { // also catches NaN
			require.Failf(t, "wrong result", "%v: C(%d,%d)=%g want %g (tol %g)", tc, row, col, got, w, tol*g)
		}
	}
}

var alphaBetas = [][2]float64{{1, 0}, {1, 1}, {-0.5, 0.3}, {0, 0}, {0, 1}, {0, 0.3}, {1, 0.3}, {-0.5, 0}, {-0.5, 1}}

// grid is the shape grid: tiny, primes and multiples ±1 of the tile sizes
// of every kernel (mr ∈ {4, 6, 12}, nr ∈ {4, 8, 16, 32}).
func grid() []shape {
	ms := []int{1, 2, 5, 7, 11, 12, 13, 25, 97}
	ns := []int{1, 3, 10, 15, 16, 17, 31, 32, 33, 97}
	ks := []int{0, 1, 7, 13, 97}
	var s []shape
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				s = append(s, shape{m, n, k})
			}
		}
	}
	return s
}

// mlpShapes are the products of descent's reference MLP (784-256-128-10,
// batch 128), with the transposes they are used with.
var mlpShapes = []struct {
	name    string
	tA, tB  bool
	m, n, k int
}{
	{"fwd1", false, false, 128, 256, 784},
	{"fwd2", false, false, 128, 128, 256},
	{"fwd3", false, false, 128, 10, 128},
	{"dW1", true, false, 784, 256, 128},
	{"dW2", true, false, 256, 128, 128},
	{"dW3", true, false, 128, 10, 128},
	{"dX3", false, true, 128, 128, 10},
	{"dX2", false, true, 128, 256, 128},
	{"dX1", false, true, 128, 784, 256},
}

func testKernel[T float](t *testing.T, kn *kernel[T]) {
	rng := rand.New(rand.NewPCG(1, uint64(kn.mr*100+kn.nr)))
	// Tiny cache blocks so that the k, m and n blocking loops and the beta
	// handling across k blocks are exercised on small shapes.
	tiny := *kn
	tiny.kc, tiny.mc, tiny.nc = 5, 2*kn.mr, 2*kn.nr
	for _, kk := range []*kernel[T]{kn, &tiny} {
		i := 0
		for _, s := range grid() {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					ab := alphaBetas[i%len(alphaBetas)]
					i++
					run(t, kk, caseT{tA: tA, tB: tB, m: s.m, n: s.n, k: s.k, alpha: ab[0], beta: ab[1], pad: i % 3 * 2}, rng)
				}
			}
		}
		// Every alpha/beta on a few shapes, with and without padding.
		for _, s := range []shape{{1, 1, 1}, {13, 33, 17}, {2*kn.mr + 1, 2*kn.nr - 1, 40}} {
			for _, ab := range alphaBetas {
				for _, pad := range []int{0, 3} {
					for _, tA := range []bool{false, true} {
						for _, tB := range []bool{false, true} {
							run(t, kk, caseT{tA: tA, tB: tB, m: s.m, n: s.n, k: s.k, alpha: ab[0], beta: ab[1], pad: pad}, rng)
						}
					}
				}
			}
		}
	}
	// Several cache blocks in each dimension with the real blocking.
	for _, s := range []shape{{kn.mc + kn.mr + 1, 20, 9}, {9, kn.nc + kn.nr + 3, 11}, {kn.mr + 1, kn.nr + 1, 2*kn.kc + 3}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				run(t, kn, caseT{tA: tA, tB: tB, m: s.m, n: s.n, k: s.k, alpha: -0.5, beta: 0.3, pad: 1}, rng)
			}
		}
	}
	for _, s := range mlpShapes {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				run(t, kn, caseT{tA: tA, tB: tB, m: s.m, n: s.n, k: s.k, alpha: 1, beta: 0}, rng)
			}
		}
		run(t, kn, caseT{tA: s.tA, tB: s.tB, m: s.m, n: s.n, k: s.k, alpha: -0.5, beta: 1, pad: 5}, rng)
	}
}

// TestKernels runs every kernel usable on this CPU (AVX-512, AVX2, generic),
// not only the one Sgemm/Dgemm dispatch to.
func TestKernels(t *testing.T) {
	t.Logf("dispatch: %s; float32 kernels: %v; float64 kernels: %v", Kernel(), names(sKernels), names(dKernels))
	for _, kn := range sKernels {
		t.Run("f32/"+kn.name, func(t *testing.T) { testKernel(t, kn) })
	}
	for _, kn := range dKernels {
		t.Run("f64/"+kn.name, func(t *testing.T) { testKernel(t, kn) })
	}
}

func names[T float](ks []*kernel[T]) []string {
	var s []string
	for _, k := range ks {
		s = append(s, fmt.Sprintf("%s(%dx%d)", k.name, k.mr, k.nr))
	}
	return s
}

func TestPublic(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	a := make([]float32, 7*5)
	b := make([]float32, 5*3)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	c := make([]float32, 7*3)
	Sgemm(false, false, 7, 3, 5, 1, a, 5, b, 3, 0, c, 3)
	want, _ := naive(false, false, 7, 3, 5, float32(1), a, 5, b, 3, 0, c, 3)
	for i := range c {
		require.InDelta(t, want[i], float64(c[i]), 1e-5)
	}
	a64 := make([]float64, len(a))
	b64 := make([]float64, len(b))
	for i := range a {
		a64[i] = float64(a[i])
	}
	for i := range b {
		b64[i] = float64(b[i])
	}
	c64 := make([]float64, 7*3)
	Dgemm(false, false, 7, 3, 5, 1, a64, 5, b64, 3, 0, c64, 3)
	for i := range c64 {
		require.InDelta(t, want[i], c64[i], 1e-12)
	}
	// m == 0 / n == 0 touch nothing, even with nil slices.
	Sgemm(false, false, 0, 3, 5, 1, nil, 5, nil, 3, 0, nil, 3)
	Dgemm(true, true, 3, 0, 5, 1, nil, 3, nil, 5, 0, nil, 1)
}

func TestCheck(t *testing.T) {
	ok := func(tA, tB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
		t.Helper()
		require.NoError(t, Check(tA, tB, m, n, k, la, lda, lb, ldb, lc, ldc))
	}
	bad := func(tA, tB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
		t.Helper()
		require.Error(t, Check(tA, tB, m, n, k, la, lda, lb, ldb, lc, ldc))
		require.Panics(t, func() {
			Sgemm(tA, tB, m, n, k, 1, make([]float32, max(0, la)), lda, make([]float32, max(0, lb)), ldb, 0, make([]float32, max(0, lc)), ldc)
		})
		require.Panics(t, func() {
			Dgemm(tA, tB, m, n, k, 1, make([]float64, max(0, la)), lda, make([]float64, max(0, lb)), ldb, 0, make([]float64, max(0, lc)), ldc)
		})
	}
	ok(false, false, 2, 3, 4, 8, 4, 12, 3, 6, 3)
	ok(true, true, 2, 3, 4, 8, 2, 12, 4, 6, 3)
	ok(false, false, 2, 3, 4, 11, 5, 12, 3, 6, 3) // submatrix of A
	ok(false, false, 0, 3, 4, 0, 4, 0, 3, 0, 3)
	bad(false, false, -1, 3, 4, 8, 4, 12, 3, 6, 3)
	bad(false, false, 2, -3, 4, 8, 4, 12, 3, 6, 3)
	bad(false, false, 2, 3, -4, 8, 4, 12, 3, 6, 3)
	bad(false, false, 2, 3, 4, 8, 3, 12, 3, 6, 3)     // lda < k
	bad(true, false, 2, 3, 4, 8, 1, 12, 3, 6, 3)      // lda < m
	bad(false, false, 2, 3, 4, 8, 4, 12, 2, 6, 3)     // ldb < n
	bad(false, true, 2, 3, 4, 8, 4, 12, 3, 6, 3)      // ldb < k
	bad(false, false, 2, 3, 4, 8, 4, 12, 3, 6, 2)     // ldc < n
	bad(false, false, 2, 3, 4, 7, 4, 12, 3, 6, 3)     // short A
	bad(false, false, 2, 3, 4, 8, 4, 11, 3, 6, 3)     // short B
	bad(false, false, 2, 3, 4, 8, 4, 12, 3, 5, 3)     // short C
	bad(false, false, 2, 3, 4, 8, 5, 12, 3, 6, 3)     // short A with lda > k
	bad(false, false, 3, 3, 4, 8, 1<<62, 12, 3, 9, 3) // overflow
}

func TestNoAllocs(t *testing.T) {
	for _, s := range append(mlpShapes, gemvShapes...) {
		ar, ac := s.m, s.k
		if s.tA {
			ar, ac = ac, ar
		}
		br, bc := s.k, s.n
		if s.tB {
			br, bc = bc, br
		}
		a, b, c := make([]float32, ar*ac), make([]float32, br*bc), make([]float32, s.m*s.n)
		Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, ac, b, bc, 0, c, s.n) // warm the pool
		allocs := testing.AllocsPerRun(20, func() {
			Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, ac, b, bc, 0, c, s.n)
		})
		require.Zero(t, allocs, s.name)
		a64, b64, c64 := make([]float64, ar*ac), make([]float64, br*bc), make([]float64, s.m*s.n)
		Dgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a64, ac, b64, bc, 0, c64, s.n)
		allocs = testing.AllocsPerRun(20, func() {
			Dgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a64, ac, b64, bc, 0, c64, s.n)
		})
		require.Zero(t, allocs, s.name)
	}
}

// TestConcurrent runs products from several goroutines at once (pooled
// workspaces must not be shared); meaningful under -race.
func TestConcurrent(t *testing.T) {
	concurrently(t, 8, func(g int) error {
		m, n, k := 37+g, 45, 61
		rng := rand.New(rand.NewPCG(uint64(g), 3))
		a, b := make([]float32, m*k), make([]float32, k*n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		want, mag := naive(false, false, m, n, k, float32(1), a, k, b, n, 0, nil, n)
		c := make([]float32, m*n)
		for it := 0; it < 50; it++ {
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			for i := range c {
				// Written so that a NaN fails too.
				if !(math.Abs(float64(c[i])-want[i]) <= 1e-5*float64(k)*mag[i]) {
					return fmt.Errorf("goroutine %d: C[%d]=%g want %g", g, i, c[i], want[i])
				}
			}
		}
		return nil
	})
}

// concurrently runs f(0), ..., f(n-1) on n goroutines at once and fails t
// with the errors they return.
func concurrently(t *testing.T, n int, f func(g int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f(g)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// TestNarrowSameBits holds narrow (a product with few columns computed as
// its transpose) to the direct tiles bit for bit, with every kernel, with
// its real and tiny cache blocks (several k blocks), at 1 and 2 threads.
func TestNarrowSameBits(t *testing.T) {
	for _, kn := range sKernels {
		t.Run("f32/"+kn.name, func(t *testing.T) { narrowSameBits(t, kn) })
	}
	for _, kn := range dKernels {
		t.Run("f64/"+kn.name, func(t *testing.T) { narrowSameBits(t, kn) })
	}
}

func narrowSameBits[T float](t *testing.T, kn *kernel[T]) {
	rng := rand.New(rand.NewPCG(5, 6))
	tiny := *kn
	tiny.kc, tiny.mc, tiny.nc = 5, 2*kn.mr, 2*kn.nr
	for _, kk := range []*kernel[T]{kn, &tiny} {
		for _, s := range []shape{{kn.nr, 2, 7}, {128, 10, 128}, {97, kn.mr, 13}, {2*kn.nr + 3, 3, kn.kc + 9}} {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, threads := range []int{1, 2} {
						defer parallel.SetThreads(0)
						require.NoError(t, parallel.SetThreads(threads))
						m, n, k := s.m, s.n, s.k
						a, b := make([]T, m*k), make([]T, k*n)
						for i := range a {
							a[i] = T(rng.NormFloat64())
						}
						for i := range b {
							b[i] = T(rng.NormFloat64())
						}
						lda, ldb := lds(tA, tB, s)
						direct, got := make([]T, m*n), make([]T, m*n)
						for i := range got {
							got[i] = nanOf[T]()
						}
						gemmTiles(kk, tA, tB, m, n, k, -0.75, a, lda, b, ldb, 0, direct, n, nil, nil)
						narrow(kk, tA, tB, m, n, k, -0.75, a, lda, b, ldb, got, n)
						for i := range got {
							if math.Float64bits(float64(got[i])) != math.Float64bits(float64(direct[i])) {
								require.Failf(t, "narrow differs", "%s kc=%d tA=%v tB=%v %v threads %d: element %d is %v, direct %v", kk.name, kk.kc, tA, tB, s, threads, i, got[i], direct[i])
							}
						}
					}
				}
			}
		}
	}
}
