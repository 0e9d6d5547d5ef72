package optimizers_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// tensor builds a tensor of dtype dt, failing the test on error.
func tensor(t *testing.T, dt graph.DType, data []float64, shape ...int) *graph.Tensor {
	t.Helper()
	v, err := graph.FromFloat64s(dt, data, shape...)
	require.NoError(t, err)
	return v
}

// param builds a named parameter holding data.
func param(t *testing.T, name string, dt graph.DType, data []float64, shape ...int) *graph.Param {
	t.Helper()
	return graph.NewParam(name, tensor(t, dt, data, shape...))
}

// model returns a fixed "layer/W" [3,4] and "layer/b" [4] of dtype dt.
func model(t *testing.T, dt graph.DType) []*graph.Param {
	t.Helper()
	w := make([]float64, 12)
	for i := range w {
		w[i] = math.Sin(float64(i)+0.5) * 0.8
	}
	return []*graph.Param{
		param(t, "layer/W", dt, w, 3, 4),
		param(t, "layer/b", dt, []float64{0.1, -0.2, 0.3, -0.4}, 4),
	}
}

// setGrads gives every parameter a deterministic gradient for step k that
// depends on the current values (like a real loss would) and on k.
func setGrads(t *testing.T, params []*graph.Param, k int) {
	t.Helper()
	for j, p := range params {
		v := p.Value()
		g := make([]float64, v.Len())
		for i := range g {
			g[i] = v.At(i) + 0.5*math.Cos(float64(3*k+i+7*j))
		}
		p.SetGrad(tensor(t, v.DType(), g, v.Shape()...))
	}
}

// train runs steps [from, to): gradients, one optimizer step, one
// schedule step (with the sum of squares of the params as metric).
func train(t *testing.T, opt optimizers.Optimizer, sched optimizers.LRScheduler, params []*graph.Param, from, to int) {
	t.Helper()
	for k := from; k < to; k++ {
		setGrads(t, params, k)
		require.NoError(t, opt.Step(params), "step %d", k)
		if sched != nil {
			require.NoError(t, sched.Step(metric(params, k)), "step %d", k)
		}
	}
}

// metric is a loss-like value that improves every fourth step and is flat
// in between, so Plateau (patience 1) reduces the lr every few steps; its
// tiny parameter-dependent part makes it a function of the run.
func metric(params []*graph.Param, k int) float64 {
	var s float64
	for _, p := range params {
		for _, v := range p.Value().Values() {
			s += v * v
		}
	}
	return float64(10-k/4) + 1e-9*math.Tanh(s)
}

// clone deep-copies params (same names, new *Param values): a reloaded model.
func clone(params []*graph.Param) []*graph.Param {
	out := make([]*graph.Param, len(params))
	for i, p := range params {
		out[i] = graph.NewParam(p.Name(), p.Value().Clone())
	}
	return out
}

// requireSameBits checks that two parameter lists hold bit-identical values.
func requireSameBits(t *testing.T, want, got []*graph.Param) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i].Value().Values(), got[i].Value().Values()
		for j := range w {
			require.Equal(t, math.Float64bits(w[j]), math.Float64bits(g[j]), "%s[%d]: got %v, want %v", want[i].Name(), j, g[j], w[j])
		}
	}
}

// values returns p's values as float64.
func values(p *graph.Param) []float64 { return p.Value().Values() }
