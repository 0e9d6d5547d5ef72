package optbench

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Report collects the files of a report folder:
//
//	report.md          the results: per protocol and problem, tables of
//	                   mean ± std with the winners and where seeds disagree,
//	                   links to the plots
//	timing.md          CPU times, in seconds and in SGD-step equivalents, and
//	                   the AlgoPerf scores on that clock (machine-dependent)
//	trials.jsonl       every trial of the sweep: key, configuration, outcome
//	*.csv              the tables, machine-readable
//	*.png, *.svg       learning curves, learning-rate sensitivity, profiles
//
// Everything but timing.md and timing.csv is a function of the trials'
// outcomes alone, so it is bit-identical whatever the number of workers or
// machines that ran them.
type Report struct {
	Dir    string
	md     bytes.Buffer
	timing bytes.Buffer
	files  []string
}

func (r *Report) mdf(format string, args ...any) { fmt.Fprintf(&r.md, format, args...) }
func (r *Report) tf(format string, args ...any)  { fmt.Fprintf(&r.timing, format, args...) }

// csv writes a table to Dir/name.
func (r *Report) csv(name string, header []string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(header); err != nil {
		return err
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	r.files = append(r.files, name)
	return os.WriteFile(filepath.Join(r.Dir, name), b.Bytes(), 0o644)
}

func (r *Report) figure(f *figure, name string) (string, error) {
	files, err := f.save(r.Dir, name)
	if err != nil {
		return "", err
	}
	r.files = append(r.files, files...)
	return name + ".png", nil
}

// table writes a Markdown table into buf.
func table(buf *bytes.Buffer, header []string, rows [][]string) {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	fmt.Fprintf(buf, "| %s |\n|", strings.Join(header, " | "))
	for range header {
		buf.WriteString("---|")
	}
	buf.WriteString("\n")
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = esc(c)
		}
		fmt.Fprintf(buf, "| %s |\n", strings.Join(cells, " | "))
	}
	buf.WriteString("\n")
}

// fmtMetric formats a value of metric m (accuracies in percent).
func fmtMetric(m Metric, v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case math.IsInf(v, 0):
		return "∞"
	case m == MetricAccuracy:
		return fmt.Sprintf("%.2f%%", 100*v)
	}
	return fmt.Sprintf("%.5g", v)
}

func fmtMeanStd(m Metric, s seedStats) string {
	if len(s.Values) == 0 {
		return "diverged"
	}
	out := fmtMetric(m, s.Mean)
	if len(s.Values) > 1 {
		std := s.Std
		if m == MetricAccuracy {
			out += fmt.Sprintf(" ± %.2f", 100*std)
		} else {
			out += fmt.Sprintf(" ± %.3g", std)
		}
	}
	if s.Diverged > 0 {
		out += fmt.Sprintf(" (%d/%d diverged)", s.Diverged, s.N)
	}
	return out
}

func fnum(v float64) string { return fmt.Sprint(Num(v)) }

// String makes Num print like its JSON.
func (n Num) String() string {
	b, _ := n.MarshalJSON()
	return strings.Trim(string(b), `"`)
}

// WriteReport writes the report of plan pl from the finished trials in
// done into dir. With partial false, every trial of the plan must be done;
// with partial true, protocols that lack trials are reported as missing.
func WriteReport(dir string, pl *Plan, done Results, partial bool) (*Report, error) {
	trials, complete, err := pl.AllTrials(done)
	if err != nil {
		return nil, err
	}
	missing := Missing(trials, done)
	if !partial && (!complete || len(missing) > 0) {
		return nil, fmt.Errorf("%d of the plan's trials are not in the store yet (run them, or merge with --partial)", max(1, len(missing)))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rep := &Report{Dir: dir}
	rep.header(pl, len(trials), len(missing))
	rep.tf("# Timing\n\nMachine-dependent measurements (not part of the bit-identical results; see report.md).\n\n")
	rep.tf("CPU times are per trial, of the trial's own thread (Linux CLOCK_THREAD_CPUTIME_ID), training only: evaluations are " +
		"excluded, as AlgoPerf excludes them. Wall time on a shared machine mostly measures the other jobs, so the comparable " +
		"clock is CPU time normalised by one SGD step (forward, backward, SGD update) of the same model and batch size, " +
		"measured in the same trial just before it: \"SGD steps\" below.\n\n")
	for _, p := range pl.Protocols {
		if err := p.Report(rep, pl, done); err != nil {
			return nil, fmt.Errorf("report %s: %w", p.Name(), err)
		}
	}
	if err := rep.timingTable(pl, trials, done); err != nil {
		return nil, err
	}
	if err := rep.writeTrials(trials, done); err != nil {
		return nil, err
	}
	rep.mdf("## Files\n\n")
	for _, f := range append(append([]string{}, rep.files...), "timing.md") {
		rep.mdf("- [%s](%s)\n", f, f)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), rep.md.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "timing.md"), rep.timing.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return rep, nil
}

func (r *Report) header(pl *Plan, trials, missing int) {
	sw := pl.Sweep
	r.mdf("# Optimizer benchmark\n\n")
	if sw.Suite != "" {
		r.mdf("Suite **%s**. ", sw.Suite)
	}
	r.mdf("Protocols: %s. %d trials (code version %s)", strings.Join(sw.Protocols, ", "), trials, sw.CodeVersion)
	if missing > 0 {
		r.mdf(", **%d missing** (a partial report)", missing)
	}
	r.mdf(".\n\nEvery number here is computed from the trials' recorded outcomes only (no timing), so it is bit-identical " +
		"for any number of workers or machines; times are in [timing.md](timing.md). Means ± standard deviations are over seeds " +
		"(population std, ddof 0, as DeepOBS); a diverged run (a non-finite loss or gradient) is counted apart, never averaged.\n\n")
	r.mdf("## Problems\n\n")
	var rows [][]string
	for _, p := range pl.Problems {
		target := "none"
		if !math.IsNaN(p.Target) {
			target = fmt.Sprintf("valid %s %s %s (%s)", p.Metric, map[bool]string{true: "≥", false: "≤"}[p.Metric == MetricAccuracy],
				fmtMetric(p.Metric, p.Target), p.TargetSource)
		}
		rows = append(rows, []string{p.Label, p.Title, "test " + p.Metric.String(), p.Budget.String(), fmt.Sprint(p.BatchSize), target, p.Source})
	}
	table(&r.md, []string{"problem", "what", "metric", "budget", "batch", "target", "source and differences"}, rows)
	r.mdf("## Optimizers\n\n")
	rows = nil
	for _, c := range pl.Contenders {
		var space []string
		for _, s := range c.Space {
			if s.Scale == Discrete {
				space = append(space, fmt.Sprintf("%s ∈ %v", s.Param, s.Values))
			} else {
				space = append(space, fmt.Sprintf("%s %s [%g, %g]", s.Param, s.Scale, s.Min, s.Max))
			}
		}
		rows = append(rows, []string{c.Label, c.Optimizer.Help, c.Base.String(), strings.Join(space, "; ")})
	}
	table(&r.md, []string{"contender", "optimizer", "setting (defaults and fixed values)", "AlgoPerf search space"}, rows)
}

// writeTrials writes trials.jsonl: one line per trial of the plan, in
// plan order, without timings.
func (r *Report) writeTrials(trials []Trial, done Results) error {
	f, err := os.Create(filepath.Join(r.Dir, "trials.jsonl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, t := range trials {
		rec := done[t.Key()]
		if rec == nil {
			continue
		}
		b, err := json.Marshal(struct {
			Key     string  `json:"key"`
			Trial   Trial   `json:"trial"`
			Outcome Outcome `json:"outcome"`
		}{rec.Key, rec.Trial, rec.Outcome})
		if err != nil {
			f.Close()
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	r.files = append(r.files, "trials.jsonl")
	return f.Close()
}

// timingTable writes timing.csv and its summary per problem and optimizer.
func (r *Report) timingTable(pl *Plan, trials []Trial, done Results) error {
	var rows [][]string
	type agg struct{ cpu, sgd []float64 }
	per := map[string]*agg{}
	var keys []string
	for _, t := range trials {
		rec := done[t.Key()]
		if rec == nil {
			continue
		}
		tm := rec.Timing
		rows = append(rows, []string{rec.Key, t.Problem, t.Optimizer, t.Hyper.String(), fmt.Sprint(t.Seed), fmt.Sprint(rec.Outcome.Steps),
			fnum(tm.CPUSeconds), fnum(tm.WallSeconds), fnum(tm.SGDStepSeconds), fnum(tm.SGDSteps()), fnum(tm.CPUToTarget), tm.Host})
		k := t.Problem + "\x00" + t.Optimizer
		if per[k] == nil {
			per[k] = &agg{}
			keys = append(keys, k)
		}
		if rec.Outcome.Steps > 0 {
			per[k].cpu = append(per[k].cpu, tm.CPUSeconds/float64(rec.Outcome.Steps))
			per[k].sgd = append(per[k].sgd, tm.SGDSteps()/float64(rec.Outcome.Steps))
		}
	}
	sort.Strings(keys)
	r.tf("## Cost per step\n\nMedian over the trials of each problem and optimizer: CPU time per gradient evaluation, and the same in SGD steps (1.0 = the cost of an SGD step; L-BFGS's line search and history, Adam's moments, ... cost more).\n\n")
	var sum [][]string
	for _, k := range keys {
		a := per[k]
		pr, opt, _ := strings.Cut(k, "\x00")
		sum = append(sum, []string{pr, opt, fmt.Sprint(len(a.cpu)), fmt.Sprintf("%.3g ms", 1e3*median(a.cpu)), fmt.Sprintf("%.3g", median(a.sgd))})
	}
	table(&r.timing, []string{"problem", "optimizer", "trials", "CPU per step", "SGD steps per step"}, sum)
	return r.csvTiming(rows)
}

func (r *Report) csvTiming(rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"key", "problem", "optimizer", "hyper", "seed", "steps", "cpu_seconds", "wall_seconds", "sgd_step_seconds", "sgd_steps", "cpu_to_target", "host"})
	w.WriteAll(rows)
	return os.WriteFile(filepath.Join(r.Dir, "timing.csv"), b.Bytes(), 0o644)
}
