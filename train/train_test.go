package train

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

func moons(t *testing.T, dt graph.DType) (*data.Dataset, *data.Dataset) {
	t.Helper()
	ds, err := data.Moons(data.ToyConfig{N: 300, Noise: 0.1, Seed: 3, DType: dt})
	require.NoError(t, err)
	tr, val, err := data.Split(ds, 0.2, 4)
	require.NoError(t, err)
	return tr, val
}

// setup builds an MLP on moons with SGD momentum: what every run below shares.
func setup(t *testing.T, cfg Config, spec models.Spec) (*Trainer, *graph.Graph) {
	t.Helper()
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 9})
	require.NoError(t, err)
	m, err := models.Build(g, spec)
	require.NoError(t, err)
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1, Momentum: 0.9})
	require.NoError(t, err)
	cfg.Optimizer = opt
	if cfg.Scheduler == nil && cfg.Epochs > 0 {
		sc, err := optimizers.NewScheduler(opt, optimizers.Cosine{TMax: 5})
		require.NoError(t, err)
		cfg.Scheduler = sc
	}
	cfg.ModelSpec = spec.String()
	tr, _ := moons(t, graph.Float64)
	tn, err := New(g, m, tr, cfg)
	require.NoError(t, err)
	return tn, g
}

var mlpSpec = models.Spec{Kind: "mlp", In: 2, Hidden: []int{16, 16}, Out: 2}

func TestFitLinearTutorial(t *testing.T) {
	ds, err := data.Linear(graph.Float64)
	require.NoError(t, err)
	g, _ := graph.New(graph.Config{DType: graph.Float64, Seed: 1})
	m, err := models.NewLinear(g, models.LinearConfig{In: 2})
	require.NoError(t, err)
	opt, _ := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.01})
	tn, err := New(g, m, ds, Config{Epochs: 1000, Optimizer: opt})
	require.NoError(t, err)
	h, err := tn.Fit(context.Background(), ds, nil)
	require.NoError(t, err)
	require.Len(t, h.Epochs, 1000)
	// y = x1 + x2 fits the data exactly: gradient descent drives the loss to 0.
	// This is examples/linreg's run (same seed, init, lr and data), whose
	// Example pins epoch 100 at 0.003323 and epoch 1000 at 6.73e-06; shuffling
	// the one batch changes only rounding (6.78e-06 here). 1e-5 and a drop of
	// 100× (490× here) leave room for rounding and fail on a stalled run.
	require.Less(t, h.Epochs[999].TrainLoss, 1e-5)
	require.Greater(t, h.Epochs[99].TrainLoss/h.Epochs[999].TrainLoss, 100.0)
	// lr 0.01 is below 2/λmax of the MSE's Hessian (λmax ≈ 43): every
	// full-batch step lowers the loss.
	for i := 1; i < len(h.Epochs); i++ {
		require.Less(t, h.Epochs[i].TrainLoss, h.Epochs[i-1].TrainLoss, "epoch %d", i+1)
	}
	require.True(t, math.IsNaN(h.Epochs[0].TrainAccuracy), "regression has no accuracy")
}

func TestFitClassifierLearns(t *testing.T) {
	tn, _ := setup(t, Config{Epochs: 20, BatchSize: 32, Seed: 1}, mlpSpec)
	tr, val := moons(t, graph.Float64)
	var rows []EpochMetrics
	tn.cfg.Hooks.EpochEnd = func(m EpochMetrics) error { rows = append(rows, m); return nil }
	h, err := tn.Fit(context.Background(), tr, val)
	require.NoError(t, err)
	last := h.Epochs[len(h.Epochs)-1]
	require.Greater(t, last.ValAccuracy, 0.95, "two moons with noise 0.1 are nearly separable")
	require.Equal(t, last.ValAccuracy, last.Val["accuracy"])
	require.Less(t, last.TrainLoss, h.Epochs[0].TrainLoss)
	require.Equal(t, h.Epochs, rows, "EpochEnd sees every epoch's metrics")
	// Each row holds the lr its epoch trained with: setup's cosine schedule
	// (TMax 5, base 0.1, stepped after each epoch, rising again after 5).
	for i, m := range h.Epochs {
		require.Equal(t, i+1, m.Epoch)
		require.InDelta(t, 0.1*(1+math.Cos(math.Pi*float64(i)/5))/2, m.LR, 1e-15, "epoch %d", i+1)
	}
}

func paramsOf(g *graph.Graph) map[string][]float64 {
	out := map[string][]float64{}
	for _, p := range g.State() {
		out[p.Name()] = append([]float64(nil), p.Value().Values()...)
	}
	return out
}

// regSpec has batch norm and dropout: resuming it needs the running
// statistics (buffers) and the graph's random stream (dropout masks).
var regSpec = models.Spec{Kind: "mlp", In: 2, Hidden: []int{16, 16}, Out: 2, BatchNorm: true, Dropout: 0.2}

// sameHistory requires two histories to agree bit for bit on everything but
// the timings.
func sameHistory(t *testing.T, want, got []EpochMetrics) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		w.Seconds, w.ExamplesPerSec, g.Seconds, g.ExamplesPerSec = 0, 0, 0, 0
		require.Equal(t, w, g, "epoch %d", i+1)
	}
}

// emaOf returns the trainer's parameter averages by name (nil without EMA).
func emaOf(tn *Trainer) map[string][]float64 {
	if tn.ema == nil {
		return nil
	}
	out := map[string][]float64{}
	for i, p := range tn.params {
		out[p.Name()] = append([]float64(nil), tn.ema.avg[i].Values()...)
	}
	return out
}

// TestResumeIsBitIdentical interrupts runs after epoch 2 and mid-epoch,
// resumes them in fresh objects (as a new process would), and compares
// every parameter and buffer, the parameter averages and the history bit
// for bit with an uninterrupted run. The model with batch norm and dropout
// needs the buffers and the random stream in the checkpoint; with gradient
// accumulation the mid-epoch cut falls between two micro-batches of a step,
// whose pending gradients and the EMA must be saved too.
func TestResumeIsBitIdentical(t *testing.T) {
	tr, val := moons(t, graph.Float64)
	// RestoreBest is off: the best epoch's snapshot could hide epochs 3-5.
	plain := Config{Epochs: 5, BatchSize: 16, Seed: 2}
	accum := plain
	accum.Accumulate, accum.EMA, accum.EvalEMA = 2, 0.9, true
	for _, c := range []struct {
		name string
		spec models.Spec
		base Config
	}{
		{"mlp", mlpSpec, plain},
		{"mlp batchnorm dropout", regSpec, plain},
		{"mlp batchnorm dropout, accumulate 2, EMA", regSpec, accum},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := c.base
			straight, gs := setup(t, base, c.spec)
			hs, err := straight.Fit(context.Background(), tr, val)
			require.NoError(t, err)
			want, wantEMA := paramsOf(gs), emaOf(straight)

			t.Run("after epoch 2", func(t *testing.T) {
				dir := t.TempDir()
				cfg := base
				cfg.CheckpointDir = dir
				cfg.Epochs = 2
				first, _ := setup(t, cfg, c.spec)
				_, err := first.Fit(context.Background(), tr, val)
				require.NoError(t, err)

				cfg = base
				cfg.CheckpointDir, cfg.Resume = dir, true
				second, g2 := setup(t, cfg, c.spec)
				h, err := second.Fit(context.Background(), tr, val)
				require.NoError(t, err)
				require.Equal(t, want, paramsOf(g2))
				require.Equal(t, wantEMA, emaOf(second))
				sameHistory(t, hs.Epochs, h.Epochs)
			})

			// 240 examples in batches of 16: 15 batches an epoch, so batch 22
			// is the 7th of epoch 2 (with Accumulate 2, the first half of a
			// step: batches 1+2, ..., 13+14, then 15 alone).
			t.Run("mid-epoch interrupt", func(t *testing.T) {
				dir := t.TempDir()
				cfg := base
				cfg.CheckpointDir = dir
				first, _ := setup(t, cfg, c.spec)
				ctx, cancel := context.WithCancel(context.Background())
				batches := 0
				first.cfg.Hooks.Step = func(int, float64) {
					if batches++; batches == 22 {
						cancel()
					}
				}
				h1, err := first.Fit(ctx, tr, val)
				require.ErrorIs(t, err, ErrInterrupted)
				require.Len(t, h1.Epochs, 1, "interrupted in epoch 2")
				require.Equal(t, 22, batches)
				if base.Accumulate == 2 {
					require.Equal(t, 1, first.acc.count, "a micro-batch is pending")
				}
				require.FileExists(t, filepath.Join(dir, "last.safetensors"))

				cfg.Resume = true
				second, g2 := setup(t, cfg, c.spec)
				h, err := second.Fit(context.Background(), tr, val)
				require.NoError(t, err)
				require.Equal(t, want, paramsOf(g2))
				require.Equal(t, wantEMA, emaOf(second))
				sameHistory(t, hs.Epochs, h.Epochs)
			})
		})
	}
}

func TestNonFiniteLossStops(t *testing.T) {
	ds, _ := data.Linear(graph.Float64)
	g, _ := graph.New(graph.Config{DType: graph.Float64})
	m, _ := models.NewLinear(g, models.LinearConfig{In: 2})
	opt, _ := optimizers.NewSGD(optimizers.SGDConfig{LR: 10})
	tn, err := New(g, m, ds, Config{Epochs: 500, Optimizer: opt})
	require.NoError(t, err)
	_, err = tn.Fit(context.Background(), ds, nil)
	var nf *NonFiniteError
	require.ErrorAs(t, err, &nf)
	require.ErrorIs(t, err, ErrNonFinite)
	require.Greater(t, nf.Step, 5)
	require.Equal(t, nf.Step+1, nf.Epoch, "one step per epoch with gradient descent")
	require.True(t, math.IsInf(nf.Loss, 1) || math.IsNaN(nf.Loss))
}

func TestEarlyStoppingRestoresBest(t *testing.T) {
	tr, val := moons(t, graph.Float64)
	// An lr this high makes the validation loss bounce: early stopping ends the run.
	g, _ := graph.New(graph.Config{DType: graph.Float64, Seed: 9})
	m, _ := models.Build(g, mlpSpec)
	opt, _ := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.5, Momentum: 0.9})
	tn, err := New(g, m, tr, Config{Epochs: 200, BatchSize: 8, Optimizer: opt,
		EarlyStopping: EarlyStopping{Patience: 3, RestoreBest: true}})
	require.NoError(t, err)
	h, err := tn.Fit(context.Background(), tr, val)
	require.NoError(t, err)
	require.True(t, h.StoppedEarly)
	require.Less(t, len(h.Epochs), 200)
	require.Equal(t, h.BestEpoch+3, len(h.Epochs), "stopped after 3 epochs without improvement")
	vm, err := tn.Evaluate(val)
	require.NoError(t, err)
	require.InDelta(t, h.BestLoss, vm.Loss, 1e-12, "the best epoch's weights are back")
}

func TestConfigErrors(t *testing.T) {
	ds, _ := data.Linear(graph.Float64)
	g, _ := graph.New(graph.Config{DType: graph.Float64})
	m, _ := models.NewLinear(g, models.LinearConfig{In: 2})
	opt, _ := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1})
	for _, c := range []struct {
		cfg Config
		msg string
	}{
		{Config{Epochs: 0, Optimizer: opt}, "Epochs = 0"},
		{Config{Epochs: 1}, "no Optimizer"},
		{Config{Epochs: 1, Optimizer: opt, BatchSize: -1}, "BatchSize = -1"},
		{Config{Epochs: 1, Optimizer: opt, Resume: true}, "Resume needs a CheckpointDir"},
	} {
		_, err := New(g, m, ds, c.cfg)
		require.ErrorContains(t, err, c.msg)
	}
	g32, _ := graph.New(graph.Config{})
	m32, _ := models.NewLinear(g32, models.LinearConfig{In: 2})
	_, err := New(g32, m32, ds, Config{Epochs: 1, Optimizer: opt})
	require.ErrorContains(t, err, "data is float64, model is float32")
}
