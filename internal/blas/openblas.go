//go:build openblas

package blas

/*
#cgo LDFLAGS: -lopenblas
char* openblas_get_corename(void);
char* openblas_get_config(void);
*/
import "C"

import (
	"strings"

	"gonum.org/v1/netlib/blas/netlib"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/internal/gemm"
)

var (
	core               = C.GoString(C.openblas_get_corename())
	backendName        = "openblas (cgo; " + version() + ", core " + core + ")"
	impl        level3 = netlib.Implementation{}
)

// version returns "OpenBLAS 0.3.21" from OpenBLAS's configuration string.
func version() string {
	f := strings.Fields(C.GoString(C.openblas_get_config()))
	if len(f) >= 2 {
		return f[0] + " " + f[1]
	}
	return "OpenBLAS"
}

func init() { tensor.Use(netlib.Implementation{}) }

// Hint returns advice when OpenBLAS runs kernels older than the CPU: Debian
// 12's OpenBLAS 0.3.21 does not know Sapphire Rapids and picks Prescott
// (SSE3) kernels, about 5 times slower than its SkylakeX (AVX-512) ones.
// OPENBLAS_CORETYPE must be set before the program starts.
func Hint() string {
	switch c := strings.ToLower(core); {
	case gemm.Kernel() == "avx512" && !strings.Contains(c, "skylakex") && !strings.Contains(c, "cooperlake") && !strings.Contains(c, "sapphire"):
		return "OpenBLAS picked core " + core + " on an AVX-512 CPU: run with OPENBLAS_CORETYPE=SkylakeX for its AVX-512 kernels"
	case gemm.Kernel() == "avx2" && (c == "prescott" || c == "core2" || c == "nehalem" || c == "katmai"):
		return "OpenBLAS picked core " + core + " on an AVX2 CPU: run with OPENBLAS_CORETYPE=Haswell"
	}
	return ""
}

// packs reports whether Packed packs operands: never with OpenBLAS.
func packs() bool { return false }
