//go:build !openblas

package blas

import (
	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/internal/gemm"
)

// The default backend is pure Go: descent's own GEMM (internal/gemm, Go
// assembly micro-kernels for AVX-512 and AVX2) for matrix products, and
// gonum's pure-Go BLAS for the rest of the BLAS interface and on CPUs
// where internal/gemm only has its portable kernel (gonum's SSE code is
// faster there).
var backendName, impl = pureGo()

func pureGo() (string, level3) {
	if gemm.Kernel() == "generic" {
		return "gonum (pure Go)", gonum.Implementation{}
	}
	return "pure Go (descent gemm, " + gemm.Kernel() + " kernels)", goGemm{}
}

// goGemm is gonum's BLAS with descent's GEMM.
type goGemm struct{ gonum.Implementation }

func (goGemm) Sgemm(tA, tB gblas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm.Sgemm(tA != gblas.NoTrans, tB != gblas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (goGemm) Dgemm(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemm.Dgemm(tA != gblas.NoTrans, tB != gblas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gorgonia's tensor.MatMul uses the same backend.
func init() {
	if g, ok := impl.(goGemm); ok {
		tensor.Use(g)
	}
}

// Hint returns advice about the backend's configuration ("" when none).
func Hint() string { return "" }

// packs reports whether Packed packs operands: with descent's GEMM.
func packs() bool { _, ok := impl.(goGemm); return ok }
