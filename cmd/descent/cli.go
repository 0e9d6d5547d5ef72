package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

const usage = `descent: train, evaluate and benchmark models built on gorgonia.

Usage:
  descent <command> [flags]

Commands:
  train     train a model (default: MLP 784-256-128-10 on MNIST, SGD momentum)
  eval      evaluate a checkpoint on a dataset's test set
  cv        k-fold cross-validation of a training recipe
  bench     benchmarks (descent bench matmul)
  version   print the version, Go version and BLAS backend

Run "descent <command> --help" for a command's flags.

Examples:
  descent train                                   # MLP on MNIST
  descent train --model cnn --epochs 3            # conv net on MNIST
  descent train --data linreg --model linear --optimizer gd --lr 0.01 --epochs 1000 --log-every 100
  descent train --data csv:houses.csv --target price --standardize --model mlp --hidden 32
  descent train --checkpoint-dir ckpt --epochs 20  # Ctrl-C, then add --resume to continue
  descent eval --checkpoint ckpt/last.safetensors --data mnist
  descent cv --folds 5 --data spirals --model mlp --hidden 32,32
`

// run is the testable body of main.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command (want train, eval, cv, bench or version)")
	}
	switch args[0] {
	case "train":
		return runTrain(ctx, args[1:], stdout, stderr)
	case "eval":
		return runEval(ctx, args[1:], stdout, stderr)
	case "cv":
		return runCV(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q (want train, eval, cv, bench or version)", args[0])
}

// newFlagSet returns a flag set that prints its usage on -h/--help to stdout.
func newFlagSet(name, synopsis string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("descent "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fs.SetOutput(stdout)
		fmt.Fprintf(stdout, "Usage: descent %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	return fs
}

// parse parses args and rejects positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags only)", fs.Name(), fs.Arg(0))
	}
	return nil
}

// isTerminal reports whether w is a terminal (progress bars go only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == ""
}

// intList parses "256,128": comma-separated decimal integers > 0.
func intList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p)) // the whole field: not "128x"
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a list of positive integers (e.g. 256,128): %q is not one", s, p)
		}
		out = append(out, v)
	}
	return out, nil
}
