package graph

import (
	"fmt"

	"gorgonia.org/gorgonia"
)

// plan is one compiled program: a gorgonia graph for one mode, gradient
// request and set of sizes, with a buffer for every node, allocated once.
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
	bytes    int64  // memory allocated for the plan (accounted in the graph)
	used     uint64 // Program.clock of the last run, for the LRU cache
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

// newPlan gives every node the roots and gradients need a buffer and, for
// an op, a step, in execution order. The memory is checked against the
// graph's budget before anything is allocated.
func newPlan(g *Graph, lg *loweredGraph, roots, wrt []*Node, gradNodes []*gorgonia.Node, key planKey) (*plan, error) {
	sorted, err := gorgonia.Sort(lg.eg)
	if err != nil {
		return nil, fmt.Errorf("graph: compile: %w", err)
	}
	// Keep only what the loss, the outputs and the gradients need.
	need := map[*gorgonia.Node]bool{}
	var stack []*gorgonia.Node
	for _, r := range roots {
		stack = append(stack, lg.sym[r].n)
	}
	stack = append(stack, gradNodes...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if need[n] {
			continue
		}
		need[n] = true
		it := lg.eg.From(n.ID())
		for it.Next() {
			stack = append(stack, it.Node().(*gorgonia.Node))
		}
	}
	bound := map[*gorgonia.Node]*Tensor{} // inputs, parameters, constants
	for n, s := range lg.sym {
		switch n.kind {
		case kindParam:
			bound[s.n] = n.param.value
		case kindConst:
			bound[s.n] = n.value
		case kindInput: // bound to the fed tensor at each run
			bound[s.n] = &Tensor{dtype: s.typ.DType, shape: s.typ.Shape.Clone()}
		}
	}
	var order []*gorgonia.Node
	for i := len(sorted) - 1; i >= 0; i-- {
		if need[sorted[i]] {
			order = append(order, sorted[i])
		}
	}
	pl := &plan{eg: lg.eg, lowered: map[*Node]int{}, ctx: Context{Mode: key.mode, Rand: g.rng}, wrt: wrt}
	pl.bytes = planBytes(order, bound, len(gradNodes))
	if err := g.mem.reserve(pl.bytes, "the buffers of a compiled program"); err != nil {
		return nil, err
	}
	slotOf := map[*gorgonia.Node]int{}
	for _, gn := range order {
		if err := pl.addNode(gn, lg.eg, slotOf, bound); err != nil {
			g.mem.release(pl.bytes)
			return nil, err
		}
	}
	for n, s := range lg.sym {
		if i, ok := slotOf[s.n]; ok {
			pl.lowered[n] = i
		}
	}
	for _, gn := range gradNodes {
		pl.grads = append(pl.grads, slotOf[gn])
	}
	pl.ownGrads()
	return pl, nil
}

// planBytes estimates the memory the plan's buffers take: every node that
// gets a buffer of its own, and a private copy of each gradient at most.
func planBytes(order []*gorgonia.Node, bound map[*gorgonia.Node]*Tensor, grads int) int64 {
	var total, largest int64
	for _, gn := range order {
		if _, ok := bound[gn]; ok {
			continue
		}
		if o, ok := gn.Op().(*gop); ok {
			if v, ok := o.op.(Viewer); ok && v.IsView() {
				continue
			}
		}
		s := symOf(gn)
		n := int64(max(s.typ.Shape.Size(), 1)) * int64(s.typ.DType.size())
		total += n
		largest = max(largest, n)
	}
	return total + int64(grads)*largest/4 // gradient copies are rare; a margin for them
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
		if isGorgoniaAdd(op, ins, out) {
			// The sum of gradients gorgonia.Grad builds where a node feeds
			// several consumers: descent's own kernel, without allocating.
			pl.steps = append(pl.steps, step{kind: stepOp, op: binaryOp{kind: opAdd}, out: out, ins: ins})
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

// isGorgoniaAdd reports whether op is gorgonia's elementwise addition of two
// tensors of out's dtype and shape (what gorgonia.ReduceAdd builds).
func isGorgoniaAdd(op gorgonia.Op, ins []*Tensor, out *Tensor) bool {
	if op.String() != "+ false" || len(ins) != 2 {
		return false
	}
	for _, t := range ins {
		if t.dtype != out.dtype || !t.shape.Equal(out.shape) || !out.dtype.IsFloat() {
			return false
		}
	}
	return true
}

// bind points the input buffers at the fed tensors (no copy: the program
// reads the caller's memory during the run) and refreshes the views.
func (pl *plan) bind(inputs []*Node, feeds Feeds) {
	for _, in := range inputs {
		s, ok := pl.lowered[in]
		if !ok {
			continue
		}
		dst, src := pl.slots[s], feeds[in]
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
