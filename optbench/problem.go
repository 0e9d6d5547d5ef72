package optbench

import (
	"fmt"
	"math"
	"regexp"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
)

// Problem is a benchmark test problem, as one value: its data, its model
// and loss, its evaluation metric, its budget and its target. It is data:
// every protocol runs any Problem the same way, and a new problem is one
// value added to a Registry (AddProblem).
type Problem struct {
	// Name identifies the problem in flags, sweep files and trial keys
	// (lower case letters, digits, '_' and '-').
	Name string
	// Title is a one-line description; Source says where the problem comes
	// from and how this port differs from the original.
	Title, Source string
	// Load returns the train, validation and test splits. It is called
	// once per process (the Runner caches it), must not depend on the
	// trial (seed, optimizer), and its datasets are shared read-only by
	// concurrent trials.
	Load func(Env) (*Splits, error)
	// Build adds the model and its loss to g: x and y are the inputs a
	// batch is fed to (x [Batch, features...] of the train set's dtype; y
	// Int labels [Batch] for a classification set, else [Batch, k]). It
	// returns the scalar loss (a mean over the batch) and, for a
	// classifier, the logits [Batch, classes]. Parameters are drawn from
	// g's seeded stream, so the trial's seed gives the initial weights.
	Build func(g *graph.Graph, x, y *graph.Node) (Net, error)
	// Metric is the evaluation metric: MetricLoss (lower is better) or
	// MetricAccuracy (higher; needs Net.Logits).
	Metric Metric
	// BatchSize of the training batches (>= 1). DropLast drops the last
	// partial batch of each epoch (DeepOBS does).
	BatchSize int
	DropLast  bool
	// Budget is the length of a trial (its Epochs or its Steps).
	Budget Budget
	// EvalEvery is the number of steps between evaluations (0: one epoch).
	// Every trial is also evaluated before the first step and after the last.
	EvalEvery int
	// EvalExamples limits evaluation to the first EvalExamples examples of
	// the validation and test sets (0: all), as DeepOBS, which drops the last
	// partial evaluation batch.
	EvalExamples int
	// Target is the validation-metric value a trial must reach (<= for a
	// loss, >= for an accuracy); NaN means none.
	Target float64
	// TargetSource says where Target comes from.
	TargetSource string
	// DType of the graph: graph.Float32 (the zero value) or Float64.
	DType graph.DType
	// Deterministic marks problems whose trials do not depend on the seed
	// (full-batch, no noise): the protocols run them with one seed.
	Deterministic bool
}

// Net is what Problem.Build returns: the loss and, for a classifier, the
// logits.
type Net struct {
	Loss   *graph.Node
	Logits *graph.Node
}

// Splits are a problem's data sets. Valid is used for tuning and targets,
// Test for the reported results.
type Splits struct {
	Train, Valid, Test *data.Dataset
}

// Env is what problems may read from the environment.
type Env struct {
	// MNISTDir holds MNIST's IDX files ("" finds the GoMNIST module in the
	// module cache; see data.LoadMNIST).
	MNISTDir string

	cache *mnistCache // shared by the problems of one Runner (nil: none)
}

// Metric is a problem's evaluation metric.
type Metric uint8

const (
	// MetricLoss is the mean loss over the evaluation set; lower is better.
	MetricLoss Metric = iota
	// MetricAccuracy is the fraction of examples classified correctly;
	// higher is better.
	MetricAccuracy
)

func (m Metric) String() string {
	if m == MetricAccuracy {
		return "accuracy"
	}
	return "loss"
}

// Better reports whether a is strictly better than b under m; NaN is worse
// than everything.
func (m Metric) Better(a, b float64) bool {
	switch {
	case math.IsNaN(a):
		return false
	case math.IsNaN(b):
		return true
	case m == MetricAccuracy:
		return a > b
	}
	return a < b
}

// Reached reports whether v meets the target (v <= target for a loss,
// v >= target for an accuracy; never for a NaN target or value).
func (m Metric) Reached(v, target float64) bool {
	if math.IsNaN(v) || math.IsNaN(target) {
		return false
	}
	if m == MetricAccuracy {
		return v >= target
	}
	return v <= target
}

// Worst is the value a diverged trial scores: +Inf for a loss, 0 for an
// accuracy.
func (m Metric) Worst() float64 {
	if m == MetricAccuracy {
		return 0
	}
	return math.Inf(1)
}

// Budget is the length of a trial: Epochs passes over the training set, or
// Steps gradient evaluations (one per training batch for first-order
// optimizers; L-BFGS spends one per closure call). Exactly one is set.
type Budget struct {
	Epochs int `json:"epochs,omitempty"`
	Steps  int `json:"steps,omitempty"`
}

func (b Budget) String() string {
	if b.Epochs > 0 {
		return fmt.Sprintf("%d epochs", b.Epochs)
	}
	return fmt.Sprintf("%d steps", b.Steps)
}

func (b Budget) validate() error {
	if b.Epochs < 0 || b.Steps < 0 || (b.Epochs > 0) == (b.Steps > 0) {
		return fmt.Errorf("budget %+v (want exactly one of Epochs and Steps > 0)", b)
	}
	return nil
}

// steps converts the budget to steps for an epoch of perEpoch batches.
func (b Budget) steps(perEpoch int) int {
	if b.Epochs > 0 {
		return b.Epochs * perEpoch
	}
	return b.Steps
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_\-]*$`)

// validate checks everything that can be checked without loading the data.
func (p Problem) validate() error {
	switch {
	case !nameRE.MatchString(p.Name):
		return fmt.Errorf("problem name %q (want lower case letters, digits, '_' and '-')", p.Name)
	case p.Load == nil || p.Build == nil:
		return fmt.Errorf("problem %s: Load and Build must be set", p.Name)
	case p.BatchSize < 1:
		return fmt.Errorf("problem %s: BatchSize %d (want >= 1)", p.Name, p.BatchSize)
	case p.EvalEvery < 0 || p.EvalExamples < 0:
		return fmt.Errorf("problem %s: EvalEvery %d, EvalExamples %d (want >= 0)", p.Name, p.EvalEvery, p.EvalExamples)
	case p.Metric > MetricAccuracy:
		return fmt.Errorf("problem %s: unknown metric %d", p.Name, p.Metric)
	case p.DType != 0 && !p.DType.IsFloat():
		return fmt.Errorf("problem %s: dtype %v (want float32 or float64)", p.Name, p.DType)
	}
	if err := p.Budget.validate(); err != nil {
		return fmt.Errorf("problem %s: %w", p.Name, err)
	}
	return nil
}
