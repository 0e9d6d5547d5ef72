package blas

import "github.com/descent-ml/descent/internal/gemm"

// Packed is one operand of several matrix products, packed once for the
// backend: a convolution multiplies its weights with the column matrix of
// every group of images. With descent's GEMM the operand is packed in the
// micro-kernel's layout (gemm.Packed) and the products skip its packing,
// with the same bits as Gemm; with another backend Packed keeps the matrix
// and the products call Gemm. The zero value is ready to use; PackA and
// PackB reuse its memory.
type Packed[T Float] struct {
	isB     bool
	t       bool
	rows, k int
	src     []T
	ld      int
	s       gemm.Packed[float32]
	d       gemm.Packed[float64]
}

// PackA packs op(A) (m×k; A is k×m when tA) for GemmPackedA.
func (p *Packed[T]) PackA(tA bool, m, k int, a []T, lda int) {
	p.isB, p.t, p.rows, p.k, p.src, p.ld = false, tA, m, k, a, lda
	if !packs() {
		return
	}
	var z T
	switch any(z).(type) {
	case float32:
		gemm.PackA(&p.s, tA, m, k, f32(a), lda)
	default:
		gemm.PackA(&p.d, tA, m, k, f64(a), lda)
	}
}

// PackB packs op(B) (k×n; B is n×k when tB) for GemmPackedB.
func (p *Packed[T]) PackB(tB bool, k, n int, b []T, ldb int) {
	p.isB, p.t, p.rows, p.k, p.src, p.ld = true, tB, n, k, b, ldb
	if !packs() {
		return
	}
	var z T
	switch any(z).(type) {
	case float32:
		gemm.PackB(&p.s, tB, k, n, f32(b), ldb)
	default:
		gemm.PackB(&p.d, tB, k, n, f64(b), ldb)
	}
}

// GemmPackedA is Gemm with op(A) (m×k) packed by PackA.
func GemmPackedA[T Float](pa *Packed[T], tB bool, n int, alpha T, b []T, ldb int, beta T, c []T, ldc int) {
	if !packs() || pa.isB {
		Gemm(pa.t, tB, pa.rows, n, pa.k, alpha, pa.src, pa.ld, b, ldb, beta, c, ldc)
		return
	}
	var z T
	switch any(z).(type) {
	case float32:
		gemm.GemmPackedA(&pa.s, tB, n, float32(alpha), f32(b), ldb, float32(beta), f32(c), ldc)
	default:
		gemm.GemmPackedA(&pa.d, tB, n, float64(alpha), f64(b), ldb, float64(beta), f64(c), ldc)
	}
}

// GemmPackedB is Gemm with op(B) (k×n) packed by PackB.
func GemmPackedB[T Float](tA bool, m int, alpha T, a []T, lda int, pb *Packed[T], beta T, c []T, ldc int) {
	if !packs() || !pb.isB {
		Gemm(tA, pb.t, m, pb.rows, pb.k, alpha, a, lda, pb.src, pb.ld, beta, c, ldc)
		return
	}
	var z T
	switch any(z).(type) {
	case float32:
		gemm.GemmPackedB(tA, m, float32(alpha), f32(a), lda, &pb.s, float32(beta), f32(c), ldc)
	default:
		gemm.GemmPackedB(tA, m, float64(alpha), f64(a), lda, &pb.d, float64(beta), f64(c), ldc)
	}
}
