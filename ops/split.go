package ops

import "github.com/descent-ml/descent/internal/parallel"

// Splitting ops over threads (internal/parallel). Pooling cuts its planes
// (image, channel), batch norm its rows or planes for the maps and a fixed
// partition of the batch for the per-channel sums (see channel.go); the
// convolution its images (convkernel.go). Dropout stays on one thread: its
// mask is one draw from the graph's random stream, in order.
//
// grainMap is the least number of elements a chunk of a memory-bound map
// should move to be worth a worker (128 KiB of float32, about 10 µs on
// one core, against a few µs to wake a worker).
const grainMap = 1 << 15

// splits reports whether n elements in chunks of grain are worth splitting.
func splits(n, grain int) bool { return n >= 2*grain && parallel.Threads() > 1 }

type planeOp uint8

const (
	planeMax2x2     planeOp = iota // y, pos from x
	planeMax                       // y, argmax from x
	planeMax2x2Grad                // x (dx) from y (dy), pos
	planeMaxGrad                   // x (dx) from y (dy), argmax
	planeAvg                       // y from x
	planeAvgGrad                   // x (dx) from y (dy)
)

// planeArgs is a pooling kernel's work over planes of x [planes, H, W]
// and y [planes, oh, ow]: each plane is computed alone.
type planeArgs[T Float] struct {
	op     planeOp
	y, x   []T
	pos    []uint8
	argmax []int32
	g      geom
}

func (a planeArgs[T]) Range(p0, p1 int) {
	g := a.g
	P, I := g.out(), g.in()
	y, x, n := a.y[p0*P:p1*P], a.x[p0*I:p1*I], p1-p0
	switch a.op {
	case planeMax2x2:
		maxPool2x2(y, x, a.pos[p0*P:p1*P], g, n)
	case planeMax:
		maxPoolKernel(y, x, a.argmax[p0*P:p1*P], g, n)
	case planeMax2x2Grad:
		pos := a.pos[p0*P : p1*P]
		if _, f32 := any(y).([]float32); f32 {
			row := maxPool2x2GradRow[uint32]
			if littleEndian() {
				row = maxPool2x2GradRow32
			}
			maxPool2x2Grad(asBits[T, uint32](x), asBits[T, uint32](y), pos, g, n, row)
		} else {
			maxPool2x2Grad(asBits[T, uint64](x), asBits[T, uint64](y), pos, g, n, maxPool2x2GradRow[uint64])
		}
	case planeMaxGrad:
		maxPoolGradKernel(x, y, a.argmax[p0*P:p1*P], I, P)
	case planeAvg:
		avgPoolKernel(y, x, g, n, false)
	case planeAvgGrad:
		avgPoolKernel(y, x, g, n, true)
	}
}

var (
	planeLoop32 parallel.Loop[planeArgs[float32]]
	planeLoop64 parallel.Loop[planeArgs[float64]]
)

// planeSplit runs a over its planes, split over threads when large.
func planeSplit[T Float](l *parallel.Loop[planeArgs[T]], a planeArgs[T], planes int) {
	I := max(a.g.in(), 1)
	if !splits(planes*I, grainMap) || planes < 2 {
		a.Range(0, planes)
		return
	}
	l.For(planes, max(1, grainMap/I), a)
}

// Batch norm's per-channel kernels (channel.go). The sums run over
// ranges of channels (each channel's sum, its blocks and their order, do
// not depend on the range), the maps over units (rows or planes).

type chanOp uint8

const (
	chanSums  chanOp = iota // out = Σ x
	chanSqDev               // out = Σ (x - mean)²
	chanDots                // out = Σ dy·(x - mean)
	chanNorm                // y = x·sc + sh
	chanScale               // y = dy·a
	chanDx                  // y = a·dy + b·(x - mu) + k
)

type chanArgs[T Float] struct {
	op            chanOp
	l             layout
	out, mean     []float64
	x, dy, tmp, y []T
	sc, sh        []T
	a, b, k, mu   []T
}

func (a chanArgs[T]) Range(lo, hi int) {
	switch a.op {
	case chanSums:
		channelSums(a.out, a.x, a.l, a.tmp, lo, hi)
	case chanSqDev:
		channelSqDev(a.out, a.x, a.mean, a.l, a.tmp, lo, hi)
	case chanDots:
		channelDots(a.out, a.dy, a.x, a.mean, a.l, a.tmp, lo, hi)
	case chanNorm:
		normalize(a.y, a.x, a.sc, a.sh, a.l, lo, hi)
	case chanScale:
		scaleChannels(a.y, a.dy, a.a, a.l, lo, hi)
	case chanDx:
		bnDx(a.y, a.dy, a.x, a.mu, a.a, a.b, a.k, a.l, lo, hi)
	}
}

var (
	chanLoop32 parallel.Loop[chanArgs[float32]]
	chanLoop64 parallel.Loop[chanArgs[float64]]
)

// chanSplit runs a batch-norm kernel, split over threads when the tensor
// is large.
func chanSplit[T Float](a chanArgs[T]) {
	l := a.l
	total := l.count() * l.c
	n := units(l) // maps: rows or planes
	grain := max(1, grainMap/max(total/max(n, 1), 1))
	if a.op <= chanDots { // sums: channels
		// Whole vectors of channels per chunk (16 float32 on AVX-512), so
		// the SIMD kernels leave the same last channels to the scalar
		// loops whatever the cut.
		n, grain = l.c, (max(16, grainMap/max(l.count(), 1))+15)/16*16
	}
	if !splits(total, grainMap) || n < 2 {
		a.Range(0, n)
		return
	}
	var z T
	if _, f32 := any(z).(float32); f32 {
		any(&chanLoop32).(*parallel.Loop[chanArgs[T]]).For(n, grain, a)
	} else {
		any(&chanLoop64).(*parallel.Loop[chanArgs[T]]).For(n, grain, a)
	}
}
