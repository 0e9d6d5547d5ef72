package optimizers_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// TestThreadsSameBits steps a parameter large enough to be split over
// threads (plus a tail that fills no whole vector) with every kernel of
// internal/vec and every scalar one, and requires the same bits with 1, 2
// and 3 threads.
func TestThreadsSameBits(t *testing.T) {
	defer graph.SetThreads(0)
	makers := map[string]func() (optimizers.Optimizer, error){
		"sgd": func() (optimizers.Optimizer, error) { return optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1}) },
		"momentum": func() (optimizers.Optimizer, error) {
			return optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1, Momentum: 0.9})
		},
		"adagrad": func() (optimizers.Optimizer, error) { return optimizers.NewAdagrad(optimizers.AdagradConfig{LR: 0.1}) },
		"rmsprop": func() (optimizers.Optimizer, error) {
			return optimizers.NewRMSprop(optimizers.RMSpropConfig{LR: 0.01, Momentum: 0.5, Centered: true})
		},
		"adam": func() (optimizers.Optimizer, error) {
			return optimizers.NewAdam(optimizers.AdamConfig{LR: 0.01, AMSGrad: true})
		},
		"lion": func() (optimizers.Optimizer, error) {
			return optimizers.NewLion(optimizers.LionConfig{LR: 0.01, WeightDecay: 0.1})
		},
		"radam": func() (optimizers.Optimizer, error) {
			return optimizers.NewRAdam(optimizers.RAdamConfig{LR: 0.01, WeightDecay: 0.1, Decoupled: true})
		},
		"adamax": func() (optimizers.Optimizer, error) {
			return optimizers.NewAdamax(optimizers.AdamaxConfig{LR: 0.01, WeightDecay: 0.1})
		},
		"nadam": func() (optimizers.Optimizer, error) {
			return optimizers.NewNAdam(optimizers.NAdamConfig{LR: 0.01, WeightDecay: 0.1, Maximize: true})
		},
	}
	const n = 3<<15 + 13
	for name, mk := range makers {
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			var want []float64
			for _, th := range []int{1, 2, 3} {
				require.NoError(t, graph.SetThreads(th))
				w := make([]float64, n)
				for i := range w {
					w[i] = math.Sin(float64(i)) * 0.7
				}
				params := []*graph.Param{param(t, "w", dt, w, n)}
				opt, err := mk()
				require.NoError(t, err)
				train(t, opt, nil, params, 0, 7) // RAdam rectifies from step 6
				got := make([]float64, n)
				for i := range got {
					got[i] = params[0].Value().At(i)
				}
				if want == nil {
					want = got
					continue
				}
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						require.Failf(t, "bits differ", "%s %v, %d threads: w[%d] = %v, 1 thread %v", name, dt, th, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestAllFiniteSplit puts one NaN or Inf anywhere in a gradient checked in
// ranges over threads.
func TestAllFiniteSplit(t *testing.T) {
	defer graph.SetThreads(0)
	require.NoError(t, graph.SetThreads(3))
	x := make([]float32, 5<<15+7)
	require.True(t, optimizers.AllFiniteForTest(x))
	for _, at := range []int{0, 1 << 15, 3<<15 + 5, len(x) - 1} {
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
			x[at] = bad
			require.False(t, optimizers.AllFiniteForTest(x), "%v at %d", bad, at)
			x[at] = 0
		}
	}
}
