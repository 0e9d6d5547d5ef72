package graph

import (
	"unsafe"

	"github.com/descent-ml/descent/internal/vec"
)

// ReLU's kernels work on the bits, without branches: on random data a
// branch per element is mispredicted half the time, which made ReLU's
// gradient the costliest op of an MLP step after the matrix products.
// Negative inputs (and NaNs with the sign bit set) give +0.

// simd is the level of internal/vec's kernels the maps use: the best
// this machine has.
var simd = vec.Best()

// relu writes max(x, 0) (+0 for negative zero): the leading whole vectors
// with internal/vec's kernel (the same bit operations), the rest here.
func relu[T Float](out, in []T) {
	if k := vec.ReLU(simd, out, in); k > 0 {
		out, in = out[k:], in[k:]
	}
	if isF32[T]() {
		o, x := asU32(out), asU32(in)
		for i, b := range x {
			o[i] = b &^ uint32(int32(b)>>31)
		}
		return
	}
	o, x := asU64(out), asU64(in)
	for i, b := range x {
		o[i] = b &^ uint64(int64(b)>>63)
	}
}

// reluGrad writes g where y > 0 and 0 elsewhere; y is ReLU's output, so
// y >= +0 and y > 0 exactly when its bits are not 0.
func reluGrad[T Float](out, y, g []T) {
	if k := vec.ReLUGrad(simd, out, y, g); k > 0 {
		out, y, g = out[k:], y[k:], g[k:]
	}
	if isF32[T]() {
		o, ys, gs := asU32(out), asU32(y), asU32(g)
		for i, b := range ys {
			nz := (b | -b) >> 31 // 1 when b != 0
			o[i] = gs[i] & -nz
		}
		return
	}
	o, ys, gs := asU64(out), asU64(y), asU64(g)
	for i, b := range ys {
		nz := (b | -b) >> 63
		o[i] = gs[i] & -nz
	}
}

func isF32[T Float]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

func asU32[T Float](s []T) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func asU64[T Float](s []T) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
