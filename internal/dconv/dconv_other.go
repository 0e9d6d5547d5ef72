//go:build !amd64 || purego

package dconv

type (
	fwdKernel func(x, w, bias, y *float32, c, kh, kw, cs, rs, ldy, mask, wskip int)
	dwKernel  func(x, dy, acc *float32, oh, ow, rs int)
)

// No kernels in this build: Available is false and nothing calls these.
var (
	available  = false
	fwdKernels [15]fwdKernel
	dwKernels  [8][5]dwKernel
)
