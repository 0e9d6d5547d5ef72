package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/internal/blas"
	"github.com/descent-ml/descent/optbench"
	"github.com/descent-ml/descent/runs"
	"github.com/descent-ml/descent/train"
)

const benchSynopsis = `Benchmarks:

  descent bench matmul [--sizes 64,128,...] [--time 300ms]
      square matrix products on the active BLAS backend (pure Go by default,
      OpenBLAS when built with -tags openblas): GFLOP/s per size and dtype,
      each also as a fraction of the table's best for that dtype
  descent bench scaling [--threads 1,2,...] [--workloads ...] [--time 2s]
      the sgemm (n = 512, 1024), the MLP and the CNN training step at each
      thread count (default 1 to GOMAXPROCS), the thread counts taking
      turns run by run: median time, spread and the speed-up over the
      fewest threads; the results are bit-identical at every thread count
      (only the time changes)
  descent bench optimizers | plan | run | merge | list [flags]
      the optimizer benchmark (package optbench): DeepOBS's and AlgoPerf's
      protocols on their problems, locally (--workers N) or as a SLURM job
      array (plan --format slurm); "descent bench optimizers --help" lists
      its flags, "descent bench list" its problems, optimizers and suites

Each run is recorded under --runs-dir (default runs/; "" records nothing):
see "descent runs". The full benchmark suite is "go test ./bench -bench .".`

// optbenchCommands are the bench words package optbench runs; they come
// first ("descent bench optimizers --suite quick"), their flags are
// optbench's own.
var optbenchCommands = map[string]bool{"optimizers": true, "plan": true, "run": true, "merge": true, "list": true}

// benchArgs holds bench's flags.
type benchArgs struct {
	sizes, threads, workloads string
	budget                    time.Duration
	runsDir                   string
}

// benchFlags defines the flags of bench matmul (parsed without running by
// FuzzArgs); the benchmark's name follows them.
func benchFlags(stdout io.Writer) (*flag.FlagSet, *benchArgs) {
	fs := newFlagSet("bench", benchSynopsis, stdout)
	a := &benchArgs{}
	fs.StringVar(&a.sizes, "sizes", "64,128,256,512,1024", "matmul: matrix sizes n (n×n by n×n)")
	fs.DurationVar(&a.budget, "time", 0, "matmul: time spent measuring each size (default 300ms); scaling: per workload and thread count (default 2s)")
	fs.StringVar(&a.threads, "threads", "", "scaling: thread counts (default 1 to GOMAXPROCS)")
	fs.StringVar(&a.workloads, "workloads", strings.Join(bench.ScalingWorkloads, ","), "scaling: workloads")
	fs.StringVar(&a.runsDir, "runs-dir", "runs", "record the run in this folder (\"\": do not record)")
	return fs, a
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && optbenchCommands[args[0]] {
		return runOptbench(ctx, args, stdout, stderr)
	}
	fs, a := benchFlags(stdout)
	pos, err := parseArgs(fs, "bench", args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "matmul" && pos[0] != "scaling") {
		return usagef("bench", "want a benchmark: matmul, scaling, optimizers, plan, run, merge or list")
	}
	set := setFlags(fs)
	if pos[0] == "matmul" {
		for _, f := range []string{"threads", "workloads"} {
			if set[f] {
				return usagef("bench", "--%s applies to bench scaling only", f)
			}
		}
		ns, err := benchSizes(a.sizes)
		if err != nil {
			return err
		}
		budget := a.budget
		if budget == 0 {
			budget = 300 * time.Millisecond
		}
		return recordBench(a.runsDir, args, benchConfig(args), "", "", func() (map[string]float64, map[string]string, error) {
			return benchMatmul(ctx, stdout, ns, budget)
		})
	}
	if set["sizes"] {
		return usagef("bench", "--sizes applies to bench matmul only")
	}
	cfg := bench.ScalingConfig{MinTime: a.budget, Workloads: strings.Split(a.workloads, ",")}
	for _, w := range cfg.Workloads {
		if !slices.Contains(bench.ScalingWorkloads, w) {
			return usagef("bench", "--workloads: %q (want some of %s)", w, strings.Join(bench.ScalingWorkloads, ", "))
		}
	}
	if a.threads != "" {
		ts, err := intList(a.threads)
		if err != nil {
			return usagef("bench", "--threads: %v", err)
		}
		for _, n := range ts {
			if n < 1 || n > 1024 {
				return usagef("bench", "--threads: %d (want 1 to 1024)", n)
			}
		}
		cfg.Threads = ts
	}
	return recordBench(a.runsDir, args, benchConfig(args), "", "", func() (map[string]float64, map[string]string, error) {
		fmt.Fprintf(stdout, "backend: %s, GOMAXPROCS %d, %d cores\n", blas.Name(), runtime.GOMAXPROCS(0), runtime.NumCPU())
		rows, err := bench.Scaling(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		results := map[string]float64{}
		for _, r := range rows {
			results[fmt.Sprintf("%s_ms_%dt", r.Workload, r.Threads)] = float64(r.Median) / float64(time.Millisecond)
		}
		return results, nil, bench.WriteScaling(stdout, rows)
	})
}

// runOptbench runs an optbench command, recording it (list and help
// excepted) as a bench run.
func runOptbench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	runsDir, rest := "runs", make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "runs-dir" {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 == len(args) {
				return usagef("bench", "--runs-dir needs a folder")
			}
			i++
			val = args[i]
		}
		runsDir = val
	}
	help := false
	for _, a := range rest {
		help = help || a == "-h" || a == "-help" || a == "--help"
	}
	if rest[0] == "list" || help {
		return optbench.Main(ctx, rest, stdout, stderr)
	}
	cfg := benchConfig(rest)
	artifacts := map[string]string{"store": orDefault(cfg["store"], "optbench-store")}
	if rest[0] == "optimizers" || rest[0] == "merge" {
		artifacts["report"] = filepath.Join(orDefault(cfg["report"], "optbench-report"), "report.md")
	}
	data := cfg["problems"]
	if data == "" && cfg["suite"] != "" {
		data = "suite " + cfg["suite"]
	}
	return recordBench(runsDir, args, cfg, cfg["optimizers"], data, func() (map[string]float64, map[string]string, error) {
		return nil, artifacts, optbench.Main(ctx, rest, stdout, stderr)
	})
}

// benchConfig reads a command line's words and flags into a run record's
// configuration: "command" is the first word, each --name value (or
// --name=value, or a lone --name: true) an entry.
func benchConfig(args []string) map[string]string {
	cfg := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if cfg["command"] == "" {
				cfg["command"] = a
			}
			continue
		}
		name, val, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !ok {
			val = "true"
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && !optbenchCommands[args[i+1]] && args[i+1] != "matmul" {
				i++
				val = args[i]
			}
		}
		cfg[name] = val
	}
	return cfg
}

// recordBench runs f, recording it in the run store at dir ("" records
// nothing); Ctrl-C (a cancelled context) records the run as interrupted.
func recordBench(dir string, args []string, cfg map[string]string, optimizer, data string, f func() (map[string]float64, map[string]string, error)) error {
	if dir == "" {
		_, _, err := f()
		return err
	}
	store, err := runs.Open(dir)
	if err != nil {
		return err
	}
	rec, err := store.Begin(runs.Record{Kind: "bench", Command: append([]string{"bench"}, args...), Config: cfg,
		Optimizer: optimizer, Data: data})
	if err != nil {
		return err
	}
	results, artifacts, err := f()
	ferr := err
	if errors.Is(err, context.Canceled) {
		ferr = fmt.Errorf("%w: %w", train.ErrInterrupted, err)
	}
	if e := rec.Finish(results, artifacts, ferr); e != nil && err == nil {
		err = e
	}
	return err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// benchMatmul prints the GFLOP/s table and returns each dtype's best rate.
func benchMatmul(ctx context.Context, stdout io.Writer, ns []int, budget time.Duration) (map[string]float64, map[string]string, error) {
	fmt.Fprintf(stdout, "backend: %s, GOMAXPROCS %d\n", blas.Name(), runtime.GOMAXPROCS(0))
	if h := blas.Hint(); h != "" {
		fmt.Fprintln(stdout, "note:", h)
	}
	type row struct {
		dtype  string
		n      int
		gflops float64
	}
	var rows []row
	best := map[string]float64{}
	for _, dt := range []string{"f32", "f64"} {
		for _, n := range ns {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			var g float64
			if dt == "f32" {
				g = measure[float32](n, budget)
			} else {
				g = measure[float64](n, budget)
			}
			rows = append(rows, row{dt, n, g})
			best[dt] = max(best[dt], g)
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dtype\tn\tGFLOP/s\tof best\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.0f%%\t\n", r.dtype, r.n, r.gflops, 100*r.gflops/best[r.dtype])
	}
	results := map[string]float64{"best_gflops_f32": best["f32"], "best_gflops_f64": best["f64"]}
	return results, nil, tw.Flush()
}

// maxBenchSize bounds a matmul benchmark's n: three 16384×16384 float64
// matrices take 6 GiB.
const maxBenchSize = 16384

// benchSizes reads --sizes: matrix sizes n from 1 to maxBenchSize.
func benchSizes(s string) ([]int, error) {
	ns, err := intList(s)
	if err != nil {
		return nil, fmt.Errorf("--sizes: %w", err)
	}
	for _, n := range ns {
		if n > maxBenchSize {
			return nil, fmt.Errorf("--sizes: %d is too large (want n <= %d: the benchmark allocates three n×n matrices)", n, maxBenchSize)
		}
	}
	return ns, nil
}

// measure returns the median GFLOP/s of n×n products over batches of runs.
func measure[T float32 | float64](n int, budget time.Duration) float64 {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	a, b, c := make([]T, n*n), make([]T, n*n), make([]T, n*n)
	for i := range a {
		a[i], b[i] = T(r.Float64()), T(r.Float64())
	}
	blas.MatMul(false, false, n, n, n, a, b, c) // warm up
	flops := 2 * float64(n) * float64(n) * float64(n)
	reps := max(1, int(2e8/flops))
	var rates []float64
	deadline := time.Now().Add(budget)
	for len(rates) < 3 || time.Now().Before(deadline) {
		start := time.Now()
		for i := 0; i < reps; i++ {
			blas.MatMul(false, false, n, n, n, a, b, c)
		}
		rates = append(rates, flops*float64(reps)/time.Since(start).Seconds()/1e9)
		if len(rates) >= 50 {
			break
		}
	}
	sort.Float64s(rates)
	return rates[len(rates)/2]
}
