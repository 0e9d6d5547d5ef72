package graph_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// TestStepAllocatesNothing holds the README's promise that a training step
// allocates nothing in steady state: the default model (MLP 784-256-128-10,
// float32) on a batch of 128, forward, backward and an SGD-momentum update,
// as BenchmarkTrainStep times it; and an evaluation pass on the same batch.
// Three warm-up steps first create the optimizer state and any buffers.
func TestStepAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector; the plain test run checks this")
	}
	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: 1})
	require.NoError(t, err)
	m, err := models.Build(g, models.Spec{Kind: "mlp", In: 784, Hidden: []int{256, 128}, Out: 10})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 784)
	y := g.Labels("y")
	loss := graph.SoftmaxCrossEntropy(m.Forward(x), y)
	prog, err := g.Compile(loss)
	require.NoError(t, err)
	defer prog.Close()
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.01, Momentum: 0.9})
	require.NoError(t, err)

	r := rand.New(rand.NewPCG(3, 7))
	xs := make([]float32, 128*784)
	for i := range xs {
		xs[i] = float32(2*r.Float64() - 1)
	}
	ys := make([]int, 128)
	for i := range ys {
		ys[i] = r.IntN(10)
	}
	xt, err := graph.FromFloat32(xs, 128, 784)
	require.NoError(t, err)
	yt, err := graph.FromInts(ys, 128)
	require.NoError(t, err)
	feeds := graph.Feeds{x: xt, y: yt}
	params := m.Params()

	var stepErr error
	var losses []float64 // preallocated below: the step must not grow it
	step := func() {
		l, err := prog.TrainStep(feeds)
		if err != nil && stepErr == nil {
			stepErr = err
		}
		losses = append(losses, l)
		if err := opt.Step(params); err != nil && stepErr == nil {
			stepErr = err
		}
	}
	losses = make([]float64, 0, 20)
	for range 3 {
		step()
	}
	require.NoError(t, stepErr)
	require.Zero(t, testing.AllocsPerRun(10, step), "allocations per training step")
	require.NoError(t, stepErr)
	// The steps did train: 14 steps at lr 0.01 on one batch of random labels
	// lower its loss from about log 10 (2.306 to 2.260 here; half of that
	// drop is required).
	require.Len(t, losses, 14, "3 warm-up steps, then AllocsPerRun's 1 + 10")
	require.Less(t, losses[len(losses)-1], losses[0]-0.023)

	eval := func() {
		if _, err := prog.Evaluate(feeds); err != nil && stepErr == nil {
			stepErr = err
		}
	}
	eval()
	require.Zero(t, testing.AllocsPerRun(10, eval), "allocations per evaluation")
	require.NoError(t, stepErr)
}
