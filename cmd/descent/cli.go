package main

import (
	"context"
	"errors"
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
  eval      evaluate a checkpoint on the held-out split it was trained with
  predict   print a checkpoint's predictions for a data set
  export    write a checkpoint's model as ONNX (--format onnx --out model.onnx)
  cv        k-fold cross-validation of a training recipe
  bench     benchmarks: matmul, scaling, optimizers, plan, run, merge
  runs      list, show, compare and report recorded runs
  version   print the version, Go version and BLAS backend

Run "descent <command> --help" for a command's flags.

Examples:
  descent train                                   # MLP on MNIST
  descent train --model cnn --epochs 3            # conv net on MNIST
  descent train --data linreg --model linear --optimizer gd --lr 0.01 --epochs 1000 --log-every 100
  descent train --data csv:testdata/diabetes.csv --target progression --standardize --standardize-target --model mlp --hidden 32 --test-split 0.2
  descent train --data seq:recall --model transformer --layers 1 --optimizer adam --lr 0.002 --batch-size 32 --schedule cosine:15 --epochs 15
  descent train --data ratings:synthetic --model mf --factors 8 --optimizer adam --lr 0.003 --epochs 20
  descent train --checkpoint-dir ckpt --epochs 20  # Ctrl-C, then: descent train --resume ckpt
  descent eval --checkpoint ckpt/best.safetensors
  descent cv --folds 5 --data csv:testdata/iris.csv --target species --model softmax --stratified
`

// command is one subcommand.
type command struct {
	name string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"train", runTrain}, {"eval", runEval}, {"predict", runPredict}, {"export", runExport}, {"cv", runCV},
		{"bench", runBench}, {"runs", runRuns},
		{"version", func(_ context.Context, _ []string, stdout, _ io.Writer) error { return runVersion(stdout) }},
	}
}

// run is the testable body of main.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &usageError{msg: "no command (want train, eval, predict, export, cv, bench, runs or version)"}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "--version", "-version":
		return runVersion(stdout)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q (want train, eval, predict, export, cv, bench, runs or version)", args[0])}
}

// usageError is a mistake on the command line: main prints it with a
// one-line hint instead of the whole usage.
type usageError struct {
	cmd string // the subcommand, "" for the top level
	msg string
}

func (e *usageError) Error() string {
	if e.cmd == "" {
		return e.msg
	}
	return e.cmd + ": " + e.msg
}

// hint is the line main prints after a usage error.
func (e *usageError) hint() string {
	if e.cmd == "" {
		return `run "descent --help" for the commands`
	}
	return fmt.Sprintf(`run "descent %s --help" for its flags`, e.cmd)
}

// usagef returns a usageError of cmd.
func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// newFlagSet returns a flag set whose parse errors are returned, not
// printed, and whose -h/--help prints the command's full help to stdout.
func newFlagSet(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("descent "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fs.SetOutput(stdout)
		fmt.Fprintf(stdout, "Usage: descent %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseArgs parses flags anywhere among the arguments ("bench optimizers
// --problems moons" as "bench --problems moons optimizers") and returns
// the positional ones. Errors are usageErrors of cmd; -h/--help returns
// flag.ErrHelp after printing the help.
func parseArgs(fs *flag.FlagSet, cmd string, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{cmd: cmd, msg: strings.TrimPrefix(err.Error(), "flag provided but not defined: ")}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" && len(fs.Args()) > 0 {
			return append(pos, rest[1:]...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// noPositional parses args that must be flags only.
func noPositional(fs *flag.FlagSet, cmd string, args []string) error {
	pos, err := parseArgs(fs, cmd, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(cmd, "unexpected argument %q (this command takes flags only)", pos[0])
	}
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// isTerminal reports whether w is a terminal (progress bars go only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == ""
}

// intList parses "256,128": each field a whole positive integer.
func intList(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a list of positive integers (e.g. 256,128)", s)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseBytes reads a size such as "8GiB", "500MB" or "1073741824".
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) || v*mult > 1<<62 {
		return 0, fmt.Errorf("%q is not a size (want e.g. 8GiB, 500MB or a number of bytes)", s)
	}
	return int64(v * mult), nil
}
