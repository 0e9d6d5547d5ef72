package bench

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// TestStepsDoNotAllocate: after a warm-up, a training step (forward,
// backward, optimizer update) of every built-in model allocates nothing,
// with one thread and with several (the pool's tasks, the GEMM's jobs and
// the ops' per-worker scratch are all reused).
func TestStepsDoNotAllocate(t *testing.T) {
	defer graph.SetThreads(0)
	cases := []struct {
		name  string
		spec  models.Spec
		batch int
	}{
		{"mlp", mlpSpec, 128},
		{"mlp-bn", mlpBNSpec, 128},
		{"cnn", cnnSpec, 16},
		{"cnn-bn", cnnBNSpec, 16},
		{"transformer", transformerSpec, 0},
	}
	for _, tc := range cases {
		for _, th := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/threads=%d", tc.name, th), func(t *testing.T) {
				require.NoError(t, graph.SetThreads(th))
				var m models.Module
				var prog *graph.Program
				var feeds graph.Feeds
				if tc.spec.Kind == "transformer" {
					m, prog, feeds = setupTransformer(t)
				} else {
					var x, y *graph.Node
					_, m, prog, x, y, _ = setup(t, tc.spec)
					feeds = graph.Feeds{x: randTensor(t, graph.Float32, 3, tc.batch, 784), y: labels(t, 4, tc.batch, 10)}
				}
				defer prog.Close()
				opt, err := optimizers.NewAdam(optimizers.AdamConfig{LR: 1e-3})
				require.NoError(t, err)
				params := m.Params() // a new slice per call
				step := func() {
					_, err := prog.TrainStep(feeds)
					require.NoError(t, err)
					require.NoError(t, opt.Step(params))
				}
				for range 3 {
					step()
				}
				require.Zero(t, testing.AllocsPerRun(3, step))
			})
		}
	}
}
