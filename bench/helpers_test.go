package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/graph"
)

// randFloats returns n values in [-1, 1) from seed.
func randFloats[T float32 | float64](seed uint64, n int) []T {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]T, n)
	for i := range out {
		out[i] = T(2*r.Float64() - 1)
	}
	return out
}

// randTensor returns a tensor of dtype dt with values in [-1, 1).
func randTensor(b testing.TB, dt graph.DType, seed uint64, shape ...int) *graph.Tensor {
	b.Helper()
	n := graph.Shape(shape).Size()
	var t *graph.Tensor
	var err error
	if dt == graph.Float32 {
		t, err = graph.FromFloat32(randFloats[float32](seed, n), shape...)
	} else {
		t, err = graph.FromFloat64(randFloats[float64](seed, n), shape...)
	}
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// labels returns n class labels in 0..classes-1 from seed.
func labels(b testing.TB, seed uint64, n, classes int) *graph.Tensor {
	r := rand.New(rand.NewPCG(seed, 9))
	v := make([]int, n)
	for i := range v {
		v[i] = r.IntN(classes)
	}
	t, err := graph.FromInts(v, n)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// gflops reports the rate of b.N runs of flops each.
func gflops(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
