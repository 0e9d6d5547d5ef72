package optbench

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/descent-ml/descent/optimizers"
)

// Optimizer describes an optimizer to the benchmark: its hyperparameters
// (with defaults), the search space the quasi-random protocols sample, and
// how to build it. Register one with Registry.AddOptimizer and every
// protocol, the CLI and sweep files reach it and all its hyperparameters.
type Optimizer struct {
	// Name identifies it in flags, sweep files and trial keys (lower
	// case letters, digits, '_' and '-').
	Name string
	// Help is a one-line description.
	Help string
	// Params are every hyperparameter, with its default. The DeepOBS
	// protocol's grid varies the one named "lr".
	Params []Param
	// Space is the search space of the AlgoPerf protocol (and any
	// quasi-random search); the hyperparameters it leaves out keep their
	// values.
	Space []Range
	// Build returns a fresh optimizer for a Setting holding a value for
	// every Param (defaults filled in). Hyperparameter errors are returned.
	// An optimizers.ClosureOptimizer is stepped with StepClosure.
	Build func(Setting) (optimizers.Optimizer, error)
}

// ParamKind is the type of a hyperparameter's values.
type ParamKind uint8

const (
	// Real values: any finite float64.
	Real ParamKind = iota
	// Integer values (max_iter): whole numbers.
	Integer
	// Flag values (nesterov, amsgrad): 0 or 1.
	Flag
)

// Param is one hyperparameter of an Optimizer, named as torch's keyword
// argument (lr, beta1, weight_decay, ...).
type Param struct {
	Name    string
	Default float64
	Kind    ParamKind
	Help    string
}

// Setting assigns hyperparameters by name. Resolved (Optimizer.Resolve) it
// holds every one of the optimizer's Params, so it is the optimizer's full
// configuration; encoding/json writes its keys sorted.
type Setting map[string]float64

// Clone returns a copy.
func (s Setting) Clone() Setting {
	out := make(Setting, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

// String writes "name=value" pairs sorted by name.
func (s Setting) String() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%g", k, s[k])
	}
	return strings.Join(parts, ",")
}

// Scale is how a search-space dimension is sampled.
type Scale string

const (
	// Linear samples uniformly in [Min, Max].
	Linear Scale = "linear"
	// Log samples log-uniformly in [Min, Max] (0 < Min <= Max).
	Log Scale = "log"
	// OneMinusLog samples 1-x log-uniformly in [Min, Max]: for betas and
	// momenta (AlgoPerf's one_minus_beta1).
	OneMinusLog Scale = "one_minus_log"
	// Discrete picks one of Values uniformly.
	Discrete Scale = "discrete"
)

// Range is one dimension of a search space.
type Range struct {
	Param  string    `json:"param"`
	Scale  Scale     `json:"scale"`
	Min    float64   `json:"min,omitempty"`
	Max    float64   `json:"max,omitempty"`
	Values []float64 `json:"values,omitempty"`
}

// at maps u in [0, 1) to the range.
func (r Range) at(u float64) float64 {
	switch r.Scale {
	case Log:
		return r.Min * math.Exp(u*math.Log(r.Max/r.Min))
	case OneMinusLog:
		return 1 - r.Min*math.Exp(u*math.Log(r.Max/r.Min))
	case Discrete:
		return r.Values[min(int(u*float64(len(r.Values))), len(r.Values)-1)]
	}
	return r.Min + u*(r.Max-r.Min)
}

func (r Range) validate() error {
	finite := !math.IsNaN(r.Min) && !math.IsInf(r.Min, 0) && !math.IsNaN(r.Max) && !math.IsInf(r.Max, 0)
	switch r.Scale {
	case Linear:
		if !finite || r.Min > r.Max {
			return fmt.Errorf("range %s: linear [%g, %g] (want finite min <= max)", r.Param, r.Min, r.Max)
		}
	case Log, OneMinusLog:
		if !finite || !(r.Min > 0) || r.Min > r.Max {
			return fmt.Errorf("range %s: %s [%g, %g] (want 0 < min <= max)", r.Param, r.Scale, r.Min, r.Max)
		}
	case Discrete:
		if len(r.Values) == 0 {
			return fmt.Errorf("range %s: discrete with no values", r.Param)
		}
	default:
		return fmt.Errorf("range %s: scale %q (want linear, log, one_minus_log or discrete)", r.Param, r.Scale)
	}
	return nil
}

func (o Optimizer) param(name string) (Param, bool) {
	for _, p := range o.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// ParamNames returns the names of the hyperparameters, in order.
func (o Optimizer) ParamNames() []string {
	out := make([]string, len(o.Params))
	for i, p := range o.Params {
		out[i] = p.Name
	}
	return out
}

// Resolve returns the full setting: every Param's default, overridden by
// set. An unknown name, a non-finite value, a fraction for an Integer or
// anything but 0 or 1 for a Flag is an error, and so is a setting Build
// refuses.
func (o Optimizer) Resolve(set Setting) (Setting, error) {
	out := make(Setting, len(o.Params))
	for _, p := range o.Params {
		out[p.Name] = p.Default
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := set[k]
		p, ok := o.param(k)
		switch {
		case !ok:
			return nil, fmt.Errorf("optimizer %s has no hyperparameter %q (it has %s)", o.Name, k, strings.Join(o.ParamNames(), ", "))
		case math.IsNaN(v) || math.IsInf(v, 0):
			return nil, fmt.Errorf("optimizer %s: %s = %v (want a finite value)", o.Name, k, v)
		case p.Kind == Integer && v != math.Trunc(v):
			return nil, fmt.Errorf("optimizer %s: %s = %v (want a whole number)", o.Name, k, v)
		case p.Kind == Flag && v != 0 && v != 1:
			return nil, fmt.Errorf("optimizer %s: %s = %v (want 0 or 1)", o.Name, k, v)
		}
		out[k] = v
	}
	if _, err := o.Build(out); err != nil {
		return nil, fmt.Errorf("optimizer %s with %s: %w", o.Name, out, err)
	}
	return out, nil
}

func (o Optimizer) validate() error {
	if !nameRE.MatchString(o.Name) {
		return fmt.Errorf("optimizer name %q (want lower case letters, digits, '_' and '-')", o.Name)
	}
	if o.Build == nil {
		return fmt.Errorf("optimizer %s: Build is nil", o.Name)
	}
	seen := map[string]bool{}
	for _, p := range o.Params {
		if p.Name == "" || seen[p.Name] || strings.ContainsAny(p.Name, "=,. ") {
			return fmt.Errorf("optimizer %s: hyperparameter name %q empty, repeated or with '=', ',', '.' or ' '", o.Name, p.Name)
		}
		seen[p.Name] = true
	}
	for _, r := range o.Space {
		if !seen[r.Param] {
			return fmt.Errorf("optimizer %s: search space names %q, not one of its hyperparameters", o.Name, r.Param)
		}
		if err := r.validate(); err != nil {
			return fmt.Errorf("optimizer %s: %w", o.Name, err)
		}
	}
	if _, err := o.Resolve(nil); err != nil {
		return fmt.Errorf("optimizer %s: its defaults: %w", o.Name, err)
	}
	return nil
}

// explicit turns a resolved value into an optimizers config field: 0
// becomes optimizers.Zero(), so it is not read as "the default".
func explicit(v float64) float64 {
	if v == 0 {
		return optimizers.Zero()
	}
	return v
}

// withSpace returns o with its search space replaced by the ranges in
// over that name the same hyperparameters (others are added).
func withSpace(space, over []Range) []Range {
	out := slices.Clone(space)
	for _, r := range over {
		i := slices.IndexFunc(out, func(x Range) bool { return x.Param == r.Param })
		if i >= 0 {
			out[i] = r
		} else {
			out = append(out, r)
		}
	}
	return out
}
