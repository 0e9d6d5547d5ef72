package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// Metadata keys a training checkpoint adds.
const (
	MetaModel = "model" // models.Spec of the model (JSON)
	MetaTrain = "train" // where the run stands (JSON)
	MetaRun   = "run"   // the settings a resumed run must share (JSON)
)

// Extra tensor prefixes of a training checkpoint.
const (
	extraBest  = "best/"  // the early-stopping snapshot
	extraEMA   = "ema/"   // the parameters' moving average
	extraAccum = "accum/" // gradients of micro-batches not yet stepped
)

// runSettings are what a resumed run must share with the run it continues:
// anything else would not continue it but silently do something else.
type runSettings struct {
	BatchSize  int     `json:"batch_size"`
	Examples   int     `json:"examples"` // training-set size
	Shuffle    bool    `json:"shuffle"`
	DropLast   bool    `json:"drop_last"`
	Seed       uint64  `json:"seed"`
	Accumulate int     `json:"accumulate"`
	EMA        float64 `json:"ema"`
	Classes    int     `json:"classes"`
}

func (t *Trainer) settings(ds *data.Dataset) runSettings {
	return runSettings{BatchSize: t.cfg.BatchSize, Examples: ds.Len(), Shuffle: !t.cfg.NoShuffle, DropLast: t.cfg.DropLast,
		Seed: t.cfg.Seed, Accumulate: t.cfg.Accumulate, EMA: t.cfg.EMA, Classes: t.classes}
}

// MismatchError reports a resumed run whose setting differs from the
// checkpoint's: the field names it as the Config (or the CLI flag) does.
type MismatchError struct {
	Path       string
	Field      string
	Saved, Now string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("train: resume: %s was written with %s %s, this run has %s (%v)", e.Path, e.Field, e.Saved, e.Now, ErrMismatch)
}

// Unwrap makes errors.Is(err, ErrMismatch) true.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// save writes DIR/name with everything a resumed run needs.
func (t *Trainer) save(name string, b *data.Batcher, ds *data.Dataset, st *runState, best map[string]*graph.Tensor) error {
	var err error
	if st.Batcher, err = b.State(); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if st.RNG, err = t.g.RandState(); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	st.Pending, st.PendingRows = t.acc.count, t.acc.rows
	if a, ok := t.trainAcc.(*topK); ok { // the epoch in progress: its correct rows so far
		st.Hits = a.hits
	}
	js, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	run, err := json.Marshal(t.settings(ds))
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	c := checkpoint.Contents{Meta: map[string]string{MetaTrain: string(js), MetaRun: string(run)}}
	for k, v := range t.cfg.Meta {
		c.Meta[k] = v
	}
	if t.cfg.ModelSpec != "" {
		c.Meta[MetaModel] = t.cfg.ModelSpec
	}
	if s, ok := t.cfg.Optimizer.(optimizers.Stateful); ok {
		os, err := s.State()
		if err != nil {
			return fmt.Errorf("train: checkpoint: optimizer: %w", err)
		}
		c.Optimizer = &os
	}
	if s, ok := t.cfg.Scheduler.(optimizers.Stateful); ok && t.cfg.Scheduler != nil {
		ss, err := s.State()
		if err != nil {
			return fmt.Errorf("train: checkpoint: schedule: %w", err)
		}
		c.Schedule = &ss
	}
	c.Extra = map[string]*graph.Tensor{}
	for k, v := range best {
		c.Extra[extraBest+k] = v
	}
	if t.ema != nil {
		for k, v := range t.ema.state() {
			c.Extra[extraEMA+k] = v
		}
	}
	for i, s := range t.acc.sums {
		if s != nil && t.acc.count > 0 {
			c.Extra[extraAccum+t.params[i].Name()] = s
		}
	}
	if err := os.MkdirAll(t.cfg.CheckpointDir, 0o755); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return checkpoint.Save(filepath.Join(t.cfg.CheckpointDir, name), t.g, c)
}

// resume loads DIR/last.safetensors, if it exists, into the model, the
// optimizer, the schedule, the batcher and st. Everything in the file is
// checked against this run before anything changes: a bad or mismatched
// checkpoint leaves the trainer as it was.
func (t *Trainer) resume(b *data.Batcher, ds *data.Dataset, st *runState, best *map[string]*graph.Tensor) error {
	path := filepath.Join(t.cfg.CheckpointDir, "last.safetensors")
	if t.cfg.ResumeFrom != "" {
		path = t.cfg.ResumeFrom
	} else if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	f, err := checkpoint.Load(path)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	// 1. Parse and compare the metadata.
	if spec, ok := f.Meta[MetaModel]; ok && t.cfg.ModelSpec != "" && spec != t.cfg.ModelSpec {
		return &MismatchError{Path: path, Field: "model", Saved: spec, Now: t.cfg.ModelSpec}
	}
	raw, ok := f.Meta[MetaTrain]
	if !ok {
		return fmt.Errorf("train: resume: %s: %w: no training state", path, checkpoint.ErrCorrupt)
	}
	var s runState
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return fmt.Errorf("train: resume: %s: %w: training state: %v", path, checkpoint.ErrCorrupt, err)
	}
	if rawRun, ok := f.Meta[MetaRun]; ok {
		var saved runSettings
		if err := json.Unmarshal([]byte(rawRun), &saved); err != nil {
			return fmt.Errorf("train: resume: %s: %w: run settings: %v", path, checkpoint.ErrCorrupt, err)
		}
		if err := compareSettings(path, saved, t.settings(ds)); err != nil {
			return err
		}
	}
	// 2. Check every tensor against the model, without copying.
	if err := f.Check(t.g); err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	extras := map[string]map[string]*graph.Tensor{extraBest: {}, extraEMA: {}, extraAccum: {}}
	for k, v := range f.Extra {
		for prefix, m := range extras {
			if name, ok := strings.CutPrefix(k, prefix); ok {
				m[name] = v
			}
		}
	}
	if len(extras[extraBest]) > 0 {
		if err := checkTensors(t.g.State(), extras[extraBest]); err != nil {
			return fmt.Errorf("train: resume: %s: early-stopping snapshot: %w", path, err)
		}
	}
	if t.ema != nil {
		if err := t.ema.check(extras[extraEMA]); err != nil {
			return fmt.Errorf("train: resume: %s: %w: parameter average: %v", path, checkpoint.ErrCorrupt, err)
		}
	}
	if s.Pending > 0 {
		if err := checkTensors(t.params, extras[extraAccum]); err != nil {
			return fmt.Errorf("train: resume: %s: pending gradients: %w", path, err)
		}
	}
	// 3. Load what has a LoadState into the live objects, keeping what was
	// there to put back if a later part fails.
	var undo []func()
	rollback := func(err error) error {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return err
	}
	if o, ok := t.cfg.Optimizer.(optimizers.Stateful); ok && f.Optimizer != nil {
		prev, err := o.State()
		if err != nil {
			return fmt.Errorf("train: resume: optimizer: %w", err)
		}
		if err := o.LoadState(*f.Optimizer); err != nil {
			return fmt.Errorf("train: resume: %s: optimizer: %w", path, err)
		}
		undo = append(undo, func() { _ = o.LoadState(prev) })
	} else if ok != (f.Optimizer != nil) {
		return &MismatchError{Path: path, Field: "optimizer state", Saved: fmt.Sprint(f.Optimizer != nil), Now: fmt.Sprint(ok)}
	}
	if t.cfg.Scheduler != nil {
		if sc, ok := t.cfg.Scheduler.(optimizers.Stateful); ok {
			if f.Schedule == nil {
				return rollback(&MismatchError{Path: path, Field: "schedule", Saved: "none", Now: "a schedule"})
			}
			prev, err := sc.State()
			if err != nil {
				return rollback(fmt.Errorf("train: resume: schedule: %w", err))
			}
			if err := sc.LoadState(*f.Schedule); err != nil {
				return rollback(fmt.Errorf("train: resume: %s: schedule: %w", path, err))
			}
			undo = append(undo, func() { _ = sc.LoadState(prev) })
		}
	} else if f.Schedule != nil {
		return rollback(&MismatchError{Path: path, Field: "schedule", Saved: "a schedule", Now: "none"})
	}
	prevB, err := b.State()
	if err != nil {
		return rollback(err)
	}
	if err := b.SetState(s.Batcher); err != nil {
		return rollback(fmt.Errorf("train: resume: %s: %w", path, err))
	}
	undo = append(undo, func() { _ = b.SetState(prevB) })
	prevRNG, err := t.g.RandState()
	if err != nil {
		return rollback(err)
	}
	if err := t.g.SetRandState(s.RNG); err != nil {
		return rollback(fmt.Errorf("train: resume: %s: %w", path, err))
	}
	undo = append(undo, func() { _ = t.g.SetRandState(prevRNG) })
	// 4. Copy the tensors (checked above: this cannot fail).
	if err := f.Restore(t.g); err != nil {
		return rollback(fmt.Errorf("train: resume: %w", err))
	}
	if t.ema != nil {
		t.ema.load(extras[extraEMA])
	}
	if s.Pending > 0 {
		for i, p := range t.params {
			if v, ok := extras[extraAccum][p.Name()]; ok {
				t.acc.sums[i] = v.Clone()
			}
		}
		t.acc.count, t.acc.rows = s.Pending, s.PendingRows
	}
	if len(extras[extraBest]) > 0 {
		*best = extras[extraBest]
	}
	*st = s
	if t.cfg.AfterResume != nil {
		if err := t.cfg.AfterResume(); err != nil {
			return fmt.Errorf("train: resume: %w", err)
		}
	}
	return nil
}

// compareSettings names the first setting a resumed run changed.
func compareSettings(path string, saved, now runSettings) error {
	diff := func(field string, a, b any) error {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			return &MismatchError{Path: path, Field: field, Saved: fmt.Sprint(a), Now: fmt.Sprint(b)}
		}
		return nil
	}
	for _, d := range []struct {
		field string
		a, b  any
	}{
		{"BatchSize", saved.BatchSize, now.BatchSize}, {"training examples", saved.Examples, now.Examples},
		{"shuffling", saved.Shuffle, now.Shuffle}, {"DropLast", saved.DropLast, now.DropLast}, {"Seed", saved.Seed, now.Seed},
		{"Accumulate", saved.Accumulate, now.Accumulate}, {"EMA", saved.EMA, now.EMA}, {"classes", saved.Classes, now.Classes},
	} {
		if err := diff(d.field, d.a, d.b); err != nil {
			return err
		}
	}
	return nil
}

// checkTensors checks that saved holds a tensor of the right dtype and
// shape for every parameter in ps.
func checkTensors(ps []*graph.Param, saved map[string]*graph.Tensor) error {
	for _, p := range ps {
		v, ok := saved[p.Name()]
		if !ok {
			return fmt.Errorf("%w: no tensor for %q", checkpoint.ErrMismatch, p.Name())
		}
		if v.DType() != p.DType() || !v.Shape().Equal(p.Shape()) {
			return fmt.Errorf("%w: %q is %v%v (want %v%v)", checkpoint.ErrMismatch, p.Name(), v.DType(), v.Shape(), p.DType(), p.Shape())
		}
	}
	return nil
}
