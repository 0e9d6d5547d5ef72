package train

import (
	"fmt"
	"math"
	"time"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// Trainer trains a model on datasets of one shape. It owns the compiled
// program; Close releases it.
type Trainer struct {
	g       *graph.Graph
	model   models.Module
	x, y    *graph.Node
	out     *graph.Node
	loss    *graph.Node
	prog    *graph.Program
	classes int
	cfg     Config
	params  []*graph.Param
	feeds   graph.Feeds
}

// New prepares to train m, whose parameters live in g, on examples shaped
// like ds's: classification (SoftmaxCrossEntropy on the model's logits)
// when ds has classes, regression (MSE) otherwise.
func New(g *graph.Graph, m models.Module, ds *data.Dataset, cfg Config) (*Trainer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := ds.Validate(); err != nil {
		return nil, fmt.Errorf("train: New: %w", err)
	}
	if ds.X.DType() != g.DType() {
		return nil, fmt.Errorf("train: New: data is %v, model is %v (load the data as %v)", ds.X.DType(), g.DType(), g.DType())
	}
	t := &Trainer{g: g, model: m, classes: ds.Classes, cfg: cfg}
	shape := append([]int{graph.Batch}, ds.X.Shape()[1:]...)
	t.x = g.Input("x", shape...)
	out := m.Forward(t.x)
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("train: New: %w", err)
	}
	t.out = out
	if ds.Classes > 0 {
		if out.Shape().Rank() != 2 || out.Shape()[1] != ds.Classes {
			return nil, fmt.Errorf("train: New: model outputs %v (want [N %d] logits for %d classes)", out.Shape(), ds.Classes, ds.Classes)
		}
		t.y = g.Labels("y")
		t.loss = graph.SoftmaxCrossEntropy(out, t.y)
	} else {
		t.y = g.Input("y", append([]int{graph.Batch}, ds.Y.Shape()[1:]...)...)
		t.loss = graph.MSE(out, t.y)
	}
	var err error
	if t.prog, err = g.Compile(t.loss, t.out); err != nil {
		return nil, fmt.Errorf("train: New: %w", err)
	}
	t.params = m.Params()
	t.feeds = graph.Feeds{}
	return t, nil
}

// Close releases the compiled programs.
func (t *Trainer) Close() error { return t.prog.Close() }

// Graph returns the model's graph.
func (t *Trainer) Graph() *graph.Graph { return t.g }

// Evaluate returns the mean loss and the accuracy on ds in eval mode
// (running statistics, no dropout), in chunks of EvalBatchSize.
func (t *Trainer) Evaluate(ds *data.Dataset) (Metrics, error) {
	if ds.Classes != t.classes {
		return Metrics{}, fmt.Errorf("train: Evaluate: dataset has %d classes (want %d)", ds.Classes, t.classes)
	}
	b, err := data.NewBatcher(ds, data.BatchConfig{Size: t.cfg.EvalBatchSize})
	if err != nil {
		return Metrics{}, fmt.Errorf("train: Evaluate: %w", err)
	}
	var sum float64
	var correct, n int
	for b.Next() {
		x, y := b.Batch()
		t.feeds[t.x], t.feeds[t.y] = x, y
		l, err := t.prog.Evaluate(t.feeds)
		if err != nil {
			return Metrics{}, fmt.Errorf("train: Evaluate: %w", err)
		}
		rows := x.Shape()[0]
		sum += l * float64(rows)
		n += rows
		correct += t.correct(y)
	}
	m := Metrics{Loss: sum / float64(n), Accuracy: math.NaN(), N: n}
	if t.classes > 0 {
		m.Accuracy = float64(correct) / float64(n)
	}
	return m, nil
}

// correct counts the rows of the last run whose argmax logit is the label.
func (t *Trainer) correct(y *graph.Tensor) int {
	if t.classes == 0 {
		return 0
	}
	out := t.prog.Output(t.out)
	labels, _ := y.Ints() // Validate has checked the dataset holds int labels
	c := t.classes
	n := 0
	for r, l := range labels {
		best, arg := math.Inf(-1), 0
		for j := 0; j < c; j++ {
			if v := out.At(r*c + j); v > best {
				best, arg = v, j
			}
		}
		if arg == l {
			n++
		}
	}
	return n
}

// Predict returns the model's outputs (logits or predictions) for x in eval mode.
func (t *Trainer) Predict(x *graph.Tensor) (*graph.Tensor, error) {
	p, err := t.g.Compile(nil, t.out)
	if err != nil {
		return nil, err
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

// step runs one training step on a batch and returns its loss.
func (t *Trainer) step(x, y *graph.Tensor) (float64, error) {
	t.feeds[t.x], t.feeds[t.y] = x, y
	l, err := t.prog.TrainStep(t.feeds)
	if err != nil {
		return l, err
	}
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return l, nil
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
	return l, t.cfg.Optimizer.Step(t.params)
}

// elapsed returns seconds since start.
func elapsed(start time.Time) float64 { return time.Since(start).Seconds() }
