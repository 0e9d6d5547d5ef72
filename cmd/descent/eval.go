package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

const evalSynopsis = `Rebuilds the model stored in a checkpoint (written by "descent train
--checkpoint-dir") and reports its loss and accuracy on the dataset's test
set (mnist) or on the whole dataset (other data).`

// evalArgs holds eval's flags: the checkpoint and the data part of a recipe.
type evalArgs struct {
	recipe
	checkpoint string
}

// evalFlags defines eval's flags (parsed without running by FuzzArgs).
func evalFlags(stdout, stderr io.Writer) (*flag.FlagSet, *evalArgs) {
	fs := newFlagSet("eval", evalSynopsis, stdout, stderr)
	a := &evalArgs{}
	fs.StringVar(&a.checkpoint, "checkpoint", "", "checkpoint FILE (required)")
	fs.StringVar(&a.data, "data", "mnist", "dataset: mnist, csv:PATH, linreg, spirals, moons")
	fs.StringVar(&a.dataDir, "data-dir", "", "folder with MNIST's IDX files")
	fs.StringVar(&a.target, "target", "", "csv: the target column")
	fs.StringVar(&a.task, "task", "regression", "csv: regression or classification")
	fs.IntVar(&a.evalBatch, "eval-batch-size", 1000, "examples per evaluation step")
	fs.Uint64Var(&a.seed, "seed", 1, "seed of the synthetic datasets")
	return fs, a
}

func runEval(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, a := evalFlags(stdout, stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	r := &a.recipe
	if a.checkpoint == "" {
		return fmt.Errorf("eval: --checkpoint FILE is required")
	}
	f, err := checkpoint.Load(a.checkpoint)
	if err != nil {
		return err
	}
	raw, ok := f.Meta[train.MetaModel]
	if !ok {
		return fmt.Errorf("eval: %s does not say which model it holds (no %q metadata)", a.checkpoint, train.MetaModel)
	}
	sp, err := models.ParseSpec(raw)
	if err != nil {
		return fmt.Errorf("eval: %s: %w", a.checkpoint, err)
	}
	r.dtype = f.DType.String()
	s, err := r.load()
	if err != nil {
		return err
	}
	ds := s.test
	if ds == nil {
		ds = s.train
	}
	g, err := graph.New(graph.Config{DType: f.DType})
	if err != nil {
		return err
	}
	m, err := models.Build(g, sp)
	if err != nil {
		return err
	}
	if err := f.Restore(g); err != nil {
		return err
	}
	// Evaluation needs no optimizer; the trainer wants one.
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 1})
	if err != nil {
		return err
	}
	tn, err := train.New(g, m, ds, train.Config{Epochs: 1, Optimizer: opt, EvalBatchSize: r.evalBatch})
	if err != nil {
		return err
	}
	defer tn.Close()
	mt, err := tn.Evaluate(ds)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "descent: %s model from %s on %s (%d examples)\n", sp.Kind, a.checkpoint, ds.Name, mt.N)
	return printFinal(stdout, "test", mt)
}
