package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/descent-ml/descent/internal/blas"
)

const benchSynopsis = `Benchmarks. "descent bench matmul" measures square matrix products on the
active BLAS backend (pure Go by default, OpenBLAS when built with -tags
openblas) and prints GFLOP/s per size and dtype, each also as a fraction of
the best figure of the table for that dtype (the machine's best measured
rate). The full benchmark suite is "go test ./bench -bench .".`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", benchSynopsis, stdout, stderr)
	sizes := fs.String("sizes", "64,128,256,512,1024", "matrix sizes n (n×n by n×n)")
	budget := fs.Duration("time", 300*time.Millisecond, "time spent measuring each size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "matmul" {
		return fmt.Errorf("bench: want a benchmark name: matmul")
	}
	ns, err := intList(*sizes)
	if err != nil {
		return fmt.Errorf("--sizes: %w", err)
	}
	fmt.Fprintf(stdout, "backend: %s, GOMAXPROCS %d\n", blas.Name(), runtime.GOMAXPROCS(0))
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
				g = measure[float32](n, *budget)
			} else {
				g = measure[float64](n, *budget)
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

var _ = strings.Join
