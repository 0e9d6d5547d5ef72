package graph

import (
	"fmt"
)

// Grad returns the gradient of the float scalar y with respect to each of
// wrt (parameters or inputs of y's graph) as nodes: values a program
// computes like any other, which may enter a loss (a gradient penalty, a
// meta-learning step) and be differentiated again (torch.autograd.grad
// with create_graph=True). A wrt that y does not depend on gets zeros.
// An op whose gradient cannot be differentiated again makes the outer
// gradient's compilation fail with an error naming it.
//
// gorgonia.Grad differentiates: each Grad node is differentiated in a
// scratch gorgonia graph when a program is compiled, and the result is
// copied into the program's graph, where it is differentiable again.
func Grad(y *Node, wrt ...*Node) []*Node {
	out := make([]*Node, len(wrt))
	fail := func(err error) []*Node {
		var f *Node
		if y != nil && y.g != nil {
			f = y.g.fail(&OpError{Op: "Grad", Err: err})
		} else {
			f = &Node{failed: true}
		}
		for i := range out {
			out[i] = f
		}
		return out
	}
	switch {
	case y == nil || y.g == nil:
		return fail(fmt.Errorf("%w: nil y", ErrGraph))
	case y.failed:
		return fail(fmt.Errorf("%w: y failed", ErrGraph))
	case y.typ.Shape.Rank() != 0 || !y.typ.DType.IsFloat():
		return fail(fmt.Errorf("%w: y is %v (want a float scalar: differentiate a sum or mean)", ErrShape, y.typ))
	case len(wrt) == 0:
		return out
	}
	for i, w := range wrt {
		switch {
		case w == nil || w.g != y.g || w.failed:
			return fail(fmt.Errorf("%w: wrt %d is nil, failed or from another graph", ErrGraph, i))
		case w.kind != kindParam && w.kind != kindInput:
			return fail(fmt.Errorf("%w: wrt %d (%v) is not a parameter or an input", ErrGraph, i, w))
		case !w.typ.DType.IsFloat():
			return fail(fmt.Errorf("%w: wrt %d (%v) is not float", ErrDType, i, w))
		}
	}
	gg := &gradGroup{y: y, wrt: append([]*Node(nil), wrt...)}
	inputs := append([]*Node{y}, wrt...)
	for i, w := range wrt {
		out[i] = y.g.add(&Node{kind: kindGrad, inputs: inputs, typ: w.typ, grad: gg, gradIdx: i})
	}
	return out
}

// HVP returns the Hessian of the scalar loss with respect to params, times
// the vectors v (one node per parameter, of its shape): the exact
// Hessian-vector products, by differentiating Σ<∇loss, v> again.
func HVP(loss *Node, params []*Node, v []*Node) []*Node {
	if len(v) != len(params) {
		return Grad(failNode(loss, "HVP", fmt.Errorf("%w: %d vectors for %d parameters", ErrShape, len(v), len(params))), params...)
	}
	gs := Grad(loss, params...)
	var dot *Node
	for i, g := range gs {
		t := Sum(Mul(g, v[i]))
		if dot == nil {
			dot = t
		} else {
			dot = Add(dot, t)
		}
	}
	if dot == nil {
		return nil
	}
	return Grad(dot, params...)
}

// Hessian evaluates the Hessian of the scalar loss with respect to params
// (their elements flattened and concatenated in order) at the current
// parameter values, on the batch feeds, in the given mode: one exact
// Hessian-vector product per column. It is meant for small parameter
// sets: the result is n×n, n the number of elements. It adds one input
// per parameter to the graph (the vector of the products).
func Hessian(loss *Node, params []*Node, feeds Feeds, mode Mode) (*Tensor, error) {
	if loss == nil || loss.g == nil {
		return nil, fmt.Errorf("graph: Hessian: %w: nil loss", ErrGraph)
	}
	g := loss.g
	g.hessians++
	n := 0
	vs := make([]*Node, len(params))
	for i, p := range params {
		if p == nil || p.failed {
			return nil, fmt.Errorf("graph: Hessian: %w: parameter %d is nil or failed", ErrGraph, i)
		}
		n += max(p.typ.Shape.Size(), 0)
		vs[i] = g.Input(fmt.Sprintf("hessian%d/v%d", g.hessians, i), p.typ.Shape...)
	}
	hv := HVP(loss, params, vs)
	if g.err != nil {
		return nil, g.err
	}
	prog, err := g.Compile(nil, hv...)
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	h, err := NewTensor(g.dtype, n, n)
	if err != nil {
		return nil, err
	}
	local := Feeds{}
	for k, t := range feeds {
		local[k] = t
	}
	vals := make([]*Tensor, len(params))
	for i, p := range params {
		vals[i] = mustTensor(g.dtype, p.typ.Shape)
		local[vs[i]] = vals[i]
	}
	col := 0
	for i := range params {
		for j := 0; j < vals[i].Len(); j++ {
			vals[i].Set(j, 1)
			if err := prog.Run(mode, false, local); err != nil {
				return nil, fmt.Errorf("graph: Hessian: %w", err)
			}
			row := 0
			for _, out := range hv {
				t := prog.Output(out)
				for k := 0; k < t.Len(); k++ {
					h.Set(row*n+col, t.At(k))
					row++
				}
			}
			vals[i].Set(j, 0)
			col++
		}
	}
	return h, nil
}
