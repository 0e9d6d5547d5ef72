package graph

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuildErrors(t *testing.T) {
	cases := []struct {
		name  string
		build func(g *Graph)
		is    error
		msg   string
	}{
		{"matmul inner", func(g *Graph) {
			MatMul(g.Input("x", Batch, 3), g.Param("w", []int{4, 2}, Zeros()))
		}, ErrShape, "MatMul: shape mismatch: inner dimensions of [N 3] and [4 2] differ (got 3 and 4, want equal)"},
		{"matmul rank", func(g *Graph) {
			MatMul(g.Scalar(2), g.Param("w", []int{3, 2}, Zeros()))
		}, ErrShape, "want matrices or batches of matrices"},
		{"broadcast", func(g *Graph) {
			Add(g.Input("x", Batch, 3), g.Param("b", []int{4}, Zeros()))
		}, ErrShape, "cannot broadcast [N 3] with [4]"},
		{"dtype", func(g *Graph) {
			Add(g.Input("x", Batch), g.Labels("y"))
		}, ErrDType, "operands are float32 and int"},
		{"mse shapes", func(g *Graph) {
			MSE(g.Input("p", Batch, 2), g.Input("t", Batch, 1))
		}, ErrShape, "prediction [N 2] and target [N 1]"},
		{"cross-entropy labels", func(g *Graph) {
			SoftmaxCrossEntropy(g.Input("z", Batch, 3), g.Input("y", Batch))
		}, ErrDType, "want float logits and Int labels"},
		{"reshape size", func(g *Graph) {
			Reshape(g.Input("x", Batch, 3, 4), Batch, 5)
		}, ErrShape, "cannot reshape [N 3 4]"},
		{"reshape two unknowns", func(g *Graph) {
			Reshape(g.Input("x", Batch, 3, 4), -1, -1)
		}, ErrShape, "2 unknown (-1) dimensions"},
		{"reshape mixes batch", func(g *Graph) {
			Reshape(g.Input("x", Batch, 3, 4), 12)
		}, ErrShape, "cannot reshape [N 3 4] (12·N elements) to [12]"},
		{"reshape to an open dimension the input lacks", func(g *Graph) {
			Reshape(g.Input("x", Batch, 3, 4), Batch, Seq, -1)
		}, ErrShape, "dimension T is not one of the input's"},
		{"duplicate param", func(g *Graph) {
			g.Param("w", []int{2}, Zeros())
			g.Param("w", []int{2}, Zeros())
		}, ErrName, `"w" is already defined`},
		{"input named like param", func(g *Graph) {
			g.Param("x", []int{2}, Zeros())
			g.Input("x", Batch, 2)
		}, ErrName, `"x" is already defined`},
		{"bad name", func(g *Graph) { g.Param("mlp//w", []int{2}, Zeros()) }, ErrName, `"mlp//w"`},
		{"empty name", func(g *Graph) { g.Input("", Batch) }, ErrName, `""`},
		{"bad param shape", func(g *Graph) { g.Param("w", []int{2, 0}, Zeros()) }, ErrShape, "dimension 1 is 0"},
		{"batch in param", func(g *Graph) { g.Param("w", []int{Batch, 2}, Zeros()) }, ErrShape, "dimension 0 is N"},
		{"unknown in input", func(g *Graph) { g.Input("x", 2, Unknown) }, ErrShape, "dimension 1 is ?"},
		{"too many open dimensions", func(g *Graph) { g.Input("x", Open(6)) }, ErrShape, "open dimension D6"},
		{"huge input", func(g *Graph) { g.Input("x", Batch, 1<<62) }, ErrShape, "more than"},
		{"huge param", func(g *Graph) { g.Param("w", []int{1 << 31, 1 << 31}, Zeros()) }, ErrShape, "more than"},
		{"fan-less init", func(g *Graph) { g.Param("b", []int{3}, GlorotUniform{}) }, nil, "rank < 2 has no fans"},
		{"bad uniform", func(g *Graph) { g.Param("b", []int{3}, Uniform{1, 0}) }, nil, "want finite Low <= High"},
		{"other graph", func(g *Graph) {
			h, _ := New(Config{})
			Add(g.Input("x", Batch, 2), h.Input("y", Batch, 2))
		}, ErrGraph, "different graphs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(Config{})
			require.NoError(t, err)
			require.NotPanics(t, func() { tc.build(g) })
			require.Error(t, g.Err())
			if tc.is != nil {
				require.ErrorIs(t, g.Err(), tc.is)
			}
			require.Contains(t, g.Err().Error(), tc.msg)
			_, err = g.Compile(g.Scalar(1))
			require.Error(t, err, "a graph with a build error must not compile")
		})
	}
}

func TestFailedNodesPropagate(t *testing.T) {
	g, _ := New(Config{})
	x := g.Input("x", Batch, 3)
	bad := MatMul(x, g.Param("w", []int{4, 2}, Zeros()))
	require.True(t, bad.Failed())
	first := g.Err()
	// Later ops on the failed node add no error of their own.
	out := Sum(ReLU(Add(bad, g.Param("b", []int{2}, Zeros()))))
	require.True(t, out.Failed())
	require.Equal(t, first, g.Err())
	var oe *OpError
	require.ErrorAs(t, g.Err(), &oe)
	require.Equal(t, "MatMul", oe.Op)
}

func TestUnknownParam(t *testing.T) {
	g, _ := New(Config{})
	g.Param("mlp/w", []int{2, 2}, Zeros())
	_, err := g.ParamByName("mlp/v")
	require.ErrorIs(t, err, ErrName)
	require.ErrorContains(t, err, `no parameter or buffer "mlp/v"`)
	p, err := g.ParamByName("mlp/w")
	require.NoError(t, err)
	require.Equal(t, "mlp/w", p.Name())
}

func TestFeedErrors(t *testing.T) {
	g, _ := New(Config{DType: Float64})
	x := g.Input("x", Batch, 2)
	y := g.Labels("y")
	z := g.Input("z", Batch, 3)
	w := g.Param("w", []int{2, 3}, Zeros())
	loss := Add(SoftmaxCrossEntropy(MatMul(x, w), y), Mean(z))
	p, err := g.Compile(loss)
	require.NoError(t, err)
	x4 := randTensor(1, -1, 1, 4, 2)
	y4, _ := FromInts([]int{0, 1, 2, 0}, 4)
	z4 := randTensor(1, -1, 1, 4, 3)

	_, err = p.TrainStep(Feeds{x: x4, y: y4})
	require.ErrorIs(t, err, ErrFeed)
	require.ErrorContains(t, err, `input "z" is not fed`)

	_, err = p.TrainStep(Feeds{x: randTensor(1, -1, 1, 4, 3), y: y4, z: z4})
	var fe *FeedError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "x", fe.Input)
	require.EqualError(t, err, `graph: input "x": shape [4 3] (want [N 2])`)

	_, err = p.TrainStep(Feeds{x: x4, y: y4, z: randTensor(1, -1, 1, 5, 3)})
	require.EqualError(t, err, `graph: input "z": shape [5 3] (want [N 3]): dimension N is 5 here but 4 in another input`, "batch sizes must agree")

	x32, _ := FromFloat32(make([]float32, 8), 4, 2)
	_, err = p.TrainStep(Feeds{x: x32, y: y4, z: z4})
	require.EqualError(t, err, `graph: input "x": dtype float32 (want float64)`)

	bad, _ := FromInts([]int{0, 1, 7, 0}, 4)
	require.NotPanics(t, func() { _, err = p.TrainStep(Feeds{x: x4, y: bad, z: z4}) })
	require.ErrorIs(t, err, ErrRun)
	require.ErrorContains(t, err, "label 7 of row 2 is outside 0..2")

	// The failed steps leave the program usable: with w = 0 every logit is 0,
	// so the cross-entropy is log 3 on every row, plus the mean of z.
	l, err := p.TrainStep(Feeds{x: x4, y: y4, z: z4})
	require.NoError(t, err)
	mz := 0.0
	for _, v := range z4.Values() {
		mz += v / 12
	}
	require.InDelta(t, math.Log(3)+mz, l, 1e-12)
}

// panicOp panics in Forward, as a buggy user op might.
type panicOp struct{}

func (panicOp) String() string                { return "Panic" }
func (panicOp) Infer(in []Type) (Type, error) { return in[0], nil }
func (panicOp) Forward(*Context, *Tensor, []*Tensor) error {
	var s []float64
	_ = s[3]
	return nil
}

// failOp returns an error from Forward.
type failOp struct{}

func (failOp) String() string                { return "Fail" }
func (failOp) Infer(in []Type) (Type, error) { return in[0], nil }
func (failOp) Forward(*Context, *Tensor, []*Tensor) error {
	return fmt.Errorf("deliberate")
}

func TestOpFailuresAreErrors(t *testing.T) {
	for _, op := range []Op{panicOp{}, failOp{}} {
		g, _ := New(Config{})
		x := g.Input("x", Batch, 2)
		out := Apply(op, x)
		p, err := g.Compile(nil, out)
		require.NoError(t, err)
		xt, _ := FromFloat32([]float32{1, 2}, 1, 2)
		require.NotPanics(t, func() { err = p.Run(Eval, false, Feeds{x: xt}) })
		require.ErrorIs(t, err, ErrRun)
		require.ErrorContains(t, err, op.String())
	}
}

func TestCompileErrors(t *testing.T) {
	g, _ := New(Config{})
	x := g.Input("x", Batch, 2)
	_, err := g.Compile(x)
	require.ErrorIs(t, err, ErrShape, "a non-scalar loss")
	_, err = g.Compile(nil)
	require.ErrorIs(t, err, ErrGraph)
	p, err := g.Compile(nil, x)
	require.NoError(t, err)
	require.True(t, errors.Is(p.Run(Train, true, Feeds{}), ErrGraph), "backward without a loss")
}

func TestApplyNilInputs(t *testing.T) {
	g, _ := New(Config{})
	x := g.Input("x", Batch, 2)
	var n *Node
	require.NotPanics(t, func() { n = Add(nil, x) })
	require.True(t, n.Failed())
	require.ErrorIs(t, g.Err(), ErrGraph)
	require.NotPanics(t, func() { n = ReLU(nil) })
	require.True(t, n.Failed())
	require.NotPanics(t, func() { n = Flatten(nil) })
	require.True(t, n.Failed())
	require.NotPanics(t, func() { n = Reshape(nil, 2) })
	require.True(t, n.Failed())
}
