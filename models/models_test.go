package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

// gradTol: float64 central differences against the symbolic gradient.
const gradTol = 1e-6

func randTensor(seed uint64, lo, hi float64, shape ...int) *graph.Tensor {
	r := rand.New(rand.NewPCG(seed, 2))
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float64()
	}
	t, _ := graph.FromFloat64(v, shape...)
	return t
}

func labels(n, classes int) *graph.Tensor {
	v := make([]int, n)
	for i := range v {
		v[i] = (i * 7) % classes
	}
	t, _ := graph.FromInts(v, n)
	return t
}

func TestModelsGradCheck(t *testing.T) {
	cases := []struct {
		name     string
		in, out  int
		classify bool
		build    func(g *graph.Graph) (Module, error)
	}{
		{"linear", 3, 2, false, func(g *graph.Graph) (Module, error) {
			return NewLinear(g, LinearConfig{In: 3, Out: 2})
		}},
		{"softmax", 4, 3, true, func(g *graph.Graph) (Module, error) {
			return NewSoftmaxRegression(g, SoftmaxRegressionConfig{In: 4, Classes: 3})
		}},
		{"mlp/relu/ce", 3, 4, true, func(g *graph.Graph) (Module, error) {
			return NewMLP(g, MLPConfig{In: 3, Hidden: []int{6, 5}, Out: 4})
		}},
		{"mlp/tanh/mse", 3, 2, false, func(g *graph.Graph) (Module, error) {
			return NewMLP(g, MLPConfig{In: 3, Hidden: []int{5}, Out: 2, Activation: Tanh})
		}},
		{"mlp/sigmoid/mse", 2, 1, false, func(g *graph.Graph) (Module, error) {
			return NewMLP(g, MLPConfig{In: 2, Hidden: []int{4, 4, 3}, Out: 1, Activation: Sigmoid})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 5})
			require.NoError(t, err)
			m, err := tc.build(g)
			require.NoError(t, err)
			x := g.Input("x", graph.Batch, tc.in)
			out := m.Forward(x)
			require.NoError(t, g.Err())
			require.Equal(t, graph.Shape{graph.Batch, tc.out}, out.Shape())
			feeds := graph.Feeds{x: randTensor(1, -2, 2, 5, tc.in)}
			var loss *graph.Node
			if tc.classify {
				y := g.Labels("y")
				loss = graph.SoftmaxCrossEntropy(out, y)
				feeds[y] = labels(5, tc.out)
			} else {
				y := g.Input("y", graph.Batch, tc.out)
				loss = graph.MSE(out, y)
				feeds[y] = randTensor(2, -1, 1, 5, tc.out)
			}
			require.NoError(t, g.Err())
			res, err := graph.GradCheck(loss, feeds, graph.GradCheckConfig{})
			require.NoError(t, err)
			require.Less(t, res.MaxRelErr, gradTol, res.String())
			n := 0
			for _, p := range m.Params() {
				n += p.Value().Len()
			}
			require.Equal(t, n, res.Checked, "every parameter element checked")
		})
	}
}

func TestMLPNamesAndShapes(t *testing.T) {
	g, _ := graph.New(graph.Config{Seed: 1})
	m, err := NewMLP(g, MLPConfig{In: 784, Hidden: []int{256, 128}, Out: 10})
	require.NoError(t, err)
	var names []string
	var shapes []graph.Shape
	for _, p := range m.Params() {
		names = append(names, p.Name())
		shapes = append(shapes, p.Shape())
	}
	require.Equal(t, []string{"mlp/dense0/w", "mlp/dense0/b", "mlp/dense1/w", "mlp/dense1/b", "mlp/dense2/w", "mlp/dense2/b"}, names)
	require.Equal(t, []graph.Shape{{784, 256}, {256}, {256, 128}, {128}, {128, 10}, {10}}, shapes)
	// torch.nn.Linear's default init: weights and biases U(±1/sqrt(fan_in)),
	// so std bound/sqrt(3). The sample std of n uniform draws has a relative
	// standard error of sqrt(0.8/n)/2: allowed are 5 of them, at least 2%
	// (the weights are within 1.7% here). The largest of n draws is below
	// 1 - 5/n of the bound with probability (1-5/n)^n < e^-5. A constant or
	// zero init fails.
	tol := func(n int) float64 { return math.Max(0.02, 2.5*math.Sqrt(0.8/float64(n))) }
	for i, fanIn := range []int{784, 256, 128} {
		bound := 1 / math.Sqrt(float64(fanIn))
		for _, p := range []*graph.Param{m.Dense[i].W.Param(), m.Dense[i].B.Param()} {
			v := p.Value().Values()
			mean, std, maxAbs := moments(v)
			require.LessOrEqual(t, float32(maxAbs), float32(bound), "%s within ±1/sqrt(%d)", p.Name(), fanIn)
			require.Greater(t, maxAbs, (1-5/float64(len(v)))*bound, "%s reaches the bound", p.Name())
			require.InDelta(t, 1, std*math.Sqrt(3)/bound, tol(len(v)), "%s std", p.Name())
			require.InDelta(t, 0, mean*math.Sqrt(3)/bound, 5/math.Sqrt(float64(len(v))), "%s mean", p.Name())
		}
	}
}

// moments returns the mean, the standard deviation and the largest |v|.
func moments(v []float64) (mean, std, maxAbs float64) {
	for _, x := range v {
		mean += x / float64(len(v))
		maxAbs = math.Max(maxAbs, math.Abs(x))
	}
	for _, x := range v {
		std += (x - mean) * (x - mean) / float64(len(v))
	}
	return mean, math.Sqrt(std), maxAbs
}

func TestModelConfigErrors(t *testing.T) {
	g, _ := graph.New(graph.Config{})
	_, err := NewMLP(g, MLPConfig{In: 4, Out: 2, Activation: "swish"})
	require.ErrorContains(t, err, `unknown activation "swish"`)
	_, err = NewMLP(g, MLPConfig{In: 0, Out: 2})
	require.ErrorContains(t, err, "want positive")
	_, err = NewMLP(g, MLPConfig{In: 4, Hidden: []int{0}, Out: 2})
	require.ErrorContains(t, err, "sizes 4 -> 0")
	_, err = NewSoftmaxRegression(g, SoftmaxRegressionConfig{In: 4, Classes: 1})
	require.ErrorContains(t, err, "want at least 2")

	g2, _ := graph.New(graph.Config{})
	m, err := NewLinear(g2, LinearConfig{In: 3})
	require.NoError(t, err)
	m.Forward(g2.Input("x", graph.Batch, 4))
	err = g2.Err()
	require.ErrorIs(t, err, graph.ErrShape)
	require.ErrorContains(t, err, "inner dimensions of [N 4] and [3 1] differ")
}
