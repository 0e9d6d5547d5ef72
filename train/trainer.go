package train

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// Trainer trains a model on datasets of one shape. It owns the compiled
// program; Close releases it. A Trainer steps its graph's parameters: use
// one Trainer per graph at a time (see the package doc on concurrency).
type Trainer struct {
	g       *graph.Graph
	model   models.Module
	in      Inputs
	x, y    *graph.Node
	extra   []extraInput // the dataset's Inputs, in name order
	out     *graph.Node
	loss    *graph.Node
	prog    *graph.Program
	classes int
	seq     bool // sequence set: X [N, T] with T bound per batch
	cfg     Config
	params  []*graph.Param
	metrics []Metric
	feeds   graph.Feeds
	acc     accumulator
	ema     *ema
	lease   *lease
	// train accuracy of the current epoch (classification)
	trainAcc Metric
	fitDS    *data.Dataset // the training set of the running Fit
}

// New prepares to train m, whose parameters live in g, on examples shaped
// like ds's. The inputs "x" and "y" are declared from ds (Int for labels,
// tokens or ids; Seq for the length of a sequence set), and one input for
// each of ds.Inputs under its name (inputs already declared in g under
// these names are used when they match), then cfg.Forward
// (or m.Forward(x)) gives the output and cfg.Loss (or cross-entropy for a
// classification set, MSE for a regression one) the loss.
func New(g *graph.Graph, m models.Module, ds *data.Dataset, cfg Config) (*Trainer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if g == nil || m == nil {
		return nil, fmt.Errorf("train: New: nil graph or model")
	}
	if err := ds.Validate(); err != nil {
		return nil, fmt.Errorf("train: New: %w", err)
	}
	if ds.X.DType().IsFloat() && ds.X.DType() != g.DType() {
		return nil, fmt.Errorf("train: New: data is %v, model is %v (load the data as %v)", ds.X.DType(), g.DType(), g.DType())
	}
	if !ds.Y.DType().IsFloat() && ds.Classes == 0 {
		return nil, fmt.Errorf("train: New: regression targets are %v (want float)", ds.Y.DType())
	}
	if ds.Classes == 0 && ds.Y.DType() != g.DType() {
		return nil, fmt.Errorf("train: New: targets are %v, model is %v (load them as %v)", ds.Y.DType(), g.DType(), g.DType())
	}
	lease, err := acquire(g)
	if err != nil {
		return nil, err
	}
	t := &Trainer{g: g, model: m, classes: ds.Classes, seq: ds.Sequence, cfg: cfg, lease: lease}
	ok := false
	defer func() {
		if !ok {
			lease.release()
		}
	}()
	xs := append([]int{graph.Batch}, ds.X.Shape()[1:]...)
	if ds.Sequence {
		xs = []int{graph.Batch, graph.Seq}
	}
	ys := []int{graph.Batch}
	if ds.Classes == 0 {
		ys = append(ys, ds.Y.Shape()[1:]...)
	}
	if t.x, err = declare(g, "x", ds.X.DType(), xs); err != nil {
		return nil, err
	}
	if t.y, err = declare(g, "y", ds.Y.DType(), ys); err != nil {
		return nil, err
	}
	t.in = Inputs{"x": t.x, "y": t.y}
	names := make([]string, 0, len(ds.Inputs))
	for name := range ds.Inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := ds.Inputs[name]
		s := append([]int{graph.Batch}, v.Shape()[1:]...)
		if ds.Sequence && len(s) >= 2 && s[1] == ds.X.Shape()[1] {
			s[1] = graph.Seq // trimmed with X
		}
		n, err := declare(g, name, v.DType(), s)
		if err != nil {
			return nil, err
		}
		t.in[name] = n
		t.extra = append(t.extra, extraInput{name: name, node: n, dtype: v.DType(), shape: graph.Shape(s)})
	}
	if cfg.Forward != nil {
		t.out = cfg.Forward(t.in)
	} else {
		t.out = m.Forward(t.x)
	}
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("train: New: %w", err)
	}
	if t.out == nil || t.out.Failed() {
		return nil, fmt.Errorf("train: New: the model gave no output")
	}
	switch {
	case cfg.Loss != nil:
		t.loss = cfg.Loss(t.out, t.in)
	case ds.Classes > 0:
		if s := t.out.Shape(); s.Rank() != 2 || (s[1] != ds.Classes && s[1] >= 0) {
			return nil, fmt.Errorf("train: New: model outputs %v (want [N %d] logits for %d classes)", s, ds.Classes, ds.Classes)
		}
		t.loss = graph.SoftmaxCrossEntropy(t.out, t.y)
	default:
		t.loss = graph.MSE(t.out, t.y)
	}
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("train: New: loss: %w", err)
	}
	if t.loss == nil || t.loss.Failed() {
		return nil, fmt.Errorf("train: New: the loss function gave no loss")
	}
	if t.prog, err = g.Compile(t.loss, t.out); err != nil {
		return nil, fmt.Errorf("train: New: %w", err)
	}
	t.params = m.Params()
	t.feeds = graph.Feeds{}
	t.metrics = cfg.Metrics
	if t.metrics == nil {
		if ds.Classes > 0 {
			t.metrics = []Metric{Accuracy()}
		} else {
			t.metrics = []Metric{RMSE(), MAE(), R2()}
		}
	}
	if ds.Classes > 0 {
		t.trainAcc = Accuracy()
	}
	// The optimizer's state, up to three buffers per parameter, and the
	// accumulated gradients and average, counted against the memory budget.
	var bytes int64
	for _, p := range t.params {
		bytes += int64(p.Value().Len()) * int64(elemSize(p.DType()))
	}
	extra := 3 * bytes
	if cfg.Accumulate > 1 {
		extra += bytes
	}
	if cfg.EMA > 0 {
		extra += bytes
	}
	if err := g.Reserve(extra, "the optimizer state"); err != nil {
		return nil, fmt.Errorf("train: New: %w", err)
	}
	t.lease.reserved = extra
	if cfg.Accumulate > 1 {
		t.acc = newAccumulator(t.params)
	}
	if cfg.EMA > 0 {
		t.ema = newEMA(t.params, cfg.EMA)
	}
	ok = true
	return t, nil
}

// declare returns the graph's input name, declaring it unless an earlier
// Trainer of the graph did, with the same type.
func declare(g *graph.Graph, name string, dt graph.DType, shape []int) (*graph.Node, error) {
	if n, ok := g.Lookup(name); ok {
		if !n.IsInput() || n.DType() != dt || !n.Shape().Equal(graph.Shape(shape)) {
			return nil, fmt.Errorf("train: New: %w: the graph has a %q that is not the input %v%v the data needs", graph.ErrName, name, dt, graph.Shape(shape))
		}
		return n, nil
	}
	if dt == graph.Int {
		n := g.IntInput(name, shape...)
		return n, g.Err()
	}
	n := g.Input(name, shape...)
	return n, g.Err()
}

func elemSize(dt graph.DType) int {
	if dt == graph.Float32 {
		return 4
	}
	return 8
}

// Close releases the compiled programs and the graph for another Trainer.
func (t *Trainer) Close() error {
	t.lease.release()
	return t.prog.Close()
}

// Graph returns the model's graph.
func (t *Trainer) Graph() *graph.Graph { return t.g }

// Output returns the model's output node and Inputs its inputs.
func (t *Trainer) Output() *graph.Node { return t.out }

// Inputs returns the graph inputs the trainer declared.
func (t *Trainer) Inputs() Inputs { return t.in }

// Evaluate returns the mean loss and the metrics on ds in eval mode
// (running statistics, no dropout; the EMA parameters with EvalEMA), in
// chunks of EvalBatchSize.
func (t *Trainer) Evaluate(ds *data.Dataset) (Metrics, error) {
	if ds.Classes != t.classes {
		return Metrics{}, fmt.Errorf("train: Evaluate: dataset %q has %d classes (want %d, as the training set)", ds.Name, ds.Classes, t.classes)
	}
	b, err := data.NewBatcher(ds, data.BatchConfig{Size: t.cfg.EvalBatchSize})
	if err != nil {
		return Metrics{}, fmt.Errorf("train: Evaluate: %w", err)
	}
	if t.cfg.EvalEMA && t.ema != nil {
		t.ema.swap()
		defer t.ema.swap()
	}
	for _, m := range t.metrics {
		m.Reset()
	}
	var sum float64
	n := 0
	if err := t.checkInputs("Evaluate", ds); err != nil {
		return Metrics{}, err
	}
	for b.Next() {
		x, y := b.Batch()
		t.feed(x, y, b.Inputs())
		l, err := t.prog.Evaluate(t.feeds)
		if err != nil {
			return Metrics{}, fmt.Errorf("train: Evaluate %q: %w", ds.Name, err)
		}
		rows := x.Shape()[0]
		sum += l * float64(rows)
		n += rows
		out := t.prog.Output(t.out)
		for _, m := range t.metrics {
			if err := m.Update(out, y); err != nil {
				return Metrics{}, fmt.Errorf("train: Evaluate %q: %w", ds.Name, err)
			}
		}
	}
	res := Metrics{Loss: sum / float64(n), Accuracy: math.NaN(), N: n, Values: map[string]float64{}}
	for _, m := range t.metrics {
		res.Values[m.Name()] = m.Value()
	}
	if a, ok := res.Values["accuracy"]; ok {
		res.Accuracy = a
	}
	return res, nil
}

// Predict returns the model's outputs (logits or predictions) for x in
// eval mode.
func (t *Trainer) Predict(x *graph.Tensor) (*graph.Tensor, error) {
	p, err := t.g.Compile(nil, t.out)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	if t.cfg.EvalEMA && t.ema != nil {
		t.ema.swap()
		defer t.ema.swap()
	}
	if err := p.Run(graph.Eval, false, graph.Feeds{t.x: x}); err != nil {
		return nil, fmt.Errorf("train: Predict: %w", err)
	}
	return p.Output(t.out).Clone(), nil
}

// lr returns group 0's learning rate, or NaN for an optimizer without one.
func (t *Trainer) lr() float64 {
	if o, ok := t.cfg.Optimizer.(optimizers.LRGroups); ok {
		return o.LR(0)
	}
	return math.NaN()
}

// step runs forward and backward on one batch and, every Accumulate
// batches (or at the end of an epoch, last), one optimizer step. It
// returns the batch's loss.
func (t *Trainer) step(x, y *graph.Tensor, in map[string]*graph.Tensor, last bool) (float64, error) {
	t.feed(x, y, in)
	l, err := t.prog.TrainStep(t.feeds)
	if err != nil {
		return l, err
	}
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return l, nil
	}
	if t.trainAcc != nil {
		if err := t.trainAcc.Update(t.prog.Output(t.out), y); err != nil {
			return l, err
		}
	}
	if t.cfg.Accumulate > 1 {
		t.acc.add(t.params, x.Shape()[0])
		if t.acc.count < t.cfg.Accumulate && !last {
			return l, nil
		}
		t.acc.mean(t.params)
	}
	if co, ok := t.cfg.Optimizer.(optimizers.ClosureOptimizer); ok {
		// L-BFGS evaluates the objective again within a step: its first
		// evaluation is the one just run (loss and gradients in place).
		first := true
		_, err := co.StepClosure(t.params, func() (float64, error) {
			if first {
				first = false
				return l, nil
			}
			return t.prog.TrainStep(t.feeds)
		})
		if err == nil && t.ema != nil {
			t.ema.update(t.params)
		}
		return l, err
	}
	if t.cfg.ClipValue > 0 {
		if err := optimizers.ClipGradValue(t.params, t.cfg.ClipValue); err != nil {
			return l, err
		}
	}
	if t.cfg.ClipNorm > 0 {
		if _, err := optimizers.ClipGradNorm(t.params, t.cfg.ClipNorm, 2); err != nil {
			return l, err
		}
	}
	if err := t.cfg.Optimizer.Step(t.params); err != nil {
		return l, err
	}
	if t.ema != nil {
		t.ema.update(t.params)
	}
	return l, nil
}

// extraInput is a graph input fed from one of the dataset's Inputs.
type extraInput struct {
	name  string
	node  *graph.Node
	dtype graph.DType
	shape graph.Shape // with Batch (and Seq)
}

// feed sets the feeds of a batch.
func (t *Trainer) feed(x, y *graph.Tensor, in map[string]*graph.Tensor) {
	t.feeds[t.x], t.feeds[t.y] = x, y
	for _, e := range t.extra {
		t.feeds[e.node] = in[e.name]
	}
}

// checkInputs reports a dataset whose Inputs are not the ones the trainer
// was built for.
func (t *Trainer) checkInputs(fn string, ds *data.Dataset) error {
	if len(ds.Inputs) != len(t.extra) {
		return fmt.Errorf("train: %s: dataset %q has %d inputs besides x and y (want %d, as the training set)", fn, ds.Name, len(ds.Inputs), len(t.extra))
	}
	for _, e := range t.extra {
		v, ok := ds.Inputs[e.name]
		if !ok {
			return fmt.Errorf("train: %s: dataset %q has no input %q", fn, ds.Name, e.name)
		}
		s := v.Shape()
		if v.DType() != e.dtype || len(s) != len(e.shape) {
			return fmt.Errorf("train: %s: dataset %q's input %q is %v %v (want %v %v)", fn, ds.Name, e.name, v.DType(), s, e.dtype, e.shape)
		}
		for i := 1; i < len(s); i++ {
			if e.shape[i] >= 0 && s[i] != e.shape[i] {
				return fmt.Errorf("train: %s: dataset %q's input %q is %v %v (want %v %v)", fn, ds.Name, e.name, v.DType(), s, e.dtype, e.shape)
			}
		}
	}
	return nil
}

// elapsed returns seconds since start.
func elapsed(start time.Time) float64 { return time.Since(start).Seconds() }
