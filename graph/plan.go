package graph

import (
	"fmt"
	"runtime/debug"

	"gorgonia.org/gorgonia"
)

// plan is one compiled program: a gorgonia graph for one mode, gradient
// request and batch size, with a buffer for every node, allocated once.
type plan struct {
	eg      *gorgonia.ExprGraph
	slots   []*Tensor        // one per executed node
	nodes   []*gorgonia.Node // the gorgonia node of each slot
	lowered map[*Node]int    // descent node -> slot
	steps   []step           // ops in execution order
	views   [][2]*Tensor     // (view, source) pairs, in execution order
	wrt     []*Node          // gradient targets
	grads   []int            // slot of each target's gradient
	// gradOut[i] is the tensor handed out as target i's gradient: its slot
	// when the slot's memory is written by this program and belongs to no
	// other target, else a private copy refreshed after each run (gorgonia
	// gives Add(a, b) one gradient for both operands, and a parameter that
	// is the loss, or is added to it, the backward seed itself: a constant).
	gradOut  []*Tensor
	gradCopy []bool
	root     []int  // slot whose memory each slot uses (itself, or a view's source)
	written  []bool // slot is the output of a step, rewritten by every run
	ctx      Context
}

type stepKind uint8

const (
	stepOp      stepKind = iota // a descent Op: Forward into its slot
	stepForeign                 // a gorgonia op (gradient sums from gorgonia.Grad)
)

type step struct {
	kind stepKind
	op   Op
	out  *Tensor
	ins  []*Tensor
	// stepForeign
	gop   gorgonia.Op
	gout  gorgonia.Value
	gins  []gorgonia.Value
	label string
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
	g := p.g
	eg := gorgonia.NewGraph()
	b := &Builder{eg: eg, mode: key.mode, rng: g.rng}
	roots := append([]*Node(nil), p.outputs...)
	if p.loss != nil {
		roots = append(roots, p.loss)
	}
	order := g.ancestors(roots)
	sym := map[*Node]*Sym{}
	lop := map[*Node]Op{} // lowered op of each op node (nil: identity)
	for _, n := range order {
		switch n.kind {
		case kindInput, kindParam, kindConst:
			t := n.typ
			if n.kind == kindInput {
				t.Shape = t.Shape.Clone()
				for i, d := range t.Shape {
					if d == Batch {
						t.Shape[i] = key.batch
					}
				}
			}
			name := n.name
			if name == "" {
				name = fmt.Sprintf("const#%d", n.id)
			}
			gn := gorgonia.NewTensor(eg, t.DType.tensorDtype(), len(t.Shape), gorgonia.WithShape(t.Shape...), gorgonia.WithName(name))
			sym[n] = &Sym{n: gn, typ: t}
		default:
			op := n.op
			if l, ok := op.(Lowerer); ok {
				op = l.Lower(key.mode)
			}
			lop[n] = op
			if op == nil {
				sym[n] = sym[n.inputs[0]]
				continue
			}
			in := make([]*Sym, len(n.inputs))
			for i, x := range n.inputs {
				in[i] = sym[x]
			}
			s, err := b.Apply(op, in...)
			if err != nil {
				return nil, err
			}
			sym[n] = s
		}
	}

	pl = &plan{eg: eg, lowered: map[*Node]int{}, ctx: Context{Mode: key.mode, Rand: g.rng}}
	var gradNodes []*gorgonia.Node
	if key.backward {
		pl.wrt = p.gradTargets(order, lop)
		if len(pl.wrt) > 0 {
			wrt := make([]*gorgonia.Node, len(pl.wrt))
			for i, n := range pl.wrt {
				wrt[i] = sym[n].n
			}
			if gradNodes, err = gorgonia.Grad(sym[p.loss].n, wrt...); err != nil {
				return nil, fmt.Errorf("graph: compile: backward: %w", err)
			}
		}
	}

	sorted, err := gorgonia.Sort(eg)
	if err != nil {
		return nil, fmt.Errorf("graph: compile: %w", err)
	}
	// Keep only what the loss, the outputs and the gradients need.
	need := map[*gorgonia.Node]bool{}
	var mark func(n *gorgonia.Node)
	mark = func(n *gorgonia.Node) {
		if need[n] {
			return
		}
		need[n] = true
		it := eg.From(n.ID())
		for it.Next() {
			mark(it.Node().(*gorgonia.Node))
		}
	}
	for _, r := range roots {
		mark(sym[r].n)
	}
	for _, gn := range gradNodes {
		mark(gn)
	}
	slotOf := map[*gorgonia.Node]int{}
	bound := map[*gorgonia.Node]*Tensor{} // inputs, parameters, constants
	for _, n := range order {
		gn := sym[n].n
		switch n.kind {
		case kindParam:
			bound[gn] = n.param.value
		case kindConst:
			bound[gn] = n.value
		case kindInput: // bound to the fed tensor at each run
			bound[gn] = &Tensor{dtype: sym[n].typ.DType, shape: sym[n].typ.Shape.Clone()}
		}
	}
	for i := len(sorted) - 1; i >= 0; i-- {
		gn := sorted[i]
		if !need[gn] {
			continue
		}
		if err := pl.addNode(gn, eg, slotOf, bound); err != nil {
			return nil, err
		}
	}
	for _, n := range order {
		if s, ok := slotOf[sym[n].n]; ok {
			pl.lowered[n] = s
		}
	}
	for _, gn := range gradNodes {
		pl.grads = append(pl.grads, slotOf[gn])
	}
	pl.ownGrads()
	return pl, nil
}

// ownGrads gives every gradient target a tensor of its own (see gradOut).
func (pl *plan) ownGrads() {
	users := map[int]int{}
	for _, s := range pl.grads {
		users[pl.root[s]]++
	}
	for _, s := range pl.grads {
		r := pl.root[s]
		if pl.written[r] && users[r] == 1 {
			pl.gradOut = append(pl.gradOut, pl.slots[s])
			pl.gradCopy = append(pl.gradCopy, false)
			continue
		}
		t := pl.slots[s]
		pl.gradOut = append(pl.gradOut, mustTensor(t.dtype, t.shape))
		pl.gradCopy = append(pl.gradCopy, true)
	}
}

// refreshGrads copies the shared gradients into their private tensors.
func (pl *plan) refreshGrads() {
	for i, c := range pl.gradCopy {
		if c {
			src, dst := pl.slots[pl.grads[i]], pl.gradOut[i]
			copy(dst.f32, src.f32)
			copy(dst.f64, src.f64)
		}
	}
}

// gradTargets returns the WRT nodes (or, by default, the trainable
// parameters) that the loss depends on through differentiable ops.
func (p *Program) gradTargets(order []*Node, lop map[*Node]Op) []*Node {
	reach := map[*Node]bool{p.loss: true}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if !reach[n] || n.kind != kindOp {
			continue
		}
		op := lop[n]
		if op == nil {
			reach[n.inputs[0]] = true
			continue
		}
		if _, ok := op.(Differentiable); !ok {
			continue
		}
		for _, in := range n.inputs {
			if in.typ.DType.IsFloat() {
				reach[in] = true
			}
		}
	}
	var out []*Node
	if len(p.wrt) > 0 {
		for _, n := range p.wrt {
			if reach[n] {
				out = append(out, n)
			}
		}
		return out
	}
	for _, n := range order {
		if n.kind == kindParam && n.param.trainable && reach[n] {
			out = append(out, n)
		}
	}
	return out
}

// addNode gives gn a buffer and, for an op, a step.
func (pl *plan) addNode(gn *gorgonia.Node, eg *gorgonia.ExprGraph, slotOf map[*gorgonia.Node]int, bound map[*gorgonia.Node]*Tensor) error {
	var children []*gorgonia.Node
	it := eg.From(gn.ID())
	for it.Next() {
		children = append(children, it.Node().(*gorgonia.Node))
	}
	ins := make([]*Tensor, len(children))
	for i, c := range children {
		s, ok := slotOf[c]
		if !ok {
			return fmt.Errorf("graph: compile: %w: %v is used before it is computed", ErrGraph, c)
		}
		ins[i] = pl.slots[s]
	}
	var out *Tensor
	root, written := len(pl.slots), true
	switch op := gn.Op().(type) {
	case nil:
		written = false
		t, ok := bound[gn]
		if !ok {
			return fmt.Errorf("graph: compile: %w: input %v has no value", ErrGraph, gn)
		}
		out = t
	case *gop:
		if v, ok := op.op.(Viewer); ok && v.IsView() {
			out = ins[0].view(op.out.Shape)
			pl.views = append(pl.views, [2]*Tensor{out, ins[0]})
			root = pl.root[slotOf[children[0]]]
			break
		}
		out = mustTensor(op.out.DType, op.out.Shape)
		pl.steps = append(pl.steps, step{kind: stepOp, op: op.op, out: out, ins: ins})
	default:
		sym := symOf(gn)
		out = mustTensor(sym.typ.DType, sym.typ.Shape)
		if len(children) == 0 { // a gorgonia constant (the seed of the backward pass)
			written = false
			v, err := fromValue(gn.Value(), sym.typ.Shape)
			if err != nil {
				return fmt.Errorf("graph: compile: constant %v: %w", gn, err)
			}
			if err := out.CopyFrom(v); err != nil {
				return err
			}
			break
		}
		st := step{kind: stepForeign, gop: op, out: out, gout: toValue(out), label: op.String()}
		for _, t := range ins {
			st.gins = append(st.gins, toValue(t))
		}
		pl.steps = append(pl.steps, st)
	}
	slotOf[gn] = len(pl.slots)
	pl.slots = append(pl.slots, out)
	pl.nodes = append(pl.nodes, gn)
	pl.root = append(pl.root, root)
	pl.written = append(pl.written, written)
	return nil
}

// bind points the input buffers at the fed tensors (no copy: the program
// reads the caller's memory during the run) and refreshes the views.
func (pl *plan) bind(inputs []*Node, feeds Feeds) {
	for _, in := range inputs {
		dst, src := pl.slots[pl.lowered[in]], feeds[in]
		dst.f32, dst.f64, dst.ints = src.f32, src.f64, src.ints
	}
	for _, v := range pl.views {
		v[0].f32, v[0].f64, v[0].ints = v[1].f32, v[1].f64, v[1].ints
	}
}

// exec runs the steps in order. A panic in an op becomes an error.
func (pl *plan) exec(g *Graph) (err error) {
	var cur *step
	defer func() {
		if r := recover(); r != nil {
			name := "?"
			if cur != nil {
				name = cur.label
				if cur.op != nil {
					name = cur.op.String()
				}
			}
			err = fmt.Errorf("graph: run: %w: op %s panicked: %v", ErrRun, name, r)
		}
	}()
	pl.ctx.Rand = g.rng
	for i := range pl.steps {
		st := &pl.steps[i]
		cur = st
		switch st.kind {
		case stepOp:
			if err := st.op.Forward(&pl.ctx, st.out, st.ins); err != nil {
				return &OpError{Op: st.op.String(), Err: fmt.Errorf("%w: %w", ErrRun, err)}
			}
		case stepForeign:
			if err := pl.foreign(st); err != nil {
				return &OpError{Op: st.label, Err: fmt.Errorf("%w: %w", ErrRun, err)}
			}
		}
	}
	return nil
}

// foreign runs a gorgonia op into its buffer.
func (pl *plan) foreign(st *step) error {
	var v gorgonia.Value
	var err error
	if pd, ok := st.gop.(gorgonia.UsePreallocDoer); ok {
		v, err = pd.UsePreallocDo(st.gout, st.gins...)
	} else {
		v, err = st.gop.Do(st.gins...)
	}
	if err != nil {
		return err
	}
	if v == st.gout {
		return nil
	}
	t, err := fromValue(v, st.out.shape)
	if err != nil {
		return err
	}
	copy(st.out.f32, t.f32)
	copy(st.out.f64, t.f64)
	return nil
}
