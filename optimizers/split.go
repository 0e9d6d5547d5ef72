package optimizers

import (
	"sync"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/parallel"
)

// The update kernels split a large parameter into ranges over
// internal/parallel's threads: every update is elementwise, so a cut
// changes no value. The ranges are whole multiples of splitGrain (itself
// a multiple of every SIMD width), so the scalar kernel does the same
// last elements as without a cut: the bits stay the same even where the
// scalar kernels are not bit-identical to the SIMD ones (GOAMD64=v3
// fuses their a*b+c). A range moves splitGrain elements of each of its
// 3 to 5 arrays, 96 to 160 KiB of float32: 5 to 10 µs, against a few µs
// to wake a worker. With ranges of 8192 rather than 32768, the MLP's
// second layer (32768 weights) is split too, and its first (200704) is cut
// within 2% of the middle: at 2 threads the optimizer took 67 µs instead of
// 80 µs (medians of 12 paired runs of BenchmarkTrainStep/mlp's opt-us).
const splitGrain = 1 << 13

type kernKind uint8

const (
	kSGD kernKind = iota
	kMomentum
	kAdagrad
	kRMSprop
	kAdam
	kLion
	kRAdam
	kAdamax
	kNAdam
)

// kernArgs is one kernel call: its arrays (b1..b3 the state buffers, nil
// when unused) and its factors.
type kernArgs[T graph.Float] struct {
	kind       kernKind
	p, g       []T
	b1, b2, b3 []T
	first      bool
	sgd        sgdFactors[T]
	ada        adagradFactors[T]
	rms        rmspropFactors[T]
	adam       adamFactors[T]
	lion       lionFactors[T]
	radam      radamFactors[T]
	adamax     adamaxFactors[T]
	nadam      nadamFactors[T]
}

func sub[T graph.Float](s []T, lo, hi int) []T {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}

func (a kernArgs[T]) Range(lo, hi int) {
	p, g, b1, b2, b3 := a.p[lo:hi], a.g[lo:hi], sub(a.b1, lo, hi), sub(a.b2, lo, hi), sub(a.b3, lo, hi)
	switch a.kind {
	case kSGD:
		sgdPlain(p, g, a.sgd)
	case kMomentum:
		sgdMomentum(p, g, b1, a.sgd, a.first)
	case kAdagrad:
		adagradKernel(p, g, b1, a.ada)
	case kRMSprop:
		rmspropKernel(p, g, b1, b2, b3, a.rms)
	case kAdam:
		adamKernel(p, g, b1, b2, b3, a.adam)
	case kLion:
		lionKernel(p, g, b1, a.lion)
	case kRAdam:
		radamKernel(p, g, b1, b2, a.radam)
	case kAdamax:
		adamaxKernel(p, g, b1, b2, a.adamax)
	case kNAdam:
		nadamKernel(p, g, b1, b2, a.nadam)
	}
}

var (
	kernLoop32 parallel.Loop[kernArgs[float32]]
	kernLoop64 parallel.Loop[kernArgs[float64]]
)

// split runs a over ranges of its arrays on the thread pool and reports
// true, or reports false when they are too short to split (the caller
// then runs the kernel itself). A range is never split again.
func split[T graph.Float](a kernArgs[T]) bool {
	n := len(a.p)
	if n < 2*splitGrain || parallel.Threads() < 2 {
		return false
	}
	var z T
	if _, f32 := any(z).(float32); f32 {
		any(&kernLoop32).(*parallel.Loop[kernArgs[T]]).For(n, splitGrain, a)
	} else {
		any(&kernLoop64).(*parallel.Loop[kernArgs[T]]).For(n, splitGrain, a)
	}
	return true
}

// finiteArgs is allFinite's work: each range that meets a NaN or Inf
// clears its flag in ok (one per range: no shared write).
type finiteArgs[T graph.Float] struct {
	x  []T
	ok []bool
}

func (a finiteArgs[T]) Range(lo, hi int) {
	a.ok[lo/splitGrain] = allFiniteSerial(a.x[lo:hi])
}

var (
	finiteLoop32 parallel.Loop[finiteArgs[float32]]
	finiteLoop64 parallel.Loop[finiteArgs[float64]]
	// finiteFlags holds the flags of the ranges of one call at a time.
	finiteFlags struct {
		sync.Mutex
		ok []bool
	}
)

func finiteSplit[T graph.Float](x []T) bool {
	finiteFlags.Lock()
	defer finiteFlags.Unlock()
	n := parallel.Split(len(x), splitGrain)
	if cap(finiteFlags.ok) < n {
		finiteFlags.ok = make([]bool, n)
	}
	ok := finiteFlags.ok[:n]
	var z T
	if _, f32 := any(z).(float32); f32 {
		any(&finiteLoop32).(*parallel.Loop[finiteArgs[T]]).For(len(x), splitGrain, finiteArgs[T]{x, ok})
	} else {
		any(&finiteLoop64).(*parallel.Loop[finiteArgs[T]]).For(len(x), splitGrain, finiteArgs[T]{x, ok})
	}
	for _, v := range ok {
		if !v {
			return false
		}
	}
	return true
}
