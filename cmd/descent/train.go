package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/descent-ml/descent/train"
)

const trainSynopsis = `Trains a model and reports its loss and accuracy per epoch, then on the
test set. Without flags: an MLP 784-256-128-10 on MNIST with SGD momentum
(lr 0.05, momentum 0.9, batch 128, 10 epochs), ending with the line
"test accuracy NN.NN%".

Classification data (mnist, spirals, moons, csv with --task classification)
trains on softmax cross-entropy and reports accuracy; regression data on
mean squared error. Metrics go to stdout, a progress bar to stderr when it
is a terminal. Ctrl-C stops after the current step, writing a checkpoint
when --checkpoint-dir is set; --resume continues such a run bit-identically.`

// trainArgs holds train's flags: the recipe and the run's outputs.
type trainArgs struct {
	recipe
	ckptDir       string
	ckptEvery     int
	resume        bool
	metrics, plot string
}

// trainFlags defines train's flags (parsed without running by FuzzArgs).
func trainFlags(stdout, stderr io.Writer) (*flag.FlagSet, *trainArgs) {
	fs := newFlagSet("train", trainSynopsis, stdout, stderr)
	a := &trainArgs{}
	a.register(fs)
	fs.StringVar(&a.ckptDir, "checkpoint-dir", "", "write DIR/last.safetensors every --checkpoint-every epochs and on Ctrl-C, DIR/best.safetensors on each validation improvement")
	fs.IntVar(&a.ckptEvery, "checkpoint-every", 1, "epochs between checkpoints")
	fs.BoolVar(&a.resume, "resume", false, "continue from --checkpoint-dir's last.safetensors")
	fs.StringVar(&a.metrics, "metrics", "", "write per-epoch metrics to FILE (.csv, or JSON lines)")
	fs.StringVar(&a.plot, "plot", "", "write a PNG of loss and accuracy per epoch to FILE")
	return fs, a
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, a := trainFlags(stdout, stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	r := &a.recipe
	start := time.Now()
	s, err := r.load()
	if err != nil {
		return err
	}
	g, m, sp, cfg, err := r.build(s)
	if err != nil {
		return err
	}
	tr, val, rest, err := r.prepare(s.train, s.test)
	if err != nil {
		return err
	}
	test := rest[0]
	cfg.CheckpointDir, cfg.CheckpointEvery, cfg.Resume = a.ckptDir, a.ckptEvery, a.resume
	cfg.MetricsPath, cfg.PlotPath = a.metrics, a.plot
	cfg.Log = stdout
	if !r.quiet && isTerminal(stderr) {
		cfg.Progress = stderr
	}
	tn, err := train.New(g, m, tr, cfg)
	if err != nil {
		return err
	}
	defer tn.Close()
	params := 0
	for _, p := range m.Params() {
		params += p.Value().Len()
	}
	fmt.Fprintf(stdout, "descent: training %s (%d parameters, %v) on %s: %d training examples", sp.Kind, params, g.DType(), tr.Name, tr.Len())
	if val != nil {
		fmt.Fprintf(stdout, ", %d validation", val.Len())
	}
	if test != nil {
		fmt.Fprintf(stdout, ", %d test", test.Len())
	}
	fmt.Fprintf(stdout, "; optimizer %s, batch %d, %d epochs\n", r.optimizer, cfg.BatchSize, cfg.Epochs)
	h, err := tn.Fit(ctx, tr, val)
	if err != nil {
		return err
	}
	if h.StoppedEarly {
		fmt.Fprintf(stdout, "early stopping after epoch %d (best epoch %d)\n", len(h.Epochs), h.BestEpoch)
	}
	if a.plot != "" {
		fmt.Fprintf(stdout, "plot written to %s\n", a.plot)
	}
	final, what := test, "test"
	if final == nil {
		final, what = tr, "train"
	}
	mt, err := tn.Evaluate(final)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wall time %.1fs\n", time.Since(start).Seconds())
	return printFinal(stdout, what, mt)
}

// printFinal prints the last line: accuracy for classifiers, loss otherwise.
func printFinal(w io.Writer, what string, m train.Metrics) error {
	if !math.IsNaN(m.Accuracy) {
		fmt.Fprintf(w, "%s loss %.6g\n", what, m.Loss)
		_, err := fmt.Fprintf(w, "%s accuracy %.2f%%\n", what, 100*m.Accuracy)
		return err
	}
	_, err := fmt.Fprintf(w, "%s loss %.6g (mean squared error)\n", what, m.Loss)
	return err
}
