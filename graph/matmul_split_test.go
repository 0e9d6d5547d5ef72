package graph

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// A batched product of many small matrices (attention's shapes, with one
// operand broadcast over the heads) is split over the threads a chunk of
// products each: the same bits at 1, 2 and 3 threads, and the products a
// naive loop computes.
func TestBatchedMatMulSplit(t *testing.T) {
	defer SetThreads(0)
	const N, H, M, K, P = 8, 16, 32, 32, 32
	as, bs := Shape{N, H, M, K}, Shape{N, 1, K, P}
	a, b := randTensor(21, -1, 1, as...), randTensor(22, -1, 1, bs...)
	require.GreaterOrEqual(t, N*H, 2*max(1, bmmGrain/(M*K*P)), "the case must split at 2 threads")
	var first []float64
	for _, th := range []int{1, 2, 3} {
		require.NoError(t, SetThreads(th))
		out := mustTensor(Float64, Shape{N, H, M, P})
		require.NoError(t, matMulOp{}.Forward(&Context{}, out, []*Tensor{a, b}))
		if first == nil {
			first = append([]float64(nil), out.f64...)
			for n := range N {
				for h := range H {
					for i := range M {
						for j := range P {
							s := 0.0
							for k := range K {
								s += a.f64[((n*H+h)*M+i)*K+k] * b.f64[(n*K+k)*P+j]
							}
							require.InDelta(t, s, out.f64[((n*H+h)*M+i)*P+j], 1e-12)
						}
					}
				}
			}
			continue
		}
		for i, v := range out.f64 {
			require.Equal(t, math.Float64bits(first[i]), math.Float64bits(v), "threads %d, element %d", th, i)
		}
	}
}
