package train

import (
	"fmt"
	"io"
	"math"

	"github.com/descent-ml/descent/optimizers"
)

// Config configures a training run. Zero values select the defaults noted.
type Config struct {
	Epochs    int // passes over the training set, >= 1
	BatchSize int // examples per step; 0 or >= N: one batch of all the data (gradient descent)
	NoShuffle bool
	DropLast  bool   // drop the last, smaller batch of each epoch
	Seed      uint64 // shuffling

	Optimizer optimizers.Optimizer // required
	// Scheduler changes the learning rate once per epoch, after it (torch's
	// usual scheduler.step() per epoch); a Plateau scheduler is given the
	// validation loss (the training loss without a validation set).
	Scheduler optimizers.LRScheduler
	ClipNorm  float64 // clip the global gradient norm to this (0: off)
	ClipValue float64 // clip each gradient element to ±this (0: off)

	EarlyStopping EarlyStopping

	// CheckpointDir receives DIR/last.safetensors after every
	// CheckpointEvery epochs (default 1) and when training is interrupted,
	// and DIR/best.safetensors when the validation loss improves.
	CheckpointDir   string
	CheckpointEvery int
	// Resume continues from DIR/last.safetensors when it exists.
	Resume bool
	// ModelSpec is stored in checkpoints (models.Spec.String()).
	ModelSpec string

	MetricsPath string // per-epoch metrics: .csv, or JSON lines otherwise
	PlotPath    string // PNG of loss and accuracy per epoch

	EvalBatchSize int // examples per evaluation step (default 1000)

	Log      io.Writer // one line per epoch (nil: silent)
	LogEvery int       // log every LogEvery epochs (default 1) and the last
	Progress io.Writer // a progress bar (nil: none); give it a terminal only
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
	case c.EarlyStopping.Patience < 0 || !(c.EarlyStopping.MinDelta >= 0):
		return fmt.Errorf("train: Config: EarlyStopping %+v (want Patience >= 0, MinDelta >= 0)", c.EarlyStopping)
	case c.CheckpointEvery < 0 || c.EvalBatchSize < 0:
		return fmt.Errorf("train: Config: CheckpointEvery %d, EvalBatchSize %d (want >= 0)", c.CheckpointEvery, c.EvalBatchSize)
	case c.Resume && c.CheckpointDir == "":
		return fmt.Errorf("train: Config: Resume needs a CheckpointDir")
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
	return nil
}
