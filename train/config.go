package train

import (
	"fmt"
	"io"
	"math"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// Inputs are the graph inputs of a batch, by name: "x" (the dataset's X),
// "y" (its targets) and one per entry of the dataset's Inputs (masks,
// example weights, a model's second input), declared by the trainer from
// the dataset's shapes and dtypes (Int for labels, token ids and user or
// item ids).
type Inputs map[string]*graph.Node

// Config configures a training run. Zero values select the defaults noted.
type Config struct {
	Epochs    int // passes over the training set, >= 1
	BatchSize int // examples per batch; 0 or >= N: one batch of all the data (gradient descent)
	NoShuffle bool
	DropLast  bool   // drop the last, smaller batch of each epoch
	Seed      uint64 // shuffling

	// Optimizer steps the parameters after each batch (required). A
	// ClosureOptimizer (L-BFGS) is given a closure that evaluates the batch
	// again, as torch's optimizer.step(closure).
	Optimizer optimizers.Optimizer
	// Scheduler changes the learning rate once per epoch, after it (torch's
	// usual scheduler.step() per epoch); a Plateau scheduler is given the
	// validation loss (the training loss without a validation set).
	Scheduler optimizers.LRScheduler
	ClipNorm  float64 // clip the global gradient norm to this (0: off)
	ClipValue float64 // clip each gradient element to ±this (0: off)
	// Accumulate sums the gradients of this many batches (micro-batches),
	// weighted by their sizes, before one optimizer step: the step of one
	// batch Accumulate times larger. 0 or 1: a step per batch.
	Accumulate int
	// EMA, in (0, 1), keeps an exponential moving average of the trainable
	// parameters, ema = EMA·ema + (1-EMA)·param after every optimizer step
	// (torch's AveragedModel with an EMA; 0: off). EvalEMA evaluates with the
	// averaged parameters (validation, Evaluate, Predict).
	EMA     float64
	EvalEMA bool

	// Forward builds the model's output from the inputs; nil applies the
	// model's Forward to Inputs["x"]. A model with several inputs (users
	// and items, tokens and a mask) reads them here.
	Forward func(in Inputs) *graph.Node
	// Loss builds the scalar loss, a mean over the batch, from the output
	// and the inputs: a masked, regularised or multi-task objective. nil:
	// graph.SoftmaxCrossEntropy(out, in["y"]) for a classification set,
	// graph.MSE(out, in["y"]) for a regression one.
	Loss func(out *graph.Node, in Inputs) *graph.Node
	// Metrics are computed on every evaluation (validation sets, Evaluate)
	// from the outputs; nil means Accuracy for classification and RMSE,
	// MAE and R2 for regression.
	Metrics []Metric

	EarlyStopping EarlyStopping

	// CheckpointDir receives DIR/last.safetensors after every
	// CheckpointEvery epochs (default 1) and when training is interrupted,
	// and DIR/best.safetensors when the validation loss improves.
	CheckpointDir   string
	CheckpointEvery int
	// Resume continues from DIR/last.safetensors when it exists, or from
	// ResumeFrom when set (a best.safetensors continues from the best
	// epoch). AfterResume, if set, runs after a checkpoint was loaded
	// (to change a learning rate deliberately, say).
	Resume      bool
	ResumeFrom  string
	AfterResume func() error
	// ModelSpec is stored in checkpoints (models.Spec.String()).
	ModelSpec string
	// Meta is more metadata written into every checkpoint (the CLI keeps its
	// recipe, the data's scaling and the class names there). The keys
	// "model", "train" and "run" are the trainer's own.
	Meta map[string]string

	EvalBatchSize int // examples per evaluation step (default 1000)

	Hooks    Hooks     // progress and per-epoch observers (a progress bar, a metrics file, a run store)
	Log      io.Writer // one line per epoch (nil: silent)
	LogEvery int       // log every LogEvery epochs (default 1) and the last
}

// Hooks observe a run; any may be nil. Rendering (progress bars, plots,
// files) lives with the caller: package report has ready-made ones.
type Hooks struct {
	// EpochStart is called before an epoch: its number (from 1), the
	// epochs planned, the training examples and those already seen (a
	// resumed epoch).
	EpochStart func(epoch, epochs, examples, seen int)
	// Step is called after each training batch with its size and the mean
	// loss of the epoch so far.
	Step func(n int, meanLoss float64)
	// EpochEnd is called with each epoch's metrics; an error stops the run.
	EpochEnd func(m EpochMetrics) error
}

// EarlyStopping stops training when the validation loss has not improved
// by more than MinDelta for Patience epochs (Keras' EarlyStopping).
type EarlyStopping struct {
	Patience    int // 0: off
	MinDelta    float64
	RestoreBest bool // put back the weights of the best epoch at the end
}

func (c *Config) validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("train: Config: Epochs = %d (want >= 1)", c.Epochs)
	case c.BatchSize < 0:
		return fmt.Errorf("train: Config: BatchSize = %d (want >= 0; 0 means the whole training set)", c.BatchSize)
	case c.Optimizer == nil:
		return fmt.Errorf("train: Config: no Optimizer")
	case !(c.ClipNorm >= 0) || math.IsInf(c.ClipNorm, 0):
		return fmt.Errorf("train: Config: ClipNorm = %v (want a finite value >= 0)", c.ClipNorm)
	case !(c.ClipValue >= 0) || math.IsInf(c.ClipValue, 0):
		return fmt.Errorf("train: Config: ClipValue = %v (want a finite value >= 0)", c.ClipValue)
	case c.Accumulate < 0:
		return fmt.Errorf("train: Config: Accumulate = %d (want >= 0)", c.Accumulate)
	case !(c.EMA >= 0 && c.EMA < 1):
		return fmt.Errorf("train: Config: EMA = %v (want 0 <= EMA < 1; 0 is off)", c.EMA)
	case c.EvalEMA && c.EMA == 0:
		return fmt.Errorf("train: Config: EvalEMA needs an EMA decay")
	case c.EarlyStopping.Patience < 0 || !(c.EarlyStopping.MinDelta >= 0):
		return fmt.Errorf("train: Config: EarlyStopping %+v (want Patience >= 0, MinDelta >= 0)", c.EarlyStopping)
	case c.CheckpointEvery < 0 || c.EvalBatchSize < 0:
		return fmt.Errorf("train: Config: CheckpointEvery %d, EvalBatchSize %d (want >= 0)", c.CheckpointEvery, c.EvalBatchSize)
	case isClosure(c.Optimizer) && (c.Accumulate > 1 || c.ClipNorm > 0 || c.ClipValue > 0):
		return fmt.Errorf("train: Config: %T re-evaluates the loss within a step: gradient accumulation and clipping do not apply to it", c.Optimizer)
	case c.Resume && c.CheckpointDir == "" && c.ResumeFrom == "":
		return fmt.Errorf("train: Config: Resume needs a CheckpointDir or ResumeFrom")
	}
	for k := range c.Meta {
		if k == MetaModel || k == MetaTrain || k == MetaRun {
			return fmt.Errorf("train: Config: Meta key %q is the trainer's own (use another name)", k)
		}
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 1
	}
	if c.LogEvery <= 0 {
		c.LogEvery = 1
	}
	if c.EvalBatchSize == 0 {
		c.EvalBatchSize = 1000
	}
	if c.Accumulate == 0 {
		c.Accumulate = 1
	}
	return nil
}

func isClosure(o optimizers.Optimizer) bool {
	_, ok := o.(optimizers.ClosureOptimizer)
	return ok
}
