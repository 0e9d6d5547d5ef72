package graph

import (
	"fmt"
	"math"
)

// Feeds binds a batch to the inputs of a program. The tensors are read in
// place during the run, not copied.
type Feeds map[*Node]*Tensor

// CompileOptions adjusts what a Program differentiates and caches.
type CompileOptions struct {
	// WRT lists the nodes (parameters or inputs) whose gradients backward
	// passes compute. Empty means every trainable parameter the loss depends on.
	WRT []*Node
	// MaxPrograms bounds the compiled programs kept (one per mode, gradient
	// request and set of open-dimension sizes); past it the least recently
	// used is dropped. 0 means DefaultMaxPrograms.
	MaxPrograms int
}

// DefaultMaxPrograms is the default bound of a Program's cache.
const DefaultMaxPrograms = 64

// Program runs a graph's loss and outputs, forward and backward. It
// compiles one gorgonia program per mode, gradient request and set of
// sizes of the open dimensions (Batch, Seq, ...), the first time it meets
// it, and caches it (least recently used out, past MaxPrograms):
// evaluating with another batch size (a last partial batch, a test set in
// chunks) needs nothing from the caller. Parameters and buffers are shared
// by all of them.
//
// Execution is descent's own: every buffer is planned once per compiled
// program and reused, ops run in topological order on the caller's
// goroutine, and a panic inside an op comes back as an error wrapping ErrRun.
// A Program is not safe for concurrent use; see the package doc for what is.
type Program struct {
	g       *Graph
	loss    *Node
	outputs []*Node
	inputs  []*Node // inputs the loss and outputs depend on
	wrt     []*Node // explicit gradient targets, or nil
	max     int
	plans   map[planKey]*plan
	clock   uint64
	last    *plan
}

// maxOpen is the number of open dimensions a program can bind: Batch, Seq
// and Open(0) .. Open(maxOpen-3).
const maxOpen = 8

// openIndex is the slot of an open dimension in a dimEnv.
func openIndex(d int) int { return -d - 2 }

// dimEnv holds the sizes bound to the open dimensions in one run (0: unbound).
type dimEnv [maxOpen]int

// size resolves a dimension: itself when concrete, its bound size when open.
func (e *dimEnv) size(d int) (int, error) {
	switch {
	case d > 0:
		return d, nil
	case isOpen(d) && openIndex(d) < maxOpen && e[openIndex(d)] > 0:
		return e[openIndex(d)], nil
	case isOpen(d):
		return 0, shapeErr("dimension %s is not bound by any input of the program", dimName(d))
	}
	return 0, shapeErr("dimension %s cannot be resolved", dimName(d))
}

// concrete resolves every dimension of s.
func (e *dimEnv) concrete(s Shape) (Shape, error) {
	out := make(Shape, len(s))
	for i, d := range s {
		v, err := e.size(d)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

type planKey struct {
	mode     Mode
	backward bool
	dims     dimEnv
}

// Compile prepares a program computing loss (a scalar, or nil for an
// inference-only program) and the extra outputs.
func (g *Graph) Compile(loss *Node, outputs ...*Node) (*Program, error) {
	return g.CompileWith(CompileOptions{}, loss, outputs...)
}

// CompileWith is Compile with options.
func (g *Graph) CompileWith(opts CompileOptions, loss *Node, outputs ...*Node) (*Program, error) {
	if g.err != nil {
		return nil, g.err
	}
	all := append([]*Node(nil), outputs...)
	if loss != nil {
		if loss.failed || loss.g != g {
			return nil, fmt.Errorf("graph: Compile: %w: the loss is failed or from another graph", ErrGraph)
		}
		if loss.typ.Shape.Rank() != 0 || !loss.typ.DType.IsFloat() {
			return nil, fmt.Errorf("graph: Compile: %w: the loss must be a float scalar (got %v)", ErrShape, loss.typ)
		}
		all = append(all, loss)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("graph: Compile: %w: nothing to compute (no loss, no outputs)", ErrGraph)
	}
	for _, n := range append(all, opts.WRT...) {
		if n == nil || n.g != g || n.failed {
			return nil, fmt.Errorf("graph: Compile: %w: a node is nil, failed or from another graph", ErrGraph)
		}
	}
	for _, n := range opts.WRT {
		if n.kind != kindInput && n.kind != kindParam {
			return nil, fmt.Errorf("graph: Compile: %w: WRT node %v is not an input or a parameter", ErrGraph, n)
		}
		if !n.typ.DType.IsFloat() {
			return nil, fmt.Errorf("graph: Compile: %w: WRT node %v is not float", ErrDType, n)
		}
	}
	if opts.MaxPrograms < 0 {
		return nil, fmt.Errorf("graph: Compile: %w: MaxPrograms = %d (want >= 0)", ErrGraph, opts.MaxPrograms)
	}
	p := &Program{g: g, loss: loss, outputs: outputs, wrt: opts.WRT, max: opts.MaxPrograms, plans: map[planKey]*plan{}}
	if p.max == 0 {
		p.max = DefaultMaxPrograms
	}
	for _, n := range g.ancestors(all) {
		if n.kind == kindInput {
			p.inputs = append(p.inputs, n)
		}
	}
	return p, nil
}

// ancestors returns the nodes that roots depend on, in creation (topological) order.
func (g *Graph) ancestors(roots []*Node) []*Node {
	seen := make([]bool, len(g.nodes))
	stack := append([]*Node(nil), roots...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n.id] {
			continue
		}
		seen[n.id] = true
		stack = append(stack, n.inputs...)
	}
	var out []*Node
	for _, n := range g.nodes {
		if seen[n.id] {
			out = append(out, n)
		}
	}
	return out
}

// Inputs returns the inputs a run must feed.
func (p *Program) Inputs() []*Node { return p.inputs }

// TrainStep runs forward and backward in training mode and returns the
// loss. Afterwards every parameter the loss depends on holds its gradient
// (Param.Grad), and every other trainable parameter of the graph none.
func (p *Program) TrainStep(feeds Feeds) (float64, error) {
	if err := p.Run(Train, true, feeds); err != nil {
		return math.NaN(), err
	}
	return p.Loss(), nil
}

// Evaluate runs forward only, in eval mode, and returns the loss (NaN when
// the program has none). Outputs are then available with Output.
func (p *Program) Evaluate(feeds Feeds) (float64, error) {
	if err := p.Run(Eval, false, feeds); err != nil {
		return math.NaN(), err
	}
	return p.Loss(), nil
}

// Run executes the program in the given mode, with a backward pass when
// backward is true (the program needs a loss for that).
func (p *Program) Run(mode Mode, backward bool, feeds Feeds) (err error) {
	if backward && p.loss == nil {
		return fmt.Errorf("graph: Run: %w: a backward pass needs a loss", ErrGraph)
	}
	key := planKey{mode: mode, backward: backward}
	if err := p.checkFeeds(feeds, &key.dims); err != nil {
		return err
	}
	if mode == Train || backward {
		// Training runs update buffers (batch norm's running statistics) and
		// draw from the graph's random stream: one at a time per graph.
		if !p.g.training.CompareAndSwap(false, true) {
			return fmt.Errorf("graph: Run: %w: another program is running a training step on this graph", ErrBusy)
		}
		defer p.g.training.Store(false)
	}
	pl := p.plans[key]
	if pl == nil {
		if pl, err = p.compile(key); err != nil {
			return err
		}
		p.plans[key] = pl
		p.evict()
	}
	p.clock++
	pl.used = p.clock
	p.last = pl
	pl.bind(p.inputs, feeds)
	if err := pl.exec(p.g); err != nil {
		return err
	}
	if backward {
		pl.refreshGrads()
		// A trainable parameter this backward pass does not reach has no
		// gradient (PyTorch's None): never one left by another program.
		for _, q := range p.g.params {
			q.grad = nil
		}
		for i, n := range pl.wrt {
			if n.param != nil {
				n.param.grad = pl.gradOut[i]
			}
		}
	}
	return nil
}

// evict drops the least recently used plans past the cache bound.
func (p *Program) evict() {
	for len(p.plans) > p.max {
		var oldest planKey
		first := true
		for k, pl := range p.plans {
			if first || pl.used < p.plans[oldest].used {
				oldest, first = k, false
			}
		}
		p.g.mem.release(p.plans[oldest].bytes)
		delete(p.plans, oldest)
	}
}

// checkFeeds validates the batch and binds the open dimensions.
func (p *Program) checkFeeds(feeds Feeds, env *dimEnv) error {
	for _, in := range p.inputs {
		t, ok := feeds[in]
		if !ok || t == nil {
			return fmt.Errorf("graph: Run: %w: input %q is not fed", ErrFeed, in.name)
		}
		if err := feedFits(in, t, env); err != nil {
			return err
		}
	}
	return nil
}

// feedFits checks t against the declaration of input in; the first input
// met with an open dimension binds its size, later ones must agree.
func feedFits(in *Node, t *Tensor, env *dimEnv) error {
	want := in.typ
	bad := func(why string) error {
		return &FeedError{Input: in.name, Want: want.Shape, Got: t.shape, WantT: want.DType, GotT: t.dtype, Why: why}
	}
	if t.dtype != want.DType || len(t.shape) != len(want.Shape) || t.Len() != t.shape.Size() {
		return bad("")
	}
	for i, d := range want.Shape {
		got := t.shape[i]
		if !isOpen(d) {
			if got != d {
				return bad("")
			}
			continue
		}
		k := openIndex(d)
		switch {
		case got <= 0:
			return bad(fmt.Sprintf("dimension %s is %d (want a positive size)", dimName(d), got))
		case env[k] == 0:
			env[k] = got
		case env[k] != got:
			return bad(fmt.Sprintf("dimension %s is %d here but %d in another input", dimName(d), got, env[k]))
		}
	}
	return nil
}

// Loss returns the loss of the last run (NaN without a loss).
func (p *Program) Loss() float64 {
	if p.last == nil || p.loss == nil {
		return math.NaN()
	}
	return p.last.slots[p.last.lowered[p.loss]].At(0)
}

// Output returns the value of n (the loss, an output, or any node the
// program computes) from the last run, or nil. It shares memory with the
// program: it changes with the next run.
func (p *Program) Output(n *Node) *Tensor {
	if p.last == nil {
		return nil
	}
	if s, ok := p.last.lowered[n]; ok {
		return p.last.slots[s]
	}
	return nil
}

// Grad returns the gradient of the loss with respect to n (a parameter or
// a WRT input) from the last backward run, or nil.
func (p *Program) Grad(n *Node) *Tensor {
	if p.last == nil {
		return nil
	}
	for i, w := range p.last.wrt {
		if w == n {
			return p.last.gradOut[i]
		}
	}
	return nil
}

// Compiled returns how many programs (mode, backward, sizes) are cached.
func (p *Program) Compiled() int { return len(p.plans) }

// Close drops the compiled programs and their buffers.
func (p *Program) Close() error {
	for _, pl := range p.plans {
		p.g.mem.release(pl.bytes)
	}
	p.plans = map[planKey]*plan{}
	p.last = nil
	return nil
}
