package optbench

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot/plotter"
)

// apCell is one contender on one problem under the AlgoPerf protocol.
type apCell struct {
	perStudy []float64 // the fastest trial's time of each study (+Inf: none reached the target)
	time     float64   // the median over studies
	reached  int       // trials that reached the target
	trials   int
	best     *Record // the fastest trial overall (nil: none reached)
}

// a clock reads a trial's time to target (+Inf if it never got there).
type clock func(*Record) float64

func stepsClock(r *Record) float64 {
	if r.Outcome.StepsToTarget < 0 {
		return math.Inf(1)
	}
	return float64(r.Outcome.StepsToTarget)
}

func cpuClock(r *Record) float64 {
	if r.Outcome.StepsToTarget < 0 || !(r.Timing.SGDStepSeconds > 0) {
		return math.Inf(1)
	}
	return r.Timing.CPUToTarget / r.Timing.SGDStepSeconds
}

// cells computes every problem's cells (problems in order, contenders in
// order); complete is false if a trial is missing.
func (a algoPerf) cells(pl *Plan, done Results, clk clock) (probs []PlannedProblem, cells [][]apCell, complete bool) {
	for _, p := range pl.problemsOf(pl.Sweep.AlgoPerf.Problems) {
		if math.IsNaN(p.Target) {
			continue
		}
		row := make([]apCell, len(pl.Contenders))
		for ci, c := range pl.Contenders {
			cell := apCell{best: nil}
			bestT := math.Inf(1)
			for _, study := range a.trials(pl, p, c) {
				fastest := math.Inf(1)
				for _, t := range study {
					r := done[t.Key()]
					if r == nil {
						return nil, nil, false
					}
					cell.trials++
					v := clk(r)
					if !math.IsInf(v, 1) {
						cell.reached++
					}
					fastest = math.Min(fastest, v)
					if v < bestT {
						bestT, cell.best = v, r
					}
				}
				cell.perStudy = append(cell.perStudy, fastest)
			}
			cell.time = median(cell.perStudy)
			row[ci] = cell
		}
		probs, cells = append(probs, p), append(cells, row)
	}
	return probs, cells, true
}

// profileTaus are AlgoPerf's: 100 points from 1 to 4 (scoring/score_submissions.py).
func profileTaus() []float64 {
	taus := make([]float64, 100)
	for i := range taus {
		taus[i] = 1 + 3*float64(i)/99
	}
	return taus
}

// profiles computes AlgoPerf's performance profiles from times[w][c] (the
// time of contender c on problem w): a time more than 4 times the
// problem's best becomes +Inf, ratios r = t/best, rho_c(tau) = the
// fraction of problems with r <= tau, and the score is the area under
// rho over tau in [1, 4] by the trapezoid rule, divided by 3.
func profiles(times [][]float64, nc int) (ratios [][]float64, taus []float64, rho [][]float64, scores []float64) {
	taus = profileTaus()
	ratios = make([][]float64, len(times))
	for w, row := range times {
		best := math.Inf(1)
		for _, t := range row {
			best = math.Min(best, t)
		}
		ratios[w] = make([]float64, nc)
		for c, t := range row {
			switch {
			case math.IsInf(best, 1) || t > 4*best:
				ratios[w][c] = math.Inf(1)
			default:
				ratios[w][c] = t / best
			}
		}
	}
	rho = make([][]float64, nc)
	scores = make([]float64, nc)
	for c := 0; c < nc; c++ {
		rho[c] = make([]float64, len(taus))
		for k, tau := range taus {
			n := 0
			for w := range ratios {
				if ratios[w][c] <= tau {
					n++
				}
			}
			if len(ratios) > 0 {
				rho[c][k] = float64(n) / float64(len(ratios))
			}
		}
		area := 0.0
		for k := 1; k < len(taus); k++ {
			area += (rho[c][k] + rho[c][k-1]) / 2 * (taus[k] - taus[k-1])
		}
		scores[c] = area / (taus[len(taus)-1] - taus[0])
	}
	return ratios, taus, rho, scores
}

func fmtClock(v float64, unit string) string {
	if math.IsInf(v, 1) {
		return "∞"
	}
	if unit == "steps" {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// scoreSection writes the per-problem tables, the scores and the profile
// plot for one clock into buf; it returns the plot's and the CSVs' rows.
func (a algoPerf) scoreSection(rep *Report, buf *bytes.Buffer, pl *Plan, probs []PlannedProblem, cells [][]apCell, unit, fig string) ([][]string, [][]string, error) {
	labels := make([]string, len(pl.Contenders))
	for i, c := range pl.Contenders {
		labels[i] = c.Label
	}
	var rows [][]string
	times := make([][]float64, len(probs))
	for w, p := range probs {
		fmt.Fprintf(buf, "#### %s\n\n", p.Label)
		var trows [][]string
		times[w] = make([]float64, len(labels))
		for c, cell := range cells[w] {
			times[w][c] = cell.time
			per := make([]string, len(cell.perStudy))
			for i, v := range cell.perStudy {
				per[i] = fmtClock(v, unit)
			}
			best := "-"
			if cell.best != nil {
				best = cell.best.Trial.Hyper.String()
			}
			trows = append(trows, []string{labels[c], strings.Join(per, ", "), fmtClock(cell.time, unit), fmt.Sprintf("%d/%d", cell.reached, cell.trials), best})
			rows = append(rows, []string{p.Label, labels[c], unit, joinNums(cell.perStudy), fnum(cell.time), fmt.Sprint(cell.reached), fmt.Sprint(cell.trials)})
		}
		table(buf, []string{"contender", "fastest per study (" + unit + ")", "median (" + unit + ")", "trials at target", "fastest trial's setting"}, trows)
	}
	ratios, taus, rho, scores := profiles(times, len(labels))
	fmt.Fprintf(buf, "#### Scores (%s)\n\n", unit)
	var srows [][]string
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	sortStable(order, func(i, j int) bool { return scores[i] > scores[j] })
	for _, c := range order {
		row := []string{labels[c], fmt.Sprintf("%.3f", scores[c])}
		for w := range probs {
			row = append(row, fmtClock(ratios[w][c], "ratio"))
		}
		srows = append(srows, row)
	}
	head := []string{"contender", "score (area under ρ, τ ∈ [1, 4], / 3)"}
	for _, p := range probs {
		head = append(head, "r on "+p.Label)
	}
	table(buf, head, srows)
	f := newFigure(fmt.Sprintf("AlgoPerf performance profiles (%s to target, %d problems)", unit, len(probs)), "τ (ratio to the fastest)", "ρ(τ): fraction of problems within τ")
	f.p.Y.Min, f.p.Y.Max = -0.02, 1.02
	f.p.X.Min, f.p.X.Max = 1, 4
	var prows [][]string
	for k, tau := range taus {
		row := []string{fnum(tau)}
		for c := range labels {
			row = append(row, fnum(rho[c][k]))
		}
		prows = append(prows, row)
	}
	for _, c := range order {
		pts := make(plotter.XYs, len(taus))
		for k := range taus {
			pts[k] = plotter.XY{X: taus[k], Y: rho[c][k]}
		}
		if err := f.steps(fmt.Sprintf("%s (%.3f)", labels[c], scores[c]), pts); err != nil {
			return nil, nil, err
		}
	}
	name, err := rep.figure(f, fig)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(buf, "![performance profiles](%s)\n\n", name)
	return rows, prows, nil
}

func sortStable(idx []int, less func(i, j int) bool) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && less(idx[j], idx[j-1]); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

func (a algoPerf) Report(rep *Report, pl *Plan, done Results) error {
	cfg := pl.Sweep.AlgoPerf
	rep.mdf("## AlgoPerf: time to target, %d trials × %d studies\n\n", cfg.Trials, cfg.Studies)
	rep.mdf("AlgoPerf's external-tuning protocol (Dahl et al. 2023; mlcommons/algorithmic-efficiency): %d quasi-random points of "+
		"each contender's search space (Halton, AlgoPerf's construction) split into %d studies of %d; each trial trains until its "+
		"validation metric reaches the problem's target (or the budget ends); a study counts its fastest trial, a problem the "+
		"median over studies (∞ when a study never reached the target). The clock here is steps (gradient evaluations), which "+
		"is deterministic; [timing.md](timing.md) scores the same trials on CPU time normalised by an SGD step. A time over 4× the "+
		"problem's fastest counts as ∞, as in AlgoPerf's scoring, and the score is the area under the performance profile.\n\n",
		cfg.Trials*cfg.Studies, cfg.Studies, cfg.Trials)
	probs, cells, complete := a.cells(pl, done, stepsClock)
	if !complete {
		rep.mdf("Trials missing: not reported.\n\n")
		return nil
	}
	if len(probs) == 0 {
		rep.mdf("No problem with a target.\n\n")
		return nil
	}
	rows, prows, err := a.scoreSection(rep, &rep.md, pl, probs, cells, "steps", "algoperf_profile_steps")
	if err != nil {
		return err
	}
	var trows [][]string
	for _, p := range probs {
		for _, c := range pl.Contenders {
			for s, study := range a.trials(pl, p, c) {
				for i, t := range study {
					r := done[t.Key()]
					trows = append(trows, []string{p.Label, c.Label, fmt.Sprint(s + 1), fmt.Sprint(i + 1), t.Hyper.String(), fmt.Sprint(t.Seed),
						fmt.Sprint(r.Outcome.StepsToTarget), fmt.Sprint(r.Outcome.Diverged)})
				}
			}
		}
	}
	if err := rep.csv("algoperf_trials.csv", []string{"problem", "contender", "study", "trial", "hyper", "seed", "steps_to_target", "diverged"}, trows); err != nil {
		return err
	}
	head := []string{"tau"}
	for _, c := range pl.Contenders {
		head = append(head, c.Label)
	}
	if err := rep.csv("algoperf_profile_steps.csv", head, prows); err != nil {
		return err
	}
	if err := rep.csv("algoperf.csv", []string{"problem", "contender", "clock", "fastest_per_study", "median", "trials_at_target", "trials"}, rows); err != nil {
		return err
	}
	// The CPU clock, in timing.md.
	rep.tf("## AlgoPerf on the CPU clock\n\nThe same trials, timed by training CPU time to the target over the trial's own SGD step time (\"SGD steps\").\n\n")
	_, cpuCells, _ := a.cells(pl, done, cpuClock)
	_, _, err = a.scoreSection(rep, &rep.timing, pl, probs, cpuCells, "SGD steps", "timing_algoperf_profile")
	return err
}
