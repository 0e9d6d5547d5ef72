package optbench

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
)

// relPerf is DeepOBS's relative performance of a grid point (its
// plot_lr_sensitivity): best/value for a loss, value/best for an accuracy,
// 0 for a diverged or non-finite run.
func relPerf(m Metric, v, best float64) float64 {
	var r float64
	if m == MetricAccuracy {
		r = v / best
	} else {
		r = best / v
	}
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return 0
	}
	return r
}

// speed is DeepOBS's: the mean over seeds of the index of the first
// evaluation reaching the target (the number of evaluations when never),
// here in steps: the step of that evaluation, or the budget's last step
// plus one evaluation period when never.
func speed(p PlannedProblem, recs []*Record) float64 {
	var s []float64
	for _, r := range recs {
		v := float64(r.Outcome.StepsToTarget)
		if r.Outcome.StepsToTarget < 0 {
			every := p.EvalEvery
			if every == 0 {
				every = r.Outcome.StepsPerEpoch
			}
			v = float64(p.Budget.steps(r.Outcome.StepsPerEpoch) + every)
		}
		s = append(s, v)
	}
	m, _ := meanStd(s)
	return m
}

func (d deepOBS) Report(rep *Report, pl *Plan, done Results) error {
	rep.mdf("## DeepOBS: tuned learning rate, %d seeds\n\n", pl.Sweep.DeepOBS.Reruns)
	rep.mdf("DeepOBS's protocol (Schneider, Balles & Hennig 2019; its v1.2 Tuner): the learning rate tuned on a log grid of %d "+
		"points with seed 1 (the other hyperparameters as listed), the setting with the best final validation metric rerun with "+
		"seeds 1..%d, and the final test metric reported as mean ± std. \"Speed\" is DeepOBS's: mean steps to the validation "+
		"target (budget + one evaluation period when missed). \"Tuneability\" counts the grid points whose final validation metric is "+
		"within 5%% of the contender's best (relative performance ≥ 0.95, DeepOBS's lr-sensitivity measure) and the plots show all of them.\n\n",
		len(pl.Sweep.DeepOBS.LRs), pl.Sweep.DeepOBS.Reruns)
	var rows, grows [][]string
	for _, p := range pl.problemsOf(pl.Sweep.DeepOBS.Problems) {
		rep.mdf("### %s\n\n", p.Label)
		sens := newFigure(p.Label+": learning-rate sensitivity (final validation, seed 1)", "learning rate", "relative performance (DeepOBS)")
		sens.logX()
		var groups []group
		var labels []string
		var st []seedStats
		var extra [][]string
		complete := true
		for _, c := range pl.Contenders {
			b, grid, err := d.best(pl, p, c, done)
			if err != nil {
				complete = false
				break
			}
			recs := results(grid, done)
			bestV := recs[b].Outcome.FinalValid(p.Metric)
			var pts, marks plotter.XYs
			good := 0
			for i, r := range recs {
				v := r.Outcome.FinalValid(p.Metric)
				rel := relPerf(p.Metric, v, bestV)
				if rel >= 0.95 {
					good++
				}
				lr := grid[i].Hyper["lr"]
				if r.Outcome.Diverged {
					marks = append(marks, plotter.XY{X: lr, Y: 0})
				} else {
					pts = append(pts, plotter.XY{X: lr, Y: rel})
				}
				grows = append(grows, []string{p.Label, c.Label, fnum(lr), fnum(v), fnum(r.Outcome.FinalTest(p.Metric)), fmt.Sprint(r.Outcome.Diverged), fnum(rel)})
			}
			label := c.Label
			if len(marks) > 0 {
				label += fmt.Sprintf(" (×: %d diverged)", len(marks))
			}
			if err := sens.points(label, pts, marks); err != nil {
				return err
			}
			g := group{label: fmt.Sprintf("%s, lr %.3g", c.Label, grid[b].Hyper["lr"])}
			for _, s := range seeds(p, pl.Sweep.DeepOBS.Reruns) {
				r := done[pl.trial(p, c, grid[b].Hyper, s, false).Key()]
				if r == nil {
					complete = false
					break
				}
				g.recs = append(g.recs, r)
			}
			groups, labels, st = append(groups, g), append(labels, c.Label), append(st, g.finalTest(p.Metric))
			extra = append(extra, []string{fmt.Sprintf("%.4g", grid[b].Hyper["lr"]), fmtMetric(p.Metric, bestV), fmtSteps(speed(p, g.recs)), fmt.Sprintf("%d/%d", good, len(grid)), fnum(grid[b].Hyper["lr"])})
		}
		if !complete {
			rep.mdf("Trials missing: not reported.\n\n")
			continue
		}
		order, pv := winners(&rep.md, p, labels, st)
		var trows [][]string
		for rank, i := range order {
			e := extra[i]
			trows = append(trows, []string{fmt.Sprint(rank + 1), labels[i], e[0], fmtMeanStd(p.Metric, st[i]), e[1], e[2], e[3], fmtP(pv[i])})
			rows = append(rows, []string{p.Label, labels[i], fmt.Sprint(rank + 1), e[4], fmt.Sprint(st[i].N), fmt.Sprint(st[i].Diverged),
				fnum(st[i].Mean), fnum(st[i].Std), fnum(speed(p, groups[i].recs)), e[3], fnum(pv[i]), joinNums(st[i].Values)})
		}
		table(&rep.md, []string{"rank", "contender", "best lr", "test " + p.Metric.String() + " (mean ± std)", "valid (tuning run)", "speed (steps)", "tuneability", "p vs winner"}, trows)
		sens.p.Y.Min, sens.p.Y.Max = -0.02, 1.02
		name, err := rep.figure(sens, "deepobs_lr_"+fileName(p.Label))
		if err != nil {
			return err
		}
		rep.mdf("![learning-rate sensitivity](%s)\n\n", name)
		f, err := curveFigure(p.Label+": DeepOBS, best setting, test "+p.Metric.String()+", mean ± std over seeds", p, groups)
		if err != nil {
			return err
		}
		if name, err = rep.figure(f, "deepobs_curves_"+fileName(p.Label)); err != nil {
			return err
		}
		rep.mdf("![learning curves of the best settings](%s)\n\n", name)
	}
	if err := rep.csv("deepobs.csv", []string{"problem", "contender", "rank", "best_lr", "seeds", "diverged", "test_mean", "test_std", "speed_steps", "tuneability", "p_vs_winner", "test_values"}, rows); err != nil {
		return err
	}
	return rep.csv("deepobs_grid.csv", []string{"problem", "contender", "lr", "final_valid", "final_test", "diverged", "relative_performance"}, grows)
}
