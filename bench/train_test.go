package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

const batch = 128

// setup builds a float32 classifier on MNIST-shaped inputs [N, 784] and
// compiles its loss and logits.
func setup(b testing.TB, spec models.Spec) (*graph.Graph, models.Module, *graph.Program, *graph.Node, *graph.Node, *graph.Node) {
	b.Helper()
	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	m, err := models.Build(g, spec)
	if err != nil {
		b.Fatal(err)
	}
	x := g.Input("x", graph.Batch, 784)
	y := g.Labels("y")
	out := m.Forward(x)
	prog, err := g.Compile(graph.SoftmaxCrossEntropy(out, y), out)
	if err != nil {
		b.Fatal(err)
	}
	return g, m, prog, x, y, out
}

var (
	mlpSpec   = models.Spec{Kind: "mlp", In: 784, Hidden: []int{256, 128}, Out: 10}
	cnnSpec   = models.Spec{Kind: "cnn", In: 784, Out: 10, Image: []int{1, 28, 28}, Preset: models.DefaultCNNPreset}
	mlpBNSpec = models.Spec{Kind: "mlp", In: 784, Hidden: []int{256, 128}, Out: 10, BatchNorm: true}
	cnnBNSpec = models.Spec{Kind: "cnn", In: 784, Out: 10, Image: []int{1, 28, 28}, Preset: models.DefaultCNNPreset, BatchNorm: true}
)

// BenchmarkTrainStep times forward, backward and an optimizer update: the
// MLP and the CNN with SGD momentum (lr 0.01, momentum 0.9, batch 128, as
// ../shared/bench/torch_mlp_step.py and bench/torch_cnn_step.py), the same
// with batch norm (mlp-bn, cnn-bn: their allocation counts are the point),
// the Transformer with Adam (batch 32, sequence 32, as
// bench/torch_transformer_step.py). The ops use GOMAXPROCS threads unless
// DESCENT_NUM_THREADS says otherwise, so -cpu 1,2 compares thread counts.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct {
		name string
		spec models.Spec
	}{{"mlp", mlpSpec}, {"mlp-bn", mlpBNSpec}, {"cnn", cnnSpec}, {"cnn-bn", cnnBNSpec}} {
		b.Run(c.name, func(b *testing.B) {
			_, m, prog, x, y, _ := setup(b, c.spec)
			opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.01, Momentum: 0.9})
			if err != nil {
				b.Fatal(err)
			}
			feeds := graph.Feeds{x: randTensor(b, graph.Float32, 3, batch, 784), y: labels(b, 4, batch, 10)}
			timeSteps(b, prog, opt, m.Params(), feeds)
		})
	}
	b.Run("transformer", func(b *testing.B) {
		m, prog, feeds := setupTransformer(b)
		opt, err := optimizers.NewAdam(optimizers.AdamConfig{LR: 1e-3})
		if err != nil {
			b.Fatal(err)
		}
		timeSteps(b, prog, opt, m.Params(), feeds)
	})
}

// timeSteps warms up (compiling, creating the optimizer state) and times
// training steps; opt-us is the optimizer's share of a step, in µs.
func timeSteps(b *testing.B, prog *graph.Program, opt optimizers.Optimizer, params []*graph.Param, feeds graph.Feeds) {
	var tOpt time.Duration
	step := func() {
		if _, err := prog.TrainStep(feeds); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := opt.Step(params); err != nil {
			b.Fatal(err)
		}
		tOpt += time.Since(t0)
	}
	for range 3 {
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	tOpt = 0
	for i := 0; i < b.N; i++ {
		step()
	}
	b.ReportMetric(float64(tOpt.Nanoseconds())/1e3/float64(b.N), "opt-us")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// BenchmarkInference times eval-mode forward passes.
func BenchmarkInference(b *testing.B) {
	for _, c := range []struct {
		name string
		spec models.Spec
	}{{"mlp", mlpSpec}, {"cnn", cnnSpec}} {
		for _, n := range []int{1, batch} {
			b.Run(fmt.Sprintf("%s/batch=%d", c.name, n), func(b *testing.B) {
				_, _, prog, x, y, _ := setup(b, c.spec)
				feeds := graph.Feeds{x: randTensor(b, graph.Float32, 5, n, 784), y: labels(b, 6, n, 10)}
				if _, err := prog.Evaluate(feeds); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := prog.Evaluate(feeds); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "examples/s")
			})
		}
	}
}
