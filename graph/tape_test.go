package graph

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gorgonia.org/gorgonia"
)

// TestExecutorMatchesTapeMachine runs a compiled program once on descent's
// executor and once on gorgonia's own TapeMachine (which calls the ops' Do
// and gorgonia's ops for the gradient sums), and requires the same values
// for every node, bit for bit.
func TestExecutorMatchesTapeMachine(t *testing.T) {
	g := newGraph64(t)
	x := g.Input("x", Batch, 4)
	y := g.Labels("y")
	w1 := g.Param("w1", []int{4, 6}, GlorotUniform{})
	b1 := g.Param("b1", []int{6}, Uniform{Low: -0.1, High: 0.1})
	w2 := g.Param("w2", []int{6, 3}, GlorotUniform{})
	h := Tanh(Add(MatMul(x, w1), b1))
	h2 := Mul(Sigmoid(h), Reshape(Softmax(h, -1), Batch, 6)) // fan-out: gorgonia sums gradients
	loss := Add(SoftmaxCrossEntropy(MatMul(h2, w2), y), Scale(Mean(Square(w1)), 0.01))
	p, err := g.Compile(loss)
	require.NoError(t, err)
	labels, _ := FromInts([]int{0, 2, 1, 1, 0}, 5)
	_, err = p.TrainStep(Feeds{x: randTensor(4, -1, 1, 5, 4), y: labels})
	require.NoError(t, err)
	pl := p.last

	sums := 0 // gorgonia's own ops: the sums of gradients of fanned-out nodes
	for i, gn := range pl.nodes {
		if gn.Op() == nil {
			require.NoError(t, gorgonia.Let(gn, toValue(pl.slots[i].Clone())))
		} else if _, ok := gn.Op().(*gop); !ok && pl.eg.From(gn.ID()).Len() > 0 {
			sums++
		}
	}
	require.Positive(t, sums)
	vm := gorgonia.NewTapeMachine(pl.eg, gorgonia.TraceExec()) // keep every node's value
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	ops, compared := 0, 0
	for i, gn := range pl.nodes {
		if gn.Op() != nil {
			ops++
		}
		if gn.Value() == nil {
			continue
		}
		v, err := fromValue(gn.Value(), pl.slots[i].Shape())
		require.NoError(t, err)
		require.Equal(t, pl.slots[i].Values(), v.Values(), "node %v", gn)
		if gn.Op() != nil {
			compared++
		}
	}
	// The inputs and parameters were copied in above, so they match by
	// construction: the op nodes are what this test is about, and the
	// TapeMachine (with TraceExec) keeps a value for every one of them.
	require.Positive(t, ops)
	require.Equal(t, ops, compared, "op nodes compared")
	require.NotEmpty(t, pl.grads)
}
