package vec

import (
	"math"
	"unsafe"
)

// Float is the element type of the kernels (the same type set as
// graph.Float).
type Float interface{ ~float32 | ~float64 }

// Level is a set of kernels, by the instructions they need.
type Level int

const (
	// Generic has no kernels: every function processes nothing.
	Generic Level = iota
	// AVX2 kernels on 256-bit vectors (AVX and AVX2; no FMA).
	AVX2
	// AVX512 kernels on 512-bit vectors (AVX-512F).
	AVX512
)

func (l Level) String() string {
	switch l {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return "Level(?)"
}

// best is the Level this CPU and build support, probed once.
var best = detect()

// Best returns the best Level the CPU, the OS and the build support
// (Generic on other architectures and with the purego build tag).
func Best() Level { return best }

// Option bits passed to the kernels; the same values as in gen_kernels.go.
const (
	fWD       = 1 << 0 // L2 weight decay added to the gradient
	fFirst    = 1 << 1 // SGD momentum: first step (buf = d)
	fNesterov = 1 << 2 // SGD: Nesterov
	fMom      = 1 << 3 // RMSprop: momentum buffer
	fCentered = 1 << 4 // RMSprop: centered
	fAMS      = 1 << 5 // Adam: AMSGrad
)

// bulk clamps l to what the machine supports and returns it with the
// number of leading elements of a length-n array the kernels of that
// level process: n rounded down to whole vectors (0 for Generic).
func bulk[T Float](l Level, n int) (Level, int) {
	l = min(l, best)
	lanes := 0
	switch l {
	case AVX512:
		lanes = 64
	case AVX2:
		lanes = 32
	default:
		return Generic, 0
	}
	lanes /= int(unsafe.Sizeof(T(0)))
	return l, n &^ (lanes - 1)
}

func is64[T Float]() bool { return unsafe.Sizeof(T(0)) == 8 }

// f32 and f64 return the address of x's first element (nil for a nil x).
func f32[T Float](x []T) *float32 { return (*float32)(unsafe.Pointer(unsafe.SliceData(x))) }
func f64[T Float](x []T) *float64 { return (*float64)(unsafe.Pointer(unsafe.SliceData(x))) }

// sign returns -0 to negate (XOR the sign bit) or +0 to keep.
func sign[T Float](neg bool) T {
	if neg {
		return T(math.Copysign(0, -1))
	}
	return 0
}

// AllFinite checks the leading elements of x for NaN and Inf: it returns
// how many it checked (n, a multiple of the vector length; 0 with Generic)
// and whether they are all finite. The caller checks x[n:].
func AllFinite[T Float](l Level, x []T) (n int, ok bool) {
	l, n = bulk[T](l, len(x))
	if n == 0 {
		return 0, true
	}
	if is64[T]() {
		return n, finiteD(l, f64(x), n)
	}
	return n, finiteS(l, f32(x), n)
}

// SGDFactors are the scalar factors of one SGD step, as the optimizers
// package computes them (rounded to T).
type SGDFactors[T Float] struct {
	WD, Mom, Damp1, NLR T
	Neg, Nesterov       bool
}

// SGD is SGD without momentum over the leading elements of p and g
// (optimizers.sgdPlain): it returns how many it updated (see AllFinite);
// the caller updates the rest. g must be as long as p.
func SGD[T Float](l Level, p, g []T, k SGDFactors[T]) int {
	l, n := bulk[T](l, len(p))
	if n == 0 {
		return 0
	}
	g = g[:n]
	flags := 0
	if k.WD != 0 {
		flags |= fWD
	}
	s := sign[T](k.Neg)
	if is64[T]() {
		sgdD(l, f64(p), f64(g), n, float64(s), float64(k.WD), float64(k.NLR), flags)
	} else {
		sgdS(l, f32(p), f32(g), n, float32(s), float32(k.WD), float32(k.NLR), flags)
	}
	return n
}

// Momentum is SGD with momentum (optimizers.sgdMomentum), first on the
// first step; see SGD.
func Momentum[T Float](l Level, p, g, b []T, k SGDFactors[T], first bool) int {
	l, n := bulk[T](l, len(p))
	if n == 0 {
		return 0
	}
	g, b = g[:n], b[:n]
	flags := 0
	if k.WD != 0 {
		flags |= fWD
	}
	if first {
		flags |= fFirst
	}
	if k.Nesterov {
		flags |= fNesterov
	}
	s := sign[T](k.Neg)
	if is64[T]() {
		momentumD(l, f64(p), f64(g), f64(b), n, float64(s), float64(k.WD), float64(k.Mom), float64(k.Damp1), float64(k.NLR), flags)
	} else {
		momentumS(l, f32(p), f32(g), f32(b), n, float32(s), float32(k.WD), float32(k.Mom), float32(k.Damp1), float32(k.NLR), flags)
	}
	return n
}

// AdagradFactors are the scalar factors of one Adagrad step.
type AdagradFactors[T Float] struct {
	WD, NCLR, Eps T
	Neg           bool
}

// Adagrad is optimizers.adagradKernel; see SGD.
func Adagrad[T Float](l Level, p, g, sum []T, k AdagradFactors[T]) int {
	l, n := bulk[T](l, len(p))
	if n == 0 {
		return 0
	}
	g, sum = g[:n], sum[:n]
	flags := 0
	if k.WD != 0 {
		flags |= fWD
	}
	s := sign[T](k.Neg)
	if is64[T]() {
		adagradD(l, f64(p), f64(g), f64(sum), n, float64(s), float64(k.WD), float64(k.NCLR), float64(k.Eps), flags)
	} else {
		adagradS(l, f32(p), f32(g), f32(sum), n, float32(s), float32(k.WD), float32(k.NCLR), float32(k.Eps), flags)
	}
	return n
}

// RMSpropFactors are the scalar factors of one RMSprop step.
type RMSpropFactors[T Float] struct {
	WD, Alpha, OmA, Eps, Mom, NLR T
	Neg                           bool
}

// RMSprop is optimizers.rmspropKernel: b (the momentum buffer) and ga (the
// gradient average) are nil when momentum, respectively centering, is off.
// See SGD.
func RMSprop[T Float](l Level, p, g, sq, b, ga []T, k RMSpropFactors[T]) int {
	l, n := bulk[T](l, len(p))
	if n == 0 {
		return 0
	}
	g, sq = g[:n], sq[:n]
	flags := 0
	if k.WD != 0 {
		flags |= fWD
	}
	if b != nil {
		b = b[:n]
		flags |= fMom
	}
	if ga != nil {
		ga = ga[:n]
		flags |= fCentered
	}
	s := sign[T](k.Neg)
	if is64[T]() {
		rmspropD(l, f64(p), f64(g), f64(sq), f64(b), f64(ga), n,
			float64(s), float64(k.WD), float64(k.Alpha), float64(k.OmA), float64(k.Eps), float64(k.Mom), float64(k.NLR), flags)
	} else {
		rmspropS(l, f32(p), f32(g), f32(sq), f32(b), f32(ga), n,
			float32(s), float32(k.WD), float32(k.Alpha), float32(k.OmA), float32(k.Eps), float32(k.Mom), float32(k.NLR), flags)
	}
	return n
}

// AdamFactors are the scalar factors of one Adam or AdamW step.
type AdamFactors[T Float] struct {
	WD, Decay, B1, OmB1, B2, OmB2, NStep, BC2Sqrt, Eps T
	Neg                                                bool
}

// Adam is optimizers.adamKernel: vmax is nil without AMSGrad. See SGD.
func Adam[T Float](l Level, p, g, m, v, vmax []T, k AdamFactors[T]) int {
	l, n := bulk[T](l, len(p))
	if n == 0 {
		return 0
	}
	g, m, v = g[:n], m[:n], v[:n]
	flags := 0
	if k.WD != 0 {
		flags |= fWD
	}
	if vmax != nil {
		vmax = vmax[:n]
		flags |= fAMS
	}
	s := sign[T](k.Neg)
	if is64[T]() {
		adamD(l, f64(p), f64(g), f64(m), f64(v), f64(vmax), n, float64(s), float64(k.WD), float64(k.Decay),
			float64(k.B1), float64(k.OmB1), float64(k.B2), float64(k.OmB2), float64(k.NStep), float64(k.BC2Sqrt), float64(k.Eps), flags)
	} else {
		adamS(l, f32(p), f32(g), f32(m), f32(v), f32(vmax), n, float32(s), float32(k.WD), float32(k.Decay),
			float32(k.B1), float32(k.OmB1), float32(k.B2), float32(k.OmB2), float32(k.NStep), float32(k.BC2Sqrt), float32(k.Eps), flags)
	}
	return n
}
