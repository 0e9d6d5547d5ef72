package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
)

// runState is where a run stands: what a checkpoint needs, beyond the
// parameters and the optimizer, to continue bit-identically.
type runState struct {
	Epoch   int               `json:"epoch"` // epochs completed
	Step    int               `json:"step"`  // batches trained on
	Batcher data.BatcherState `json:"batcher"`
	RNG     []byte            `json:"graph_rng"`
	// The epoch in progress, when interrupted mid-epoch.
	LossSum exact `json:"loss_sum"`
	Hits    int   `json:"correct"`
	Seen    int   `json:"seen"`
	// Gradient accumulation in progress (micro-batches not yet stepped;
	// their sums are saved as tensors).
	Pending     int `json:"pending,omitempty"`
	PendingRows int `json:"pending_rows,omitempty"`
	// Early stopping.
	Best      exact     `json:"best"`
	BestEpoch int       `json:"best_epoch"`
	Bad       int       `json:"bad_epochs"`
	Stopped   bool      `json:"stopped"`
	History   []histRow `json:"history"`
}

// histRow is EpochMetrics with exact floats.
type histRow struct {
	Epoch                                int
	TrainLoss, TrainAcc, ValLoss, ValAcc exact
	LR, Seconds, ExamplesPerSec          exact
	Val                                  map[string]exact `json:",omitempty"`
}

func toRow(m EpochMetrics) histRow {
	r := histRow{m.Epoch, exact(m.TrainLoss), exact(m.TrainAccuracy), exact(m.ValLoss), exact(m.ValAccuracy),
		exact(m.LR), exact(m.Seconds), exact(m.ExamplesPerSec), nil}
	if len(m.Val) > 0 {
		r.Val = map[string]exact{}
		for k, v := range m.Val {
			r.Val[k] = exact(v)
		}
	}
	return r
}

func (r histRow) metrics() EpochMetrics {
	m := EpochMetrics{r.Epoch, float64(r.TrainLoss), float64(r.TrainAcc), float64(r.ValLoss), float64(r.ValAcc),
		float64(r.LR), float64(r.Seconds), float64(r.ExamplesPerSec), nil}
	if len(r.Val) > 0 {
		m.Val = map[string]float64{}
		for k, v := range r.Val {
			m.Val[k] = float64(v)
		}
	}
	return m
}

// Fit trains on trainDS, validating on valDS after each epoch (nil: no
// validation; early stopping then watches the training loss). It returns
// the history so far with any error: a *NonFiniteError when a loss is NaN
// or infinite, an error wrapping ErrInterrupted when ctx is cancelled
// (after writing DIR/last.safetensors when checkpointing).
func (t *Trainer) Fit(ctx context.Context, trainDS, valDS *data.Dataset) (*History, error) {
	cfg := t.cfg
	if trainDS.Classes != t.classes || trainDS.Sequence != t.seq {
		return nil, fmt.Errorf("train: Fit: dataset %q does not have the trainer's shape (classes %d, want %d)", trainDS.Name, trainDS.Classes, t.classes)
	}
	if err := t.checkInputs("Fit", trainDS); err != nil {
		return nil, err
	}
	if valDS != nil {
		if err := t.checkInputs("Fit", valDS); err != nil {
			return nil, err
		}
	}
	size := cfg.BatchSize
	if size == 0 || size > trainDS.Len() {
		size = trainDS.Len()
	}
	b, err := data.NewBatcher(trainDS, data.BatchConfig{Size: size, Shuffle: !cfg.NoShuffle, DropLast: cfg.DropLast, Seed: cfg.Seed})
	if err != nil {
		return nil, fmt.Errorf("train: Fit: %w", err)
	}
	t.fitDS = trainDS
	st := &runState{Best: exact(math.Inf(1))}
	var best map[string]*graph.Tensor
	if cfg.EarlyStopping.RestoreBest {
		best = t.snapshot()
	}
	if cfg.Resume {
		if err := t.resume(b, trainDS, st, &best); err != nil {
			return nil, err
		}
	}
	hist := &History{}
	for _, r := range st.History {
		hist.Epochs = append(hist.Epochs, r.metrics())
	}
	if st.Epoch >= cfg.Epochs && !st.Stopped && cfg.Resume {
		return hist, fmt.Errorf("train: Fit: %w: the checkpoint has %d epochs done, Epochs is %d (ask for more epochs to continue)", ErrNothingToDo, st.Epoch, cfg.Epochs)
	}
	if t.trainAcc != nil {
		t.trainAcc.Reset()
		if a, ok := t.trainAcc.(*topK); ok { // resumed mid-epoch: the rows seen so far
			a.hits, a.total = st.Hits, st.Seen
		}
	}
	perEpoch := b.BatchesPerEpoch()
	for st.Epoch < cfg.Epochs && !st.Stopped {
		start := time.Now()
		if h := cfg.Hooks.EpochStart; h != nil {
			h(st.Epoch+1, cfg.Epochs, trainDS.Len(), st.Seen)
		}
		batch := st.Seen / max(size, 1) // batches done in this epoch (resumed mid-epoch)
		for {
			if ctx.Err() != nil { // before Next, which would consume a batch
				return t.interrupt(hist, b, st, best)
			}
			if !b.Next() {
				break
			}
			batch++
			x, y := b.Batch()
			l, err := t.step(x, y, b.Inputs(), batch == perEpoch)
			if err != nil {
				return hist, fmt.Errorf("train: epoch %d, step %d: %w", st.Epoch+1, st.Step, err)
			}
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return hist, &NonFiniteError{Epoch: st.Epoch + 1, Step: st.Step, Loss: l}
			}
			n := x.Shape()[0]
			st.Step++
			st.LossSum += exact(l * float64(n))
			st.Seen += n
			if h := cfg.Hooks.Step; h != nil {
				h(n, float64(st.LossSum)/float64(st.Seen))
			}
		}
		m := EpochMetrics{Epoch: st.Epoch + 1, TrainLoss: float64(st.LossSum) / float64(st.Seen),
			TrainAccuracy: math.NaN(), ValLoss: math.NaN(), ValAccuracy: math.NaN(), LR: t.lr()}
		if t.trainAcc != nil {
			m.TrainAccuracy = t.trainAcc.Value()
			t.trainAcc.Reset()
		}
		m.Seconds = elapsed(start)
		m.ExamplesPerSec = float64(st.Seen) / m.Seconds
		monitored := m.TrainLoss
		if valDS != nil {
			vm, err := t.Evaluate(valDS)
			if err != nil {
				return hist, err
			}
			m.ValLoss, m.ValAccuracy, m.Val, monitored = vm.Loss, vm.Accuracy, vm.Values, vm.Loss
		}
		st.Epoch++
		st.LossSum, st.Hits, st.Seen = 0, 0, 0
		if cfg.Scheduler != nil {
			if err := cfg.Scheduler.Step(monitored); err != nil {
				return hist, fmt.Errorf("train: epoch %d: schedule: %w", st.Epoch, err)
			}
		}
		improved := monitored < float64(st.Best)-cfg.EarlyStopping.MinDelta || st.BestEpoch == 0
		if improved {
			st.Best, st.BestEpoch, st.Bad = exact(monitored), st.Epoch, 0
			if best != nil {
				best = t.snapshot()
			}
		} else {
			st.Bad++
			if cfg.EarlyStopping.Patience > 0 && st.Bad >= cfg.EarlyStopping.Patience {
				st.Stopped = true
			}
		}
		hist.Epochs = append(hist.Epochs, m)
		st.History = append(st.History, toRow(m))
		if cfg.CheckpointDir != "" {
			if improved && valDS != nil {
				if err := t.save("best.safetensors", b, trainDS, st, nil); err != nil {
					return hist, err
				}
			}
			if st.Epoch%cfg.CheckpointEvery == 0 || st.Epoch == cfg.Epochs || st.Stopped {
				if err := t.save("last.safetensors", b, trainDS, st, best); err != nil {
					return hist, err
				}
			}
		}
		if h := cfg.Hooks.EpochEnd; h != nil { // before the log line: a progress bar clears itself here
			if err := h(m); err != nil {
				return hist, err
			}
		}
		t.logEpoch(m, valDS != nil)
	}
	hist.BestEpoch, hist.BestLoss, hist.StoppedEarly = st.BestEpoch, float64(st.Best), st.Stopped
	if cfg.EarlyStopping.RestoreBest && best != nil && st.BestEpoch != st.Epoch {
		if err := t.restore(best); err != nil {
			return hist, err
		}
		hist.Restored = true
	}
	return hist, nil
}

// interrupt saves where the run stands and reports the interruption.
func (t *Trainer) interrupt(hist *History, b *data.Batcher, st *runState, best map[string]*graph.Tensor) (*History, error) {
	if t.cfg.CheckpointDir == "" {
		return hist, fmt.Errorf("train: epoch %d, step %d: %w (no checkpoint: no checkpoint folder)", st.Epoch+1, st.Step, ErrInterrupted)
	}
	if err := t.save("last.safetensors", b, t.fitDS, st, best); err != nil {
		return hist, errors.Join(fmt.Errorf("train: %w", ErrInterrupted), err)
	}
	return hist, fmt.Errorf("train: epoch %d, step %d: %w; resume from %s", st.Epoch+1, st.Step, ErrInterrupted,
		filepath.Join(t.cfg.CheckpointDir, "last.safetensors"))
}

func (t *Trainer) logEpoch(m EpochMetrics, val bool) {
	if t.cfg.Log == nil || (m.Epoch%t.cfg.LogEvery != 0 && m.Epoch != t.cfg.Epochs) {
		return
	}
	line := fmt.Sprintf("epoch %d/%d: train loss %.4g", m.Epoch, t.cfg.Epochs, m.TrainLoss)
	if !math.IsNaN(m.TrainAccuracy) {
		line += fmt.Sprintf(", accuracy %.2f%%", 100*m.TrainAccuracy)
	}
	if val {
		line += fmt.Sprintf(", val loss %.4g", m.ValLoss)
		for _, mt := range t.metrics {
			v := m.Val[mt.Name()]
			if strings.Contains(mt.Name(), "accuracy") {
				line += fmt.Sprintf(", val %s %.2f%%", mt.Name(), 100*v)
			} else {
				line += fmt.Sprintf(", val %s %.4g", mt.Name(), v)
			}
		}
	}
	if !math.IsNaN(m.LR) {
		line += fmt.Sprintf(", lr %.4g", m.LR)
	}
	line += fmt.Sprintf(", %.1fs, %s examples/s", m.Seconds, rate(m.ExamplesPerSec))
	fmt.Fprintln(t.cfg.Log, line)
}

// rate writes a throughput with three significant digits and a k or M
// suffix, so the epoch line stays short: 72.5k, 1.23M, 980.
func rate(v float64) string {
	switch {
	case v >= 999.5e3:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 999.5:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// snapshot copies the trainable parameters and buffers.
func (t *Trainer) snapshot() map[string]*graph.Tensor {
	m := map[string]*graph.Tensor{}
	for _, p := range t.g.State() {
		m[p.Name()] = p.Value().Clone()
	}
	return m
}

func (t *Trainer) restore(s map[string]*graph.Tensor) error {
	for _, p := range t.g.State() {
		v, ok := s[p.Name()]
		if !ok {
			return fmt.Errorf("train: restore: no saved value for %q", p.Name())
		}
		if err := p.Value().CopyFrom(v); err != nil {
			return fmt.Errorf("train: restore %q: %w", p.Name(), err)
		}
	}
	return nil
}
