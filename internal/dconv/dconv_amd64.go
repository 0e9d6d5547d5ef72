//go:build amd64 && !purego

package dconv

import "github.com/descent-ml/descent/internal/cpu"

//go:generate go run gen_kernels.go

type (
	fwdKernel func(x, w, bias, y *float32, c, kh, kw, cs, rs, ldy, mask, wskip int)
	dwKernel  func(x, dy, acc *float32, oh, ow, rs int)
)

var available = cpu.X86().AVX512F
