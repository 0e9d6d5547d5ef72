package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/runs"
	"github.com/descent-ml/descent/train"
)

const trainSynopsis = `Trains a model and reports its loss and metrics per epoch, then on the
test set. Without flags: an MLP 784-256-128-10 on MNIST with SGD momentum
(lr 0.05, momentum 0.9, batch 128, 10 epochs), ending with the line
"test accuracy NN.NN%".

Classification data (mnist, spirals, moons, seq:recall, csv with class
labels of any values) trains on softmax cross-entropy and reports accuracy;
regression data on mean squared error, reporting RMSE, MAE and R2 too
(in the target's units, also with --standardize-target). Metrics go to
stdout, a progress bar to stderr when it is a terminal. Every run is
recorded under --runs-dir (see "descent runs").

Ctrl-C (or SIGTERM) stops after the current step, writing DIR/last.safetensors
when --checkpoint-dir is set; "descent train --resume DIR" (or the file)
continues the run bit-identically with the checkpoint's flags. A flag given
again with another value is an error naming it; --override applies a new
learning rate, schedule, clipping or early-stopping setting deliberately.`

// trainArgs holds train's flags: the recipe and the run's outputs.
type trainArgs struct {
	recipe
	ckptDir       string
	ckptEvery     int
	resume        string
	override      bool
	metrics, plot string
	runsDir       string
}

// trainFlags defines train's flags (parsed without running by FuzzArgs).
func trainFlags(stdout io.Writer) (*flag.FlagSet, *trainArgs) {
	fs := newFlagSet("train", trainSynopsis, stdout)
	a := &trainArgs{}
	a.register(fs)
	fs.StringVar(&a.ckptDir, "checkpoint-dir", "", "write DIR/last.safetensors every --checkpoint-every epochs and on Ctrl-C, DIR/best.safetensors on each validation improvement")
	fs.IntVar(&a.ckptEvery, "checkpoint-every", 1, "epochs between checkpoints (>= 1)")
	fs.StringVar(&a.resume, "resume", "", "continue the run of a checkpoint: its folder (DIR/last.safetensors) or file")
	fs.BoolVar(&a.override, "override", false, "with --resume: apply changed --lr, --schedule, clipping and early-stopping flags deliberately")
	fs.StringVar(&a.metrics, "metrics", "", "write per-epoch metrics to FILE (.csv, or JSON lines)")
	fs.StringVar(&a.plot, "plot", "", "write the loss and accuracy curves to FILE (.png or .svg)")
	fs.StringVar(&a.runsDir, "runs-dir", "runs", "record the run in this folder (\"\": do not record)")
	return fs, a
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, a := trainFlags(stdout)
	if err := noPositional(fs, "train", args); err != nil {
		return err
	}
	r := &a.recipe
	r.set = setFlags(fs)
	var resumeFrom string
	if a.resume != "" {
		path, saved, err := resumePoint(a.resume)
		if err != nil {
			return err
		}
		if err := r.adopt(fs, saved, a.override, "train"); err != nil {
			return err
		}
		resumeFrom = path
		if a.ckptDir == "" {
			a.ckptDir = filepath.Dir(path)
		}
	} else if a.override {
		return usagef("train", "--override needs --resume")
	}
	if err := r.check("train"); err != nil {
		return err
	}
	if a.ckptEvery < 1 {
		return usagef("train", "--checkpoint-every %d (want >= 1)", a.ckptEvery)
	}
	if err := checkOutputs(a); err != nil {
		return err
	}
	var rec *runs.Run
	if a.runsDir != "" {
		store, err := runs.Open(a.runsDir)
		if err != nil {
			return err
		}
		if rec, err = store.Begin(runs.Record{Kind: "train", Command: append([]string{"train"}, args...), Config: r.values(fs),
			Model: r.model, Optimizer: r.optimizer, Data: r.data}); err != nil {
			return err
		}
	}
	results, artifacts, err := trainRun(ctx, fs, a, resumeFrom, stdout, stderr, rec)
	if rec != nil {
		if ferr := rec.Finish(results, artifacts, err); ferr != nil && err == nil {
			err = ferr
		}
	}
	return err
}

// resumePoint finds the checkpoint --resume names (a folder's
// last.safetensors, or a file) and returns its recipe.
func resumePoint(arg string) (string, map[string]string, error) {
	path := arg
	st, err := os.Stat(arg)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil, fmt.Errorf("--resume %s: no such file or directory", arg)
	}
	if err != nil {
		return "", nil, fmt.Errorf("--resume: %w", err)
	}
	if st.IsDir() {
		path = filepath.Join(arg, "last.safetensors")
		if _, err := os.Stat(path); err != nil {
			return "", nil, fmt.Errorf("--resume %s: no last.safetensors in this folder (no such file)", arg)
		}
	}
	f, err := checkpoint.Load(path)
	if err != nil {
		return "", nil, fmt.Errorf("--resume: %w", err)
	}
	recipe, _, _, err := readMeta(f.Meta)
	if err != nil {
		return "", nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	if recipe == nil {
		return "", nil, fmt.Errorf("--resume %s: the checkpoint has no recipe (it was not written by descent train)", path)
	}
	return path, recipe, nil
}

// checkOutputs checks, before any training, that the files a run will
// write can be written.
func checkOutputs(a *trainArgs) error {
	writable := func(flagName, path string) error {
		if path == "" {
			return nil
		}
		dir := filepath.Dir(path)
		f, err := os.CreateTemp(dir, ".descent-check-*")
		if err != nil {
			return fmt.Errorf("--%s %s: cannot write in %s: %w", flagName, path, dir, err)
		}
		f.Close()
		return os.Remove(f.Name())
	}
	if a.plot != "" {
		if ext := strings.ToLower(filepath.Ext(a.plot)); ext != ".png" && ext != ".svg" {
			return usagef("train", "--plot %s: want a .png or .svg file", a.plot)
		}
	}
	if err := writable("plot", a.plot); err != nil {
		return err
	}
	if err := writable("metrics", a.metrics); err != nil {
		return err
	}
	if a.ckptDir != "" {
		if err := os.MkdirAll(a.ckptDir, 0o755); err != nil {
			return fmt.Errorf("--checkpoint-dir: %w", err)
		}
		if err := writable("checkpoint-dir", filepath.Join(a.ckptDir, "x")); err != nil {
			return err
		}
	}
	return nil
}

// built is what loading and building produce.
type built struct {
	p   *prepared
	g   *graph.Graph
	m   models.Module
	sp  models.Spec
	cfg train.Config
}

// loadAndBuild loads the data and builds the model, returning early with
// ErrInterrupted when ctx is cancelled meanwhile (Ctrl-C during a long
// load or a large model's initialisation).
func loadAndBuild(ctx context.Context, r *recipe, saved *scaling) (*built, error) {
	type result struct {
		b   *built
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := r.prepare(ctx, saved)
		if err != nil {
			done <- result{err: err}
			return
		}
		g, m, sp, cfg, err := r.build(p)
		done <- result{b: &built{p, g, m, sp, cfg}, err: err}
	}()
	select {
	case res := <-done:
		return res.b, res.err
	case <-ctx.Done():
		return nil, fmt.Errorf("loading the data and building the model: %w", train.ErrInterrupted)
	}
}

func trainRun(ctx context.Context, fs *flag.FlagSet, a *trainArgs, resumeFrom string, stdout, stderr io.Writer, rec *runs.Run) (map[string]float64, map[string]string, error) {
	r := &a.recipe
	start := time.Now()
	var saved *scaling
	if resumeFrom != "" {
		f, err := checkpoint.Load(resumeFrom)
		if err != nil {
			return nil, nil, err
		}
		if _, saved, _, err = readMeta(f.Meta); err != nil {
			return nil, nil, err
		}
	}
	b, err := loadAndBuild(ctx, r, saved)
	if err != nil {
		return nil, nil, err
	}
	p, g, m, sp, cfg := b.p, b.g, b.m, b.sp, b.cfg
	cfg.CheckpointDir, cfg.CheckpointEvery = a.ckptDir, a.ckptEvery
	cfg.Resume, cfg.ResumeFrom = resumeFrom != "", resumeFrom
	cfg.Meta = p.meta(r.values(fs))
	cfg.Log = stdout
	if a.override {
		cfg.AfterResume = func() error { return applyOverrides(r, cfg.Optimizer) }
	}
	var hooks []train.Hooks
	if !r.quiet && isTerminal(stderr) {
		hooks = append(hooks, report.NewProgress(stderr).Hooks())
	}
	if a.metrics != "" {
		mf, err := report.CreateMetricsFile(a.metrics, cfg.Resume)
		if err != nil {
			return nil, nil, err
		}
		defer mf.Close()
		hooks = append(hooks, mf.Hooks())
	}
	if rec != nil {
		hooks = append(hooks, rec.Hooks())
	}
	cfg.Hooks = report.Chain(hooks...)
	tn, err := train.New(g, m, p.train, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer tn.Close()
	for _, n := range p.notes {
		fmt.Fprintln(stdout, "descent:", n)
	}
	params := 0
	for _, q := range m.Params() {
		params += q.Value().Len()
	}
	// Two lines that fit 80 columns in the usual cases.
	fmt.Fprintf(stdout, "training %s (%d parameters, %v) with %s, batch %d, %s\n", sp.Kind, params, g.DType(),
		r.optimizer, cfg.BatchSize, plural(cfg.Epochs, "epoch"))
	fmt.Fprintf(stdout, "  on %s: %d training examples", p.train.Name, p.train.Len())
	if p.val != nil {
		fmt.Fprintf(stdout, ", %d validation", p.val.Len())
	}
	if p.test != nil {
		fmt.Fprintf(stdout, ", %d test (%s)", p.test.Len(), p.testName)
	}
	fmt.Fprintln(stdout)
	artifacts := map[string]string{}
	if a.ckptDir != "" {
		artifacts["checkpoint"] = filepath.Join(a.ckptDir, "last.safetensors")
	}
	if a.metrics != "" {
		artifacts["metrics"] = a.metrics
	}
	h, err := tn.Fit(ctx, p.train, p.val)
	if errors.Is(err, train.ErrNothingToDo) {
		return nil, artifacts, fmt.Errorf("--resume: the checkpoint has %d epochs done and --epochs %d asks for no more (give the total you want, more than %d)", len(h.Epochs), r.epochs, len(h.Epochs))
	}
	if err != nil {
		return nil, artifacts, err
	}
	if h.StoppedEarly {
		fmt.Fprintf(stdout, "early stopping after epoch %d (best epoch %d)\n", len(h.Epochs), h.BestEpoch)
	}
	if a.plot != "" && len(h.Epochs) > 0 {
		if err := report.SaveHistory(a.plot, h.Epochs); err != nil {
			return nil, artifacts, err
		}
		artifacts["plot"] = a.plot
		fmt.Fprintf(stdout, "plot written to %s\n", a.plot)
	}
	final, what := p.test, "test"
	if final == nil {
		final, what = p.train, "train"
	}
	mt, err := tn.Evaluate(final)
	if err != nil {
		return nil, artifacts, err
	}
	fmt.Fprintf(stdout, "wall time %.1fs\n", time.Since(start).Seconds())
	results := map[string]float64{what + "_loss": mt.Loss, "epochs": float64(len(h.Epochs))}
	for k, v := range mt.Values {
		results[what+"_"+k] = v
	}
	if n := len(h.Epochs); n > 0 {
		last := h.Epochs[n-1]
		results["train_loss"] = last.TrainLoss
		if p.val != nil {
			results["val_loss"] = last.ValLoss
			for k, v := range last.Val {
				results["val_"+k] = v
			}
		}
	}
	return results, artifacts, printFinal(stdout, what, mt, r.standardizeTarget)
}

// applyOverrides sets the learning rate given with --override on a
// resumed optimizer (the checkpoint's state brought back the old one).
func applyOverrides(r *recipe, opt optimizers.Optimizer) error {
	if r.lr.v == nil {
		return nil
	}
	groups, ok := opt.(optimizers.LRGroups)
	if !ok {
		return fmt.Errorf("--override --lr: optimizer %s has no learning rate", r.optimizer)
	}
	for i := 0; i < groups.NumGroups(); i++ {
		if err := groups.SetLR(i, *r.lr.v); err != nil {
			return err
		}
	}
	return nil
}

// printFinal prints the last lines: the loss, then accuracy for
// classifiers, RMSE, MAE and R2 for regression.
func printFinal(w io.Writer, what string, m train.Metrics, scaledTarget bool) error {
	if !math.IsNaN(m.Accuracy) {
		fmt.Fprintf(w, "%s loss %.6g\n", what, m.Loss)
		_, err := fmt.Fprintf(w, "%s accuracy %.2f%%\n", what, 100*m.Accuracy)
		return err
	}
	unit := "mean squared error"
	if scaledTarget {
		unit += " of the standardized target"
	}
	fmt.Fprintf(w, "%s loss %.6g (%s)\n", what, m.Loss, unit)
	for _, k := range []string{"rmse", "mae", "r2"} {
		if v, ok := m.Values[k]; ok {
			name := strings.ToUpper(k)
			if k == "r2" {
				name = "R2"
			}
			fmt.Fprintf(w, "%s %s %.6g\n", what, name, v)
		}
	}
	return nil
}

// plural writes "1 epoch" or "3 epochs".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
