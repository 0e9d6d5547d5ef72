package optimizers_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

func gradParams(t *testing.T, dt graph.DType, grads ...[]float64) []*graph.Param {
	out := make([]*graph.Param, len(grads))
	for i, g := range grads {
		out[i] = param(t, string(rune('a'+i)), dt, make([]float64, len(g)), len(g))
		out[i].SetGrad(tensor(t, dt, g, len(g)))
	}
	return out
}

func grads(ps []*graph.Param) [][]float64 {
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Grad().Values()
	}
	return out
}

func TestClipGradNorm(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		// Gradients [3, 4] and [12]: 2-norm sqrt(9+16+144) = 13, inf-norm 12, 1-norm 19.
		ps := gradParams(t, dt, []float64{3, 4}, []float64{12})
		n, err := optimizers.ClipGradNorm(ps, 6.5, 2)
		require.NoError(t, err)
		require.Equal(t, 13.0, n)
		c := 6.5 / (13 + 1e-6) // torch's clip coefficient
		require.InDeltaSlice(t, []float64{3 * c, 4 * c}, grads(ps)[0], 1e-6)
		require.InDeltaSlice(t, []float64{12 * c}, grads(ps)[1], 1e-6)

		ps = gradParams(t, dt, []float64{3, -4}, []float64{-12})
		n, err = optimizers.ClipGradNorm(ps, 6, math.Inf(1))
		require.NoError(t, err)
		require.Equal(t, 12.0, n)
		require.InDeltaSlice(t, []float64{-12 * 6 / (12 + 1e-6)}, grads(ps)[1], 1e-6)

		ps = gradParams(t, dt, []float64{3, -4}, []float64{-12})
		n, err = optimizers.ClipGradNorm(ps, 100, 1)
		require.NoError(t, err)
		require.Equal(t, 19.0, n)
		require.Equal(t, [][]float64{{3, -4}, {-12}}, grads(ps), "below max_norm: unchanged")
	}
	// Huge float64 gradients: the sum of squares overflows, the norm must not.
	ps := gradParams(t, graph.Float64, []float64{3e300, 4e300})
	n, err := optimizers.ClipGradNorm(ps, 1, 2)
	require.NoError(t, err)
	require.InDelta(t, 5e300, n, 1e286)
	require.InDeltaSlice(t, []float64{0.6, 0.8}, grads(ps)[0], 1e-12)

	// Parameters without gradients are ignored; no gradient at all gives 0.
	ps = gradParams(t, graph.Float64, []float64{1})
	ps[0].SetGrad(nil)
	n, err = optimizers.ClipGradNorm(ps, 1, 2)
	require.NoError(t, err)
	require.Equal(t, 0.0, n)

	ps = gradParams(t, graph.Float64, []float64{1, 2}, []float64{math.NaN()})
	_, err = optimizers.ClipGradNorm(ps, 1, 2)
	var ne *optimizers.NonFiniteGradError
	require.ErrorAs(t, err, &ne)
	require.Equal(t, "b", ne.Param)
	require.Equal(t, []float64{1, 2}, grads(ps)[0], "nothing clipped")
	_, err = optimizers.ClipGradNorm(ps, -1, 2)
	require.ErrorIs(t, err, optimizers.ErrHyper)
	_, err = optimizers.ClipGradNorm(ps, 1, 0)
	require.ErrorIs(t, err, optimizers.ErrHyper)
}

func TestClipGradValue(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		ps := gradParams(t, dt, []float64{-3, 0.5, 2}, []float64{-0.25})
		require.NoError(t, optimizers.ClipGradValue(ps, 1))
		require.Equal(t, [][]float64{{-1, 0.5, 1}, {-0.25}}, grads(ps))
	}
	require.ErrorIs(t, optimizers.ClipGradValue(nil, -1), optimizers.ErrHyper)
}
