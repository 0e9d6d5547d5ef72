//go:build openblas

package blas

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	"gorgonia.org/tensor"
)

var (
	backendName        = "openblas (cgo)"
	impl        level3 = netlib.Implementation{}
)

func init() { tensor.Use(netlib.Implementation{}) }
