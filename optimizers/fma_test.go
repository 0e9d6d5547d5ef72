//go:build amd64.v3

package optimizers

// goFusesFloats: with GOAMD64 >= v3 the compiler contracts x*y + z into
// one FMA (one rounding), so the scalar kernels round differently from
// the SIMD ones (which, like the scalar kernels at GOAMD64=v1, round the
// product and the sum separately).
const goFusesFloats = true
