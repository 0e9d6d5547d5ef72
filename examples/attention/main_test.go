package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
)

// Example runs the example; its output is the README's.
func Example() {
	main()
	// Output:
	// epoch  1  focal loss 0.1548  test accuracy 71.8%
	// epoch  2  focal loss 0.0827  test accuracy 88.9%
	// epoch  3  focal loss 0.0378  test accuracy 96.7%
	// epoch  4  focal loss 0.0151  test accuracy 97.4%
	// epoch  5  focal loss 0.0137  test accuracy 97.2%
	// epoch  6  focal loss 0.0074  test accuracy 100.0%
	// epoch  7  focal loss 0.0003  test accuracy 100.0%
	// epoch  8  focal loss 0.0001  test accuracy 100.0%
}

// recallBatch builds the model in float64 on a few recall sequences.
func recallBatch(t *testing.T) (*graph.Graph, *recallNet, *graph.Node, graph.Feeds) {
	t.Helper()
	ds, err := data.Recall(data.RecallConfig{N: 6, Vocab: 16, MinLen: 8, MaxLen: 16, Seed: 3})
	require.NoError(t, err)
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 5})
	require.NoError(t, err)
	net := newRecallNet(g)
	x := g.IntInput("x", graph.Batch, graph.Seq)
	y := g.Labels("y")
	loss := focalLoss(net.Forward(x), y, 2)
	require.NoError(t, g.Err())
	return g, net, loss, graph.Feeds{x: ds.X, y: ds.Y}
}

// The whole model, custom op and custom loss included, against finite
// differences.
func TestGradCheck(t *testing.T) {
	_, _, loss, feeds := recallBatch(t)
	res, err := graph.GradCheck(loss, feeds, graph.GradCheckConfig{MaxPerTensor: 40})
	require.NoError(t, err)
	require.Greater(t, res.Checked, 300)
	require.Less(t, res.MaxRelErr, 1e-5, res.String())
}

// Squareplus's Backward is built from ops, so a gradient penalty through
// it (the squared norm of the loss's gradient, WGAN-GP style) can be
// differentiated again.
func TestGradientPenaltyThroughCustomOp(t *testing.T) {
	g, net, loss, feeds := recallBatch(t)
	grads := graph.Grad(loss, net.w1, net.b1)
	penalty := graph.Add(graph.Sum(graph.Square(grads[0])), graph.Sum(graph.Square(grads[1])))
	require.NoError(t, g.Err())
	res, err := graph.GradCheck(penalty, feeds, graph.GradCheckConfig{MaxPerTensor: 40})
	require.NoError(t, err)
	require.Greater(t, res.Checked, 300)
	require.Less(t, res.MaxRelErr, 1e-4, res.String())
}

func TestSquareplusChecksItsInput(t *testing.T) {
	g, err := graph.New(graph.Config{DType: graph.Float32})
	require.NoError(t, err)
	graph.Apply(squareplus{B: 4}, g.IntInput("tokens", graph.Batch))
	require.ErrorContains(t, g.Err(), "want one float input")
}
