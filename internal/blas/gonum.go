//go:build !openblas

package blas

import "gonum.org/v1/gonum/blas/gonum"

const backendName = "gonum (pure Go)"

var impl level3 = gonum.Implementation{}
