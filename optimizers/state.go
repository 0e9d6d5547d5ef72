package optimizers

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/graph"
)

// State is the exportable state of an optimizer or a schedule: enough to
// resume a run bit-identically. Tensors hold the per-parameter buffers
// (stored by a checkpoint as tensors); the rest is JSON metadata, and
// encoding/json round-trips it exactly (float64 values are written in
// shortest round-trip form; no value is ever NaN or Inf).
//
// Keys, by Kind:
//
//   - optimizers ("sgd", "adam", "adamw", "rmsprop", "adagrad"):
//     Floats["lr/<group>"] is each group's current learning rate;
//     Ints["<param>/step"] is a parameter's step count; Tensors
//     ["<param>/<buffer>"] its buffers, with torch's names:
//     momentum_buffer (SGD, RMSprop), exp_avg, exp_avg_sq, max_exp_avg_sq
//     (Adam, AdamW), square_avg, grad_avg (RMSprop), sum (Adagrad).
//     <param> is the parameter's full name, so the state fits any model
//     whose parameters have the same names.
//   - "schedule" (Scheduler): Ints["step"] the number of schedule steps
//     taken; Floats["base_lr/<group>"] each group's initial lr.
//   - "plateau" (Plateau): Ints["last_epoch"], Ints["num_bad_epochs"],
//     Ints["cooldown_counter"], Floats["best"] (absent until a first metric),
//     Floats["lr/<group>"].
//
// State returns copies: later steps do not change a State already taken,
// and LoadState copies what it is given.
type State struct {
	Kind    string                   `json:"kind"`
	Tensors map[string]*graph.Tensor `json:"-"`
	Ints    map[string]int64         `json:"ints,omitempty"`
	Floats  map[string]float64       `json:"floats,omitempty"`
}

func newState(kind string) State {
	return State{Kind: kind, Tensors: map[string]*graph.Tensor{}, Ints: map[string]int64{}, Floats: map[string]float64{}}
}

func stateErr(who, format string, args ...any) error {
	return fmt.Errorf("optimizers: %s: LoadState: %w: %s", who, ErrState, fmt.Sprintf(format, args...))
}

// groupFloats reads Floats["<prefix>/<group>"] for every group 0..n-1,
// checking each is a finite value >= 0. Other keys under prefix are errors.
func groupFloats(who string, st State, prefix string, n int) ([]float64, error) {
	out := make([]float64, n)
	seen := 0
	for k, v := range st.Floats {
		rest, ok := strings.CutPrefix(k, prefix+"/")
		if !ok {
			continue
		}
		g, err := strconv.Atoi(rest)
		if err != nil || g < 0 || g >= n {
			return nil, stateErr(who, "key %q (want %s/<group> with 0 <= group < %d)", k, prefix, n)
		}
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, stateErr(who, "%s = %v (want a finite value >= 0)", k, v)
		}
		out[g] = v
		seen++
	}
	if seen != n {
		return nil, stateErr(who, "%d %s/<group> values (want %d, one per group)", seen, prefix, n)
	}
	return out, nil
}

// State exports the groups' learning rates, each parameter's step count and
// buffers (copied).
func (c *core[C]) State() (State, error) {
	st := newState(c.kind)
	for g, lr := range c.lrs {
		st.Floats["lr/"+strconv.Itoa(g)] = lr
	}
	for name, s := range c.slots {
		if s.step == 0 {
			continue
		}
		st.Ints[name+"/step"] = s.step
		for b, t := range s.bufs {
			if t != nil {
				st.Tensors[name+"/"+c.bufNames[b]] = t.Clone()
			}
		}
	}
	return st, nil
}

// LoadState replaces the optimizer's state by st (copied). It checks st
// completely first: on error nothing changes. A parameter's buffers are
// matched to the parameter by name at the next Step, which checks their
// dtype and shape.
func (c *core[C]) LoadState(st State) error {
	if st.Kind != c.kind {
		return stateErr(c.title, "kind %q (want %q)", st.Kind, c.kind)
	}
	lrs, err := groupFloats(c.title, st, "lr", len(c.lrs))
	if err != nil {
		return err
	}
	for k := range st.Floats {
		if !strings.HasPrefix(k, "lr/") {
			return stateErr(c.title, "unknown key %q in Floats", k)
		}
	}
	slots := make(map[string]*slot, len(st.Ints))
	for k, n := range st.Ints {
		name, ok := strings.CutSuffix(k, "/step")
		if !ok || name == "" {
			return stateErr(c.title, "key %q in Ints (want <param>/step)", k)
		}
		if n < 1 {
			return stateErr(c.title, "%s = %d (want >= 1)", k, n)
		}
		slots[name] = &slot{name: name, step: n}
	}
	for k, t := range st.Tensors {
		i := strings.LastIndexByte(k, '/')
		if i <= 0 {
			return stateErr(c.title, "tensor key %q (want <param>/<buffer>)", k)
		}
		name, bname := k[:i], k[i+1:]
		b := slices.Index(c.bufNames, bname)
		if b < 0 {
			return stateErr(c.title, "tensor %q: unknown buffer %q (want one of %v)", k, bname, c.bufNames)
		}
		s := slots[name]
		if s == nil {
			return stateErr(c.title, "tensor %q has no step count %q", k, name+"/step")
		}
		if t == nil || !t.DType().IsFloat() {
			return stateErr(c.title, "tensor %q is nil or not float", k)
		}
		for _, o := range s.bufs {
			if o != nil && (o.DType() != t.DType() || !o.Shape().Equal(t.Shape())) {
				return stateErr(c.title, "tensor %q is %v%v but another buffer of %q is %v%v", k, t.DType(), t.Shape(), name, o.DType(), o.Shape())
			}
		}
		s.bufs[b] = t.Clone()
	}
	for name, s := range slots {
		for _, b := range c.need {
			if s.bufs[b] == nil {
				return stateErr(c.title, "parameter %q has no %q buffer", name, c.bufNames[b])
			}
		}
	}
	c.lrs, c.slots, c.active = lrs, slots, c.active[:0]
	return nil
}
