// Package blas is descent's matrix-multiply backend, chosen at build time:
// pure Go by default (no cgo: descent's own GEMM, internal/gemm, with Go
// assembly micro-kernels, on internal/parallel's threads and bit-identical
// for any number of them; gonum's BLAS on CPUs without
// AVX2), or OpenBLAS through cgo with the build tag `openblas`
// (gonum.org/v1/netlib; needs Debian's libopenblas-dev). Name reports which
// one a binary uses. Both builds point gorgonia's tensor package at the same
// implementation (tensor.Use), so tensor.MatMul and descent's own ops always
// run on one backend.
//
// OpenBLAS starts as many threads as cores unless OPENBLAS_NUM_THREADS is
// set; gonum's BLAS splits large products over GOMAXPROCS goroutines.
package blas
