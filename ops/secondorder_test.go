package ops

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

// HVP through average pooling matches central differences of gradients.
func TestAvgPoolSecondOrder(t *testing.T) {
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 1})
	require.NoError(t, err)
	x := g.Param("x", []int{1, 2, 4, 4}, graph.Normal{Std: 1})
	loss := graph.Sum(graph.Square(graph.Tanh(AvgPool2D(x, PoolConfig{Kernel: Both(2)}))))
	v := g.Input("v", 1, 2, 4, 4)
	hv := graph.HVP(loss, []*graph.Node{x}, []*graph.Node{v})
	require.NoError(t, g.Err())
	prog, err := g.Compile(nil, hv...)
	require.NoError(t, err)
	vt, err := graph.NewTensor(graph.Float64, 1, 2, 4, 4)
	require.NoError(t, err)
	for i := 0; i < vt.Len(); i++ {
		vt.Set(i, math.Sin(float64(i)))
	}
	require.NoError(t, prog.Run(graph.Train, false, graph.Feeds{v: vt}))
	got := prog.Output(hv[0]).Values()

	grad, err := g.Compile(loss)
	require.NoError(t, err)
	at := func(sign float64) []float64 {
		xv := x.Param().Value()
		for i := 0; i < xv.Len(); i++ {
			xv.Set(i, xv.At(i)+sign*1e-5*vt.At(i))
		}
		_, err := grad.TrainStep(graph.Feeds{})
		require.NoError(t, err)
		out := x.Param().Grad().Values()
		for i := 0; i < xv.Len(); i++ {
			xv.Set(i, xv.At(i)-sign*1e-5*vt.At(i))
		}
		return out
	}
	plus, minus := at(1), at(-1)
	for i := range got {
		require.InDelta(t, (plus[i]-minus[i])/2e-5, got[i], 1e-6, "element %d", i)
	}
}

// Dropout's gradient is linear in the output gradient: the HVP of
// Sum(Dropout(x)²) is 2 m² v, m the scaled mask of the same run.
func TestDropoutSecondOrder(t *testing.T) {
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 3})
	require.NoError(t, err)
	x := g.Param("x", []int{4, 5}, graph.Uniform{Low: 0.5, High: 1.5})
	d := Dropout(x, 0.5)
	loss := graph.Sum(graph.Square(d))
	v := g.Input("v", 4, 5)
	hv := graph.HVP(loss, []*graph.Node{x}, []*graph.Node{v})
	require.NoError(t, g.Err())
	prog, err := g.Compile(nil, append(hv, d)...)
	require.NoError(t, err)
	vt, err := graph.NewTensor(graph.Float64, 4, 5)
	require.NoError(t, err)
	vt.Fill(0.5)
	require.NoError(t, prog.Run(graph.Train, false, graph.Feeds{v: vt}))
	xs, out, got := x.Param().Value().Values(), prog.Output(d).Values(), prog.Output(hv[0]).Values()
	zeros := 0
	for i := range got {
		m := out[i] / xs[i]
		if m == 0 {
			zeros++
		}
		require.InDelta(t, 2*m*m*0.5, got[i], 1e-12)
	}
	require.Positive(t, zeros, "some elements dropped")
}

// Batch norm, convolution and max pooling have fused gradients without a
// second derivative: a Grad of a Grad through them is an error naming the
// op, not a silent zero.
func TestNoSecondOrder(t *testing.T) {
	cases := map[string]func(s graph.Scope, x *graph.Node) *graph.Node{
		"BatchNorm": func(s graph.Scope, x *graph.Node) *graph.Node {
			bn, err := NewBatchNorm(s.Scope("bn"), 2, BatchNormConfig{})
			require.NoError(t, err)
			return bn.Forward(x)
		},
		"Conv2D": func(s graph.Scope, x *graph.Node) *graph.Node {
			c, err := NewConv2D(s.Scope("conv"), 2, 3, 3, Conv2DConfig{Padding: Both(1)})
			require.NoError(t, err)
			return c.Forward(x)
		},
		"MaxPool2D": func(s graph.Scope, x *graph.Node) *graph.Node {
			return MaxPool2D(x, PoolConfig{Kernel: Both(2)})
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 1})
			require.NoError(t, err)
			x := g.Param("x", []int{2, 2, 4, 4}, graph.Normal{Std: 1})
			loss := graph.Sum(graph.Square(f(g.Scope("m"), x)))
			gx := graph.Grad(loss, x)[0]
			gg := graph.Grad(graph.Sum(graph.Square(gx)), x)
			require.NoError(t, g.Err())
			p, err := g.Compile(nil, gg...)
			require.NoError(t, err)
			err = p.Run(graph.Train, false, graph.Feeds{})
			require.ErrorIs(t, err, graph.ErrSecondOrder)
			require.Contains(t, err.Error(), name)
		})
	}
}
