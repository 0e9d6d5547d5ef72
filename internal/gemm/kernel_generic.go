package gemm

import "unsafe"

func genericKernel[T float]() *kernel[T] {
	return &kernel[T]{name: "generic", mr: 4, nr: 4, kc: 256, mc: 512, nc: 512, fn: kernGeneric4x4[T]}
}

// kernGeneric4x4 is the portable micro-kernel: a 4×4 tile held in 16 scalar
// accumulators. It is used on CPUs without AVX2+FMA, on other architectures
// and with the purego build tag.
func kernGeneric4x4[T float](k int, a, b, c *T, ldc int, alpha, beta T) {
	as := unsafe.Slice(a, 4*k)
	bs := unsafe.Slice(b, 4*k)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
	for p := 0; p < k; p++ {
		av := as[p*4 : p*4+4 : p*4+4]
		bv := bs[p*4 : p*4+4 : p*4+4]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	store := func(r []T, v0, v1, v2, v3 T) {
		r = r[:4:4]
		if beta == 0 {
			r[0], r[1], r[2], r[3] = alpha*v0, alpha*v1, alpha*v2, alpha*v3
			return
		}
		r[0] = alpha*v0 + beta*r[0]
		r[1] = alpha*v1 + beta*r[1]
		r[2] = alpha*v2 + beta*r[2]
		r[3] = alpha*v3 + beta*r[3]
	}
	store(cs[0:], c00, c01, c02, c03)
	store(cs[ldc:], c10, c11, c12, c13)
	store(cs[2*ldc:], c20, c21, c22, c23)
	store(cs[3*ldc:], c30, c31, c32, c33)
}
