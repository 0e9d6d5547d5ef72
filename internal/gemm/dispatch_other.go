//go:build !amd64 || purego

package gemm

func init() {
	sKernels = append(sKernels, genericKernel[float32]())
	dKernels = append(dKernels, genericKernel[float64]())
}
