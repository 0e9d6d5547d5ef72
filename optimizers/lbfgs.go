package optimizers

import (
	"errors"
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
)

// ErrNeedsClosure: LBFGS.Step was called without a closure; L-BFGS
// evaluates the objective several times per step (use StepClosure).
var ErrNeedsClosure = errors.New("needs a closure")

// Closure evaluates the objective at the parameters' current values: it
// returns the loss and leaves each parameter's gradient in Param.Grad, as
// a torch closure does with loss.backward(). With descent's graph it is
//
//	func() (float64, error) { return prog.TrainStep(feeds) }
type Closure func() (float64, error)

// ClosureOptimizer is an optimizer that re-evaluates the objective within
// a step, as torch's optimizer.step(closure). StepClosure returns the loss
// of the closure's first evaluation (the loss before the step).
type ClosureOptimizer interface {
	Optimizer
	StepClosure(params []*graph.Param, closure Closure) (float64, error)
}

// LineSearch selects L-BFGS's step-length rule.
type LineSearch uint8

const (
	// NoLineSearch takes the step lr*d (after the first iteration's
	// min(1, 1/|g|_1)*lr), torch's line_search_fn=None.
	NoLineSearch LineSearch = iota
	// StrongWolfe searches for a step satisfying the strong Wolfe
	// conditions (c1 = 1e-4, c2 = 0.9), torch's line_search_fn="strong_wolfe".
	StrongWolfe
)

// LBFGSConfig holds torch.optim.LBFGS's hyperparameters. A field left at
// zero takes the default noted (torch's); write Zero() for a zero
// tolerance. Integer fields have no explicit zero (none may be 0).
type LBFGSConfig struct {
	LR              float64    // step length (>= 0); default 1
	MaxIter         int        // iterations per step (>= 1); default 20
	MaxEval         int        // closure evaluations per step (>= 1); default MaxIter*5/4
	ToleranceGrad   float64    // stop when max|g| <= it (>= 0); default 1e-7
	ToleranceChange float64    // stop when a step or loss change is below it (>= 0); default 1e-9
	HistorySize     int        // curvature pairs kept (>= 1); default 100
	LineSearch      LineSearch // default NoLineSearch
}

// LBFGSDefaults returns torch.optim.LBFGS's defaults.
func LBFGSDefaults() LBFGSConfig {
	return LBFGSConfig{LR: 1, MaxIter: 20, MaxEval: 25, ToleranceGrad: 1e-7, ToleranceChange: 1e-9, HistorySize: 100}
}

func (c LBFGSConfig) resolve() (LBFGSConfig, error) {
	d := LBFGSDefaults()
	r := LBFGSConfig{LR: or(c.LR, d.LR), MaxIter: c.MaxIter, MaxEval: c.MaxEval, ToleranceGrad: or(c.ToleranceGrad, d.ToleranceGrad),
		ToleranceChange: or(c.ToleranceChange, d.ToleranceChange), HistorySize: c.HistorySize, LineSearch: c.LineSearch}
	if r.MaxIter == 0 {
		r.MaxIter = d.MaxIter
	}
	if r.MaxEval == 0 {
		r.MaxEval = r.MaxIter * 5 / 4
	}
	if r.HistorySize == 0 {
		r.HistorySize = d.HistorySize
	}
	v := validator{opt: "LBFGS"}
	v.need("LR", r.LR, r.LR >= 0, "lr >= 0")
	v.need("MaxIter", float64(r.MaxIter), r.MaxIter >= 1, "max_iter >= 1")
	v.need("MaxEval", float64(r.MaxEval), r.MaxEval >= 1, "max_eval >= 1")
	v.need("ToleranceGrad", r.ToleranceGrad, r.ToleranceGrad >= 0, "tolerance_grad >= 0")
	v.need("ToleranceChange", r.ToleranceChange, r.ToleranceChange >= 0, "tolerance_change >= 0")
	v.need("HistorySize", float64(r.HistorySize), r.HistorySize >= 1, "history_size >= 1")
	v.need("LineSearch", float64(r.LineSearch), r.LineSearch <= StrongWolfe, "NoLineSearch or StrongWolfe")
	return r, v.err
}

// LBFGS is torch.optim.LBFGS (Nocedal 1980; Liu & Nocedal 1989, limited-
// memory BFGS), statement for statement: one StepClosure runs up to
// MaxIter iterations (and MaxEval closure evaluations) of the two-loop
// recursion over the last HistorySize curvature pairs (a pair is kept only
// if y's = (g_new-g_old)'s > 1e-10; the initial Hessian is y's/y'y), with
// either a fixed step (lr; the very first iteration uses
// min(1, 1/|g|_1)*lr) or the strong-Wolfe line search. It stops early when
// max|g| <= ToleranceGrad, when g'd > -ToleranceChange, or when the step
// max|t*d| or the loss change is below ToleranceChange. The iteration
// count, the direction, the step and the history persist across calls
// (torch's state n_iter, d, t, old_dirs, old_stps, ro, H_diag,
// prev_flat_grad, prev_loss), so the first-iteration rule applies only
// once.
//
// The parameters are treated as one flat vector in the order given (every
// trainable one; a missing gradient counts as zeros, as torch's), and
// every call must pass the same parameters. Arithmetic is float64 whatever
// the parameters' dtype (torch computes in the parameters' dtype); float32
// parameters are rounded once per update. Dot products are sequential
// sums (torch's BLAS may sum in another order: last-bit differences).
// One parameter group only, as torch.
//
// A closure error, or a gradient holding NaN or Inf (*NonFiniteGradError),
// ends the step with the parameters and the state as they were before it.
type LBFGS struct {
	cfg   LBFGSConfig
	lr    float64
	names []string
	sizes []int
	// torch's state
	nIter, funcEvals int64
	d, prevFlatGrad  []float64
	t, hDiag         float64
	prevLoss         float64
	oldDirs, oldStps [][]float64
	ro               []float64
	started          bool // d, t, prevFlatGrad and prevLoss are set
}

// NewLBFGS returns an L-BFGS optimizer.
func NewLBFGS(cfg LBFGSConfig) (*LBFGS, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	return &LBFGS{cfg: r, lr: r.LR}, nil
}

// Config returns the hyperparameters with every default resolved (LR the
// initial one); ok is false for a group other than 0.
func (o *LBFGS) Config(group int) (LBFGSConfig, bool) {
	if group != 0 {
		return LBFGSConfig{}, false
	}
	return o.cfg, true
}

// Step returns an error wrapping ErrNeedsClosure: use StepClosure.
func (o *LBFGS) Step([]*graph.Param) error {
	return fmt.Errorf("optimizers: LBFGS: Step: %w (use StepClosure: L-BFGS evaluates the objective several times per step)", ErrNeedsClosure)
}

// NumGroups returns 1: L-BFGS has one parameter group.
func (o *LBFGS) NumGroups() int { return 1 }

// LR returns the current learning rate (NaN for a group other than 0).
func (o *LBFGS) LR(group int) float64 {
	if group != 0 {
		return math.NaN()
	}
	return o.lr
}

// SetLR sets the learning rate used from the next StepClosure on.
func (o *LBFGS) SetLR(group int, lr float64) error {
	if group != 0 {
		return fmt.Errorf("optimizers: LBFGS: SetLR: %w: %d (want 0)", ErrGroup, group)
	}
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return &HyperError{Optimizer: "LBFGS", Field: "LR", Value: lr, Want: "lr >= 0"}
	}
	o.lr = lr
	return nil
}

// Reset forgets the state (iteration count, direction, history), as a
// freshly constructed optimizer; the learning rate is kept.
func (o *LBFGS) Reset() {
	lr := o.lr
	*o = LBFGS{cfg: o.cfg, lr: lr}
}

// flat is the optimizer's view of the parameters as one vector.
type flat struct {
	params []*graph.Param
	n      int
}

// bind checks params against the ones of earlier calls (recording them on
// the first) and returns the trainable ones.
func (o *LBFGS) bind(params []*graph.Param) (flat, error) {
	var f flat
	var names []string
	var sizes []int
	for i, p := range params {
		if p == nil {
			return f, &ParamError{Optimizer: "LBFGS", Index: i, Reason: "nil parameter"}
		}
		if !p.Trainable() {
			continue
		}
		if !p.DType().IsFloat() {
			return f, &ParamError{Optimizer: "LBFGS", Param: p.Name(), Index: i, Reason: fmt.Sprintf("dtype %v (want float32 or float64)", p.DType())}
		}
		f.params = append(f.params, p)
		names, sizes = append(names, p.Name()), append(sizes, p.Value().Len())
		f.n += p.Value().Len()
	}
	if o.names == nil {
		if o.started && f.n != len(o.d) {
			return f, &ParamError{Optimizer: "LBFGS", Index: -1, Reason: fmt.Sprintf("%d elements in all (want %d, as the loaded state)", f.n, len(o.d))}
		}
		o.names, o.sizes = names, sizes
		return f, nil
	}
	if len(names) != len(o.names) {
		return f, &ParamError{Optimizer: "LBFGS", Index: -1, Reason: fmt.Sprintf("%d parameters (want the %d of the first step, in the same order)", len(names), len(o.names))}
	}
	for i := range names {
		if names[i] != o.names[i] || sizes[i] != o.sizes[i] {
			return f, &ParamError{Optimizer: "LBFGS", Param: names[i], Index: i,
				Reason: fmt.Sprintf("%d elements (want parameter %q of %d elements, as in the first step)", sizes[i], o.names[i], o.sizes[i])}
		}
	}
	return f, nil
}

// values returns the parameters as one float64 vector.
func (f flat) values() []float64 {
	out := make([]float64, 0, f.n)
	for _, p := range f.params {
		out = append(out, p.Value().Values()...)
	}
	return out
}

// set writes x into the parameters (rounding to float32 where they are).
func (f flat) set(x []float64) {
	off := 0
	for _, p := range f.params {
		v := p.Value()
		switch v.DType() {
		case graph.Float32:
			dst := view[float32](v)
			for i := range dst {
				dst[i] = float32(x[off+i])
			}
		default:
			copy(view[float64](v), x[off:off+len(view[float64](v))])
		}
		off += v.Len()
	}
}

// grad gathers the gradients (zeros for a parameter without one), checking
// them.
func (f flat) grad() ([]float64, error) {
	out := make([]float64, 0, f.n)
	for i, p := range f.params {
		g := p.Grad()
		if g == nil {
			out = append(out, make([]float64, p.Value().Len())...)
			continue
		}
		if g.DType() != p.DType() || !g.Shape().Equal(p.Shape()) {
			return nil, &ParamError{Optimizer: "LBFGS", Param: p.Name(), Index: i,
				Reason: fmt.Sprintf("gradient is %v%v (want %v%v)", g.DType(), g.Shape(), p.DType(), p.Shape())}
		}
		if !finite(g) {
			return nil, &NonFiniteGradError{Optimizer: "LBFGS", Param: p.Name()}
		}
		out = append(out, g.Values()...)
	}
	return out, nil
}

// addScaled returns x + t*d.
func addScaled(x []float64, t float64, d []float64) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		out[i] = x[i] + t*d[i]
	}
	return out
}
