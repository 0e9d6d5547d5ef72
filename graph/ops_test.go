package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// gradTol is the largest relative error accepted between the symbolic
// gradient and central differences in float64 (eps 1e-6: truncation error
// ~1e-12, rounding ~1e-10 relative to the loss).
const gradTol = 1e-6

func newGraph64(t *testing.T) *Graph {
	t.Helper()
	g, err := New(Config{DType: Float64, Seed: 7})
	require.NoError(t, err)
	return g
}

// randTensor returns values in [lo, hi) from a fixed seed.
func randTensor(seed uint64, lo, hi float64, shape ...int) *Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	t := mustTensor(Float64, shape)
	for i := range t.f64 {
		t.f64[i] = lo + (hi-lo)*r.Float64()
	}
	return t
}

// awayFromZero moves values out of (-m, m), keeping ReLU away from its kink.
func awayFromZero(t *Tensor, m float64) *Tensor {
	for i, v := range t.f64 {
		if math.Abs(v) < m {
			t.f64[i] = math.Copysign(m+math.Abs(v), v)
		}
	}
	return t
}

// weighted turns any output into a scalar loss with non-uniform weights,
// so every output element contributes a different gradient.
func weighted(g *Graph, y *Node) *Node {
	w := g.Const(randTensor(99, 0.5, 1.5, y.Shape()...))
	return Sum(Mul(y, w))
}

func TestGradCheckOps(t *testing.T) {
	type build func(g *Graph, a, b *Node) *Node
	cases := []struct {
		name   string
		aShape []int
		bShape []int
		lo, hi float64
		f      build
	}{
		{"MatMul", []int{3, 4}, []int{4, 5}, -1, 1, func(g *Graph, a, b *Node) *Node { return MatMul(a, b) }},
		{"Add/same", []int{3, 4}, []int{3, 4}, -1, 1, func(g *Graph, a, b *Node) *Node { return Add(a, b) }},
		{"Add/bias", []int{3, 4}, []int{4}, -1, 1, func(g *Graph, a, b *Node) *Node { return Add(a, b) }},
		{"Add/bias-left", []int{4}, []int{3, 4}, -1, 1, func(g *Graph, a, b *Node) *Node { return Add(a, b) }},
		{"Add/scalar", []int{3, 4}, []int{}, -1, 1, func(g *Graph, a, b *Node) *Node { return Add(a, b) }},
		{"Sub/bias", []int{3, 4}, []int{4}, -1, 1, func(g *Graph, a, b *Node) *Node { return Sub(a, b) }},
		{"Sub/bias-left", []int{4}, []int{2, 3, 4}, -1, 1, func(g *Graph, a, b *Node) *Node { return Sub(a, b) }},
		{"Mul/same", []int{3, 4}, []int{3, 4}, -1, 1, func(g *Graph, a, b *Node) *Node { return Mul(a, b) }},
		{"Mul/bias", []int{3, 4}, []int{4}, -1, 1, func(g *Graph, a, b *Node) *Node { return Mul(a, b) }},
		{"Div/same", []int{3, 4}, []int{3, 4}, 0.5, 2, func(g *Graph, a, b *Node) *Node { return Div(a, b) }},
		{"Div/bias", []int{3, 4}, []int{4}, 0.5, 2, func(g *Graph, a, b *Node) *Node { return Div(a, b) }},
		{"Div/scalar-left", []int{}, []int{3, 4}, 0.5, 2, func(g *Graph, a, b *Node) *Node { return Div(a, b) }},
		{"Scale", []int{3, 4}, nil, -1, 1, func(g *Graph, a, _ *Node) *Node { return Scale(a, -2.5) }},
		{"Neg", []int{3, 4}, nil, -1, 1, func(g *Graph, a, _ *Node) *Node { return Neg(a) }},
		{"ReLU", []int{3, 4}, nil, -1, 1, func(g *Graph, a, _ *Node) *Node { return ReLU(a) }},
		{"Tanh", []int{3, 4}, nil, -2, 2, func(g *Graph, a, _ *Node) *Node { return Tanh(a) }},
		{"Sigmoid", []int{3, 4}, nil, -4, 4, func(g *Graph, a, _ *Node) *Node { return Sigmoid(a) }},
		{"Exp", []int{3, 4}, nil, -2, 2, func(g *Graph, a, _ *Node) *Node { return Exp(a) }},
		{"Log", []int{3, 4}, nil, 0.5, 3, func(g *Graph, a, _ *Node) *Node { return Log(a) }},
		{"Square", []int{3, 4}, nil, -2, 2, func(g *Graph, a, _ *Node) *Node { return Square(a) }},
		{"Sqrt", []int{3, 4}, nil, 0.5, 3, func(g *Graph, a, _ *Node) *Node { return Sqrt(a) }},
		{"Softmax", []int{3, 5}, nil, -3, 3, func(g *Graph, a, _ *Node) *Node { return Softmax(a, -1) }},
		{"LogSoftmax", []int{3, 5}, nil, -3, 3, func(g *Graph, a, _ *Node) *Node { return LogSoftmax(a, -1) }},
		{"Sum", []int{3, 4}, nil, -1, 1, func(g *Graph, a, _ *Node) *Node { return Scale(Square(Sum(a)), 1) }},
		{"Mean", []int{3, 4}, nil, -1, 1, func(g *Graph, a, _ *Node) *Node { return Square(Mean(a)) }},
		{"Reshape", []int{3, 4}, nil, -1, 1, func(g *Graph, a, _ *Node) *Node { return Reshape(a, 2, 6) }},
		{"Flatten", []int{2, 3, 2}, nil, -1, 1, func(g *Graph, a, _ *Node) *Node { return Flatten(a) }},
		{"MSE", []int{3, 4}, []int{3, 4}, -1, 1, func(g *Graph, a, b *Node) *Node { return MSE(a, b) }},
		{"fan-out", []int{3, 4}, nil, -1, 1, func(g *Graph, a, _ *Node) *Node { return Mul(Tanh(a), Sigmoid(a)) }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraph64(t)
			a := g.Param("a", tc.aShape, Zeros())
			require.NoError(t, a.Param().Value().CopyFrom(awayFromZero(randTensor(uint64(i), tc.lo, tc.hi, tc.aShape...), 0.05)))
			var b *Node
			if tc.bShape != nil {
				b = g.Param("b", tc.bShape, Zeros())
				require.NoError(t, b.Param().Value().CopyFrom(randTensor(uint64(i+100), tc.lo, tc.hi, tc.bShape...)))
			}
			y := tc.f(g, a, b)
			loss := y
			if y.Shape().Rank() > 0 {
				loss = weighted(g, y)
			}
			require.NoError(t, g.Err())
			res, err := GradCheck(loss, Feeds{}, GradCheckConfig{})
			require.NoError(t, err)
			require.Less(t, res.MaxRelErr, gradTol, res.String())
			want := len(a.Param().Value().f64)
			if b != nil {
				want += len(b.Param().Value().f64)
			}
			require.Equal(t, want, res.Checked)
		})
	}
}

func TestGradCheckCrossEntropy(t *testing.T) {
	g := newGraph64(t)
	x := g.Input("x", Batch, 5)
	y := g.Labels("y")
	w := g.Param("w", []int{5, 4}, GlorotUniform{})
	loss := SoftmaxCrossEntropy(MatMul(x, w), y)
	require.NoError(t, g.Err())
	labels, _ := FromInts([]int{0, 3, 1, 2, 3, 0}, 6)
	feeds := Feeds{x: randTensor(3, -2, 2, 6, 5), y: labels}
	res, err := GradCheck(loss, feeds, GradCheckConfig{WRT: []*Node{w, x}})
	require.NoError(t, err)
	require.Less(t, res.MaxRelErr, gradTol, res.String())
	require.Equal(t, 20+30, res.Checked)
}

func TestGradCheckMLP(t *testing.T) {
	g := newGraph64(t)
	x := g.Input("x", Batch, 3)
	y := g.Input("y", Batch, 2)
	w1 := g.Param("w1", []int{3, 6}, GlorotNormal{})
	b1 := g.Param("b1", []int{6}, Uniform{-0.1, 0.1})
	w2 := g.Param("w2", []int{6, 2}, GlorotUniform{})
	b2 := g.Param("b2", []int{2}, Zeros())
	h := Tanh(Add(MatMul(x, w1), b1))
	loss := MSE(Sigmoid(Add(MatMul(h, w2), b2)), y)
	require.NoError(t, g.Err())
	res, err := GradCheck(loss, Feeds{x: randTensor(1, -1, 1, 4, 3), y: randTensor(2, 0, 1, 4, 2)}, GradCheckConfig{})
	require.NoError(t, err)
	require.Less(t, res.MaxRelErr, gradTol, res.String())
}

func TestCrossEntropyExtremeLogits(t *testing.T) {
	g := newGraph64(t)
	z := g.Input("z", Batch, 3)
	y := g.Labels("y")
	loss := SoftmaxCrossEntropy(z, y)
	p, err := g.CompileWith(CompileOptions{WRT: []*Node{z}}, loss)
	require.NoError(t, err)
	zt, _ := FromFloat64([]float64{1000, -1000, 0, -1000, 1000, 1000}, 2, 3)
	yt, _ := FromInts([]int{1, 0}, 2)
	require.NoError(t, p.Run(Train, true, Feeds{z: zt, y: yt}))
	// Row 0: label logit -1000 vs max 1000 -> loss 2000; row 1: -1000 vs two
	// at 1000 -> 2000 + log 2. The mean is 2000 + log(2)/2.
	require.InDelta(t, 2000+math.Log(2)/2, p.Loss(), 1e-9)
	for _, v := range p.Grad(z).Values() {
		require.False(t, math.IsNaN(v) || math.IsInf(v, 0))
	}
	require.InDeltaSlice(t, []float64{0.5, -0.5, 0, -0.5, 0.25, 0.25}, p.Grad(z).Values(), 1e-12)

	// float32 as well
	g32, _ := New(Config{DType: Float32})
	z32 := g32.Input("z", Batch, 3)
	y32 := g32.Labels("y")
	l32 := SoftmaxCrossEntropy(z32, y32)
	p32, err := g32.CompileWith(CompileOptions{WRT: []*Node{z32}}, l32)
	require.NoError(t, err)
	zf, _ := FromFloat32([]float32{1000, -1000, 0, -1000, 1000, 1000}, 2, 3)
	require.NoError(t, p32.Run(Train, true, Feeds{z32: zf, y32: yt}))
	require.InDelta(t, 2000.3466, p32.Loss(), 1e-3)
	// The same gradient as in float64: (softmax - onehot)/N, whose values
	// (0, ±0.5, 0.25) are exact in float32.
	require.Equal(t, Float32, p32.Grad(z32).DType())
	require.InDeltaSlice(t, []float64{0.5, -0.5, 0, -0.5, 0.25, 0.25}, p32.Grad(z32).Values(), 1e-6)
}

func TestForwardValues(t *testing.T) {
	g := newGraph64(t)
	x := g.Input("x", Batch, 3)
	sm, lsm := Softmax(x, -1), LogSoftmax(x, -1)
	rl, sg, th := ReLU(x), Sigmoid(x), Tanh(x)
	p, err := g.Compile(nil, sm, lsm, rl, sg, th)
	require.NoError(t, err)
	xt, _ := FromFloat64([]float64{1, 2, 3, -800, 0, 800}, 2, 3)
	_, err = p.Evaluate(Feeds{x: xt})
	require.NoError(t, err)
	e := math.Exp
	s := e(1) + e(2) + e(3)
	require.InDeltaSlice(t, []float64{e(1) / s, e(2) / s, e(3) / s, 0, 0, 1}, p.Output(sm).Values(), 1e-15)
	require.InDeltaSlice(t, []float64{1 - math.Log(s), 2 - math.Log(s), 3 - math.Log(s), -1600, -800, 0}, p.Output(lsm).Values(), 1e-12)
	require.Equal(t, []float64{1, 2, 3, 0, 0, 800}, p.Output(rl).Values())
	require.InDeltaSlice(t, []float64{1 / (1 + e(-1)), 1 / (1 + e(-2)), 1 / (1 + e(-3)), 0, 0.5, 1}, p.Output(sg).Values(), 1e-15)
	require.InDeltaSlice(t, []float64{math.Tanh(1), math.Tanh(2), math.Tanh(3), -1, 0, 1}, p.Output(th).Values(), 1e-15)
}
