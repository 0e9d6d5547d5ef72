package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

const evalSynopsis = `Rebuilds the model stored in a checkpoint (written by "descent train
--checkpoint-dir") and reports its loss and metrics on the held-out split it
was trained with: the same data, the same seeded test (or validation)
split, the same standardization. --data evaluates on another data set with
the checkpoint's scaling (its features must match the model's).`

// evalArgs holds eval's flags.
type evalArgs struct {
	checkpoint, data, dataDir, target, testData, split string
	evalBatch                                          int
}

// evalFlags defines eval's flags (parsed without running by FuzzArgs).
func evalFlags(stdout io.Writer) (*flag.FlagSet, *evalArgs) {
	fs := newFlagSet("eval", evalSynopsis, stdout)
	a := &evalArgs{}
	fs.StringVar(&a.checkpoint, "checkpoint", "", "checkpoint FILE (required)")
	fs.StringVar(&a.data, "data", "", "evaluate on this data set instead (mnist, csv:PATH, ...; default: the checkpoint's)")
	fs.StringVar(&a.dataDir, "data-dir", "", "mnist: folder with MNIST's IDX files")
	fs.StringVar(&a.target, "target", "", "csv: the target column (default: the checkpoint's)")
	fs.StringVar(&a.testData, "test-data", "", "csv: evaluate on this test file")
	fs.StringVar(&a.split, "split", "test", "which split: test, val or train")
	fs.IntVar(&a.evalBatch, "eval-batch-size", 1000, "examples per evaluation step")
	return fs, a
}

// loaded is a checkpoint's model, rebuilt, with the recipe it was trained with.
type loaded struct {
	path    string
	f       *checkpoint.File
	recipe  *recipe
	fs      *flag.FlagSet
	scaling *scaling
	classes []string
	spec    models.Spec
}

// loadCheckpoint reads a checkpoint and its recipe; the model is built by build.
func loadCheckpoint(cmd, path string) (*loaded, error) {
	if path == "" {
		return nil, usagef(cmd, "--checkpoint FILE is required")
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: --checkpoint %s: no such file", cmd, path)
	}
	f, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	raw, ok := f.Meta[train.MetaModel]
	if !ok {
		return nil, fmt.Errorf("%s: %s does not say which model it holds (no %q metadata)", cmd, path, train.MetaModel)
	}
	sp, err := models.ParseSpec(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", cmd, path, err)
	}
	saved, sc, classes, err := readMeta(f.Meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", cmd, path, err)
	}
	fs := flag.NewFlagSet("recipe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	r := &recipe{}
	r.register(fs)
	for k, v := range saved {
		if fs.Lookup(k) != nil {
			if err := fs.Set(k, v); err != nil {
				return nil, fmt.Errorf("%s: %s: the recipe's --%s %q: %w", cmd, path, k, v, err)
			}
		}
	}
	r.dtype = f.DType.String()
	r.set = map[string]bool{}
	return &loaded{path: path, f: f, recipe: r, fs: fs, scaling: sc, classes: classes, spec: sp}, nil
}

// build rebuilds the model for data with feats features per example. The
// spec is checked against the checkpoint's tensors before anything large
// is allocated: the graph's memory budget is what the tensors take.
func (l *loaded) build(p *prepared) (*graph.Graph, models.Module, error) {
	ds := p.train
	if l.spec.Kind != "transformer" && l.spec.Kind != "mf" && l.spec.Vocab == 0 && ds.Features() != l.spec.In {
		return nil, nil, fmt.Errorf("the checkpoint's %s model takes %d features, %s has %d (was it trained on another data set?)",
			l.spec.Kind, l.spec.In, ds.Name, ds.Features())
	}
	if ds.Classes > 0 && l.spec.Out != ds.Classes {
		return nil, nil, fmt.Errorf("the checkpoint's model has %d outputs, %s has %d classes (was it trained on another data set?)",
			l.spec.Out, ds.Name, ds.Classes)
	}
	return l.restore()
}

// restore rebuilds the checkpoint's model and loads its tensors.
func (l *loaded) restore() (*graph.Graph, models.Module, error) {
	// A first build under a budget of what the tensors take: a spec asking
	// for more (a crafted or mismatched file) fails before allocating it.
	var bytes int64
	for _, t := range l.f.Params {
		bytes += int64(t.Len()) * 8
	}
	probe, err := graph.New(graph.Config{DType: l.f.DType, MaxMemory: bytes + 1<<20})
	if err != nil {
		return nil, nil, err
	}
	if _, err := models.Build(probe, l.spec); err != nil {
		return nil, nil, fmt.Errorf("%s: the model spec does not fit the checkpoint's tensors: %w", l.path, err)
	}
	if err := l.f.Check(probe); err != nil {
		return nil, nil, err
	}
	g, err := graph.New(graph.Config{DType: l.f.DType})
	if err != nil {
		return nil, nil, err
	}
	m, err := models.Build(g, l.spec)
	if err != nil {
		return nil, nil, err
	}
	if err := l.f.Restore(g); err != nil {
		return nil, nil, err
	}
	return g, m, nil
}

func runEval(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs, a := evalFlags(stdout)
	if err := noPositional(fs, "eval", args); err != nil {
		return err
	}
	l, err := loadCheckpoint("eval", a.checkpoint)
	if err != nil {
		return err
	}
	r := l.recipe
	if a.data != "" {
		r.data, r.testSplit, r.valSplit, r.testData = a.data, 0, 0, ""
	}
	if a.dataDir != "" {
		r.dataDir = a.dataDir
	}
	if a.target != "" {
		r.target = a.target
	}
	if a.testData != "" {
		r.testData, r.testSplit = a.testData, 0
	}
	if a.evalBatch < 1 {
		return usagef("eval", "--eval-batch-size %d (want >= 1)", a.evalBatch)
	}
	r.evalBatch = a.evalBatch
	p, err := r.prepare(ctx, l.scaling)
	if err != nil {
		return err
	}
	var ds *data.Dataset
	switch a.split {
	case "test":
		ds = p.test
		if ds == nil {
			if a.data == "" {
				return fmt.Errorf("eval: the checkpoint's run held out no test set (add --split train or val, or --data / --test-data)")
			}
			ds, p.testName = p.train, "all of "+p.train.Name
		}
	case "val":
		if ds = p.val; ds == nil {
			return fmt.Errorf("eval: the checkpoint's run held out no validation set")
		}
		p.testName = "validation split"
	case "train":
		ds, p.testName = p.train, "training split"
	default:
		return usagef("eval", "--split %q (want test, val or train)", a.split)
	}
	g, m, err := l.build(p)
	if err != nil {
		return err
	}
	// Evaluation needs no optimizer; the trainer wants one.
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 1})
	if err != nil {
		return err
	}
	cfg := train.Config{Epochs: 1, Optimizer: opt, EvalBatchSize: r.evalBatch}
	if p.targetScale != nil {
		cfg.Metrics = p.targetScale.metrics()
	}
	tn, err := train.New(g, m, ds, cfg)
	if err != nil {
		return err
	}
	defer tn.Close()
	mt, err := tn.Evaluate(ds)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "descent: %s model from %s on %s, %s (%d examples)\n", l.spec.Kind, a.checkpoint, ds.Name, p.testName, mt.N)
	return printFinal(stdout, a.split, mt, r.standardizeTarget)
}
