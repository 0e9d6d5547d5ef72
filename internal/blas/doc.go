// Package blas is descent's matrix-multiply backend, chosen at build time:
// gonum's pure-Go BLAS by default (no cgo), or OpenBLAS through cgo with the
// build tag `openblas` (gonum.org/v1/netlib; needs Debian's libopenblas-dev).
// Name reports which one a binary uses. The `openblas` build also points
// gorgonia's tensor package at OpenBLAS (tensor.Use), so tensor.MatMul and
// descent's own kernels always run on the same backend.
//
// OpenBLAS starts as many threads as cores unless OPENBLAS_NUM_THREADS is
// set; gonum's BLAS splits large products over GOMAXPROCS goroutines.
package blas
