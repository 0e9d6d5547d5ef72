package ops

import (
	"unsafe"

	"github.com/descent-ml/descent/internal/blas"
	"github.com/descent-ml/descent/internal/dconv"
	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/internal/vec"
)

// The convolution's kernels: im2col (im2col.go) and matrix products
// through internal/blas, over groups of m images:
//
//	forward  Y    = W·col (+ b)   [O, K+1]·[K+1, m·P], or Yᵀ = colᵀ·Wᵀ
//	dx       dcol = Wᵀ·dY         [K, O]·[O, m·P], then col2im
//	dW       dWᵀ += col·dYᵀ       [K+1, P]·[P, O], or dW, one image at a time
//
// K = C·kh·kw, P = oh·ow. The columns of a group's images sit side by
// side (row stride m·P), and Y or dY are scattered or gathered between
// the tensor's [m, O, P] and the product's [O, m·P]. Groups pay where an
// image's product is narrow: the micro-tiles of internal/gemm are 32
// columns wide, so P = 196 (MNIST's second layer) computes 224 columns
// and two images 416 for 392 (dx 5% faster); P = 49 wastes a quarter. A
// product per image reads and writes the tensors directly. dW sums over
// the pixels, the products' k: grouping saves no padding there, only
// costs the gather, so dW takes one image per product and accumulates
// (beta = 1).
//
// Threads: the forward pass and dx split the groups of images over
// internal/parallel's workers, each with its own scratch (convScratch);
// their outputs are disjoint. dW is a sum over the images: it is cut into
// a fixed number of chunks of images (dwChunks, fewer for small batches),
// each summed into a partial of its own, and the partials are added in
// chunk order, so dW has the same bits for any number of threads. A
// product inside a chunk runs on its worker (the pool is busy); with a
// single group (batch 1) the product itself is split.
//
// The bias rides in the forward product as an extra column of W and a
// row of ones of the column matrix (K+1): no pass over Y to add it; the
// same row of ones gives db in dW's product (convGradWKernel).
//
// The weights are packed once per call for the micro-kernel
// (blas.Packed), not once per product: the forward pass and dx multiply
// the same W with every group's columns.
//
// The products are oriented to cut fewer padded micro-tiles (see tiles):
// dW as dWᵀ [K, O], transposed at the end; the forward product as Yᵀ
// when that pays for transposing Y (forwardTransposed).

// groupCols is the number of columns (m·P) up to which images are
// grouped; groupBytes bounds the column matrix of a group (about what
// stays in the L2 cache between im2col or the product and its reader).
const (
	groupCols  = 256
	groupBytes = 3 << 19
)

// groupSize returns the number of images per matrix product of the
// forward pass and dx: fixed (> 0, for tests) or the fewest that give
// groupCols columns, within groupBytes; at least 1, at most n.
func groupSize[T Float](g geom, n, fixed int) int {
	if fixed > 0 {
		return max(1, min(fixed, n))
	}
	var z T
	m := (groupCols + g.out() - 1) / max(g.out(), 1)
	m = min(m, groupBytes/max(g.k()*g.out()*int(unsafe.Sizeof(z)), 1))
	return max(1, min(m, n))
}

// groupBufs returns, from one scratch, the column matrix of a group of gs
// images [rows, gs·P] (nil when the product reads the image itself: a
// 1×1 identity geometry, one image per group) and a buffer [O, gs·P] for
// the group's outputs or output gradients (nil for one image per group).
func groupBufs[T Float](s *scratch, g geom, gs, rows, O int) (col, obuf []T) {
	P := g.out()
	n, nb := rows*gs*P, 0
	if g.identity() && gs == 1 {
		n = 0
	}
	if gs > 1 {
		nb = O * gs * P
	}
	b := buf[T](s, n+nb)
	col = b[:n]
	if nb > 0 {
		obuf = b[n:]
	}
	return col, obuf
}

// convScratch is one worker's scratch: the column matrix and output (or
// output gradient) buffer of a group of images, the transposed output of
// a group, im2col's padded plane and col2im's padded accumulator.
type convScratch struct {
	col, ybuf, acc scratch
	pad            padBuf
	img            padBuf // a whole padded image (convdirect.go)
}

// workerScratch returns n workers' scratch, growing *ws (once).
func workerScratch(ws *[]convScratch, n int) []convScratch {
	if len(*ws) < n {
		*ws = append(*ws, make([]convScratch, n-len(*ws))...)
	}
	return (*ws)[:n]
}

// taskOf returns the task *t holds, creating it on first use (a compiled
// program's op instance runs one element type).
func taskOf[P any](t *any) *P {
	if p, ok := (*t).(*P); ok {
		return p
	}
	p := new(P)
	*t = p
	return p
}

// convFwd is the forward pass over groups of images, a group per chunk
// (groups write disjoint outputs).
type convFwd[T Float] struct {
	o               *conv
	y, x, b         []T
	pw              blas.Packed[T] // the weights (with the bias column), packed once per call
	N, O, K, kb, gs int
	g               geom
	direct, trans   bool
}

func convForwardKernel[T Float](o *conv, y, x, w, b []T, N, O int, g geom) {
	K := g.k()
	if y32, ok := any(y).([]float32); ok && K >= directMinK {
		if s, ok := directShape(g, O, o.group); ok {
			convForwardDirect(o, y32, any(x).([]float32), any(w).([]float32), any(b).([]float32), N, g, s)
			return
		}
	}
	gs := groupSize[T](g, N, o.group)
	direct := g.identity() && gs == 1
	kb, wb := K, w
	if b != nil && !direct {
		kb, wb = K+1, buf[T](&o.wb, O*(K+1))
		for oc, v := range b {
			copy(wb[oc*kb:][:K], w[oc*K:][:K])
			wb[oc*kb+K] = v
		}
	}
	groups := (N + gs - 1) / gs
	workers := parallel.Workers(groups)
	workerScratch(&o.ws, workers)
	t := taskOf[convFwd[T]](&o.task)
	t.o, t.y, t.x, t.b, t.N, t.O, t.K, t.kb, t.gs, t.g = o, y, x, b, N, O, K, kb, gs, g
	t.direct, t.trans = direct, !direct && forwardTransposed(K, O, gs*g.out())
	if t.trans {
		t.pw.PackB(true, kb, O, wb, kb) // op(B) = Wᵀ
	} else {
		t.pw.PackA(false, O, kb, wb, kb) // op(A) = W
	}
	parallel.Run(t, groups, workers)
	t.y, t.x, t.b = nil, nil, nil
}

func (t *convFwd[T]) Do(w, grp int) {
	s, g, O, kb := &t.o.ws[w], t.g, t.O, t.kb
	P, X := g.out(), g.c*g.in()
	col, ybuf := groupBufs[T](&s.col, g, t.gs, kb, O)
	if t.trans {
		ybuf = buf[T](&s.ybuf, t.gs*P*O)
	}
	pad := padPlane[T](&s.pad, g)
	n0 := grp * t.gs
	m := min(t.gs, t.N-n0)
	ld := m * P
	src, yn := t.x[n0*X:][:m*X], t.y[n0*O*P:][:m*O*P]
	if !t.direct {
		for i := range m {
			im2col(col[i*P:], ld, t.x[(n0+i)*X:][:X], g, pad)
		}
		if kb > t.K {
			fill(col[t.K*ld:][:ld], 1)
		}
		src = col
	}
	switch {
	case t.trans:
		blas.GemmPackedB(true, ld, 1, src, ld, &t.pw, 0, ybuf, O)
		for i := range m {
			transpose(yn[i*O*P:][:O*P], ybuf[i*P*O:][:P*O], P, O)
		}
	case m == 1:
		blas.GemmPackedA(&t.pw, false, P, 1, src, P, 0, yn, P)
		if t.direct && t.b != nil {
			for oc, v := range t.b {
				addConst(yn[oc*P:][:P], v)
			}
		}
	default:
		blas.GemmPackedA(&t.pw, false, ld, 1, src, ld, 0, ybuf, ld)
		scatter(yn, ybuf, m, O, P)
	}
}

// forwardTransposed reports whether the forward product should be
// computed as Yᵀ = colᵀ·Wᵀ [cols, O] and transposed into Y: when that
// cuts at least a tenth of the padded tiles and the product is deep
// enough (K >= 256) to pay for the transposition. For 32→64 5×5 on
// 14×14, Y [64, 196] takes 42 tiles, Yᵀ [196, 64] 34: the product ran
// 14% faster, the transposition costs a quarter of that.
func forwardTransposed(K, O, cols int) bool {
	return K >= 256 && 10*tiles(cols, O) <= 9*tiles(O, cols)
}

// convGradXTask computes dx over groups of images, a group per chunk.
type convGradXTask[T Float] struct {
	o        *convGradX
	dx, dy   []T
	pw       blas.Packed[T] // Wᵀ, packed once per call
	N, O, gs int
	direct   bool
}

func convGradXKernel[T Float](o *convGradX, dx, dy, w []T, O int) {
	g := o.g
	N := o.x[0]
	if dx32, ok := any(dx).([]float32); ok && O*g.kh*g.kw >= directMinK {
		if gd, ok := gradXGeom(g, O); ok {
			if s, ok := directShape(gd, g.c, o.group); ok {
				convGradXDirect(o, dx32, any(dy).([]float32), any(w).([]float32), N, gd, s)
				return
			}
		}
	}
	gs := groupSize[T](g, N, o.group)
	groups := (N + gs - 1) / gs
	workers := parallel.Workers(groups)
	workerScratch(&o.ws, workers)
	t := taskOf[convGradXTask[T]](&o.task)
	t.o, t.dx, t.dy, t.N, t.O, t.gs, t.direct = o, dx, dy, N, O, gs, g.identity() && gs == 1
	t.pw.PackA(true, g.k(), O, w, g.k())
	parallel.Run(t, groups, workers)
	t.dx, t.dy = nil, nil
}

func (t *convGradXTask[T]) Do(w, grp int) {
	s, g, O := &t.o.ws[w], t.o.g, t.O
	K, P, X := g.k(), g.out(), g.c*g.in()
	col, dybuf := groupBufs[T](&s.col, g, t.gs, K, O)
	var acc []T
	if g.padded() > 0 {
		acc = buf[T](&s.acc, g.padded())
	}
	n0 := grp * t.gs
	m := min(t.gs, t.N-n0)
	ld := m * P
	src := t.dy[n0*O*P:][:m*O*P]
	if m > 1 {
		gather(dybuf, src, m, O, P)
		src = dybuf
	}
	if t.direct {
		blas.GemmPackedA(&t.pw, false, P, 1, src, P, 0, t.dx[n0*X:][:X], P)
		return
	}
	blas.GemmPackedA(&t.pw, false, ld, 1, src, ld, 0, col, ld)
	for i := range m {
		col2im(t.dx[(n0+i)*X:][:X], col[i*P:], ld, g, acc)
	}
}

// dwChunks is the number of chunks dW's sum over the images is cut into
// (fewer for fewer images): a fixed partition, so dW has the same bits
// for any number of threads. Each chunk sums its images into a partial dW
// of its own; the partials are added in chunk order.
const dwChunks = 16

// dwImages returns the images per chunk of dW's sum over n images.
func dwImages(n int) int { return max(1, (n+dwChunks-1)/dwChunks) }

// convGradWTask sums dW (dWᵀ when trans; with db as an extra column or
// row when kb > K) over a chunk of images into the chunk's partial.
type convGradWTask[T Float] struct {
	o            *convGradW
	x, dy, parts []T
	N, O, kb, gs int
	per          int // images per chunk
	direct       bool
	trans        bool
}

// convGradWKernel computes dW, and db with it when o.bias and the column
// matrix is built: a row of ones appended to it (K+1 rows) makes
// dY·onesᵀ = Σ dY an extra column of dW (or row of dWᵀ), for free: K+1
// fits the same tiles as K on MNIST's layers (26 and 801 rows).
func convGradWKernel[T Float](o *convGradW, dw, x, dy []T, N int) {
	g := o.g
	O, K := o.w[0], g.k()
	if dw32, ok := any(dw).([]float32); ok && K >= directMinK {
		if s, ok := directShape(g, O, o.group); ok && dconv.GradWOK(s) {
			convGradWDirect(o, dw32, any(x).([]float32), any(dy).([]float32), N, s)
			return
		}
	}
	gs := max(1, min(o.group, N)) // one image per product unless fixed
	direct := g.identity() && gs == 1
	kb := K
	if o.bias && !direct {
		kb = K + 1
	}
	o.hasDB = kb > K
	trans := tiles(kb, O) <= tiles(O, kb)
	per := dwImages(N)
	chunks := (N + per - 1) / per
	workers := parallel.Workers(chunks)
	workerScratch(&o.ws, workers)
	// One partial per chunk; the first is the result itself.
	size := kb * O
	parts := buf[T](&o.parts, max(chunks, 1)*size)
	t := taskOf[convGradWTask[T]](&o.task)
	*t = convGradWTask[T]{o: o, x: x, dy: dy, parts: parts, N: N, O: O, kb: kb, gs: gs, per: per, direct: direct, trans: trans}
	parallel.Run(t, chunks, workers)
	*t = convGradWTask[T]{}
	acc := parts[:size] // [O, kb], or [kb, O] when trans
	if N == 0 {
		clear(acc)
	}
	sumParts(acc, parts, chunks)
	var db []T
	if kb > K {
		db = buf[T](&o.db, O)
	}
	switch {
	case trans:
		transpose(dw, acc[:K*O], K, O)
		copy(db, acc[K*O:])
	case kb > K:
		for oc := range O {
			copy(dw[oc*K:][:K], acc[oc*kb:][:K])
			db[oc] = acc[oc*kb+K]
		}
	default:
		copy(dw, acc)
	}
}

func (t *convGradWTask[T]) Do(w, ch int) {
	s, g, O, kb := &t.o.ws[w], t.o.g, t.O, t.kb
	K, P, X := g.k(), g.out(), g.c*g.in()
	size := kb * O
	acc := t.parts[ch*size:][:size]
	col, dybuf := groupBufs[T](&s.col, g, t.gs, kb, O)
	pad := padPlane[T](&s.pad, g)
	var beta T
	end := min(t.N, (ch+1)*t.per)
	for n0 := ch * t.per; n0 < end; n0 += t.gs {
		m := min(t.gs, end-n0)
		ld := m * P
		src, dyn := t.x[n0*X:][:m*X], t.dy[n0*O*P:][:m*O*P]
		if !t.direct {
			for i := range m {
				im2col(col[i*P:], ld, t.x[(n0+i)*X:][:X], g, pad)
			}
			if kb > K {
				fill(col[K*ld:][:ld], 1)
			}
			src = col
		}
		if m > 1 {
			gather(dybuf, dyn, m, O, P)
			dyn = dybuf
		}
		if t.trans {
			blas.Gemm(false, true, kb, O, ld, 1, src, ld, dyn, ld, beta, acc, O)
		} else {
			blas.Gemm(false, true, O, kb, ld, 1, dyn, ld, src, ld, beta, acc, kb)
		}
		beta = 1
	}
}

// sumArgs is sumParts' work: acc = Σ_c parts[c], c in order.
type sumArgs[T Float] struct {
	acc, parts []T
	chunks     int
}

func (a sumArgs[T]) Range(lo, hi int) {
	size := len(a.acc)
	acc := a.acc[lo:hi]
	for c := 1; c < a.chunks; c++ {
		part := a.parts[c*size+lo : c*size+hi]
		// SIMD adds for the whole vectors: one IEEE addition per element, the same bits.
		d := vec.Binary(vec.Best(), vec.Add, acc, acc, part)
		for i, v := range part[d:] {
			acc[d+i] += v
		}
	}
}

var (
	sumLoop32 parallel.Loop[sumArgs[float32]]
	sumLoop64 parallel.Loop[sumArgs[float64]]
)

// sumParts adds parts[1..chunks) (each len(acc) long, after parts[0] =
// acc) into acc, chunk by chunk in order, split over threads by elements.
func sumParts[T Float](acc, parts []T, chunks int) {
	if chunks <= 1 {
		return
	}
	const grain = 8192
	switch a := any(acc).(type) {
	case []float32:
		sumLoop32.For(len(a), grain, sumArgs[float32]{a, any(parts).([]float32), chunks})
	case []float64:
		sumLoop64.For(len(a), grain, sumArgs[float64]{a, any(parts).([]float64), chunks})
	}
}

// gather copies the m images of dy [m, O, P] into buf [O, m·P], image i
// in columns i·P to (i+1)·P.
func gather[T Float](buf, dy []T, m, O, P int) {
	for i := range m {
		copyRows(buf[i*P:], m*P, dy[i*O*P:], P, P, O)
	}
}

// scatter is the inverse of gather.
func scatter[T Float](y, buf []T, m, O, P int) {
	for i := range m {
		copyRows(y[i*O*P:], P, buf[i*P:], m*P, P, O)
	}
}

// fill sets every element of x to v.
func fill[T Float](x []T, v T) {
	for i := range x {
		x[i] = v
	}
}

// addConst adds v to every element of x.
func addConst[T Float](x []T, v T) {
	for i := range x {
		x[i] += v
	}
}

// tiles estimates the work of an m×n matrix product: the number of
// internal/gemm's micro-tiles (12×32 for float32 with AVX-512) it
// computes, padded ones included. dW is [O, K] with O often 32 or 64 and
// K = C·kh·kw: as dWᵀ, K is the side cut into 12-row slivers (64 rows
// take six, 72 rows' worth) and O the 32-wide one; measured 10% faster
// for 32→64 5×5, and as fast for 1→32 (where every tile of dW [32, 25]
// is an edge tile).
func tiles(m, n int) int { return (m + 11) / 12 * ((n + 31) / 32) }

// transpose writes dst [c, r] = src [r, c]ᵀ, in blocks of 4×4 (bounds
// checked once).
func transpose[T Float](dst, src []T, r, c int) {
	if r <= 0 || c <= 0 {
		return
	}
	_, _ = dst[r*c-1], src[r*c-1]
	var z T
	sz := unsafe.Sizeof(z)
	d, s := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(src))
	at := func(p unsafe.Pointer, i, j, ld int) *T { return (*T)(unsafe.Add(p, uintptr(i*ld+j)*sz)) }
	i := 0
	for ; i+4 <= r; i += 4 {
		j := 0
		for ; j+4 <= c; j += 4 {
			for jj := j; jj < j+4; jj++ {
				*at(d, jj, i, r), *at(d, jj, i+1, r), *at(d, jj, i+2, r), *at(d, jj, i+3, r) = *at(s, i, jj, c), *at(s, i+1, jj, c), *at(s, i+2, jj, c), *at(s, i+3, jj, c)
			}
		}
		for ; j < c; j++ {
			*at(d, j, i, r), *at(d, j, i+1, r), *at(d, j, i+2, r), *at(d, j, i+3, r) = *at(s, i, j, c), *at(s, i+1, j, c), *at(s, i+2, j, c), *at(s, i+3, j, c)
		}
	}
	for ; i < r; i++ {
		for j := 0; j < c; j++ {
			*at(d, j, i, r) = *at(s, i, j, c)
		}
	}
}
