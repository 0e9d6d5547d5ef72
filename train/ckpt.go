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
)

// save writes DIR/name with everything a resumed run needs.
func (t *Trainer) save(name string, b *data.Batcher, st *runState, best map[string]*graph.Tensor) error {
	var err error
	if st.Batcher, err = b.State(); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if st.RNG, err = t.g.RandState(); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	js, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	c := checkpoint.Contents{Meta: map[string]string{MetaTrain: string(js)}}
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
	if best != nil {
		c.Extra = map[string]*graph.Tensor{}
		for k, v := range best {
			c.Extra["best/"+k] = v
		}
	}
	if err := os.MkdirAll(t.cfg.CheckpointDir, 0o755); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return checkpoint.Save(filepath.Join(t.cfg.CheckpointDir, name), t.g, c)
}

// resume loads DIR/last.safetensors, if it exists, into the model, the
// optimizer, the schedule, the batcher and st. best receives the early
// stopping snapshot when the checkpoint has one.
func (t *Trainer) resume(b *data.Batcher, st *runState, best *map[string]*graph.Tensor) error {
	path := filepath.Join(t.cfg.CheckpointDir, "last.safetensors")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	f, err := checkpoint.Load(path)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if spec, ok := f.Meta[MetaModel]; ok && t.cfg.ModelSpec != "" && spec != t.cfg.ModelSpec {
		return fmt.Errorf("train: resume: %s was trained with model %s (this run: %s)", path, spec, t.cfg.ModelSpec)
	}
	raw, ok := f.Meta[MetaTrain]
	if !ok {
		return fmt.Errorf("train: resume: %s: %w: no training state", path, checkpoint.ErrCorrupt)
	}
	var s runState
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return fmt.Errorf("train: resume: %s: %w: training state: %v", path, checkpoint.ErrCorrupt, err)
	}
	if err := f.Restore(t.g); err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if o, ok := t.cfg.Optimizer.(optimizers.Stateful); ok && f.Optimizer != nil {
		if err := o.LoadState(*f.Optimizer); err != nil {
			return fmt.Errorf("train: resume: optimizer: %w", err)
		}
	} else if ok != (f.Optimizer != nil) {
		return fmt.Errorf("train: resume: %s: optimizer state present: %v, optimizer stateful: %v", path, f.Optimizer != nil, ok)
	}
	if t.cfg.Scheduler != nil {
		if sc, ok := t.cfg.Scheduler.(optimizers.Stateful); ok {
			if f.Schedule == nil {
				return fmt.Errorf("train: resume: %s has no schedule state", path)
			}
			if err := sc.LoadState(*f.Schedule); err != nil {
				return fmt.Errorf("train: resume: schedule: %w", err)
			}
		}
	}
	if err := b.SetState(s.Batcher); err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if err := t.g.SetRandState(s.RNG); err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if len(f.Extra) > 0 {
		m := map[string]*graph.Tensor{}
		for k, v := range f.Extra {
			if name, ok := strings.CutPrefix(k, "best/"); ok {
				m[name] = v
			}
		}
		*best = m
	}
	*st = s
	return nil
}
