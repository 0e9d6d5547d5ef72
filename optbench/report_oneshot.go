package optbench

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot/plotter"
)

// group is the records of one contender's seeds on one problem.
type group struct {
	label string
	recs  []*Record
}

// finalTest returns the final test metric of every record and which diverged.
func (g group) finalTest(m Metric) seedStats {
	vals := make([]float64, len(g.recs))
	div := make([]bool, len(g.recs))
	for i, r := range g.recs {
		vals[i], div[i] = r.Outcome.FinalTest(m), r.Outcome.Diverged
	}
	return statsOf(vals, div)
}

// stepsToTarget returns the median over seeds of the steps to the target
// (+Inf for a seed that missed it).
func (g group) stepsToTarget() float64 {
	var s []float64
	for _, r := range g.recs {
		v := math.Inf(1)
		if r.Outcome.StepsToTarget >= 0 {
			v = float64(r.Outcome.StepsToTarget)
		}
		s = append(s, v)
	}
	return median(s)
}

func fmtSteps(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case math.IsInf(v, 1):
		return "not reached"
	}
	return fmt.Sprintf("%.0f", v)
}

// curve returns the mean and std of the test metric at each evaluation
// over the records, and crosses where records diverged.
func (g group) curve(m Metric) (xs, mean, std []float64, marks plotter.XYs) {
	longest := 0
	for _, r := range g.recs {
		longest = max(longest, len(r.Outcome.Curve))
	}
	for i := 0; i < longest; i++ {
		var vals []float64
		x := 0.0
		for _, r := range g.recs {
			if i < len(r.Outcome.Curve) {
				pt := r.Outcome.Curve[i]
				x = float64(pt.Step)
				if v := pt.Test(m); !math.IsNaN(v) && !math.IsInf(v, 0) {
					vals = append(vals, v)
				}
			}
		}
		if len(vals) == 0 {
			continue
		}
		mu, sd := meanStd(vals)
		xs, mean, std = append(xs, x), append(mean, mu), append(std, sd)
	}
	for _, r := range g.recs {
		if !r.Outcome.Diverged || len(r.Outcome.Curve) == 0 {
			continue
		}
		last := r.Outcome.Curve[len(r.Outcome.Curve)-1].Test(m)
		if !math.IsNaN(last) && !math.IsInf(last, 0) {
			marks = append(marks, plotter.XY{X: float64(r.Outcome.DivergedAt), Y: last})
		}
	}
	return xs, mean, std, marks
}

// curveFigure plots the mean ± std test metric of each group over steps:
// a log axis for a positive loss.
func curveFigure(title string, p PlannedProblem, groups []group) (*figure, error) {
	f := newFigure(title, "gradient evaluations (steps)", "test "+p.Metric.String())
	floor := math.Inf(-1)
	if p.Metric == MetricLoss {
		lowest := math.Inf(1)
		for _, g := range groups {
			_, mean, _, _ := g.curve(p.Metric)
			for _, v := range mean {
				lowest = math.Min(lowest, v)
			}
		}
		if lowest > 0 && !math.IsInf(lowest, 1) {
			f.logY()
			floor = lowest / 2
		}
	}
	for _, g := range groups {
		xs, mean, std, marks := g.curve(p.Metric)
		label := g.label
		if n := len(marks); n > 0 {
			label += fmt.Sprintf(" (×: %d diverged)", n)
		}
		if err := f.band(label, xs, mean, std, floor, marks); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// winners ranks groups by their final test metric and writes who won and
// whom the seeds cannot separate from the winner (Welch's t-test, p >=
// 0.05). It returns each group's p-value against the winner (NaN: not
// testable).
func winners(buf *bytes.Buffer, p PlannedProblem, labels []string, st []seedStats) (order []int, pv []float64) {
	order = rankBy(st, p.Metric)
	pv = make([]float64, len(st))
	w := order[0]
	var tied, untestable []string
	for _, i := range order {
		pv[i] = math.NaN()
		if i == w {
			continue
		}
		pv[i] = welchP(st[w].Values, st[i].Values)
		switch {
		case math.IsNaN(pv[i]):
			untestable = append(untestable, labels[i])
		case pv[i] >= 0.05:
			tied = append(tied, fmt.Sprintf("%s (p = %.2g)", labels[i], pv[i]))
		}
	}
	fmt.Fprintf(buf, "Winner: **%s**", labels[w])
	switch {
	case len(st[w].Values) < 2:
		fmt.Fprintf(buf, " (one run per contender: the ranking is exact for this deterministic problem, untested for a noisy one).\n\n")
		return order, pv
	case len(tied) > 0:
		fmt.Fprintf(buf, "; the seeds disagree on the order of the winner and %s (Welch's t-test, p ≥ 0.05): not significantly different.", strings.Join(tied, ", "))
	default:
		fmt.Fprintf(buf, ", significantly better than every other contender (Welch's t-test, p < 0.05).")
	}
	if len(untestable) > 0 {
		fmt.Fprintf(buf, " Not testable (fewer than two finite runs): %s.", strings.Join(untestable, ", "))
	}
	buf.WriteString("\n\n")
	return order, pv
}

func fmtP(p float64) string {
	if math.IsNaN(p) {
		return "-"
	}
	return fmt.Sprintf("%.2g", p)
}

func (o oneshot) Report(rep *Report, pl *Plan, done Results) error {
	rep.mdf("## Oneshot: defaults, %d seeds\n\n", pl.Sweep.Seeds)
	rep.mdf("The out-of-the-box view (Schmidt, Schneider & Hennig 2021, \"Descending through a Crowded Valley\"): each contender " +
		"with its setting as listed, no tuning; the final test metric after the problem's budget. Deterministic problems run one seed.\n\n")
	var rows [][]string
	for _, p := range pl.problemsOf(pl.Sweep.OneShot.Problems) {
		var groups []group
		for _, c := range pl.Contenders {
			g := group{label: c.Label}
			for _, s := range seeds(p, pl.Sweep.Seeds) {
				if r := done[pl.trial(p, c, c.Base, s, false).Key()]; r != nil {
					g.recs = append(g.recs, r)
				}
			}
			groups = append(groups, g)
		}
		rep.mdf("### %s\n\n", p.Label)
		if missingAny(groups) {
			rep.mdf("Trials missing: not reported.\n\n")
			continue
		}
		labels := make([]string, len(groups))
		st := make([]seedStats, len(groups))
		for i, g := range groups {
			labels[i], st[i] = g.label, g.finalTest(p.Metric)
		}
		order, pv := winners(&rep.md, p, labels, st)
		var trows [][]string
		for rank, i := range order {
			g := groups[i]
			trows = append(trows, []string{fmt.Sprint(rank + 1), g.label, fmtMeanStd(p.Metric, st[i]), fmtSteps(g.stepsToTarget()), fmtP(pv[i])})
			rows = append(rows, []string{p.Label, g.label, fmt.Sprint(rank + 1), fmt.Sprint(st[i].N), fmt.Sprint(st[i].Diverged),
				fnum(st[i].Mean), fnum(st[i].Std), fnum(g.stepsToTarget()), fnum(pv[i]), joinNums(st[i].Values)})
		}
		table(&rep.md, []string{"rank", "contender", "test " + p.Metric.String() + " (mean ± std)", "steps to target (median)", "p vs winner"}, trows)
		f, err := curveFigure(p.Label+": oneshot (defaults), test "+p.Metric.String()+", mean ± std over seeds", p, groups)
		if err != nil {
			return err
		}
		name, err := rep.figure(f, "oneshot_curves_"+fileName(p.Label))
		if err != nil {
			return err
		}
		rep.mdf("![learning curves](%s)\n\n", name)
	}
	return rep.csv("oneshot.csv", []string{"problem", "contender", "rank", "seeds", "diverged", "test_mean", "test_std", "steps_to_target_median", "p_vs_winner", "test_values"}, rows)
}

func missingAny(groups []group) bool {
	for _, g := range groups {
		if len(g.recs) == 0 {
			return true
		}
	}
	return false
}

func joinNums(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fnum(x)
	}
	return strings.Join(s, ";")
}

// fileName turns a problem label into a file name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}
