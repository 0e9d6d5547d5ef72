package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/blas"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// The scaling benchmark: how the time of the standard workloads falls
// with the number of threads (graph.SetThreads), measured in one sitting.
// Each workload is timed in Repeats runs of at least MinTime/Repeats each;
// a row reports the median time per iteration, the fastest and slowest
// run, and the speed-up of the median over the median at one thread.

// ScalingWorkloads are the workloads Scaling knows, in its order: square
// float32 products (n = 512, 1024) and training steps (forward, backward,
// SGD momentum; batch 128, float32) of the MLP 784-256-128-10 and of the
// CNN mnist_2c2d.
var ScalingWorkloads = []string{"sgemm-512", "sgemm-1024", "mlp-step", "cnn-step"}

// ScalingConfig says what Scaling measures.
type ScalingConfig struct {
	Workloads []string      // names from ScalingWorkloads; nil: all of them
	Threads   []int         // thread counts; nil: 1 to GOMAXPROCS
	MinTime   time.Duration // measuring time per workload and thread count; 0: 2 s
	Repeats   int           // runs per measurement (the median is reported); 0: 5
}

// ScalingRow is one workload at one thread count.
type ScalingRow struct {
	Workload string
	Threads  int
	Median   time.Duration // per iteration, median of the runs
	Min, Max time.Duration // fastest and slowest run, per iteration
	Speedup  float64       // the median at the smallest thread count measured ÷ this median
}

// workload prepares one workload and returns its iteration.
type workload func() (func() error, func(), error)

// Scaling measures the workloads at each thread count and returns one row
// per (workload, thread count), thread counts ascending within a
// workload. The thread count set before the call is restored. It stops
// between measurements when ctx is done.
func Scaling(ctx context.Context, cfg ScalingConfig) ([]ScalingRow, error) {
	names := cfg.Workloads
	if names == nil {
		names = ScalingWorkloads
	}
	threads := slices.Clone(cfg.Threads)
	if threads == nil {
		for t := 1; t <= runtime.GOMAXPROCS(0); t++ {
			threads = append(threads, t)
		}
	}
	slices.Sort(threads)
	if len(threads) == 0 || threads[0] < 1 {
		return nil, fmt.Errorf("bench: Scaling: thread counts %v (want at least one, each >= 1)", cfg.Threads)
	}
	minTime, repeats := cfg.MinTime, cfg.Repeats
	if minTime == 0 {
		minTime = 2 * time.Second
	}
	if repeats == 0 {
		repeats = 5
	}
	if minTime < 0 || repeats < 1 {
		return nil, fmt.Errorf("bench: Scaling: MinTime %v, Repeats %d (want >= 0 and >= 1)", cfg.MinTime, cfg.Repeats)
	}
	defer graph.SetThreads(0)
	var rows []ScalingRow
	for _, name := range names {
		prep, ok := workloads[name]
		if !ok {
			return nil, fmt.Errorf("bench: Scaling: unknown workload %q (want one of %v)", name, ScalingWorkloads)
		}
		iter, done, err := prep()
		if err != nil {
			return nil, fmt.Errorf("bench: Scaling: %s: %w", name, err)
		}
		var base time.Duration
		for _, th := range threads {
			if err := ctx.Err(); err != nil {
				done()
				return rows, err
			}
			if err := graph.SetThreads(th); err != nil {
				done()
				return rows, err
			}
			r, err := measure(iter, minTime, repeats)
			if err != nil {
				done()
				return rows, fmt.Errorf("bench: Scaling: %s with %d threads: %w", name, th, err)
			}
			r.Workload, r.Threads = name, th
			if base == 0 {
				base = r.Median
			}
			r.Speedup = float64(base) / float64(r.Median)
			rows = append(rows, r)
		}
		done()
	}
	return rows, nil
}

// measure warms iter up, sizes a run to minTime/repeats and times repeats
// runs.
func measure(iter func() error, minTime time.Duration, repeats int) (ScalingRow, error) {
	for range 2 {
		if err := iter(); err != nil {
			return ScalingRow{}, err
		}
	}
	start := time.Now()
	if err := iter(); err != nil {
		return ScalingRow{}, err
	}
	one := max(time.Since(start), time.Microsecond)
	n := max(1, int(minTime/time.Duration(repeats)/one))
	per := make([]time.Duration, repeats)
	for r := range per {
		start := time.Now()
		for range n {
			if err := iter(); err != nil {
				return ScalingRow{}, err
			}
		}
		per[r] = time.Since(start) / time.Duration(n)
	}
	slices.Sort(per)
	return ScalingRow{Median: per[len(per)/2], Min: per[0], Max: per[len(per)-1]}, nil
}

var workloads = map[string]workload{
	"sgemm-512":  func() (func() error, func(), error) { return sgemm(512) },
	"sgemm-1024": func() (func() error, func(), error) { return sgemm(1024) },
	"mlp-step": func() (func() error, func(), error) {
		return trainStep(models.Spec{Kind: "mlp", In: 784, Hidden: []int{256, 128}, Out: 10})
	},
	"cnn-step": func() (func() error, func(), error) {
		return trainStep(models.Spec{Kind: "cnn", In: 784, Out: 10, Image: []int{1, 28, 28}, Preset: models.DefaultCNNPreset})
	},
}

// sgemm is one n×n×n float32 product on the BLAS backend.
func sgemm(n int) (func() error, func(), error) {
	r := rand.New(rand.NewPCG(1, 1))
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = float32(2*r.Float64()-1), float32(2*r.Float64()-1)
	}
	return func() error { blas.MatMul(false, false, n, n, n, a, b, c); return nil }, func() {}, nil
}

// trainStep is one training step of spec on a fixed random batch of 128
// MNIST-shaped examples, as BenchmarkTrainStep.
func trainStep(spec models.Spec) (func() error, func(), error) {
	const batch = 128
	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: 1})
	if err != nil {
		return nil, nil, err
	}
	m, err := models.Build(g, spec)
	if err != nil {
		return nil, nil, err
	}
	x, y := g.Input("x", graph.Batch, 784), g.Labels("y")
	prog, err := g.Compile(graph.SoftmaxCrossEntropy(m.Forward(x), y))
	if err != nil {
		return nil, nil, err
	}
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.01, Momentum: 0.9})
	if err != nil {
		return nil, nil, err
	}
	r := rand.New(rand.NewPCG(3, 7))
	xs, ys := make([]float32, batch*784), make([]int, batch)
	for i := range xs {
		xs[i] = float32(2*r.Float64() - 1)
	}
	for i := range ys {
		ys[i] = r.IntN(10)
	}
	xt, err := graph.FromFloat32(xs, batch, 784)
	if err != nil {
		return nil, nil, err
	}
	yt, err := graph.FromInts(ys, batch)
	if err != nil {
		return nil, nil, err
	}
	feeds, params := graph.Feeds{x: xt, y: yt}, m.Params()
	iter := func() error {
		if _, err := prog.TrainStep(feeds); err != nil {
			return err
		}
		return opt.Step(params)
	}
	return iter, func() { prog.Close() }, nil
}

// WriteScaling prints rows as a table: per workload and thread count, the
// median time per iteration, the spread of the runs and the speed-up.
func WriteScaling(w io.Writer, rows []ScalingRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tthreads\tms (median)\tmin–max\tspeed-up\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f–%.3f\t%.2fx\t\n", r.Workload, r.Threads, ms(r.Median), ms(r.Min), ms(r.Max), r.Speedup)
	}
	return tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
