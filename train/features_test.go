package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// A model with two inputs (users and items), a custom forward and a
// custom, regularised loss, trained on ratings with known structure.
func TestCustomForwardAndLoss(t *testing.T) {
	ds, err := data.SyntheticRatings(data.RatingsConfig{Users: 60, Items: 40, Rank: 3, N: 1800, Noise: 0.1, Seed: 1, DType: graph.Float64})
	require.NoError(t, err)
	tr, te, err := data.Split(ds, 0.2, 2)
	require.NoError(t, err)
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 3})
	require.NoError(t, err)
	mf, err := models.NewMatrixFactorization(g, models.MFConfig{Users: 60, Items: 40, Factors: 3, GlobalMean: 3.5})
	require.NoError(t, err)
	opt, err := optimizers.NewAdam(optimizers.AdamConfig{LR: 0.02})
	require.NoError(t, err)
	users := func(in Inputs) *graph.Node { return graph.Squeeze(graph.Slice(in["x"], 1, 0, 1, 1), 1) }
	items := func(in Inputs) *graph.Node { return graph.Squeeze(graph.Slice(in["x"], 1, 1, 2, 1), 1) }
	tn, err := New(g, mf, tr, Config{Epochs: 60, BatchSize: 128, Seed: 4, Optimizer: opt,
		Forward: func(in Inputs) *graph.Node {
			return graph.Unsqueeze(mf.Predict(users(in), items(in)), 1)
		},
		Loss: func(out *graph.Node, in Inputs) *graph.Node {
			l2 := graph.Scale(graph.Mean(graph.Square(mf.UserFactors.W)), 1e-4)
			return graph.Add(graph.MSE(out, in["y"]), l2)
		},
	})
	require.NoError(t, err)
	defer tn.Close()
	_, err = tn.Fit(context.Background(), tr, nil)
	require.NoError(t, err)
	m, err := tn.Evaluate(te)
	require.NoError(t, err)
	require.Contains(t, m.Values, "rmse")
	require.Less(t, m.Values["rmse"], 0.6, "well below the ratings' spread (std about 1.1)")
	require.Greater(t, m.Values["r2"], 0.7)
}

// Two micro-batches of 16 accumulated give the step of one batch of 32.
func TestGradientAccumulation(t *testing.T) {
	all, _ := moons(t, graph.Float64)
	idx := make([]int, 224) // 7 batches of 32
	for i := range idx {
		idx[i] = i
	}
	tr, err := all.Subset(idx)
	require.NoError(t, err)
	run := func(batch, acc int) map[string][]float64 {
		g, _ := graph.New(graph.Config{DType: graph.Float64, Seed: 9})
		m, _ := models.Build(g, mlpSpec)
		opt, _ := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1, Momentum: 0.9})
		tn, err := New(g, m, tr, Config{Epochs: 3, BatchSize: batch, Accumulate: acc, NoShuffle: true, DropLast: true, Optimizer: opt})
		require.NoError(t, err)
		defer tn.Close()
		_, err = tn.Fit(context.Background(), tr, nil)
		require.NoError(t, err)
		return paramsOf(g)
	}
	big, accumulated := run(32, 1), run(16, 2)
	for name, want := range big {
		require.InDeltaSlice(t, want, accumulated[name], 1e-12, name)
	}
	require.NotEqual(t, big, run(16, 1), "without accumulation the steps differ")
}

// The EMA follows ema = d·ema + (1-d)·param after every step, and EvalEMA
// evaluates with it.
func TestEMA(t *testing.T) {
	tr, val := moons(t, graph.Float64)
	g, _ := graph.New(graph.Config{DType: graph.Float64, Seed: 9})
	m, _ := models.Build(g, mlpSpec)
	opt, _ := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1})
	tn, err := New(g, m, tr, Config{Epochs: 1, BatchSize: 240, Optimizer: opt, EMA: 0.5, EvalEMA: true})
	require.NoError(t, err)
	defer tn.Close()
	before := paramsOf(g)
	_, err = tn.Fit(context.Background(), tr, nil) // one step: ema = 0.5·before + 0.5·after
	require.NoError(t, err)
	after := paramsOf(g)
	for i, p := range tn.params {
		got := tn.ema.avg[i].Values()
		for j := range got {
			require.InDelta(t, 0.5*before[p.Name()][j]+0.5*after[p.Name()][j], got[j], 1e-15)
		}
	}
	withEMA, err := tn.Evaluate(val)
	require.NoError(t, err)
	require.Equal(t, after, paramsOf(g), "evaluation puts the parameters back")
	tn.cfg.EvalEMA = false
	plain, err := tn.Evaluate(val)
	require.NoError(t, err)
	require.NotEqual(t, plain.Loss, withEMA.Loss)
}

// A resumed run whose batch size changed is refused, naming the setting,
// and the trainer is left untouched.
func TestResumeMismatchLeavesTrainerUntouched(t *testing.T) {
	tr, val := moons(t, graph.Float64)
	dir := t.TempDir()
	first, _ := setup(t, Config{Epochs: 2, BatchSize: 16, Seed: 2, CheckpointDir: dir}, mlpSpec)
	_, err := first.Fit(context.Background(), tr, val)
	require.NoError(t, err)

	second, g2 := setup(t, Config{Epochs: 4, BatchSize: 32, Seed: 2, CheckpointDir: dir, Resume: true}, mlpSpec)
	before := paramsOf(g2)
	_, err = second.Fit(context.Background(), tr, val)
	var mm *MismatchError
	require.ErrorAs(t, err, &mm)
	require.Equal(t, "BatchSize", mm.Field)
	require.ErrorContains(t, err, "BatchSize 16, this run has 32")
	require.Equal(t, before, paramsOf(g2), "nothing was loaded")

	third, _ := setup(t, Config{Epochs: 2, BatchSize: 16, Seed: 2, CheckpointDir: dir, Resume: true}, mlpSpec)
	_, err = third.Fit(context.Background(), tr, val)
	require.ErrorIs(t, err, ErrNothingToDo, "2 epochs done, 2 asked")
}

// A checkpoint whose optimizer state does not fit is refused before the
// parameters change.
func TestResumeBadOptimizerStateChangesNothing(t *testing.T) {
	tr, val := moons(t, graph.Float64)
	dir := t.TempDir()
	first, _ := setup(t, Config{Epochs: 1, BatchSize: 16, Seed: 2, CheckpointDir: dir}, mlpSpec)
	_, err := first.Fit(context.Background(), tr, val)
	require.NoError(t, err)
	// Rewrite the checkpoint with an Adam state for an SGD run.
	path := filepath.Join(dir, "last.safetensors")
	f, err := checkpoint.Load(path)
	require.NoError(t, err)
	g0, _ := graph.New(graph.Config{DType: graph.Float64, Seed: 9})
	_, err = models.Build(g0, mlpSpec)
	require.NoError(t, err)
	require.NoError(t, f.Restore(g0))
	adam, _ := optimizers.NewAdam(optimizers.AdamConfig{})
	st, _ := adam.State()
	f.Contents.Optimizer = &st
	require.NoError(t, checkpoint.Save(path, g0, f.Contents))

	second, g2 := setup(t, Config{Epochs: 3, BatchSize: 16, Seed: 2, CheckpointDir: dir, Resume: true}, mlpSpec)
	before := paramsOf(g2)
	_, err = second.Fit(context.Background(), tr, val)
	require.ErrorIs(t, err, optimizers.ErrState)
	require.Equal(t, before, paramsOf(g2))
	_, err = os.Stat(path)
	require.NoError(t, err)
}

// Two trainers cannot step one graph at once.
func TestOneTrainerPerGraph(t *testing.T) {
	tr, _ := moons(t, graph.Float64)
	g, _ := graph.New(graph.Config{DType: graph.Float64, Seed: 9})
	m, _ := models.Build(g, mlpSpec)
	opt, _ := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1})
	a, err := New(g, m, tr, Config{Epochs: 1, Optimizer: opt})
	require.NoError(t, err)
	_, err = New(g, m, tr, Config{Epochs: 1, Optimizer: opt})
	require.ErrorIs(t, err, graph.ErrBusy)
	require.NoError(t, a.Close())
	b, err := New(g, m, tr, Config{Epochs: 1, Optimizer: opt})
	require.NoError(t, err, "free again after Close")
	require.NoError(t, b.Close())
}

func TestRegressionMetrics(t *testing.T) {
	out, _ := graph.FromFloat64([]float64{1, 2, 4}, 3, 1)
	y, _ := graph.FromFloat64([]float64{1, 3, 3}, 3, 1)
	want := map[string]float64{
		"rmse": math.Sqrt(2.0 / 3), // errors 0, -1, 1
		"mae":  2.0 / 3,
		"r2":   1 - 2/(1+9+9-49.0/3), // SST = sum y² - (sum y)²/n
	}
	for _, m := range []Metric{RMSE(), MAE(), R2()} {
		m.Reset()
		require.NoError(t, m.Update(out, y))
		require.InDelta(t, want[m.Name()], m.Value(), 1e-15, m.Name())
	}
	logits, _ := graph.FromFloat64([]float64{0.1, 0.5, 0.4, 2, 1, 0, 0, 0, 1}, 3, 3)
	labels, _ := graph.FromInts([]int{2, 0, 1}, 3)
	for k, want := range map[int]float64{1: 1.0 / 3, 2: 2.0 / 3, 3: 1} {
		m := TopKAccuracy(k)
		require.NoError(t, m.Update(logits, labels))
		require.InDelta(t, want, m.Value(), 1e-15, "top-%d", k)
	}
	c0 := ClassAccuracy(0)
	require.NoError(t, c0.Update(logits, labels))
	require.Equal(t, 1.0, c0.Value())
}

// L-BFGS (a ClosureOptimizer) trains through the loop: the loop gives it a
// closure that evaluates the batch again. Full-batch logistic regression
// on moons converges in a few steps, as torch.optim.LBFGS does.
func TestClosureOptimizer(t *testing.T) {
	ds, err := data.Moons(data.ToyConfig{N: 400, Noise: 0.1, Seed: 1, DType: graph.Float64})
	require.NoError(t, err)
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 2})
	require.NoError(t, err)
	m, err := models.NewMLP(g, models.MLPConfig{In: 2, Hidden: []int{16}, Out: 2, Activation: models.Tanh})
	require.NoError(t, err)
	opt, err := optimizers.NewLBFGS(optimizers.LBFGSConfig{LineSearch: optimizers.StrongWolfe})
	require.NoError(t, err)
	tn, err := New(g, m, ds, Config{Epochs: 15, BatchSize: 0, Optimizer: opt})
	require.NoError(t, err)
	defer tn.Close()
	h, err := tn.Fit(context.Background(), ds, nil)
	require.NoError(t, err)
	require.Less(t, h.Epochs[14].TrainLoss, 0.05*h.Epochs[0].TrainLoss, "15 L-BFGS steps of up to 20 iterations")
	require.Greater(t, h.Epochs[14].TrainAccuracy, 0.99)

	_, err = New(g, m, ds, Config{Epochs: 1, Optimizer: opt, ClipNorm: 1})
	require.ErrorContains(t, err, "clipping do not apply")
}
