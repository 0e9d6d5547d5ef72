package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

// Contender is an optimizer in a race: a name and a constructor called
// once per problem (any Optimizer works, built-in or not).
type Contender struct {
	Name string
	New  func() (optimizers.Optimizer, error)
}

// Builtin returns the named built-in optimizers (optimizers.New) with their
// defaults, overridden by h.
func Builtin(names []string, h optimizers.Hyper) ([]Contender, error) {
	var out []Contender
	for _, n := range names {
		n := n
		if _, err := optimizers.New(n, h); err != nil {
			return nil, err
		}
		out = append(out, Contender{Name: n, New: func() (optimizers.Optimizer, error) { return optimizers.New(n, h) }})
	}
	return out, nil
}

// Problem is a standard training problem: a dataset and a model, rebuilt
// from the same seed for every contender so they start from the same weights.
type Problem struct {
	Name      string
	BatchSize int // 0: full batch
	// Build loads the data and builds the model in g.
	Build func(g *graph.Graph) (models.Module, *data.Dataset, error)
}

// Problems returns the standard problems by name: "linear" (noisy linear
// regression, 1000×10, full batch), "moons" (an MLP 2-32-32-2 on two moons),
// "spirals" (an MLP 2-64-64-2 on two spirals), "mnist-softmax" and
// "mnist-mlp" (784-256-128-10). The MNIST problems read dir (or the module
// cache when empty). Every problem is float32.
func Problems(names []string, mnistDir string, seed uint64) ([]Problem, error) {
	toy := func(name string, ds func(data.ToyConfig) (*data.Dataset, error), noise float64, hidden []int) Problem {
		return Problem{Name: name, BatchSize: 64, Build: func(g *graph.Graph) (models.Module, *data.Dataset, error) {
			d, err := ds(data.ToyConfig{N: 1000, Noise: noise, Seed: seed})
			if err != nil {
				return nil, nil, err
			}
			m, err := models.NewMLP(g, models.MLPConfig{In: 2, Hidden: hidden, Out: 2})
			return m, d, err
		}}
	}
	var mnist *data.Dataset
	loadMNIST := func() (*data.Dataset, error) {
		if mnist == nil {
			tr, _, err := data.LoadMNIST(data.MNISTConfig{Dir: mnistDir})
			if err != nil {
				return nil, err
			}
			mnist = tr
		}
		return mnist, nil
	}
	all := map[string]Problem{
		"linear": {Name: "linear", Build: func(g *graph.Graph) (models.Module, *data.Dataset, error) {
			d, _, err := data.NoisyLinear(data.LinearConfig{N: 1000, Features: 10, Noise: 0.1, Seed: seed})
			if err != nil {
				return nil, nil, err
			}
			m, err := models.NewLinear(g, models.LinearConfig{In: 10})
			return m, d, err
		}},
		"moons":   toy("moons", data.Moons, 0.1, []int{32, 32}),
		"spirals": toy("spirals", data.Spirals, 0.02, []int{64, 64}),
		"mnist-softmax": {Name: "mnist-softmax", BatchSize: 128, Build: func(g *graph.Graph) (models.Module, *data.Dataset, error) {
			d, err := loadMNIST()
			if err != nil {
				return nil, nil, err
			}
			m, err := models.NewSoftmaxRegression(g, models.SoftmaxRegressionConfig{In: 784, Classes: 10})
			return m, d, err
		}},
		"mnist-mlp": {Name: "mnist-mlp", BatchSize: 128, Build: func(g *graph.Graph) (models.Module, *data.Dataset, error) {
			d, err := loadMNIST()
			if err != nil {
				return nil, nil, err
			}
			m, err := models.NewMLP(g, models.MLPConfig{In: 784, Hidden: []int{256, 128}, Out: 10})
			return m, d, err
		}},
	}
	var out []Problem
	for _, n := range names {
		p, ok := all[n]
		if !ok {
			keys := make([]string, 0, len(all))
			for k := range all {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return nil, fmt.Errorf("bench: unknown problem %q (want %s)", n, strings.Join(keys, ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

// Result is one contender's run on one problem.
type Result struct {
	Problem, Optimizer string
	Losses             []float64 // training loss per epoch
	Accuracy           float64   // final training accuracy (NaN for regression)
	Seconds            float64
	Err                error // a diverged run (non-finite loss) keeps its losses so far
}

// Final returns the last epoch's loss (NaN if none).
func (r Result) Final() float64 {
	if len(r.Losses) == 0 {
		return math.NaN()
	}
	return r.Losses[len(r.Losses)-1]
}

// Race trains every contender on every problem for epochs epochs from the
// same initial weights (graph seed) and data order (shuffle seed).
func Race(ctx context.Context, problems []Problem, contenders []Contender, epochs int, seed uint64) ([]Result, error) {
	var out []Result
	for _, p := range problems {
		for _, c := range contenders {
			r, err := runOne(ctx, p, c, epochs, seed)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func runOne(ctx context.Context, p Problem, c Contender, epochs int, seed uint64) (Result, error) {
	r := Result{Problem: p.Name, Optimizer: c.Name, Accuracy: math.NaN()}
	g, err := graph.New(graph.Config{Seed: seed})
	if err != nil {
		return r, err
	}
	m, ds, err := p.Build(g)
	if err != nil {
		return r, fmt.Errorf("bench: %s: %w", p.Name, err)
	}
	opt, err := c.New()
	if err != nil {
		return r, fmt.Errorf("bench: %s: %w", c.Name, err)
	}
	tn, err := train.New(g, m, ds, train.Config{Epochs: epochs, BatchSize: p.BatchSize, Seed: seed, Optimizer: opt})
	if err != nil {
		return r, fmt.Errorf("bench: %s/%s: %w", p.Name, c.Name, err)
	}
	defer tn.Close()
	start := time.Now()
	h, err := tn.Fit(ctx, ds, nil)
	r.Seconds = time.Since(start).Seconds()
	if h != nil {
		for _, e := range h.Epochs {
			r.Losses = append(r.Losses, e.TrainLoss)
			r.Accuracy = e.TrainAccuracy
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return r, err
		}
		r.Err = err // diverged: report it in the table, race on
	}
	return r, nil
}

// WriteTable prints one row per problem and contender: final loss, the
// epoch the loss first came within 10% of the problem's best final loss,
// accuracy and time; contenders sorted by final loss within a problem.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "problem\toptimizer\tfinal loss\tepochs to 1.1×best\taccuracy\tseconds\t")
	byProblem := map[string][]Result{}
	var order []string
	for _, r := range results {
		if _, ok := byProblem[r.Problem]; !ok {
			order = append(order, r.Problem)
		}
		byProblem[r.Problem] = append(byProblem[r.Problem], r)
	}
	for _, p := range order {
		rs := byProblem[p]
		sort.SliceStable(rs, func(i, j int) bool { return less(rs[i].Final(), rs[j].Final(), rs[i].Err, rs[j].Err) })
		best := rs[0].Final()
		for _, r := range rs {
			loss, reach, acc := fmt.Sprintf("%.4g", r.Final()), "-", "-"
			if r.Err != nil {
				loss = "diverged"
			}
			for i, l := range r.Losses {
				if r.Err == nil && l <= 1.1*best {
					reach = fmt.Sprint(i + 1)
					break
				}
			}
			if !math.IsNaN(r.Accuracy) && r.Err == nil {
				acc = fmt.Sprintf("%.2f%%", 100*r.Accuracy)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t\n", r.Problem, r.Optimizer, loss, reach, acc, r.Seconds)
		}
	}
	return tw.Flush()
}

func less(a, b float64, ea, eb error) bool {
	if (ea != nil) != (eb != nil) {
		return ea == nil
	}
	if math.IsNaN(a) {
		return false
	}
	return math.IsNaN(b) || a < b
}

// Plot writes a PNG of the training loss per epoch of every contender on
// one problem (log scale).
func Plot(path, problem string, results []Result) error {
	p := plot.New()
	p.Title.Text = problem
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "training loss"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	var lines []any
	for _, r := range results {
		if r.Problem != problem {
			continue
		}
		var xy plotter.XYs
		for i, l := range r.Losses {
			if l > 0 && !math.IsInf(l, 0) && !math.IsNaN(l) {
				xy = append(xy, plotter.XY{X: float64(i + 1), Y: l})
			}
		}
		if len(xy) > 0 {
			lines = append(lines, r.Optimizer, xy)
		}
	}
	if len(lines) == 0 {
		return fmt.Errorf("bench: Plot: no finite losses for %s", problem)
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return fmt.Errorf("bench: Plot: %w", err)
	}
	if err := p.Save(7*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return fmt.Errorf("bench: Plot: %w", err)
	}
	return nil
}
