package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/train"
)

const cvSynopsis = `K-fold cross-validation: splits the training data into K folds, trains the
recipe (same flags as train) from scratch on K-1 of them and validates on
the held-out one, for each fold in turn; prints each fold's validation loss
and accuracy, then their mean and standard deviation.`

// cvArgs holds cv's flags: the recipe and the number of folds.
type cvArgs struct {
	recipe
	folds int
}

// cvFlags defines cv's flags (parsed without running by FuzzArgs).
func cvFlags(stdout, stderr io.Writer) (*flag.FlagSet, *cvArgs) {
	fs := newFlagSet("cv", cvSynopsis, stdout, stderr)
	a := &cvArgs{}
	a.register(fs)
	fs.IntVar(&a.folds, "folds", 5, "number of folds K (>= 2)")
	return fs, a
}

func runCV(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, a := cvFlags(stdout, stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	r := &a.recipe
	s, err := r.load()
	if err != nil {
		return err
	}
	folds, err := data.KFold(s.train.Len(), a.folds, r.seed)
	if err != nil {
		return fmt.Errorf("--folds: %w", err)
	}
	var losses, accs []float64
	for i, f := range folds {
		tr, err := s.train.Subset(f.Train)
		if err != nil {
			return err
		}
		va, err := s.train.Subset(f.Val)
		if err != nil {
			return err
		}
		tr, _, rest, err := r.prepare(tr, va)
		if err != nil {
			return err
		}
		va = rest[0]
		g, m, _, cfg, err := r.build(s)
		if err != nil {
			return err
		}
		tn, err := train.New(g, m, tr, cfg)
		if err != nil {
			return err
		}
		if _, err := tn.Fit(ctx, tr, nil); err != nil {
			return fmt.Errorf("fold %d: %w", i+1, err)
		}
		mt, err := tn.Evaluate(va)
		tn.Close()
		if err != nil {
			return err
		}
		losses = append(losses, mt.Loss)
		line := fmt.Sprintf("fold %d/%d: %d train, %d validation: loss %.6g", i+1, len(folds), tr.Len(), va.Len(), mt.Loss)
		if s.train.Classes > 0 {
			accs = append(accs, mt.Accuracy)
			line += fmt.Sprintf(", accuracy %.2f%%", 100*mt.Accuracy)
		}
		fmt.Fprintln(stdout, line)
	}
	ls, err := data.Summarize(losses)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loss: mean %.6g, std %.6g over %d folds\n", ls.Mean, ls.Std, len(losses))
	if len(accs) > 0 {
		as, err := data.Summarize(accs)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "accuracy: mean %.2f%%, std %.2f%% over %d folds\n", 100*as.Mean, 100*as.Std, len(accs))
	}
	return nil
}
