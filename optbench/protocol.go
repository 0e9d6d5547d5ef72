package optbench

import (
	"fmt"
	"sort"
)

// Results are finished trials by key.
type Results map[string]*Record

// Protocol is a way of scoring optimizers: the trials it runs (in stages,
// when later trials depend on earlier results, as DeepOBS's reruns of the
// best setting) and the report it makes of them. Protocols are code;
// problems and optimizers are data (a Plan's), so every protocol runs every
// registered problem and optimizer.
type Protocol interface {
	Name() string
	// Stages is the number of stages (>= 1).
	Stages() int
	// Trials returns the trials of stage k; done holds every trial of the
	// stages before k.
	Trials(pl *Plan, stage int, done Results) ([]Trial, error)
	// Report writes the protocol's part of the report from all its trials.
	Report(rep *Report, pl *Plan, done Results) error
}

func protocolByName(name string) (Protocol, error) {
	switch name {
	case "oneshot":
		return oneshot{}, nil
	case "deepobs":
		return deepOBS{}, nil
	case "algoperf":
		return algoPerf{}, nil
	}
	return nil, fmt.Errorf("unknown protocol %q (want oneshot, deepobs, algoperf or all)", name)
}

// Stages returns the number of stages of the plan: the most of any of its
// protocols.
func (pl *Plan) Stages() int {
	n := 0
	for _, p := range pl.Protocols {
		n = max(n, p.Stages())
	}
	return n
}

// StageTrials returns the trials of stage k of every protocol, each trial
// once (by key), in the protocols' order. done must hold every trial of
// the earlier stages (see Missing).
func (pl *Plan) StageTrials(stage int, done Results) ([]Trial, error) {
	var out []Trial
	seen := map[string]bool{}
	for _, p := range pl.Protocols {
		if stage >= p.Stages() {
			continue
		}
		ts, err := p.Trials(pl, stage, done)
		if err != nil {
			return nil, fmt.Errorf("%s, stage %d: %w", p.Name(), stage+1, err)
		}
		for _, t := range ts {
			if k := t.Key(); !seen[k] {
				seen[k] = true
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// Missing returns the trials of ts not in done.
func Missing(ts []Trial, done Results) []Trial {
	var out []Trial
	for _, t := range ts {
		if done[t.Key()] == nil {
			out = append(out, t)
		}
	}
	return out
}

// AllTrials returns every trial of the plan once, stage by stage, as far
// as done allows: the stages whose earlier stages are complete. complete
// reports whether every stage could be planned and all of it is in done.
func (pl *Plan) AllTrials(done Results) (trials []Trial, complete bool, err error) {
	seen := map[string]bool{}
	for k := 0; k < pl.Stages(); k++ {
		ts, err := pl.StageTrials(k, done)
		if err != nil {
			return nil, false, err
		}
		for _, t := range ts {
			if key := t.Key(); !seen[key] {
				seen[key] = true
				trials = append(trials, t)
			}
		}
		if len(Missing(ts, done)) > 0 {
			return trials, false, nil
		}
	}
	return trials, true, nil
}

// results returns the records of ts from done, in order (nil where missing).
func results(ts []Trial, done Results) []*Record {
	out := make([]*Record, len(ts))
	for i, t := range ts {
		out[i] = done[t.Key()]
	}
	return out
}

// oneshot is the "out of the box" view: every contender with its fixed
// setting (defaults), on every problem, over Sweep.Seeds seeds; reported
// as the final test metric, mean ± std over seeds.
type oneshot struct{}

func (oneshot) Name() string { return "oneshot" }
func (oneshot) Stages() int  { return 1 }

func (oneshot) Trials(pl *Plan, _ int, _ Results) ([]Trial, error) {
	var out []Trial
	for _, p := range pl.problemsOf(pl.Sweep.OneShot.Problems) {
		for _, c := range pl.Contenders {
			for _, s := range seeds(p, pl.Sweep.Seeds) {
				out = append(out, pl.trial(p, c, c.Base, s, false))
			}
		}
	}
	return out, nil
}

// deepOBS is DeepOBS's protocol (Schneider et al. 2019, and its v1.2
// Tuner): tune the learning rate on a log grid with one seed, select the
// setting with the best final validation metric (accuracy where the
// problem has one, else loss), rerun it with Reruns seeds and report the
// final test metric, mean ± std; the whole grid is the tuneability view.
type deepOBS struct{}

func (deepOBS) Name() string { return "deepobs" }
func (deepOBS) Stages() int  { return 2 }

// gridTrials are the stage-1 trials of one problem and contender.
func (deepOBS) gridTrials(pl *Plan, p PlannedProblem, c PlannedContender) []Trial {
	out := make([]Trial, len(c.LRs))
	for i, lr := range c.LRs {
		h := c.Base.Clone()
		h["lr"] = lr
		out[i] = pl.trial(p, c, h, 1, false)
	}
	return out
}

// best returns the index of the grid point with the best final validation
// metric (the first of equals; a diverged run is the worst).
func (d deepOBS) best(pl *Plan, p PlannedProblem, c PlannedContender, done Results) (int, []Trial, error) {
	grid := d.gridTrials(pl, p, c)
	best := -1
	var bestV float64
	for i, r := range results(grid, done) {
		if r == nil {
			return 0, nil, fmt.Errorf("grid trial %s has no result", grid[i])
		}
		v := r.Outcome.FinalValid(p.Metric)
		if best < 0 || p.Metric.Better(v, bestV) {
			best, bestV = i, v
		}
	}
	return best, grid, nil
}

func (d deepOBS) Trials(pl *Plan, stage int, done Results) ([]Trial, error) {
	var out []Trial
	for _, p := range pl.problemsOf(pl.Sweep.DeepOBS.Problems) {
		for _, c := range pl.Contenders {
			if _, ok := c.Optimizer.param("lr"); !ok {
				return nil, fmt.Errorf("optimizer %s has no \"lr\" hyperparameter to tune", c.Optimizer.Name)
			}
			if stage == 0 {
				out = append(out, d.gridTrials(pl, p, c)...)
				continue
			}
			b, grid, err := d.best(pl, p, c, done)
			if err != nil {
				return nil, err
			}
			for _, s := range seeds(p, pl.Sweep.DeepOBS.Reruns) {
				out = append(out, pl.trial(p, c, grid[b].Hyper, s, false))
			}
		}
	}
	return out, nil
}

// algoPerf is AlgoPerf's external-tuning protocol (Dahl et al. 2023;
// mlcommons/algorithmic-efficiency): Trials x Studies quasi-random points
// of each contender's search space, each trained until the validation
// target or the budget; per study the fastest trial counts, and a
// problem's time is the median over studies (a study whose trials all
// miss the target counts as infinite). Scores are performance profiles
// over problems and their area.
type algoPerf struct{}

func (algoPerf) Name() string { return "algoperf" }
func (algoPerf) Stages() int  { return 1 }

// points returns the search's settings of a contender, study by study.
func (algoPerf) points(pl *Plan, c PlannedContender) [][]Setting {
	cfg := pl.Sweep.AlgoPerf
	n := cfg.Trials * cfg.Studies
	pts := haltonPoints(n, len(c.Space), cfg.Seed)
	studies := make([][]Setting, cfg.Studies)
	for i, u := range pts {
		h := c.Base.Clone()
		for d, r := range c.Space {
			h[r.Param] = r.at(u[d])
		}
		studies[i/cfg.Trials] = append(studies[i/cfg.Trials], h)
	}
	return studies
}

func (a algoPerf) trials(pl *Plan, p PlannedProblem, c PlannedContender) [][]Trial {
	studies := a.points(pl, c)
	out := make([][]Trial, len(studies))
	seed := uint64(0)
	for s, pts := range studies {
		for _, h := range pts {
			seed++
			out[s] = append(out[s], pl.trial(p, c, h, seed, true))
		}
	}
	return out
}

func (a algoPerf) Trials(pl *Plan, _ int, _ Results) ([]Trial, error) {
	var out []Trial
	for _, p := range pl.problemsOf(pl.Sweep.AlgoPerf.Problems) {
		if p.Target != p.Target { // NaN: no target
			continue
		}
		for _, c := range pl.Contenders {
			for _, st := range a.trials(pl, p, c) {
				out = append(out, st...)
			}
		}
	}
	return out, nil
}

// sortedResults returns the records of done sorted by key (a canonical
// order for files listing them).
func sortedResults(done Results) []*Record {
	out := make([]*Record, 0, len(done))
	for _, r := range done {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
