//go:build !amd64 || purego

package vec

func expAVX512(y, x *float64, n int, c *float64) { panic("vec: no AVX-512 kernels in this build") }
