package gemm

import (
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/internal/vec"
)

type float interface{ float32 | float64 }

// kernel is a register-blocked micro-kernel and the cache blocking tuned for
// it. fn computes C = alpha*Ap*Bp + beta*C for one mr×nr tile of C from a
// packed mr×k sliver of op(A) (ap[p*mr+i]) and a packed k×nr sliver of
// op(B) (bp[p*nr+j]); it must not read C when beta == 0.
type kernel[T float] struct {
	name       string
	mr, nr     int // register tile
	kc, mc, nc int // cache blocks: kc×nc panel of op(B) (L2), mc×kc panel of op(A)
	fn         func(k int, a, b, c *T, ldc int, alpha, beta T)
	// Packing routines (see pack.go); nil means the portable packN, packT.
	packN, packT func(dst, src []T, ld, r0, c0, rows, cols, w int)
	// Matrix-vector kernels of gemv (see gemv.go); nil means the portable
	// ones. gemvN may leave the last columns to the caller: it returns how
	// many it computed.
	gemvN func(k, n int, x, b []T, ldb int, y []T) int
	gemvT func(k, n int, x, b []T, ldb int, y []T)
}

// The kernels usable on this CPU, fastest first; set once by init.
var (
	sKernels []*kernel[float32]
	dKernels []*kernel[float64]
)

// Kernel returns the name of the micro-kernel Sgemm and Dgemm use on this
// CPU: "avx512", "avx2" or "generic".
func Kernel() string { return sKernels[0].name }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major float32
// matrices, with exactly the semantics of BLAS sgemm (gonum's
// blas.Float32Level3.Sgemm with row-major storage): op(X) is X, or Xᵀ when tX
// is true; op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are the
// row strides. When beta == 0, C is overwritten without being read (NaNs in
// C do not propagate); when alpha == 0 or k == 0, C is only scaled by beta.
//
// The caller guarantees the sizes (see Check). As a programming-error check
// that keeps the assembly kernels from ever touching memory outside the
// slices, Sgemm panics when Check reports an error.
//
// Sgemm runs on the calling goroutine, allocates nothing in steady state and
// is safe for concurrent use.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if err := Check(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		panic(err)
	}
	gemm(sKernels[0], tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64.
func Dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if err := Check(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		panic(err)
	}
	gemm(dKernels[0], tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Check validates the arguments of Sgemm and Dgemm, given the slice lengths,
// with the same rules as gonum's BLAS: m, n, k >= 0; lda >= max(1, columns
// of A as stored), likewise ldb and ldc; and, unless m or n is 0, the slices
// hold their matrices (len(a) >= (rows-1)*lda+columns, ...).
func Check(tA, tB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("gemm: negative size m=%d n=%d k=%d", m, n, k)
	}
	ar, ac := m, k // A as stored
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	if lda < max(1, ac) {
		return fmt.Errorf("gemm: lda=%d < max(1, %d)", lda, ac)
	}
	if ldb < max(1, bc) {
		return fmt.Errorf("gemm: ldb=%d < max(1, %d)", ldb, bc)
	}
	if ldc < max(1, n) {
		return fmt.Errorf("gemm: ldc=%d < max(1, %d)", ldc, n)
	}
	if m == 0 || n == 0 {
		return nil
	}
	if !fits(ar, ac, lda, lenA) {
		return fmt.Errorf("gemm: len(a)=%d too short for %d×%d with lda=%d", lenA, ar, ac, lda)
	}
	if !fits(br, bc, ldb, lenB) {
		return fmt.Errorf("gemm: len(b)=%d too short for %d×%d with ldb=%d", lenB, br, bc, ldb)
	}
	if !fits(m, n, ldc, lenC) {
		return fmt.Errorf("gemm: len(c)=%d too short for %d×%d with ldc=%d", lenC, m, n, ldc)
	}
	return nil
}

// fits reports whether a slice of length l holds a rows×cols matrix with row
// stride ld >= max(1, cols), guarding against overflow. An empty matrix
// fits, except that, as in gonum, a matrix with rows > 0 and cols == 0 needs
// (rows-1)*ld elements.
func fits(rows, cols, ld, l int) bool {
	if rows == 0 {
		return true
	}
	if rows-1 > (math.MaxInt-cols)/ld {
		return false
	}
	return l >= (rows-1)*ld+cols
}

// workspace holds the packing buffers of one worker.
type workspace[T float] struct {
	a, b, t []T
}

// aligned returns s if it holds n elements, else a new 64-byte aligned slice.
func aligned[T float](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	var z T
	pad := 64 / int(unsafe.Sizeof(z))
	s = make([]T, n+pad)
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(s)))%64) / int(unsafe.Sizeof(z))
	if off != 0 {
		off = pad - off
	}
	return s[off : off+n : off+n]
}

// blocks splits n into ceil(n/max) near-equal blocks, each rounded up to a
// multiple of unit, and returns the block size.
func blocks(n, maxb, unit int) int {
	nb := (n + maxb - 1) / maxb
	b := (n + nb - 1) / nb
	return (b + unit - 1) / unit * unit
}

// gemm computes C = alpha*op(A)*op(B) + beta*C; arguments are already
// checked. A product with one row or one column goes to gemv; a large one
// is cut into pm×pn macro-tiles of C (tileGrid), computed in parallel, each
// by the serial blocked algorithm (blocked) with its worker's packing
// buffers. The tiles' edges fall on multiples of mr and nr and the k
// blocking depends only on k, so every element of C is computed by the
// same micro-kernel calls, in the same order, for any number of threads.
func gemm[T float](kn *kernel[T], tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	if m == 1 || n == 1 {
		gemv(kn, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if beta == 0 && n <= kn.mr && m >= kn.nr {
		narrow(kn, tA, tB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	if beta == 0 && alpha == 1 && splitsK(kn.kc, m, n, k, parallel.Threads()) {
		gemmK(kn, tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	gemmTiles(kn, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil, nil)
}

// splitsK reports whether a product is cut along k (gemmK): when its k
// blocking makes exactly two blocks, the threads are even, op(B) has at
// least twice as many elements as C (k >= 2m: a layer's weights against
// a batch's outputs) and the product is worth splitting.
//
// In isolation the cut along k is no faster than the tiles of C: the
// MLP's x·W₁ (128×256×784, blocks of 392) took 235 µs at 2 threads
// against 230 µs cut in n (medians of 5 alternating runs of
// BenchmarkMLP/fwd1): it packs half of x per worker instead of all of it,
// but adds the partial products. Its gain is where W₁ lives. Cut in n,
// each core reads half of every row of W₁; the optimizer then updates W₁
// in ranges of whole rows, and each core fetches from the other the half
// rows it has not read. Cut along k, each core reads its own half of the
// rows, the half the optimizer's home run updates on that core, and the
// half whose gradient it computes (xᵀ·dY is cut in m): the update of W₁
// stays in one core's cache. BenchmarkTrainStep/mlp at 2 threads, 16
// paired rounds against the tiles of C (and kc 384): the optimizer's
// time 107 -> 86 µs, the step 869 -> 829 µs.
func splitsK(kc, m, n, k, threads int) bool {
	if threads < 2 || threads%2 != 0 || k < 2*m || 2*float64(m)*float64(n)*float64(k) < 2*minChunkFlops {
		return false
	}
	kcb := blocks(k, kc, 1)
	return kcb < k && 2*kcb >= k
}

// gemmK computes C = op(A)·op(B) (alpha 1, beta 0) cut along k into its
// two k blocks: the first block's product goes to C, the second's to a
// scratch buffer S, each over half of the threads (cut into tiles of C
// like gemmTiles); then C += S. Computed whole, the blocked algorithm
// writes the first block's products into C and adds the second's to it
// (beta 1 from the second block on): each element is the same two
// chains of fused multiply-adds and the same final addition, so C holds
// the same bits (TestSplitKSameBits).
func gemmK[T float](kn *kernel[T], tA, tB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	threads := parallel.Threads()
	kcb := blocks(k, kn.kc, 1)
	pm, pn := tileGrid(kn.mr, kn.nr, m, n, kcb, threads/2)
	j := kjobsFor[T]().get()
	if cap(j.s) < m*n {
		j.s = make([]T, m*n)
	}
	// The packing buffers of gemmTiles' jobs: a step's products share
	// them, and the caches hold one set.
	tj := jobsFor[T]().get()
	if len(tj.ws) < 2*pm*pn {
		tj.ws = append(tj.ws, make([]workspace[T], 2*pm*pn-len(tj.ws))...)
	}
	j.kn, j.tA, j.tB, j.m, j.n, j.k, j.kcb, j.pm, j.pn = kn, tA, tB, m, n, k, kcb, pm, pn
	j.a, j.b, j.c, j.lda, j.ldb, j.ldc, j.s, j.ws = a, b, c, lda, ldb, ldc, j.s[:m*n], tj.ws
	parallel.Run(j, 2*pm*pn, 2*pm*pn)
	j.reduce = true
	if rows := j.sumRows(); rows < m {
		parallel.Run(j, (m+rows-1)/rows, 0)
	} else {
		j.Do(0, 0)
	}
	j.reduce = false
	j.a, j.b, j.c, j.ws = nil, nil, nil, nil // keep no reference to the caller's memory
	jobsFor[T]().put(tj)
	kjobsFor[T]().put(j)
}

// sumRows is the rows of C per chunk of gemmK's sum: about reduceGrain
// elements, all of C below 2·reduceGrain.
func (j *kjob[T]) sumRows() int {
	if j.m*j.n < 2*reduceGrain {
		return j.m
	}
	return max(1, reduceGrain/j.n)
}

// reduceGrain is the elements of C per chunk of gemmK's sum.
const reduceGrain = 1 << 15

// kjob is one call of gemmK. Its chunks are the tiles of the first k
// block's product, then those of the second's (one per worker: home runs
// put the first block on the caller), then (reduce) runs of C's rows for
// the sum.
type kjob[T float] struct {
	kn            *kernel[T]
	tA, tB        bool
	m, n, k, kcb  int
	pm, pn        int
	a, b, c, s    []T
	lda, ldb, ldc int
	reduce        bool
	ws            []workspace[T]
}

func (j *kjob[T]) Do(w, ch int) {
	if j.reduce {
		rows := j.sumRows()
		for i := ch * rows; i < min((ch+1)*rows, j.m); i++ {
			cr, sr := j.c[i*j.ldc:i*j.ldc+j.n], j.s[i*j.n:(i+1)*j.n]
			for x := vec.Binary(vec.Best(), vec.Add, cr, cr, sr); x < len(sr); x++ {
				cr[x] += sr[x]
			}
		}
		return
	}
	tiles := j.pm * j.pn
	g := ch / tiles
	i0, i1, j0, j1 := tileOf(j.kn.mr, j.kn.nr, j.m, j.n, j.pm, j.pn, ch%tiles)
	if i0 >= i1 || j0 >= j1 {
		return
	}
	k0 := g * j.kcb
	kb := min(j.kcb, j.k-k0)
	var a, b []T
	if j.tA {
		a = j.a[k0*j.lda+i0:]
	} else {
		a = j.a[i0*j.lda+k0:]
	}
	if j.tB {
		b = j.b[j0*j.ldb+k0:]
	} else {
		b = j.b[k0*j.ldb+j0:]
	}
	dst, ld := j.c[i0*j.ldc+j0:], j.ldc
	if g == 1 {
		dst, ld = j.s[i0*j.n+j0:], j.n
	}
	blocked(j.kn, &j.ws[w], j.tA, j.tB, i1-i0, j1-j0, kb, 1, a, j.lda, b, j.ldb, 0, dst, ld, nil, nil, 0, 0)
}

var (
	kjobs32 freeList[kjob[float32]]
	kjobs64 freeList[kjob[float64]]
)

func kjobsFor[T float]() *freeList[kjob[T]] { return forType[T, freeList[kjob[T]]](&kjobs32, &kjobs64) }

// narrow computes a product with few columns (n <= mr, a classifier's
// last layer: 10) as its transpose, Cᵀ = op(B)ᵀ·op(A)ᵀ, into scratch,
// then copies Cᵀ into C. Computed directly, every mr×nr tile of C would
// be an edge tile using n of its nr columns (10 of 32); transposed, the n
// rows fill one sliver of mr and the m columns whole slivers of nr: 4
// micro-kernel calls instead of 11 for the MLP's 128×10 outputs (11 µs
// down to 6.5 µs on one core). Each element is the same dot product, a
// chain of fused multiply-adds over the same k blocks, whose operands
// have only changed places: C holds the same bits as computed directly
// (TestNarrowSameBits). Only for beta == 0, where C is not read.
func narrow[T float](kn *kernel[T], tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	l := scratchFor[T]()
	s := l.get()
	if cap(*s) < m*n {
		*s = make([]T, m*n)
	}
	ct := (*s)[:m*n]
	gemmTiles(kn, !tB, !tA, n, m, k, alpha, b, ldb, a, lda, 0, ct, m, nil, nil)
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			row[j] = ct[j*m+i]
		}
	}
	l.put(s)
}

// gemmTiles runs the blocked algorithm over tileGrid's macro-tiles, with
// op(A) or op(B) given packed when pa or pb is not nil.
func gemmTiles[T float](kn *kernel[T], tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int, pa, pb *Packed[T]) {
	pm, pn := tileGrid(kn.mr, kn.nr, m, n, k, parallel.Threads())
	j := jobsFor[T]().get()
	j.kn, j.tA, j.tB, j.m, j.n, j.k, j.alpha, j.beta = kn, tA, tB, m, n, k, alpha, beta
	j.a, j.b, j.c, j.lda, j.ldb, j.ldc, j.pm, j.pn, j.pa, j.pb = a, b, c, lda, ldb, ldc, pm, pn, pa, pb
	if len(j.ws) < pm*pn {
		j.ws = append(j.ws, make([]workspace[T], pm*pn-len(j.ws))...)
	}
	parallel.Run(j, pm*pn, pm*pn)
	j.a, j.b, j.c, j.pa, j.pb = nil, nil, nil, nil, nil // keep no reference to the caller's memory
	jobsFor[T]().put(j)
}

// job is one call of gemm: its arguments, its grid and a workspace per
// worker. Jobs are reused through a free list (see jobList).
type job[T float] struct {
	kn            *kernel[T]
	tA, tB        bool
	m, n, k       int
	alpha, beta   T
	a, b, c       []T
	lda, ldb, ldc int
	pm, pn        int
	pa, pb        *Packed[T] // operands given packed, or nil
	ws            []workspace[T]
}

// tileOf returns macro-tile t of an m×n C cut into pm×pn tiles: its rows
// [i0, i1) and columns [j0, j1), pm and pn near-equal runs of whole mr×nr
// tiles (empty when there are fewer tiles than runs).
func tileOf(mr, nr, m, n, pm, pn, t int) (i0, i1, j0, j1 int) {
	tm, tn := (m+mr-1)/mr, (n+nr-1)/nr
	ci, cj := t/pn, t%pn
	return min(tm*ci/pm*mr, m), min(tm*(ci+1)/pm*mr, m), min(tn*cj/pn*nr, n), min(tn*(cj+1)/pn*nr, n)
}

// Do computes macro-tile ch of C (tileOf).
func (j *job[T]) Do(w, ch int) {
	i0, i1, j0, j1 := tileOf(j.kn.mr, j.kn.nr, j.m, j.n, j.pm, j.pn, ch)
	if i0 >= i1 || j0 >= j1 {
		return
	}
	var a, b []T
	if j.pa == nil { // the tile's rows of op(A)
		if j.tA {
			a = j.a[i0:]
		} else {
			a = j.a[i0*j.lda:]
		}
	}
	if j.pb == nil { // the tile's columns of op(B)
		if j.tB {
			b = j.b[j0*j.ldb:]
		} else {
			b = j.b[j0:]
		}
	}
	blocked(j.kn, &j.ws[w], j.tA, j.tB, i1-i0, j1-j0, j.k, j.alpha, a, j.lda, b, j.ldb, j.beta, j.c[i0*j.ldc+j0:], j.ldc, j.pa, j.pb, i0, j0)
}

// minChunkFlops is the least work worth a worker of its own: about 15 µs
// of one core, several times what waking a worker costs (see
// internal/parallel's BenchmarkRun).
const minChunkFlops = 2 << 20

// packCost is the cost of packing one element of op(A) or op(B) in units
// of one multiply-add of the micro-kernel (a panel of 12 rows of op(A) by
// k costs about as much to pack as 12·packCost·k multiply-adds).
const packCost = 8

// tileGrid chooses the macro-tiles of a product: pm×pn tiles (at most threads,
// each worth minChunkFlops) minimising the work of the largest one, its
// multiply-adds plus the packing of its share of op(A) and op(B) (a tile
// packs its rows of op(A) and its columns of op(B) itself: cutting m
// repacks op(B), cutting n repacks op(A)).
func tileGrid(mr, nr, m, n, k, threads int) (pm, pn int) {
	flops := 2 * float64(m) * float64(n) * float64(k)
	w := min(threads, int(flops/minChunkFlops))
	if w <= 1 {
		return 1, 1
	}
	tm, tn := (m+mr-1)/mr, (n+nr-1)/nr
	pm, pn = 1, 1
	best := -1
	for a := 1; a <= min(w, tm); a++ {
		for b := 1; a*b <= w && b <= tn; b++ {
			rows, cols := (tm+a-1)/a*mr, (tn+b-1)/b*nr
			cost := rows*cols + packCost*(rows+cols)
			if best < 0 || cost < best {
				best, pm, pn = cost, a, b
			}
		}
	}
	return pm, pn
}

// freeList is a free list of jobs (not a sync.Pool, which the garbage
// collector empties: a training step must not allocate after a GC).
type freeList[E any] struct {
	mu   sync.Mutex
	free []*E
}

func (l *freeList[E]) get() *E {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		j := l.free[n-1]
		l.free = l.free[:n-1]
		return j
	}
	return new(E)
}

func (l *freeList[E]) put(j *E) {
	l.mu.Lock()
	l.free = append(l.free, j)
	l.mu.Unlock()
}

var (
	jobs32 freeList[job[float32]]
	jobs64 freeList[job[float64]]
)

var (
	scratch32 freeList[[]float32]
	scratch64 freeList[[]float64]
)

// scratchFor is the free list of narrow's buffers.
func scratchFor[T float]() *freeList[[]T] { return forType[T, freeList[[]T]](&scratch32, &scratch64) }

func jobsFor[T float]() *freeList[job[T]] { return forType[T, freeList[job[T]]](&jobs32, &jobs64) }

// forType returns v32 or v64, the one for T, as a *V: the float32 and
// float64 instances of a package variable (a free list), which a generic
// function cannot name through T.
func forType[T float, V any](v32, v64 any) *V {
	var z T
	if _, ok := any(z).(float32); ok {
		return v32.(*V)
	}
	return v64.(*V)
}

// blocked is the Goto/BLIS blocked algorithm on one thread, with the
// packing buffers of ws.
//
//	for ic over m in mc blocks:              op(A) row panel
//	  for pc over k in kc blocks:            pack op(A)[ic:, pc:] → ap (mr slivers)
//	    for jc over n in nc blocks:          pack op(B)[pc:, jc:] → bp (nr slivers, L2)
//	      for ir over mc in mr steps:        A sliver stays in L1
//	        for jr over nc in nr steps:      B slivers stream from L2
//	          micro-kernel on C[ic+ir:, jc+jr:]
//
// An operand given packed (pa or pb, see Packed) is not packed again: its
// panels are read from the packed data, offset by aoff rows or boff
// columns (the tile's place in the whole product).
func blocked[T float](kn *kernel[T], ws *workspace[T], tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int, pa, pb *Packed[T], aoff, boff int) {
	mr, nr := kn.mr, kn.nr
	pN, pT := kn.packN, kn.packT
	if pN == nil {
		pN = packN[T]
	}
	if pT == nil {
		pT = packT[T]
	}
	kc := blocks(k, kn.kc, 1)
	mc := blocks(m, kn.mc, mr)
	nc := blocks(n, kn.nc, nr)

	if pa == nil {
		ws.a = aligned(ws.a, mc*kc)
	}
	if pb == nil {
		ws.b = aligned(ws.b, kc*nc)
	}
	ws.t = aligned(ws.t, mr*nr)
	ap, bp, t := ws.a, ws.b, ws.t
	for ic := 0; ic < m; ic += mc {
		mb := min(mc, m-ic)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			switch {
			case pa != nil:
				ap = pa.panel(pc, aoff+ic, kb)
			case tA:
				pT(ap, a, lda, pc, ic, kb, mb, mr)
			default:
				pN(ap, a, lda, ic, pc, mb, kb, mr)
			}
			bt := beta
			if pc > 0 {
				bt = 1
			}
			for jc := 0; jc < n; jc += nc {
				nb := min(nc, n-jc)
				switch {
				case pb != nil:
					bp = pb.panel(pc, boff+jc, kb)
				case tB:
					pN(bp, b, ldb, jc, pc, nb, kb, nr)
				default:
					pT(bp, b, ldb, pc, jc, kb, nb, nr)
				}
				for ir := 0; ir < mb; ir += mr {
					mrr := min(mr, mb-ir)
					as := &ap[ir*kb]
					for jr := 0; jr < nb; jr += nr {
						nrr := min(nr, nb-jr)
						bs := &bp[jr*kb]
						ci := (ic+ir)*ldc + jc + jr
						if mrr == mr && nrr == nr {
							kn.fn(kb, as, bs, &c[ci], ldc, alpha, bt)
							continue
						}
						// Edge tile: compute the full tile into t (the packed
						// panels are zero-padded), write back the valid part.
						kn.fn(kb, as, bs, &t[0], nr, alpha, 0)
						for i := 0; i < mrr; i++ {
							cr := c[ci+i*ldc : ci+i*ldc+nrr]
							tr := t[i*nr : i*nr+nrr]
							if bt == 0 {
								copy(cr, tr)
							} else {
								for j, v := range tr {
									cr[j] = bt*cr[j] + v
								}
							}
						}
					}
				}
			}
		}
	}
}

// scale computes C = beta*C; beta == 0 zeroes C.
func scale[T float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		cr := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(cr)
			continue
		}
		for j := range cr {
			cr[j] *= beta
		}
	}
}
