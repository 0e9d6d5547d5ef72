package optbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Main runs the optbench command line with the built-in registry:
//
//	optimizers   run protocols on problems and optimizers locally, write the report
//	plan         fix a sweep in a store; print its trials (json) or a SLURM job array
//	run          run a shard of a planned sweep (--shard i/N), or one trial (--trial KEY)
//	merge        write the report of a store's sweep
//	list         list the problems, optimizers (with every hyperparameter) and suites
//
// "descent bench <command>" is the same. Flags may follow positional
// words. It returns an error for the caller to print (and exit 1).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	reg, err := NewRegistry()
	if err != nil {
		return err
	}
	return MainWith(ctx, reg, args, stdout, stderr)
}

// MainWith is Main with a registry of the caller's: problems and
// optimizers added to it join every command, protocol and sweep file.
func MainWith(ctx context.Context, reg *Registry, args []string, stdout, stderr io.Writer) error {
	cmd, rest := splitCommand(args)
	switch cmd {
	case "", "help":
		for _, a := range rest {
			if a == "-h" || a == "-help" || a == "--help" {
				cmd = "help"
			}
		}
		if cmd == "" {
			return usageErr("", "a command is needed: optimizers, plan, run, merge or list")
		}
		fmt.Fprint(stdout, mainHelp)
		return nil
	case "optimizers":
		return cmdOptimizers(ctx, reg, rest, stdout, stderr)
	case "plan":
		return cmdPlan(ctx, reg, rest, stdout, stderr)
	case "run":
		return cmdRun(ctx, reg, rest, stdout, stderr)
	case "merge":
		return cmdMerge(ctx, reg, rest, stdout, stderr)
	case "list":
		return cmdList(reg, rest, stdout)
	}
	return usageErr("", fmt.Sprintf("unknown command %q (want optimizers, plan, run, merge or list)", cmd))
}

const mainHelp = `optbench: benchmark optimizers the way DeepOBS and AlgoPerf do, locally or on a SLURM cluster.

Usage: optbench <command> [flags]      ("descent bench <command>" is the same)

Commands:
  optimizers   run the protocols (oneshot, deepobs, algoperf) on problems and optimizers
               with --workers N, keep every trial in --store, write the report to --report;
               --check-references compares results with published DeepOBS/AlgoPerf numbers
  plan         fix a sweep in --store and print its trials (--format json) or a SLURM
               job-array script and its submit script (--format slurm --out DIR)
  run          run shard i of N of a planned sweep (--shard i/N), or one trial (--trial KEY)
  merge        write the report of the sweep in --store
  list         list the problems, the optimizers with every hyperparameter, and the suites

Results are bit-identical for any number of workers or shards; a rerun skips finished
trials, so an interrupted run resumes where it stopped. "optbench <command> --help" lists
a command's flags.
`

// usageError is a user error with a one-line hint.
type usageError struct{ cmd, msg string }

func (e *usageError) Error() string {
	help := "optbench --help"
	if e.cmd != "" {
		help = "optbench " + e.cmd + " --help"
	}
	return fmt.Sprintf("%s (see %q)", e.msg, help)
}

func usageErr(cmd, msg string) error { return &usageError{cmd: cmd, msg: msg} }

// IsUsage reports whether err is a command-line usage error.
func IsUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// boolFlags and valueFlags of every command, to find the command word
// among flags placed before it.
var valueFlags = map[string]bool{}

// splitCommand returns the first word that is neither a flag nor a flag's
// value, and the other arguments.
func splitCommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && valueFlags[name] {
				i++ // its value
			}
			continue
		}
		return a, append(append([]string{}, args[:i]...), args[i+1:]...)
	}
	return "", args
}

// parse parses flags anywhere among args; it returns the positional words.
// --help prints the command's help to stdout and returns errHelp.
func parse(fs *flag.FlagSet, cmd, help string, args []string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, help)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil, errHelp
		}
		if err != nil {
			return nil, usageErr(cmd, err.Error())
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

var errHelp = errors.New("help shown")

func newFlags(cmd string) *flag.FlagSet { return flag.NewFlagSet(cmd, flag.ContinueOnError) }

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// sweepFlags are the flags that choose and adjust a sweep.
type sweepFlags struct {
	suite, sweepFile, protocol, problems, optimizers, lrs, version string
	seeds, reruns, trials, studies                                 int
	searchSeed                                                     uint64
	set                                                            listFlag
}

func addSweepFlags(fs *flag.FlagSet, s *sweepFlags, reg *Registry) {
	fs.StringVar(&s.suite, "suite", "quick", "suite: "+strings.Join(reg.Suites(), ", ")+" (the base the other flags adjust)")
	fs.StringVar(&s.sweepFile, "sweep", "", "sweep file (JSON, see the package doc); replaces --suite")
	fs.StringVar(&s.protocol, "protocol", "", "protocols: oneshot, deepobs, algoperf or all, comma-separated (default: the suite's)")
	fs.StringVar(&s.problems, "problems", "", "problems, comma-separated; NAME@epochs=E or NAME@steps=S sets a budget (default: the suite's)")
	fs.StringVar(&s.optimizers, "optimizers", "", "optimizers, comma-separated (default: the suite's); see \"optbench list\"")
	fs.Var(&s.set, "set", "fix a hyperparameter: OPTIMIZER.PARAM=VALUE (repeatable; e.g. --set adam.beta1=0.95)")
	fs.IntVar(&s.seeds, "seeds", 0, "oneshot: seeds per contender (default: the suite's, 5)")
	fs.StringVar(&s.lrs, "lrs", "", "deepobs: learning-rate grid, comma-separated or logspace:A:B:N for 10^A..10^B in N points")
	fs.IntVar(&s.reruns, "reruns", 0, "deepobs: seeds of the best setting (default 10)")
	fs.IntVar(&s.trials, "trials", 0, "algoperf: quasi-random trials per study (default: the suite's)")
	fs.IntVar(&s.studies, "studies", 0, "algoperf: independent studies (default: the suite's)")
	fs.Uint64Var(&s.searchSeed, "search-seed", 0, "algoperf: seed of the quasi-random search")
	fs.StringVar(&s.version, "code-version", "", "code version in every trial key (default "+CodeVersion+")")
}

func init() {
	for _, n := range []string{"suite", "sweep", "protocol", "problems", "optimizers", "set", "seeds", "lrs", "reruns", "trials",
		"studies", "search-seed", "code-version", "workers", "store", "report", "mnist-dir", "format", "shards", "out", "bin",
		"partition", "time", "cpus-per-task", "shard", "trial"} {
		valueFlags[n] = true
	}
}

// sweep builds the sweep the flags describe.
func (s *sweepFlags) sweep(cmd string, reg *Registry) (Sweep, error) {
	var sw Sweep
	var err error
	if s.sweepFile != "" {
		if sw, err = ReadSweep(s.sweepFile); err != nil {
			return sw, usageErr(cmd, err.Error())
		}
	} else if sw, err = reg.Suite(s.suite); err != nil {
		return sw, usageErr(cmd, "--suite: "+err.Error())
	}
	if s.protocol != "" {
		sw.Protocols = nil
		for _, p := range splitList(s.protocol) {
			if p == "all" {
				sw.Protocols = append(sw.Protocols, "oneshot", "deepobs", "algoperf")
				continue
			}
			if _, err := protocolByName(p); err != nil {
				return sw, usageErr(cmd, "--protocol: "+err.Error())
			}
			sw.Protocols = append(sw.Protocols, p)
		}
	}
	if s.problems != "" {
		sw.Problems = nil
		sw.OneShot.Problems, sw.DeepOBS.Problems, sw.AlgoPerf.Problems = nil, nil, nil
		for _, item := range splitList(s.problems) {
			ref := ProblemRef{Name: item}
			if name, budget, ok := strings.Cut(item, "@"); ok {
				ref.Name = name
				kind, n, ok := strings.Cut(budget, "=")
				v, err := strconv.Atoi(n)
				if !ok || err != nil || v < 1 || (kind != "epochs" && kind != "steps") {
					return sw, usageErr(cmd, fmt.Sprintf("--problems: %q (want NAME, NAME@epochs=E or NAME@steps=S)", item))
				}
				if kind == "epochs" {
					ref.Budget.Epochs = v
				} else {
					ref.Budget.Steps = v
				}
			}
			sw.Problems = append(sw.Problems, ref)
		}
	}
	if s.optimizers != "" {
		sw.Optimizers = nil
		for _, o := range splitList(s.optimizers) {
			sw.Optimizers = append(sw.Optimizers, Contender{Optimizer: o})
		}
	}
	for _, item := range s.set {
		lhs, val, ok := strings.Cut(item, "=")
		opt, param, ok2 := strings.Cut(lhs, ".")
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if !ok || !ok2 || err != nil {
			return sw, usageErr(cmd, fmt.Sprintf("--set %q (want OPTIMIZER.PARAM=VALUE, e.g. adam.beta1=0.95)", item))
		}
		found := false
		for i := range sw.Optimizers {
			if sw.Optimizers[i].Optimizer == opt {
				if sw.Optimizers[i].Set == nil {
					sw.Optimizers[i].Set = Setting{}
				}
				sw.Optimizers[i].Set[param] = v
				found = true
			}
		}
		if !found {
			return sw, usageErr(cmd, fmt.Sprintf("--set %q: no contender uses optimizer %q", item, opt))
		}
	}
	if s.seeds != 0 {
		sw.Seeds = s.seeds
	}
	if s.reruns != 0 {
		sw.DeepOBS.Reruns = s.reruns
	}
	if s.trials != 0 {
		sw.AlgoPerf.Trials = s.trials
	}
	if s.studies != 0 {
		sw.AlgoPerf.Studies = s.studies
	}
	if s.searchSeed != 0 {
		sw.AlgoPerf.Seed = s.searchSeed
	}
	if s.version != "" {
		sw.CodeVersion = s.version
	}
	if s.lrs != "" {
		lrs, err := parseLRs(s.lrs)
		if err != nil {
			return sw, usageErr(cmd, "--lrs: "+err.Error())
		}
		sw.DeepOBS.LRs = lrs
	}
	if sw.Suite != "" && (s.protocol != "" || s.problems != "" || s.optimizers != "" || len(s.set) > 0 || s.seeds != 0 || s.reruns != 0 ||
		s.trials != 0 || s.studies != 0 || s.searchSeed != 0 || s.lrs != "") {
		sw.Suite += " (adjusted by flags)"
	}
	if s.seeds < 0 || s.reruns < 0 || s.trials < 0 || s.studies < 0 {
		return sw, usageErr(cmd, "--seeds, --reruns, --trials and --studies want values >= 1")
	}
	return sw, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseLRs reads "a,b,c" or "logspace:A:B:N".
func parseLRs(s string) ([]float64, error) {
	if rest, ok := strings.CutPrefix(s, "logspace:"); ok {
		f := strings.Split(rest, ":")
		if len(f) != 3 {
			return nil, fmt.Errorf("%q (want logspace:A:B:N)", s)
		}
		a, e1 := strconv.ParseFloat(f[0], 64)
		b, e2 := strconv.ParseFloat(f[1], 64)
		n, e3 := strconv.Atoi(f[2])
		if e1 != nil || e2 != nil || e3 != nil || n < 1 || n > 1000 || a > b {
			return nil, fmt.Errorf("%q (want logspace:A:B:N with A <= B, 1 <= N <= 1000)", s)
		}
		out := make([]float64, n)
		for i := range out {
			e := a
			if n > 1 {
				e = a + (b-a)*float64(i)/float64(n-1)
			}
			out[i] = pow10(e)
		}
		return out, nil
	}
	var out []float64
	for _, f := range splitList(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || !(v > 0) {
			return nil, fmt.Errorf("%q is not a learning rate > 0", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no learning rates in %q", s)
	}
	return out, nil
}

func cmdList(reg *Registry, args []string, stdout io.Writer) error {
	fs := newFlags("list")
	if _, err := parse(fs, "list", "Usage: optbench list\n\nLists the problems, the optimizers with every hyperparameter (name=default) and their search spaces, and the suites.\n", args, stdout); err != nil {
		return helpOK(err)
	}
	fmt.Fprintln(stdout, "Problems:")
	for _, n := range reg.Problems() {
		p, _ := reg.Problem(n)
		target := "no target"
		if p.Target == p.Target {
			target = fmt.Sprintf("target valid %s %s", p.Metric, fmtMetric(p.Metric, p.Target))
		}
		fmt.Fprintf(stdout, "  %-18s %s; %s, batch %d, %s\n", n, p.Title, p.Budget, p.BatchSize, target)
	}
	fmt.Fprintln(stdout, "Optimizers (hyperparameter=default; --set OPTIMIZER.PARAM=VALUE):")
	for _, n := range reg.Optimizers() {
		o, _ := reg.Optimizer(n)
		var ps []string
		for _, p := range o.Params {
			ps = append(ps, fmt.Sprintf("%s=%g", p.Name, p.Default))
		}
		var sp []string
		for _, r := range o.Space {
			sp = append(sp, fmt.Sprintf("%s %s [%g, %g]", r.Param, r.Scale, r.Min, r.Max))
		}
		fmt.Fprintf(stdout, "  %-10s %s\n             %s\n             search: %s\n", n, o.Help, strings.Join(ps, " "), strings.Join(sp, "; "))
	}
	fmt.Fprintln(stdout, "Suites:")
	for _, n := range reg.Suites() {
		s, _ := reg.Suite(n)
		var ps, os []string
		for _, p := range s.Problems {
			ps = append(ps, p.Name)
		}
		for _, o := range s.Optimizers {
			os = append(os, o.Optimizer)
		}
		fmt.Fprintf(stdout, "  %-6s protocols %s; problems %s; optimizers %s\n", n, strings.Join(s.Protocols, ","), strings.Join(ps, ","), strings.Join(os, ","))
	}
	return nil
}

// helpOK turns the "help shown" signal into success.
func helpOK(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}
