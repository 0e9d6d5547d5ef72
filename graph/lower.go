package graph

import (
	"fmt"
	"runtime/debug"
	"sync"

	"gorgonia.org/gorgonia"
)

// gorgoniaMu serialises graph construction: gorgonia keeps package-level
// state (type pools, shared constants) that is not safe for concurrent use.
var gorgoniaMu sync.Mutex

// lowering turns descent nodes into gorgonia nodes for one compiled
// program (one planKey). Ops are lowered once per program and shared by
// every gorgonia graph it builds: the main one, and the scratch graphs in
// which the Grad nodes are differentiated (see lowerGrad), so a stateful
// op (batch norm's saved statistics, dropout's mask) is one instance.
type lowering struct {
	g   *Graph
	key planKey
	lop map[*Node]Op // lowered op of each op node (nil: identity in this mode)
}

// loweredGraph is one gorgonia graph being built and what is in it.
type loweredGraph struct {
	eg    *gorgonia.ExprGraph
	b     *Builder
	sym   map[*Node]*Sym
	grads map[*gradGroup][]*Sym
}

func (lw *lowering) newGraph() *loweredGraph {
	eg := gorgonia.NewGraph()
	return &loweredGraph{eg: eg, b: &Builder{eg: eg, mode: lw.key.mode, rng: lw.g.rng, dims: &lw.key.dims},
		sym: map[*Node]*Sym{}, grads: map[*gradGroup][]*Sym{}}
}

// op returns n's op lowered for this program: Lower(mode) for mode-dependent
// ops, and open dimensions in the op's own parameters (Reshape's target,
// say) replaced by their sizes.
func (lw *lowering) op(n *Node) (Op, error) {
	if op, ok := lw.lop[n]; ok {
		return op, nil
	}
	op := n.op
	if l, ok := op.(Lowerer); ok {
		op = l.Lower(lw.key.mode)
	}
	if b, ok := op.(dimBinder); ok && op != nil {
		var err error
		if op, err = b.bindDims(&lw.key.dims); err != nil {
			return nil, &OpError{Op: n.op.String(), Err: err}
		}
	}
	lw.lop[n] = op
	return op, nil
}

// dimBinder is an op whose parameters may name open dimensions.
type dimBinder interface {
	bindDims(env *dimEnv) (Op, error)
}

// lower adds the nodes roots depend on to lg, in topological order.
func (lw *lowering) lower(lg *loweredGraph, roots []*Node) error {
	for _, n := range lw.g.ancestors(roots) {
		if _, done := lg.sym[n]; done {
			continue
		}
		switch n.kind {
		case kindInput, kindParam, kindConst:
			t := n.typ
			if n.kind == kindInput {
				s, err := lw.key.dims.concrete(t.Shape)
				if err != nil {
					return fmt.Errorf("graph: input %q: %w", n.name, err)
				}
				t.Shape = s
			}
			name := n.name
			if name == "" {
				name = fmt.Sprintf("const#%d", n.id)
			}
			gn := gorgonia.NewTensor(lg.eg, t.DType.tensorDtype(), len(t.Shape), gorgonia.WithShape(t.Shape...), gorgonia.WithName(name))
			lg.sym[n] = &Sym{n: gn, typ: t}
		case kindGrad:
			gs, err := lw.lowerGrad(lg, n.grad)
			if err != nil {
				return err
			}
			lg.sym[n] = gs[n.gradIdx]
		default:
			op, err := lw.op(n)
			if err != nil {
				return err
			}
			if op == nil {
				lg.sym[n] = lg.sym[n.inputs[0]]
				continue
			}
			in := make([]*Sym, len(n.inputs))
			for i, x := range n.inputs {
				in[i] = lg.sym[x]
			}
			s, err := lg.b.Apply(op, in...)
			if err != nil {
				if n.name == "" {
					return err
				}
				return fmt.Errorf("graph: %s: %w", n.name, err)
			}
			lg.sym[n] = s
		}
	}
	return nil
}

// lowerGrad differentiates one Grad call into lg. gorgonia.Grad marks every
// node it differentiates and skips such nodes in a later call on the same
// graph, so the gradient is taken in a scratch graph holding y's
// ancestors, then copied into lg node by node: forward nodes map to lg's,
// constants are added to lg, and the backward nodes are rebuilt in lg with
// their ops. In lg they are ordinary nodes that a later gorgonia.Grad (the
// program's backward pass, or an outer Grad) differentiates again.
func (lw *lowering) lowerGrad(lg *loweredGraph, gg *gradGroup) ([]*Sym, error) {
	if gs, ok := lg.grads[gg]; ok {
		return gs, nil
	}
	scratch := lw.newGraph()
	if err := lw.lower(scratch, append([]*Node{gg.y}, gg.wrt...)); err != nil {
		return nil, err
	}
	reach := reachable(scratch.eg, scratch.sym[gg.y].n)
	var wrt []*gorgonia.Node
	var idx []int
	for i, w := range gg.wrt {
		if reach[scratch.sym[w].n] {
			wrt = append(wrt, scratch.sym[w].n)
			idx = append(idx, i)
		}
	}
	out := make([]*Sym, len(gg.wrt))
	if len(wrt) > 0 {
		g2, err := gorgonia.Grad(scratch.sym[gg.y].n, wrt...)
		if err != nil {
			return nil, gradErr("Grad", scratch.b, err)
		}
		back := map[*gorgonia.Node]*gorgonia.Node{} // scratch node -> lg node
		for n, s := range scratch.sym {
			if m, ok := lg.sym[n]; ok {
				back[s.n] = m.n
			}
		}
		sorted, err := gorgonia.Sort(scratch.eg)
		if err != nil {
			return nil, fmt.Errorf("graph: Grad: %w", err)
		}
		for i := len(sorted) - 1; i >= 0; i-- {
			sn := sorted[i]
			if _, ok := back[sn]; ok {
				continue
			}
			if err := lw.transplant(lg, scratch.eg, sn, back); err != nil {
				return nil, err
			}
		}
		for j, gn := range g2 {
			m, ok := back[gn]
			if !ok {
				return nil, fmt.Errorf("graph: Grad: %w: the gradient of %v was not copied", ErrGraph, gg.wrt[idx[j]])
			}
			out[idx[j]] = symOf(m)
		}
	}
	for i, w := range gg.wrt {
		if out[i] == nil { // y does not depend on w: a zero gradient
			s, err := lg.b.Apply(zerosLike{}, lg.sym[w])
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
	}
	lg.grads[gg] = out
	return out, nil
}

// gradErr reports a failed gorgonia.Grad: the error an op's Backward
// returned, when there is one (gorgonia's wrapping hides it from errors.Is).
func gradErr(what string, b *Builder, err error) error {
	if b.symErr != nil {
		return fmt.Errorf("graph: %s: %w", what, b.symErr)
	}
	return fmt.Errorf("graph: %s: %w", what, err)
}

// transplant rebuilds the scratch node sn in lg; its children are there already.
func (lw *lowering) transplant(lg *loweredGraph, scratch *gorgonia.ExprGraph, sn *gorgonia.Node, back map[*gorgonia.Node]*gorgonia.Node) error {
	var children []*gorgonia.Node
	it := scratch.From(sn.ID())
	for it.Next() {
		c := it.Node().(*gorgonia.Node)
		m, ok := back[c]
		if !ok {
			return fmt.Errorf("graph: Grad: %w: %v is used before it is copied", ErrGraph, c)
		}
		children = append(children, m)
	}
	op := sn.Op()
	switch o := op.(type) {
	case nil:
		return fmt.Errorf("graph: Grad: %w: an input of the scratch graph (%v) has no counterpart", ErrGraph, sn)
	case *gop:
		// A fresh wrapper, bound to lg's builder: its Backward must build in lg.
		op = &gop{op: o.op, b: lg.b, in: o.in, out: o.out, id: nextOpID.Add(1)}
	}
	if len(children) == 0 { // a constant (the backward pass's seed)
		back[sn] = lg.eg.AddNode(sn)
		return nil
	}
	m, err := gorgonia.ApplyOp(op, children...)
	if err != nil {
		return fmt.Errorf("graph: Grad: %w", err)
	}
	back[sn] = m
	return nil
}

// reachable returns the gorgonia nodes that y depends on through
// differentiable inputs of ops (DiffWRT), as gorgonia.Grad sees them: a
// gradient target outside it has a zero gradient, and gorgonia.Grad would
// refuse it.
func reachable(eg *gorgonia.ExprGraph, y *gorgonia.Node) map[*gorgonia.Node]bool {
	seen := map[*gorgonia.Node]bool{y: true}
	stack := []*gorgonia.Node{y}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		op, ok := n.Op().(gorgonia.SDOp)
		if !ok {
			continue
		}
		var children []*gorgonia.Node
		it := eg.From(n.ID())
		for it.Next() {
			children = append(children, it.Node().(*gorgonia.Node))
		}
		diffs := op.DiffWRT(len(children))
		for i, c := range children {
			if i < len(diffs) && diffs[i] && !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	return seen
}

// compile lowers the graph for one key: descent nodes become gorgonia
// nodes with concrete shapes, gorgonia.Grad adds the backward pass, and
// every node gets its buffer.
func (p *Program) compile(key planKey) (pl *plan, err error) {
	gorgoniaMu.Lock()
	defer gorgoniaMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("graph: compile: %w: gorgonia panicked: %v\n%s", ErrRun, r, debug.Stack())
		}
	}()
	lw := &lowering{g: p.g, key: key, lop: map[*Node]Op{}}
	lg := lw.newGraph()
	roots := append([]*Node(nil), p.outputs...)
	if p.loss != nil {
		roots = append(roots, p.loss)
	}
	if err := lw.lower(lg, roots); err != nil {
		return nil, err
	}
	var wrt []*Node
	var gradNodes []*gorgonia.Node
	if key.backward {
		wrt = p.gradTargets(lw, lg)
		if len(wrt) > 0 {
			targets := make([]*gorgonia.Node, len(wrt))
			for i, n := range wrt {
				targets[i] = lg.sym[n].n
			}
			if gradNodes, err = gorgonia.Grad(lg.sym[p.loss].n, targets...); err != nil {
				return nil, gradErr("compile: backward", lg.b, err)
			}
		}
	}
	return newPlan(p.g, lg, roots, wrt, gradNodes, key)
}

// gradTargets returns the WRT nodes (or, by default, the trainable
// parameters) that the loss depends on through differentiable ops.
func (p *Program) gradTargets(lw *lowering, lg *loweredGraph) []*Node {
	reach := reachable(lg.eg, lg.sym[p.loss].n)
	hit := func(n *Node) bool { s, ok := lg.sym[n]; return ok && reach[s.n] }
	var out []*Node
	if len(p.wrt) > 0 {
		for _, n := range p.wrt {
			if hit(n) {
				out = append(out, n)
			}
		}
		return out
	}
	for _, n := range lw.g.ancestors([]*Node{p.loss}) {
		if n.kind == kindParam && n.param.trainable && hit(n) {
			out = append(out, n)
		}
	}
	return out
}
