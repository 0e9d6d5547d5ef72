package graph

import "github.com/descent-ml/descent/internal/parallel"

// Splitting ops over threads. The maps (unary, binary with broadcasting,
// scale, shift, broadcasts, ReLU's gradient) cut their output into ranges
// of elements or rows; the row-wise ops (softmax, its gradient, the cross
// entropy's gradient) and the reductions along a middle axis cut their
// independent rows or columns. Each output value is computed by the same
// code whichever chunk it falls in, so any number of threads gives the
// same bits. A full reduction to one value (a loss) stays on one thread.
//
// A chunk is worth a worker when it moves at least grainMap elements
// (128 KiB of float32, about 10 µs on one core, against a few µs to wake
// a worker), or grainMath elements of a map that calls exp, log or tanh,
// or grainSoftmax elements of the row-wise softmax ops, which take about
// 5 ns per element with internal/vec's exp (the attention weights'
// softmax [32, 4, 32, 32]: 585 µs; the cross entropy's gradient of
// [128, 10]: 5.6 to 6.5 µs on one core, which no longer pays a split).
const (
	grainMap     = 1 << 15
	grainMath    = 1 << 12
	grainSoftmax = 1 << 11
)

// splits reports whether n elements in chunks of grain are worth splitting.
func splits(n, grain int) bool { return n >= 2*grain && parallel.Threads() > 1 }

// rowGrain returns the rows per chunk for rows of w elements.
func rowGrain(w, grain int) int { return max(1, grain/max(w, 1)) }

// unary maps.

type unaryArgs[T Float] struct {
	o       unaryOp
	out, in []T
}

func (a unaryArgs[T]) Range(lo, hi int) { unary(a.o, a.out[lo:hi], a.in[lo:hi]) }

var (
	unaryLoop32 parallel.Loop[unaryArgs[float32]]
	unaryLoop64 parallel.Loop[unaryArgs[float64]]
)

// unaryGrain is the chunk of a unary op: ReLU and Square are cheap maps.
func unaryGrain(k unaryKind) int {
	if k == opReLU || k == opSquare || k == opAbs || k == opSign {
		return grainMap
	}
	return grainMath
}

func unarySplit[T Float](l *parallel.Loop[unaryArgs[T]], o unaryOp, out, in []T) {
	if g := unaryGrain(o.kind); splits(len(out), g) {
		l.For(len(out), g, unaryArgs[T]{o, out, in})
		return
	}
	unary(o, out, in)
}

type unaryGradArgs[T Float] struct {
	k         unaryKind
	out, y, g []T
}

func (a unaryGradArgs[T]) Range(lo, hi int) {
	unaryGrad(a.k, a.out[lo:hi], a.y[lo:hi], a.g[lo:hi])
}

var (
	unaryGradLoop32 parallel.Loop[unaryGradArgs[float32]]
	unaryGradLoop64 parallel.Loop[unaryGradArgs[float64]]
)

func unaryGradSplit[T Float](l *parallel.Loop[unaryGradArgs[T]], k unaryKind, out, y, g []T) {
	if splits(len(out), grainMap) {
		l.For(len(out), grainMap, unaryGradArgs[T]{k, out, y, g})
		return
	}
	unaryGrad(k, out, y, g)
}

// scale and shift.

type affineArgs[T Float] struct {
	out, in []T
	c       T
	shift   bool
}

func (a affineArgs[T]) Range(lo, hi int) {
	if a.shift {
		shift(a.out[lo:hi], a.in[lo:hi], a.c)
	} else {
		scale(a.out[lo:hi], a.in[lo:hi], a.c)
	}
}

var (
	affineLoop32 parallel.Loop[affineArgs[float32]]
	affineLoop64 parallel.Loop[affineArgs[float64]]
)

func affineSplit[T Float](l *parallel.Loop[affineArgs[T]], out, in []T, c T, isShift bool) {
	if splits(len(out), grainMap) {
		l.For(len(out), grainMap, affineArgs[T]{out, in, c, isShift})
		return
	}
	affineArgs[T]{out, in, c, isShift}.Range(0, len(out))
}

// binary ops with broadcasting: binaryBroadcast's cases, each cut in its
// own unit (elements, rows of the repeated operand, runs of the layout).

type binaryArgs[T Float] struct {
	k          binKind
	out, a, b  []T
	os, as, bs Shape
	l          layout
	mode       binMode
}

type binMode uint8

const (
	binSame   binMode = iota // equal lengths, or one operand a scalar: elements
	binSuffB                 // b repeated along a: rows of len(b)
	binSuffA                 // a repeated along b: rows of len(a)
	binLayout                // anything else: runs of the layout
)

func (a binaryArgs[T]) Range(lo, hi int) {
	switch a.mode {
	case binSame:
		sa, sb := 1, 1
		x, y := a.a, a.b
		if len(x) == 1 && len(a.out) != 1 {
			sa = 0
		} else {
			x = x[lo:hi]
		}
		if len(y) == 1 && len(a.out) != 1 {
			sb = 0
		} else {
			y = y[lo:hi]
		}
		binaryRow(a.k, a.out[lo:hi], x, y, sa, sb)
	case binSuffB:
		w := len(a.b)
		for o := lo * w; o < hi*w; o += w {
			binaryRow(a.k, a.out[o:o+w], a.a[o:o+w], a.b, 1, 1)
		}
	case binSuffA:
		w := len(a.a)
		for o := lo * w; o < hi*w; o += w {
			binaryRow(a.k, a.out[o:o+w], a.a, a.b[o:o+w], 1, 1)
		}
	default:
		sa, sb := a.l.inner(0), a.l.inner(1)
		out, x, y, k := a.out, a.a, a.b, a.k
		a.l.walkRows(lo, hi, func(o, i0, i1, _, n int) {
			binaryRow(k, out[o:o+n], x[i0:], y[i1:], sa, sb)
		})
	}
}

var (
	binaryLoop32 parallel.Loop[binaryArgs[float32]]
	binaryLoop64 parallel.Loop[binaryArgs[float64]]
)

// binarySplit is binaryBroadcast over threads when the output is large.
func binarySplit[T Float](lp *parallel.Loop[binaryArgs[T]], k binKind, out, a, b []T, os, as, bs Shape) {
	if !splits(len(out), grainMap) {
		binaryBroadcast(k, out, a, b, os, as, bs)
		return
	}
	args := binaryArgs[T]{k: k, out: out, a: a, b: b, os: os, as: as, bs: bs}
	n, grain := len(out), grainMap
	switch {
	case len(a) == len(out) && len(b) == len(out), len(a) == 1 || len(b) == 1:
		args.mode = binSame
	case len(a) == len(out) && isSuffix(bs, os):
		args.mode, n, grain = binSuffB, len(out)/len(b), rowGrain(len(b), grainMap)
	case len(b) == len(out) && isSuffix(as, os):
		args.mode, n, grain = binSuffA, len(out)/len(a), rowGrain(len(a), grainMap)
	default:
		args.mode = binLayout
		args.l, _ = newLayout(os, as, bs) // Infer checked the rank
		n, grain = args.l.rows(), rowGrain(args.l.dims[args.l.n-1], grainMap)
	}
	lp.For(n, grain, args)
}

// broadcasts (expand).

type expandArgs[T any] struct {
	out, x []T
	l      layout
}

func (a expandArgs[T]) Range(lo, hi int) {
	s, out, x := a.l.inner(0), a.out, a.x
	a.l.walkRows(lo, hi, func(o, i0, _, _, n int) {
		if s == 1 {
			copy(out[o:o+n], x[i0:i0+n])
			return
		}
		fillRun(out[o:o+n], x[i0])
	})
}

var (
	expandLoop32 parallel.Loop[expandArgs[float32]]
	expandLoop64 parallel.Loop[expandArgs[float64]]
	expandLoopI  parallel.Loop[expandArgs[int]]
)

func expandSplit[T any](lp *parallel.Loop[expandArgs[T]], out, x []T, l *layout) {
	if !splits(len(out), grainMap) {
		expand(out, x, l)
		return
	}
	lp.For(l.rows(), rowGrain(l.dims[l.n-1], grainMap), expandArgs[T]{out, x, *l})
}

// softmax, its gradient and the cross entropy's gradient: independent
// rows ([outer, n, inner] blocks for the softmaxes: outer blocks).

type softmaxArgs[T Float] struct {
	out, x, g        []T
	outer, n, inner  int
	log, grad        bool
	labels           []int
	c                int
	scale            float64
	crossEntropyGrad bool
}

func (a softmaxArgs[T]) Range(lo, hi int) {
	switch {
	case a.crossEntropyGrad:
		crossEntropyGrad(a.out[lo*a.c:hi*a.c], a.x[lo*a.c:hi*a.c], a.labels[lo:hi], a.c, a.scale)
	case a.grad:
		b := a.n * a.inner
		softmaxGrad(a.out[lo*b:hi*b], a.x[lo*b:hi*b], a.g[lo*b:hi*b], hi-lo, a.n, a.inner, a.log)
	default:
		b := a.n * a.inner
		softmaxInto(a.out[lo*b:hi*b], a.x[lo*b:hi*b], hi-lo, a.n, a.inner, a.log)
	}
}

var (
	softmaxLoop32 parallel.Loop[softmaxArgs[float32]]
	softmaxLoop64 parallel.Loop[softmaxArgs[float64]]
)

// softmaxSplit runs a over its outer blocks (rows of the cross entropy),
// split when they are many and large enough.
func softmaxSplit[T Float](lp *parallel.Loop[softmaxArgs[T]], a softmaxArgs[T], rows, width int) {
	if !splits(rows*width, grainSoftmax) || rows < 2 {
		a.Range(0, rows)
		return
	}
	lp.For(rows, rowGrain(width, grainSoftmax), a)
}

// reductions along a middle axis: independent outer blocks, or, with one
// outer block, independent columns of the inner dimension (a bias
// gradient, Σ over the batch of [N, F]).

type reduceArgs[T Float] struct {
	k                 redKind
	out, x            []T
	outer, red, inner int
	cols              bool // split the inner columns (outer == 1)
}

func (a reduceArgs[T]) Range(lo, hi int) {
	if !a.cols {
		reduceBlocks(a.k, a.out[lo*a.inner:hi*a.inner], a.x[lo*a.red*a.inner:hi*a.red*a.inner], hi-lo, a.red, a.inner)
		return
	}
	reduceCols(a.k, a.out, a.x, a.red, a.inner, lo, hi)
}

var (
	reduceLoop32 parallel.Loop[reduceArgs[float32]]
	reduceLoop64 parallel.Loop[reduceArgs[float64]]
)

func reduceSplit[T Float](lp *parallel.Loop[reduceArgs[T]], k redKind, out, x []T, outer, red, inner int) {
	g := grainMap
	if k == redLSE {
		g = grainMath
	}
	if !splits(len(x), g) || (outer == 1 && inner == 1) {
		reduceBlocks(k, out, x, outer, red, inner)
		return
	}
	if outer >= 2 {
		lp.For(outer, rowGrain(red*inner, g), reduceArgs[T]{k: k, out: out, x: x, outer: outer, red: red, inner: inner})
		return
	}
	lp.For(inner, max(16, rowGrain(red, g)), reduceArgs[T]{k: k, out: out, x: x, outer: 1, red: red, inner: inner, cols: true})
}
