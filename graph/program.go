package graph

import (
	"fmt"
	"math"
	"sync"
)

// Feeds binds a batch to the inputs of a program. The tensors are read in
// place during the run, not copied.
type Feeds map[*Node]*Tensor

// CompileOptions adjusts what a Program differentiates.
type CompileOptions struct {
	// WRT lists the nodes (parameters or inputs) whose gradients backward
	// passes compute. Empty means every trainable parameter the loss depends on.
	WRT []*Node
}

// Program runs a graph's loss and outputs, forward and backward. It
// compiles one gorgonia program per mode, gradient request and batch size,
// the first time it meets it, and caches it: evaluating with another batch
// size (a last partial batch, a test set in chunks) needs nothing from the
// caller. Parameters and buffers are shared by all of them.
//
// Execution is descent's own: every buffer is planned once per compiled
// program and reused, ops run in topological order on the caller's
// goroutine, and a panic inside an op comes back as an error wrapping ErrRun.
// A Program is not safe for concurrent use.
type Program struct {
	g       *Graph
	loss    *Node
	outputs []*Node
	inputs  []*Node // inputs the loss and outputs depend on
	wrt     []*Node // explicit gradient targets, or nil
	plans   map[planKey]*plan
	last    *plan
}

type planKey struct {
	mode     Mode
	backward bool
	batch    int
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
	p := &Program{g: g, loss: loss, outputs: outputs, wrt: opts.WRT, plans: map[planKey]*plan{}}
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
	var visit func(n *Node)
	visit = func(n *Node) {
		if seen[n.id] {
			return
		}
		seen[n.id] = true
		for _, in := range n.inputs {
			visit(in)
		}
	}
	for _, r := range roots {
		visit(r)
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
// (Param.Grad).
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
	batch, err := p.checkFeeds(feeds)
	if err != nil {
		return err
	}
	key := planKey{mode: mode, backward: backward, batch: batch}
	pl := p.plans[key]
	if pl == nil {
		if pl, err = p.compile(key); err != nil {
			return err
		}
		p.plans[key] = pl
	}
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

// checkFeeds validates the batch and returns the batch size.
func (p *Program) checkFeeds(feeds Feeds) (int, error) {
	batch := 0
	for _, in := range p.inputs {
		t, ok := feeds[in]
		if !ok || t == nil {
			return 0, fmt.Errorf("graph: Run: %w: input %q is not fed", ErrFeed, in.name)
		}
		if !feedFits(in.typ, t, &batch) {
			return 0, &FeedError{Input: in.name, Want: in.typ.Shape, Got: t.shape, WantT: in.typ.DType, GotT: t.dtype}
		}
	}
	return batch, nil
}

// feedFits reports whether t fits the declaration want; the first Batch
// dimension met sets *batch, later ones must agree.
func feedFits(want Type, t *Tensor, batch *int) bool {
	if t.dtype != want.DType || len(t.shape) != len(want.Shape) || t.Len() != t.shape.Size() {
		return false
	}
	for i, d := range want.Shape {
		if d == Batch {
			if *batch == 0 {
				*batch = t.shape[i]
			}
			if t.shape[i] != *batch || *batch <= 0 {
				return false
			}
		} else if t.shape[i] != d {
			return false
		}
	}
	return true
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

// Compiled returns how many programs (mode, backward, batch size) are cached.
func (p *Program) Compiled() int { return len(p.plans) }

// Close drops the compiled programs and their buffers.
func (p *Program) Close() error {
	p.plans = map[planKey]*plan{}
	p.last = nil
	return nil
}

// gorgoniaMu serialises graph construction: gorgonia keeps package-level
// state (type pools, shared constants) that is not safe for concurrent use.
var gorgoniaMu sync.Mutex
