package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/internal/blas"
	"github.com/descent-ml/descent/optimizers"
)

const benchSynopsis = `Benchmarks: "descent bench [flags] matmul" or "descent bench [flags] optimizers".

matmul measures square matrix products on the active BLAS backend (pure Go
by default, OpenBLAS when built with -tags openblas) and prints GFLOP/s per
size and dtype, each also as a fraction of the best figure of the table for
that dtype (the best rate measured on this machine).

optimizers races optimizers on standard problems: each trains the same
model from the same initial weights and data order; it prints the final
loss, how many epochs each needed to come within 10% of the best final
loss, the accuracy and the time, and with --plot-dir a PNG of the loss
curves per problem.

The full benchmark suite is "go test ./bench -bench .".`

// benchArgs holds bench's flags.
type benchArgs struct {
	sizes, problems, names, plotDir, dataDir string
	budget                                   time.Duration
	epochs                                   int
	seed                                     uint64
	lr                                       float64
}

// benchFlags defines bench's flags (parsed without running by FuzzArgs);
// the benchmark's name follows them.
func benchFlags(stdout io.Writer) (*flag.FlagSet, *benchArgs) {
	fs := newFlagSet("bench", benchSynopsis, stdout)
	a := &benchArgs{}
	fs.StringVar(&a.sizes, "sizes", "64,128,256,512,1024", "matmul: matrix sizes n (n×n by n×n)")
	fs.DurationVar(&a.budget, "time", 300*time.Millisecond, "matmul: time spent measuring each size")
	fs.StringVar(&a.problems, "problems", "linear,moons,spirals,mnist-softmax", "optimizers: problems (linear, moons, spirals, mnist-softmax, mnist-mlp)")
	fs.StringVar(&a.names, "optimizers", strings.Join(optimizers.Names()[1:], ","), "optimizers: contenders")
	fs.IntVar(&a.epochs, "epochs", 10, "optimizers: epochs per run")
	fs.Uint64Var(&a.seed, "seed", 1, "optimizers: seed of weights and data order")
	fs.Float64Var(&a.lr, "lr", 0, "optimizers: one learning rate for every contender (0: each one's default)")
	fs.StringVar(&a.plotDir, "plot-dir", "", "optimizers: write DIR/<problem>.png")
	fs.StringVar(&a.dataDir, "data-dir", "", "optimizers: folder with MNIST's IDX files")
	return fs, a
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, a := benchFlags(stdout)
	pos, err := parseArgs(fs, "bench", args)
	if err != nil {
		return err
	}
	if len(pos) == 1 && pos[0] == "optimizers" {
		return raceOptimizers(ctx, stdout, a.problems, a.names, a.epochs, a.seed, a.lr, a.plotDir, a.dataDir)
	}
	if len(pos) != 1 || pos[0] != "matmul" {
		return usagef("bench", "want one benchmark name: matmul or optimizers")
	}
	ns, err := benchSizes(a.sizes)
	if err != nil {
		return err
	}
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
				return err
			}
			var g float64
			if dt == "f32" {
				g = measure[float32](n, a.budget)
			} else {
				g = measure[float64](n, a.budget)
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
	return tw.Flush()
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

func raceOptimizers(ctx context.Context, w io.Writer, problems, names string, epochs int, seed uint64, lr float64, plotDir, dataDir string) error {
	split := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	probs, err := bench.Problems(split(problems), dataDir, seed)
	if err != nil {
		return err
	}
	var h optimizers.Hyper
	if lr != 0 {
		h.LR = optimizers.Float(lr)
	}
	cs, err := bench.Builtin(split(names), h)
	if err != nil {
		return err
	}
	if epochs < 1 {
		return fmt.Errorf("--epochs %d (want >= 1)", epochs)
	}
	res, err := bench.Race(ctx, probs, cs, epochs, seed)
	if err != nil {
		return err
	}
	if err := bench.WriteTable(w, res); err != nil {
		return err
	}
	if plotDir != "" {
		if err := os.MkdirAll(plotDir, 0o755); err != nil {
			return err
		}
		for _, p := range probs {
			path := filepath.Join(plotDir, p.Name+".png")
			if err := bench.Plot(path, p.Name, res); err != nil {
				return err
			}
			fmt.Fprintf(w, "plot written to %s\n", path)
		}
	}
	return nil
}
