package optimizers

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/internal/vec"
)

// simd is the level of the SIMD kernels (package internal/vec) the update
// kernels use: the best this machine supports, chosen once at init. Only
// tests change it, to run the kernels of each level and the scalar ones.
var simd = vec.Best()

// maxBufs is the most per-parameter buffers an optimizer keeps (Adam with
// AMSGrad: exp_avg, exp_avg_sq, max_exp_avg_sq).
const maxBufs = 3

// slot is the state of one parameter, keyed by the parameter's name so a
// reloaded model (new *Param values, same names) finds it again.
type slot struct {
	name  string
	param *graph.Param // the *Param last met under this name
	group int          // its group, decided when param was last set
	seen  uint64       // core.epoch of the last Step that met it
	step  int64        // steps taken, counted from 1 on the first step
	bufs  [maxBufs]*graph.Tensor
}

// fits checks that the slot's buffers (possibly loaded from a State) have
// the parameter's dtype and shape.
func (s *slot) fits(v *graph.Tensor) string {
	for _, b := range s.bufs {
		if b == nil {
			continue
		}
		if b.DType() != v.DType() || !b.Shape().Equal(v.Shape()) {
			return fmt.Sprintf("optimizer state is %v%v (want %v%v)", b.DType(), b.Shape(), v.DType(), v.Shape())
		}
	}
	return ""
}

// buf returns buffer i as []T, creating it (filled with fill) on first use.
func buf[T graph.Float](s *slot, i int, fill float64) []T {
	if s.bufs[i] == nil {
		t := s.param.Value().Clone()
		t.Fill(fill)
		s.bufs[i] = t
	}
	return view[T](s.bufs[i])
}

// core is what every built-in optimizer shares: the groups' learning
// rates, group selection, the per-parameter state, the checks run before
// any update, and State/LoadState. Its exported methods (NumGroups, LR,
// SetLR, Reset, State, LoadState) are promoted to the optimizers.
type core[C config[C]] struct {
	title    string   // "Adam": names the optimizer in errors
	kind     string   // "adam": State.Kind
	bufNames []string // torch's names of the buffers, in slot.bufs order
	need     []int    // buffers a loaded parameter with step > 0 must have
	lrs      []float64
	match    []Selector // match[0] is nil: group 0 takes what no group selects
	slots    map[string]*slot
	active   []*slot // the parameters this Step updates (reused)
	epoch    uint64  // Step calls, to find a name met twice in one Step
	cfgs     []C     // each group's hyperparameters (LR: the initial lr)
	// update applies one step to a parameter of dtype float32 or float64.
	update32, update64 func(s *slot, c *C, lr float64)
}

// config is what an optimizer's configuration type provides to core.
type config[C any] interface {
	validate(*validator)
	lr() float64
	// or fills the unset (zero) fields from d and turns Zero() into 0
	// (see Zero); booleans set in d stay set.
	or(d C) C
}

// newCore resolves the defaults (cfg's unset fields from torch's defaults
// def, each group's from the resolved cfg), validates the result and lays
// it out by group.
func newCore[C config[C]](title, kind string, bufNames []string, need []int, def, cfg C, groups []Group[C],
	update32, update64 func(*slot, *C, float64)) (core[C], error) {
	c := core[C]{title: title, kind: kind, bufNames: bufNames, need: need, slots: map[string]*slot{},
		update32: update32, update64: update64}
	cfg = cfg.or(def)
	c.cfgs, c.match, c.lrs = append(c.cfgs, cfg), append(c.match, nil), append(c.lrs, cfg.lr())
	for _, g := range groups {
		gc := g.Config.or(cfg)
		c.cfgs, c.match, c.lrs = append(c.cfgs, gc), append(c.match, g.Match), append(c.lrs, gc.lr())
	}
	for i, gc := range c.cfgs {
		if i > 0 && c.match[i] == nil {
			return c, fmt.Errorf("optimizers: %s: group %d: %w: Match is nil (want a Selector)", title, i, ErrHyper)
		}
		v := validator{opt: title, group: i}
		gc.validate(&v)
		if v.err != nil {
			return c, v.err
		}
	}
	return c, nil
}

// Config returns the hyperparameters of a group with every default
// resolved (its LR is the initial one; see LR for the current one).
func (c *core[C]) Config(group int) (C, bool) {
	if group < 0 || group >= len(c.cfgs) {
		var zero C
		return zero, false
	}
	return c.cfgs[group], true
}

// Step updates every parameter that has a gradient. It checks all of them
// first: on error nothing is updated.
func (c *core[C]) Step(params []*graph.Param) error {
	if err := c.prepare(params); err != nil {
		return err
	}
	for _, s := range c.active {
		s.step++
		if s.param.DType() == graph.Float32 {
			c.update32(s, &c.cfgs[s.group], c.lrs[s.group])
		} else {
			c.update64(s, &c.cfgs[s.group], c.lrs[s.group])
		}
	}
	return nil
}

// NumGroups returns the number of parameter groups: 1 + the number of
// groups given to the constructor.
func (c *core[C]) NumGroups() int { return len(c.lrs) }

// LR returns the current learning rate of a group (NaN for a bad index).
func (c *core[C]) LR(group int) float64 {
	if group < 0 || group >= len(c.lrs) {
		return math.NaN()
	}
	return c.lrs[group]
}

// SetLR sets a group's learning rate for the following steps.
func (c *core[C]) SetLR(group int, lr float64) error {
	if group < 0 || group >= len(c.lrs) {
		return fmt.Errorf("optimizers: %s: SetLR: %w: %d (want 0 <= group < %d)", c.title, ErrGroup, group, len(c.lrs))
	}
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return &HyperError{Optimizer: c.title, Group: group, Field: "LR", Value: lr, Want: "lr >= 0"}
	}
	c.lrs[group] = lr
	return nil
}

// Reset forgets the per-parameter state (step counts and buffers), as a
// freshly constructed optimizer; the groups' learning rates are kept.
func (c *core[C]) Reset() {
	c.slots = map[string]*slot{}
	c.active = c.active[:0]
}

func (c *core[C]) groupOf(p *graph.Param) int {
	for i := 1; i < len(c.match); i++ {
		if c.match[i](p) {
			return i
		}
	}
	return 0
}

// prepare checks every parameter before anything is updated and collects
// those with a gradient in c.active. On error nothing has been updated.
// In steady state it allocates nothing.
func (c *core[C]) prepare(params []*graph.Param) error {
	c.epoch++
	c.active = c.active[:0]
	for i, p := range params {
		if p == nil {
			return &ParamError{Optimizer: c.title, Index: i, Reason: "nil parameter"}
		}
		g := p.Grad()
		if g == nil || !p.Trainable() {
			continue
		}
		v := p.Value()
		if !v.DType().IsFloat() {
			return &ParamError{Optimizer: c.title, Param: p.Name(), Index: i, Reason: fmt.Sprintf("dtype %v (want float32 or float64)", v.DType())}
		}
		if g.DType() != v.DType() || !g.Shape().Equal(v.Shape()) {
			return &ParamError{Optimizer: c.title, Param: p.Name(), Index: i,
				Reason: fmt.Sprintf("gradient is %v%v (want %v%v)", g.DType(), g.Shape(), v.DType(), v.Shape())}
		}
		if !finite(g) {
			return &NonFiniteGradError{Optimizer: c.title, Param: p.Name()}
		}
		s := c.slots[p.Name()]
		if s == nil {
			s = &slot{name: p.Name()}
			c.slots[s.name] = s
		}
		if s.seen == c.epoch {
			return &ParamError{Optimizer: c.title, Param: p.Name(), Index: i, Reason: "two parameters have this name (want unique names: state is keyed by name)"}
		}
		s.seen = c.epoch
		if s.param != p {
			s.param, s.group = p, c.groupOf(p)
		}
		if why := s.fits(v); why != "" {
			return &ParamError{Optimizer: c.title, Param: p.Name(), Index: i, Reason: why}
		}
		c.active = append(c.active, s)
	}
	return nil
}

// view returns t's elements as []T: the dtype was checked before (Step
// checks every parameter and gradient first).
func view[T graph.Float](t *graph.Tensor) []T {
	v, _ := graph.Floats[T](t)
	return v
}

// finite reports whether a float tensor holds no NaN or Inf.
func finite(t *graph.Tensor) bool {
	if t.DType() == graph.Float32 {
		return allFinite(view[float32](t))
	}
	return allFinite(view[float64](t))
}

// allFinite reports whether x holds no NaN or Inf: the SIMD check of
// internal/vec, then allFiniteGo for the elements past its last vector;
// a long x in ranges over the thread pool (any cut gives the same answer).
func allFinite[T graph.Float](x []T) bool {
	if len(x) >= 2*splitGrain && parallel.Threads() > 1 {
		return finiteSplit(x)
	}
	return allFiniteSerial(x)
}

func allFiniteSerial[T graph.Float](x []T) bool {
	n, ok := vec.AllFinite(simd, x)
	return ok && allFiniteGo(x[n:])
}

// allFiniteGo reports whether x holds no NaN or Inf. The fast path is a
// plain sum over eight independent accumulators (one addition per
// element, not bound by the latency of one addition chain): once a partial
// sum meets NaN or ±Inf it stays NaN or ±Inf, so a finite total proves
// every element finite. Only a non-finite total (a bad element, or finite
// elements whose sum overflows) takes the exact element-wise check.
func allFiniteGo[T graph.Float](x []T) bool {
	var a0, a1, a2, a3, a4, a5, a6, a7 T
	i := 0
	for ; i+8 <= len(x); i += 8 {
		s := x[i : i+8 : i+8]
		a0 += s[0]
		a1 += s[1]
		a2 += s[2]
		a3 += s[3]
		a4 += s[4]
		a5 += s[5]
		a6 += s[6]
		a7 += s[7]
	}
	for ; i < len(x); i++ {
		a0 += x[i]
	}
	if s := (a0 + a1) + (a2 + a3) + (a4 + a5) + (a6 + a7); s-s == 0 {
		return true
	}
	for _, v := range x {
		if v-v != 0 {
			return false
		}
	}
	return true
}

// validator keeps the first hyperparameter that fails its check.
type validator struct {
	opt   string
	group int
	err   error
}

// need records a HyperError unless ok holds and x is finite.
func (v *validator) need(field string, x float64, ok bool, want string) {
	if v.err == nil && (!ok || math.IsNaN(x) || math.IsInf(x, 0)) {
		v.err = &HyperError{Optimizer: v.opt, Group: v.group, Field: field, Value: x, Want: want}
	}
}
