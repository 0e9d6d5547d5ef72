package gemm

import "github.com/descent-ml/descent/internal/parallel"

// The GEMV path: a product with one row (m == 1: batch-1 inference, x·W)
// or one column (n == 1) is a matrix-vector product. The blocked
// algorithm would pack the whole matrix for one row and fill one row of
// each 12-row micro-tile; here the matrix is read once, in place:
//
//	axpy form  y[j] = Σ_p x[p]·M[p, j]   M's rows scaled and summed (gemvN)
//	dot form   y[j] = Σ_p x[p]·M[j, p]   a dot product per row of M (gemvT)
//
//	m == 1:  x = op(A)'s row,    M = B:  axpy form (op(B) = B), dot form (op(B) = Bᵀ)
//	n == 1:  x = op(B)'s column, M = A:  dot form (op(A) = A),  axpy form (op(A) = Aᵀ)
//
// y is then C's row or column: C = alpha·y + beta·C. Every output element
// is computed by the same instructions whatever its position (see
// gen_gemv.go), so the outputs are split over threads in chunks of
// gemvGrain and give the same bits for any number of threads. The results
// differ in the last bits from the blocked algorithm's on the same
// numbers (the sums are the same, the instructions are not), as a batch of
// one differs from a row of a batch in PyTorch.

// gemvGrain is the unit of the split of the outputs: a multiple of every
// kernel's block of columns (8 vectors of 16 float32 on AVX-512).
const gemvGrain = 128

// gemvMinWork is the least number of matrix elements worth a chunk of its
// own (256 KiB of float32: about 10 µs of one core reading from L2).
const gemvMinWork = 64 << 10

// vecJob is one call of gemv and its scratch.
type vecJob[T float] struct {
	kn          *kernel[T]
	dot         bool
	k, cnt      int
	x, mat      []T
	ld          int
	y, c        []T
	cs          int // C's stride between outputs
	alpha, beta T
	direct      bool // y is C itself (stride 1, beta 0)
	grain       int
	xbuf, ybuf  []T
}

func gemv[T float](kn *kernel[T], tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	j := vecJobsFor[T]().get()
	j.kn, j.k, j.alpha, j.beta, j.c = kn, k, alpha, beta, c
	var xs []T
	xstride := 1
	if m == 1 {
		// x = op(A)[0, :]: a[p], or a[p·lda] for a k×1 A.
		xs, j.mat, j.ld, j.cnt, j.cs, j.dot = a, b, ldb, n, 1, tB
		if tA {
			xstride = lda
		}
	} else {
		// x = op(B)[:, 0]: b[p·ldb] for a k×1 B, or b[p] for a 1×k Bᵀ.
		xs, j.mat, j.ld, j.cnt, j.cs, j.dot = b, a, lda, m, ldc, !tA
		if !tB {
			xstride = ldb
		}
	}
	if xstride == 1 {
		j.x = xs[:k]
	} else {
		j.xbuf = grow(j.xbuf, k)
		for p := range k {
			j.xbuf[p] = xs[p*xstride]
		}
		j.x = j.xbuf
	}
	j.direct = j.cs == 1 && beta == 0
	if j.direct {
		j.y = c[:j.cnt]
	} else {
		j.ybuf = grow(j.ybuf, j.cnt)
		j.y = j.ybuf
	}
	j.grain = max(gemvGrain, (gemvMinWork/k+gemvGrain-1)/gemvGrain*gemvGrain)
	parallel.Run(j, parallel.Split(j.cnt, j.grain), 0)
	j.x, j.mat, j.y, j.c = nil, nil, nil, nil
	vecJobsFor[T]().put(j)
}

// Do computes the outputs of chunk ch and writes them to C.
func (j *vecJob[T]) Do(_, ch int) {
	lo, hi := parallel.Bounds(ch, j.cnt, j.grain)
	y := j.y[lo:hi]
	if j.dot {
		mat := j.mat[lo*j.ld:]
		if j.kn.gemvT != nil {
			j.kn.gemvT(j.k, hi-lo, j.x, mat, j.ld, y)
		} else {
			dotRows(j.k, hi-lo, j.x, mat, j.ld, y)
		}
	} else {
		mat, done := j.mat[lo:], 0
		if j.kn.gemvN != nil {
			done = j.kn.gemvN(j.k, hi-lo, j.x, mat, j.ld, y)
		}
		if done < hi-lo {
			axpyRows(j.k, hi-lo-done, j.x, mat[done:], j.ld, y[done:])
		}
	}
	switch {
	case j.direct && j.alpha == 1:
	case j.direct:
		for i := range y {
			y[i] *= j.alpha
		}
	default:
		for i, v := range y {
			ci := (lo + i) * j.cs
			if j.beta == 0 {
				j.c[ci] = j.alpha * v
			} else {
				j.c[ci] = j.alpha*v + j.beta*j.c[ci]
			}
		}
	}
}

// axpyRows is the portable axpy form: y[j] = Σ_p x[p]·b[p·ldb+j], j < n.
func axpyRows[T float](k, n int, x, b []T, ldb int, y []T) {
	y = y[:n]
	clear(y)
	for p, xp := range x[:k] {
		r := b[p*ldb:][:n]
		for i, v := range r {
			y[i] += xp * v
		}
	}
}

// dotRows is the portable dot form: y[j] = Σ_p x[p]·b[j·ldb+p], j < n.
func dotRows[T float](k, n int, x, b []T, ldb int, y []T) {
	x = x[:k]
	for i := range y[:n] {
		r := b[i*ldb:][:k]
		var s T
		for p, v := range r {
			s += x[p] * v
		}
		y[i] = s
	}
}

// grow returns s if it holds n elements, else a new slice.
func grow[T float](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

var (
	vecJobs32 freeList[vecJob[float32]]
	vecJobs64 freeList[vecJob[float64]]
)

func vecJobsFor[T float]() *freeList[vecJob[T]] {
	return forType[T, freeList[vecJob[T]]](&vecJobs32, &vecJobs64)
}
