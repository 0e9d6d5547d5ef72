package graph

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSplitSameBits runs ops on tensors large enough to be split over
// threads (every path of split.go), forward and backward, with 1, 2 and 3
// threads, and requires bit-identical losses, outputs and gradients. One
// thread runs the unsplit kernels, which the gradient checks cover: equal
// bits also show the split kernels right.
func TestSplitSameBits(t *testing.T) {
	defer SetThreads(0)
	const R, C = 400, 300 // 120k elements: above 2·grainMap
	cases := []struct {
		name   string
		aShape []int
		bShape []int
		f      func(g *Graph, a, b *Node) *Node
	}{
		{"ReLU", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return ReLU(a) }},
		{"Tanh", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return Tanh(a) }},
		{"Exp", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return Exp(a) }},
		{"Square", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return Square(a) }},
		{"Scale+Shift", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return Shift(Scale(a, 0.3), 0.1) }},
		{"Add/same", []int{R, C}, []int{R, C}, func(g *Graph, a, b *Node) *Node { return Add(a, b) }},
		{"Mul/row", []int{R, C}, []int{1, C}, func(g *Graph, a, b *Node) *Node { return Mul(a, b) }},
		{"Mul/row-first", []int{C}, []int{R, C}, func(g *Graph, a, b *Node) *Node { return Mul(a, b) }},
		{"Sub/column", []int{R, 1}, []int{R, C}, func(g *Graph, a, b *Node) *Node { return Sub(a, b) }},
		{"Div/scalar", []int{R, C}, []int{1}, func(g *Graph, a, b *Node) *Node { return Div(a, Shift(Abs(b), 1)) }},
		{"Maximum/middle", []int{8, 50, C}, []int{8, 1, C}, func(g *Graph, a, b *Node) *Node { return Maximum(a, b) }},
		{"BroadcastTo", []int{1, C}, nil, func(g *Graph, a, _ *Node) *Node { return BroadcastTo(a, R, C) }},
		{"Sum/axis0", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return Sum(a, 0) }},
		{"Sum/axis1", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return Sum(a, 1) }},
		{"Mean/axis1of3", []int{8, 50, C}, nil, func(g *Graph, a, _ *Node) *Node { return Mean(a, 1) }},
		{"Max/axis0", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return Max(a, 0) }},
		{"LogSumExp/axis1", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return LogSumExp(a, 1) }},
		{"Softmax/last", []int{R, C}, nil, func(g *Graph, a, _ *Node) *Node { return Softmax(a, -1) }},
		{"LogSoftmax/axis1of3", []int{8, 50, C}, nil, func(g *Graph, a, _ *Node) *Node { return LogSoftmax(a, 1) }},
		{"SoftmaxCrossEntropy", []int{3000, 30}, nil, func(g *Graph, a, _ *Node) *Node {
			labels := make([]int, 3000)
			for i := range labels {
				labels[i] = i * 7 % 30
			}
			y, _ := FromInts(labels, 3000)
			return SoftmaxCrossEntropy(a, g.Const(y))
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []*Tensor
			for _, th := range []int{1, 2, 3} {
				require.NoError(t, SetThreads(th))
				got := runSplitCase(t, uint64(i), tc.aShape, tc.bShape, tc.f)
				if want == nil {
					want = got
					continue
				}
				for j := range got {
					require.True(t, sameBits(want[j], got[j]), "%d threads: result %d differs from 1 thread", th, j)
				}
			}
		})
	}
}

// runSplitCase builds a float32 graph and returns the loss, the output
// and the gradients of a forward and backward run.
func runSplitCase(t *testing.T, seed uint64, aShape, bShape []int, f func(g *Graph, a, b *Node) *Node) []*Tensor {
	g, err := New(Config{DType: Float32, Seed: 7})
	require.NoError(t, err)
	a := g.Param("a", aShape, Uniform{Low: -2, High: 2})
	params := []*Node{a}
	var b *Node
	if bShape != nil {
		b = g.Param("b", bShape, Uniform{Low: -2, High: 2})
		params = append(params, b)
	}
	y := f(g, a, b)
	loss := y
	if y.Shape().Rank() > 0 {
		w := g.Const(toF32(randTensor(seed+99, 0.5, 1.5, y.Shape()...)))
		loss = Sum(Mul(y, w))
	}
	require.NoError(t, g.Err())
	p, err := g.CompileWith(CompileOptions{WRT: params}, loss, y)
	require.NoError(t, err)
	require.NoError(t, p.Run(Train, true, Feeds{}))
	out := []*Tensor{p.Output(loss).Clone(), p.Output(y).Clone()}
	for _, n := range params {
		out = append(out, p.Grad(n).Clone())
	}
	return out
}

func toF32(t *Tensor) *Tensor {
	v := make([]float32, len(t.f64))
	for i, x := range t.f64 {
		v[i] = float32(x)
	}
	r, _ := FromFloat32(v, t.shape...)
	return r
}

func sameBits(a, b *Tensor) bool {
	if len(a.f32) != len(b.f32) || len(a.f64) != len(b.f64) {
		return false
	}
	for i := range a.f32 {
		if math.Float32bits(a.f32[i]) != math.Float32bits(b.f32[i]) {
			return false
		}
	}
	for i := range a.f64 {
		if math.Float64bits(a.f64[i]) != math.Float64bits(b.f64[i]) {
			return false
		}
	}
	return true
}
