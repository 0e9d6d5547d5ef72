package gemm

import (
	"fmt"
	"testing"
)

// BenchmarkKernel measures the micro-kernels alone on L1-resident packed
// slivers (the ceiling for the blocked algorithm).
func BenchmarkKernel(b *testing.B) {
	const k = 128
	for _, kn := range sKernels {
		b.Run(fmt.Sprintf("f32/%s_%dx%d", kn.name, kn.mr, kn.nr), func(b *testing.B) {
			a, bb, c := aligned[float32](nil, kn.mr*k), aligned[float32](nil, kn.nr*k), make([]float32, kn.mr*kn.nr)
			for i := 0; i < b.N; i++ {
				kn.fn(k, &a[0], &bb[0], &c[0], kn.nr, 1, 1)
			}
			b.ReportMetric(2*float64(kn.mr*kn.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	for _, kn := range dKernels {
		b.Run(fmt.Sprintf("f64/%s_%dx%d", kn.name, kn.mr, kn.nr), func(b *testing.B) {
			a, bb, c := aligned[float64](nil, kn.mr*k), aligned[float64](nil, kn.nr*k), make([]float64, kn.mr*kn.nr)
			for i := 0; i < b.N; i++ {
				kn.fn(k, &a[0], &bb[0], &c[0], kn.nr, 1, 1)
			}
			b.ReportMetric(2*float64(kn.mr*kn.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
