package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/runs"
	"github.com/descent-ml/descent/train"
)

const cvSynopsis = `K-fold cross-validation: splits the training data into K folds, trains the
recipe (same flags as train) from scratch on K-1 of them and validates on
the held-out one, for each fold in turn; prints each fold's validation loss
and metrics, then their mean and sample standard deviation (divisor K-1).
--stratified keeps the class proportions in every fold. When the data has
a test set (mnist, --test-split, --test-data) the recipe is then trained on
all the training data and scored on it, once.`

type cvArgs struct {
	recipe
	folds      int
	stratified bool
	runsDir    string
}

// cvFlags defines cv's flags (parsed without running by FuzzArgs).
func cvFlags(stdout io.Writer) (*flag.FlagSet, *cvArgs) {
	fs := newFlagSet("cv", cvSynopsis, stdout)
	a := &cvArgs{}
	a.register(fs)
	fs.IntVar(&a.folds, "folds", 5, "number of folds K (>= 2)")
	fs.BoolVar(&a.stratified, "stratified", false, "classification: folds with the class proportions of the data")
	fs.StringVar(&a.runsDir, "runs-dir", "runs", "record the run in this folder (\"\": do not record)")
	return fs, a
}

func runCV(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs, a := cvFlags(stdout)
	if err := noPositional(fs, "cv", args); err != nil {
		return err
	}
	r := &a.recipe
	r.set = setFlags(fs)
	if err := r.check("cv"); err != nil {
		return err
	}
	if a.folds < 2 {
		return usagef("cv", "--folds %d (want >= 2)", a.folds)
	}
	if r.valSplit > 0 {
		return usagef("cv", "--val-split does not apply to cv (each fold is the validation set in turn)")
	}
	var rec *runs.Run
	if a.runsDir != "" {
		store, err := runs.Open(a.runsDir)
		if err != nil {
			return err
		}
		if rec, err = store.Begin(runs.Record{Kind: "cv", Command: append([]string{"cv"}, args...), Config: r.values(fs),
			Model: r.model, Optimizer: r.optimizer, Data: r.data}); err != nil {
			return err
		}
	}
	results, err := cvRun(ctx, a, stdout)
	if rec != nil {
		if ferr := rec.Finish(results, nil, err); ferr != nil && err == nil {
			err = ferr
		}
	}
	return err
}

func cvRun(ctx context.Context, a *cvArgs, stdout io.Writer) (map[string]float64, error) {
	r := &a.recipe
	// The folds split the raw training data; the standardization is fitted
	// on each fold's training part only.
	standardize, stdTarget := r.standardize, r.standardizeTarget
	r.standardize, r.standardizeTarget = false, false
	p, err := r.prepare(ctx, nil)
	r.standardize, r.standardizeTarget = standardize, stdTarget
	if err != nil {
		return nil, err
	}
	all := p.train
	var folds []data.Fold
	if a.stratified {
		if all.Classes == 0 {
			return nil, usagef("cv", "--stratified applies to classification data (%s is regression)", all.Name)
		}
		labels := make([]int, all.Len())
		for i := range labels {
			labels[i] = int(all.Y.At(i))
		}
		folds, err = data.StratifiedKFold(labels, a.folds, r.seed)
	} else {
		folds, err = data.KFold(all.Len(), a.folds, r.seed)
	}
	if err != nil {
		return nil, fmt.Errorf("--folds: %w", err)
	}
	scores := map[string][]float64{}
	for i, f := range folds {
		tr, err := all.Subset(f.Train)
		if err != nil {
			return nil, err
		}
		va, err := all.Subset(f.Val)
		if err != nil {
			return nil, err
		}
		mt, err := fitAndScore(ctx, r, p, tr, va)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", i+1, err)
		}
		line := fmt.Sprintf("fold %d/%d: %d train, %d validation: loss %.6g", i+1, len(folds), tr.Len(), va.Len(), mt.Loss)
		scores["loss"] = append(scores["loss"], mt.Loss)
		for _, k := range sortedKeys(mt.Values) {
			scores[k] = append(scores[k], mt.Values[k])
			line += fmt.Sprintf(", %s %s", k, fmtMetric(k, mt.Values[k]))
		}
		fmt.Fprintln(stdout, line)
	}
	results := map[string]float64{"folds": float64(len(folds))}
	for _, k := range sortedKeys(scores) {
		s, err := data.Summarize(scores[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		fmt.Fprintf(stdout, "%s: mean %s, sample std %s over %d folds\n", k, fmtMetric(k, s.Mean), fmtMetric(k, s.Std), s.N)
		results["cv_"+k+"_mean"], results["cv_"+k+"_std"] = s.Mean, s.Std
	}
	if p.test != nil {
		mt, err := fitAndScore(ctx, r, p, all, p.test)
		if err != nil {
			return nil, fmt.Errorf("final model: %w", err)
		}
		fmt.Fprintf(stdout, "final model, trained on all %d training examples, on the %s (%d examples): loss %.6g", all.Len(), p.testName, p.test.Len(), mt.Loss)
		results["test_loss"] = mt.Loss
		for _, k := range sortedKeys(mt.Values) {
			fmt.Fprintf(stdout, ", %s %s", k, fmtMetric(k, mt.Values[k]))
			results["test_"+k] = mt.Values[k]
		}
		fmt.Fprintln(stdout)
	}
	return results, nil
}

// fitAndScore trains the recipe from scratch on tr (standardized with tr's
// statistics when asked) and scores it on va.
func fitAndScore(ctx context.Context, r *recipe, p *prepared, tr, va *data.Dataset) (train.Metrics, error) {
	if r.standardize {
		var st data.Standardizer
		if err := st.Fit(tr); err != nil {
			return train.Metrics{}, err
		}
		var err error
		if tr, err = st.Apply(tr); err != nil {
			return train.Metrics{}, err
		}
		if va, err = st.Apply(va); err != nil {
			return train.Metrics{}, err
		}
	}
	q := *p
	q.targetScale = nil
	if r.standardizeTarget {
		ts := &targetScaling{}
		ts.fit(tr)
		var err error
		if tr, err = ts.apply(tr); err != nil {
			return train.Metrics{}, err
		}
		if va, err = ts.apply(va); err != nil {
			return train.Metrics{}, err
		}
		q.targetScale = ts
	}
	q.train, q.val, q.test = tr, nil, nil
	g, m, _, cfg, err := r.build(&q)
	if err != nil {
		return train.Metrics{}, err
	}
	tn, err := train.New(g, m, tr, cfg)
	if err != nil {
		return train.Metrics{}, err
	}
	defer tn.Close()
	if _, err := tn.Fit(ctx, tr, nil); err != nil {
		return train.Metrics{}, err
	}
	return tn.Evaluate(va)
}

func fmtMetric(name string, v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	if name == "accuracy" || len(name) > 8 && name[len(name)-8:] == "accuracy" {
		return fmt.Sprintf("%.2f%%", 100*v)
	}
	return fmt.Sprintf("%.6g", v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
