package optbench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

// Sweep is what a benchmark run does: which protocols, on which problems,
// with which optimizers, and the protocols' settings. It is the JSON of a
// sweep file (--sweep FILE) and of a suite; every zero field takes the
// default its comment gives, so Sweep{Problems: ..., Optimizers: ...} is a
// complete sweep.
//
//	{"protocols": ["oneshot", "deepobs"],
//	 "problems": ["quadratic_deep", {"name": "mnist_logreg", "budget": {"epochs": 3}}],
//	 "optimizers": ["sgd", {"optimizer": "adam", "label": "adam-b0.95", "set": {"beta1": 0.95}},
//	                {"optimizer": "lion", "space": [{"param": "lr", "scale": "log", "min": 1e-5, "max": 1e-3}]}],
//	 "seeds": 5, "deepobs": {"lrs": [1e-4, 1e-3, 1e-2, 1e-1], "reruns": 10},
//	 "algoperf": {"trials": 5, "studies": 3}}
type Sweep struct {
	// Suite names a registered sweep (set by the registry's suites).
	Suite string `json:"suite,omitempty"`
	// Protocols to run: "oneshot", "deepobs", "algoperf" (default all three).
	Protocols []string `json:"protocols,omitempty"`
	// Problems, by name, optionally with their own budget.
	Problems []ProblemRef `json:"problems"`
	// Optimizers are the contenders.
	Optimizers []Contender `json:"optimizers"`
	// Seeds of the oneshot protocol per contender (default 5).
	Seeds    int            `json:"seeds,omitempty"`
	OneShot  OneShotConfig  `json:"oneshot,omitzero"`
	DeepOBS  DeepOBSConfig  `json:"deepobs,omitzero"`
	AlgoPerf AlgoPerfConfig `json:"algoperf,omitzero"`
	// CodeVersion goes into every trial key (default CodeVersion).
	CodeVersion string `json:"code_version,omitempty"`
}

// ProblemRef names a problem, with an optional budget of its own (a
// reduced-epoch variant); in JSON a plain string is a ProblemRef too.
type ProblemRef struct {
	Name   string `json:"name"`
	Budget Budget `json:"budget,omitzero"`
}

// UnmarshalJSON accepts "name" or {"name": ..., "budget": ...}.
func (r *ProblemRef) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*r = ProblemRef{Name: s}
		return nil
	}
	type plain ProblemRef
	return strictJSON(b, (*plain)(r))
}

// Contender is an optimizer in the race: a registered optimizer with some
// hyperparameters fixed, under a label. In JSON a plain string is the
// optimizer with its defaults.
type Contender struct {
	// Label names it in the report (default: Optimizer, then
	// "optimizer{set}" if two contenders share an optimizer).
	Label     string `json:"label,omitempty"`
	Optimizer string `json:"optimizer"`
	// Set fixes hyperparameters over the optimizer's defaults, in every
	// protocol (the grid and the search vary the others).
	Set Setting `json:"set,omitempty"`
	// Space replaces dimensions of (or adds them to) the optimizer's
	// search space, for the AlgoPerf protocol.
	Space []Range `json:"space,omitempty"`
	// LRs replaces the DeepOBS protocol's learning-rate grid.
	LRs []float64 `json:"lrs,omitempty"`
}

// UnmarshalJSON accepts "name" or the object.
func (c *Contender) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*c = Contender{Optimizer: s}
		return nil
	}
	type plain Contender
	return strictJSON(b, (*plain)(c))
}

// OneShotConfig sets the oneshot protocol.
type OneShotConfig struct {
	// Problems limits the protocol to these of the sweep's problems (by
	// name; default all).
	Problems []string `json:"problems,omitempty"`
}

// DeepOBSConfig sets the DeepOBS protocol: the learning-rate grid every
// contender is tuned on (one seed), and the seeds the best setting is run
// with again.
type DeepOBSConfig struct {
	// LRs is the grid (default DeepOBSGrid(): 36 points log-spaced from
	// 1e-5 to 1e2, DeepOBS's baselines grid).
	LRs []float64 `json:"lrs,omitempty"`
	// Reruns is the number of seeds of the best setting (default 10,
	// seeds 1..10, the grid's seed 1 among them).
	Reruns int `json:"reruns,omitempty"`
	// Problems limits the protocol to these of the sweep's problems (by
	// name; default all).
	Problems []string `json:"problems,omitempty"`
}

// AlgoPerfConfig sets the AlgoPerf protocol: Trials quasi-random points of
// each contender's search space per study, Studies independent studies.
type AlgoPerfConfig struct {
	Trials  int `json:"trials,omitempty"`  // default 5 (AlgoPerf's external tuning)
	Studies int `json:"studies,omitempty"` // default 3 (AlgoPerf's current rules; 5 in v0.5)
	// Seed of the search (the Halton sequence's permutations and the
	// split of the points into studies).
	Seed uint64 `json:"seed,omitempty"`
	// Problems limits the protocol to these of the sweep's problems (by
	// name; default all those with a target).
	Problems []string `json:"problems,omitempty"`
}

// DeepOBSGrid returns DeepOBS's learning-rate grid: numpy's
// logspace(-5, 2, 36), i.e. 10^(-5 + 0.2 k) for k = 0..35.
func DeepOBSGrid() []float64 {
	out := make([]float64, 36)
	for k := range out {
		out[k] = math.Pow(10, -5+0.2*float64(k))
	}
	return out
}

// strictJSON decodes b into v, refusing unknown fields.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ReadSweep reads a sweep file (JSON; unknown fields are errors).
func ReadSweep(path string) (Sweep, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Sweep{}, err
	}
	var s Sweep
	if err := strictJSON(b, &s); err != nil {
		return Sweep{}, fmt.Errorf("sweep file %s: %w", path, err)
	}
	return s, nil
}

func (s Sweep) clone() Sweep {
	b, _ := json.Marshal(s)
	var c Sweep
	_ = json.Unmarshal(b, &c)
	return c
}

// Plan is a resolved sweep: every name looked up, every default filled in
// and every contender's hyperparameters resolved. The protocols plan
// their trials from it.
type Plan struct {
	Sweep      Sweep // with defaults filled in
	Registry   *Registry
	Problems   []PlannedProblem
	Contenders []PlannedContender
	Protocols  []Protocol
}

// PlannedProblem is a problem of the plan with its effective budget.
type PlannedProblem struct {
	Problem
	Label string // Name, or "name (budget)" for a budget of the sweep's own
}

// PlannedContender is a contender with its optimizer and resolved setting.
type PlannedContender struct {
	Label     string
	Optimizer Optimizer
	Base      Setting // the optimizer's defaults with Set applied
	Space     []Range
	LRs       []float64
}

// Resolve looks everything up in reg and fills in the defaults.
func (s Sweep) Resolve(reg *Registry) (*Plan, error) {
	s = s.clone()
	if len(s.Protocols) == 0 {
		s.Protocols = []string{"oneshot", "deepobs", "algoperf"}
	}
	if s.Seeds == 0 {
		s.Seeds = 5
	}
	if len(s.DeepOBS.LRs) == 0 {
		s.DeepOBS.LRs = DeepOBSGrid()
	}
	if s.DeepOBS.Reruns == 0 {
		s.DeepOBS.Reruns = 10
	}
	if s.AlgoPerf.Trials == 0 {
		s.AlgoPerf.Trials = 5
	}
	if s.AlgoPerf.Studies == 0 {
		s.AlgoPerf.Studies = 3
	}
	if s.CodeVersion == "" {
		s.CodeVersion = CodeVersion
	}
	switch {
	case s.Seeds < 0 || s.DeepOBS.Reruns < 0 || s.AlgoPerf.Trials < 0 || s.AlgoPerf.Studies < 0:
		return nil, fmt.Errorf("seeds %d, deepobs.reruns %d, algoperf.trials %d, algoperf.studies %d (want >= 1)",
			s.Seeds, s.DeepOBS.Reruns, s.AlgoPerf.Trials, s.AlgoPerf.Studies)
	case len(s.Problems) == 0:
		return nil, fmt.Errorf("no problems (want at least one of %s)", strings.Join(reg.Problems(), ", "))
	case len(s.Optimizers) == 0:
		return nil, fmt.Errorf("no optimizers (want at least one of %s)", strings.Join(reg.Optimizers(), ", "))
	}
	for _, lr := range s.DeepOBS.LRs {
		if !(lr > 0) || math.IsInf(lr, 0) {
			return nil, fmt.Errorf("deepobs.lrs: %v (want finite values > 0)", lr)
		}
	}
	pl := &Plan{Sweep: s, Registry: reg}
	seenP := map[string]bool{}
	for _, ref := range s.Problems {
		p, err := reg.Problem(ref.Name)
		if err != nil {
			return nil, err
		}
		label := p.Name
		if ref.Budget != (Budget{}) {
			if err := ref.Budget.validate(); err != nil {
				return nil, fmt.Errorf("problem %s: %w", p.Name, err)
			}
			if ref.Budget != p.Budget {
				label = fmt.Sprintf("%s (%s)", p.Name, ref.Budget)
			}
			p.Budget = ref.Budget
		}
		if seenP[label] {
			return nil, fmt.Errorf("problem %s listed twice", label)
		}
		seenP[label] = true
		pl.Problems = append(pl.Problems, PlannedProblem{Problem: p, Label: label})
	}
	count := map[string]int{}
	for _, c := range s.Optimizers {
		count[c.Optimizer]++
	}
	seenC := map[string]bool{}
	for _, c := range s.Optimizers {
		o, err := reg.Optimizer(c.Optimizer)
		if err != nil {
			return nil, err
		}
		base, err := o.Resolve(c.Set)
		if err != nil {
			return nil, err
		}
		label := c.Label
		if label == "" {
			label = o.Name
			if count[o.Name] > 1 && len(c.Set) > 0 {
				label = fmt.Sprintf("%s{%s}", o.Name, c.Set)
			}
		}
		if seenC[label] {
			return nil, fmt.Errorf("two contenders are labelled %q (give them labels)", label)
		}
		seenC[label] = true
		space := withSpace(o.Space, c.Space)
		for _, r := range space {
			if _, ok := o.param(r.Param); !ok {
				return nil, fmt.Errorf("contender %s: search space names %q (it has %s)", label, r.Param, strings.Join(o.ParamNames(), ", "))
			}
			if err := r.validate(); err != nil {
				return nil, fmt.Errorf("contender %s: %w", label, err)
			}
		}
		// A hyperparameter the contender fixes is not searched.
		space = slices.DeleteFunc(space, func(r Range) bool { _, fixed := c.Set[r.Param]; return fixed })
		lrs := c.LRs
		if len(lrs) == 0 {
			lrs = s.DeepOBS.LRs
		}
		pl.Contenders = append(pl.Contenders, PlannedContender{Label: label, Optimizer: o, Base: base, Space: space, LRs: lrs})
	}
	for _, sub := range [][]string{s.OneShot.Problems, s.DeepOBS.Problems, s.AlgoPerf.Problems} {
		for _, name := range sub {
			if !slices.ContainsFunc(pl.Problems, func(p PlannedProblem) bool { return p.Name == name }) {
				return nil, fmt.Errorf("a protocol lists problem %q, which is not among the sweep's problems", name)
			}
		}
	}
	for _, name := range s.Protocols {
		p, err := protocolByName(name)
		if err != nil {
			return nil, err
		}
		pl.Protocols = append(pl.Protocols, p)
	}
	return pl, nil
}

// trial returns the trial of contender c on problem p with setting h.
func (pl *Plan) trial(p PlannedProblem, c PlannedContender, h Setting, seed uint64, stop bool) Trial {
	return Trial{Problem: p.Name, Budget: p.Budget, Optimizer: c.Optimizer.Name, Hyper: h, Seed: seed,
		StopAtTarget: stop, Version: pl.Sweep.CodeVersion}
}

// problemsOf returns the plan's problems a protocol runs (names: its
// subset; empty: all).
func (pl *Plan) problemsOf(names []string) []PlannedProblem {
	if len(names) == 0 {
		return pl.Problems
	}
	var out []PlannedProblem
	for _, p := range pl.Problems {
		if slices.Contains(names, p.Name) {
			out = append(out, p)
		}
	}
	return out
}

// seeds returns the seeds 1..n, or just 1 for a deterministic problem.
func seeds(p PlannedProblem, n int) []uint64 {
	if p.Deterministic {
		n = min(n, 1)
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}
