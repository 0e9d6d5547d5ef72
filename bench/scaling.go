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
// Each workload is timed in Repeats runs of at least MinTime/Repeats each
// per thread count, the thread counts taking turns run by run;
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
		r, err := measureAll(ctx, iter, threads, minTime, repeats)
		done()
		for i := range r {
			r[i].Workload = name
			r[i].Speedup = float64(r[0].Median) / float64(r[i].Median)
		}
		rows = append(rows, r...)
		if err != nil {
			return rows, fmt.Errorf("bench: Scaling: %s: %w", name, err)
		}
	}
	return rows, nil
}

// measureAll warms iter up and sizes a run to minTime/repeats at each
// thread count, then times repeats runs at each, taking the thread counts
// in turn (1, 2, 1, 2, ...): load that comes and goes on a shared machine
// then falls on every thread count alike, not on one of them, and skews
// the speed-up less. It returns the rows of the thread counts measured
// (all of them unless ctx ends or iter fails).
func measureAll(ctx context.Context, iter func() error, threads []int, minTime time.Duration, repeats int) ([]ScalingRow, error) {
	sizes := make([]int, len(threads))
	for i, th := range threads {
		if err := setThreads(ctx, th); err != nil {
			return nil, err
		}
		n, err := calibrate(iter, minTime, repeats)
		if err != nil {
			return nil, fmt.Errorf("with %d threads: %w", th, err)
		}
		sizes[i] = n
	}
	per := make([][]time.Duration, len(threads))
	for range repeats {
		for i, th := range threads {
			if err := setThreads(ctx, th); err != nil {
				return nil, err
			}
			start := time.Now()
			for range sizes[i] {
				if err := iter(); err != nil {
					return nil, fmt.Errorf("with %d threads: %w", th, err)
				}
			}
			per[i] = append(per[i], time.Since(start)/time.Duration(sizes[i]))
		}
	}
	rows := make([]ScalingRow, len(threads))
	for i, p := range per {
		slices.Sort(p)
		rows[i] = ScalingRow{Threads: threads[i], Median: p[len(p)/2], Min: p[0], Max: p[len(p)-1]}
	}
	return rows, nil
}

// setThreads sets the thread count for the next run, unless ctx has ended.
func setThreads(ctx context.Context, th int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return graph.SetThreads(th)
}

// calibrate warms iter up and returns the iterations of a run of about
// minTime/repeats.
func calibrate(iter func() error, minTime time.Duration, repeats int) (int, error) {
	for range 2 {
		if err := iter(); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	if err := iter(); err != nil {
		return 0, err
	}
	one := max(time.Since(start), time.Microsecond)
	return max(1, int(minTime/time.Duration(repeats)/one)), nil
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
