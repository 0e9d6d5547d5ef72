package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

// gradTol is the largest relative error accepted between the symbolic
// gradient and central differences in float64 (graph.GradCheck's eps 1e-6:
// truncation ~1e-12, rounding ~1e-10 relative to the loss), as in graph's tests.
const gradTol = 1e-6

func newGraph(t testing.TB, dt graph.DType) *graph.Graph {
	t.Helper()
	g, err := graph.New(graph.Config{DType: dt, Seed: 7})
	require.NoError(t, err)
	return g
}

// randValues returns n values in [lo, hi) from a fixed seed.
func randValues(seed uint64, lo, hi float64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float64()
	}
	return v
}

func randTensor(t testing.TB, dt graph.DType, seed uint64, lo, hi float64, shape ...int) *graph.Tensor {
	t.Helper()
	n := graph.Shape(shape).Size()
	x, err := graph.FromFloat64s(dt, randValues(seed, lo, hi, n), shape...)
	require.NoError(t, err)
	return x
}

// setRand fills a parameter or buffer with values in [lo, hi).
func setRand(t testing.TB, n *graph.Node, seed uint64, lo, hi float64) {
	t.Helper()
	v := n.Param().Value()
	require.NoError(t, v.CopyFrom(randTensor(t, v.DType(), seed, lo, hi, v.Shape()...)))
}

// weighted turns y into a scalar loss Σ y·w with fixed non-uniform
// weights w (an input, so y may have a batch dimension): every element of
// y gets its own gradient. It returns the loss and the weights' input.
func weighted(g *graph.Graph, y *graph.Node) (*graph.Node, *graph.Node) {
	w := g.Input("loss_weights", y.Shape()...)
	return graph.Sum(graph.Mul(y, w)), w
}

// weights returns the weights for weighted's input.
func weights(t testing.TB, dt graph.DType, shape ...int) *graph.Tensor {
	return randTensor(t, dt, 99, 0.5, 1.5, shape...)
}

// requireNear checks |a - e| <= tol + tol·|e| element by element.
func requireNear(t testing.TB, what string, want, got []float64, tol float64) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: length", what)
	for i, e := range want {
		a := got[i]
		if !(a-e <= tol+tol*abs(e) && e-a <= tol+tol*abs(e)) {
			require.Failf(t, "mismatch", "%s[%d]: got %.17g, want %.17g", what, i, a, e)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
