package bench

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// TestThreadsSameWeights trains each built-in model a few steps from the
// same seed with 1, 2 and 3 threads (3 catches a partition that depends on
// the count; the pool runs more workers than cores, so a 1-core machine
// tests this as well) and requires every parameter bit for bit equal. The
// batch sizes are small to keep the test quick, but every op still splits:
// the thresholds are per op, and the products are cut by the tile grid.
func TestThreadsSameWeights(t *testing.T) {
	defer graph.SetThreads(0)
	cases := []struct {
		name  string
		spec  models.Spec
		batch int
	}{
		{"mlp", mlpSpec, 128},
		{"mlp-bn", models.Spec{Kind: "mlp", In: 784, Hidden: []int{256, 128}, Out: 10, BatchNorm: true}, 128},
		{"cnn", cnnSpec, 32},
		{"cnn-small-bn", models.Spec{Kind: "cnn", In: 784, Out: 10, Image: []int{1, 28, 28}, Preset: "small", BatchNorm: true}, 64},
		{"transformer", transformerSpec, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.name == "cnn" {
				t.Skip("the CNN takes seconds; cnn-small-bn covers the same ops")
			}
			var want [][]float32
			for _, th := range []int{1, 2, 3} {
				require.NoError(t, graph.SetThreads(th))
				got := trainFewSteps(t, tc.spec, tc.batch, 3)
				if want == nil {
					want = got
					continue
				}
				require.Len(t, got, len(want))
				for i := range got {
					for j := range got[i] {
						if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
							require.Failf(t, "weights differ", "%d threads: parameter %d, element %d: %v, with 1 thread %v", th, i, j, got[i][j], want[i][j])
						}
					}
				}
			}
		})
	}
}

// trainFewSteps builds the model from seed 1, runs steps training steps
// (SGD momentum) on fixed random batches and returns every parameter.
func trainFewSteps(t *testing.T, spec models.Spec, batch, steps int) [][]float32 {
	var m models.Module
	var prog *graph.Program
	var feeds graph.Feeds
	if spec.Kind == "transformer" {
		m, prog, feeds = setupTransformer(t)
	} else {
		var x, y *graph.Node
		_, m, prog, x, y, _ = setup(t, spec)
		feeds = graph.Feeds{x: randTensor(t, graph.Float32, 3, batch, 784), y: labels(t, 4, batch, 10)}
	}
	defer prog.Close()
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.01, Momentum: 0.9})
	require.NoError(t, err)
	for s := range steps {
		_, err := prog.TrainStep(feeds)
		require.NoError(t, err, fmt.Sprint("step ", s))
		require.NoError(t, opt.Step(m.Params()))
	}
	var out [][]float32
	for _, p := range m.Params() {
		v, err := graph.Floats[float32](p.Value())
		require.NoError(t, err)
		out = append(out, append([]float32(nil), v...))
	}
	return out
}
