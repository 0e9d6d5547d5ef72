package blas

import (
	"unsafe"

	gblas "gonum.org/v1/gonum/blas"
)

// Float is the element type of the generic entry points.
type Float interface{ ~float32 | ~float64 }

// Name returns the backend's name: "gonum (pure Go)" or "openblas (cgo)".
func Name() string { return backendName }

func trans(t bool) gblas.Transpose {
	if t {
		return gblas.Trans
	}
	return gblas.NoTrans
}

// Gemm computes C = alpha * op(A) @ op(B) + beta * C on row-major
// matrices, op(X) being X or its transpose: op(A) is m×k, op(B) is k×n, C is m×n.
// The caller guarantees the sizes (as BLAS, it panics otherwise).
func Gemm[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	var z T
	switch any(z).(type) {
	case float32:
		impl.Sgemm(trans(tA), trans(tB), m, n, k, float32(alpha), f32(a), lda, f32(b), ldb, float32(beta), f32(c), ldc)
	default:
		impl.Dgemm(trans(tA), trans(tB), m, n, k, float64(alpha), f64(a), lda, f64(b), ldb, float64(beta), f64(c), ldc)
	}
}

// MatMul computes c = op(a) @ op(b) for dense row-major matrices where op(a)
// is m×k and op(b) is k×n.
func MatMul[T Float](tA, tB bool, m, n, k int, a, b, c []T) {
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	Gemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
}

func f32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func f64[T Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// level3 is what descent needs of a BLAS implementation.
type level3 interface {
	gblas.Float32Level3
	gblas.Float64Level3
}
