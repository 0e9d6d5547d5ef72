package graph

import (
	"fmt"
)

type nodeKind uint8

const (
	kindOp nodeKind = iota
	kindInput
	kindParam
	kindConst
	kindGrad // the gradient of a scalar with respect to a parameter or input (Grad)
)

// Type is a node's element type and shape.
type Type struct {
	DType DType
	Shape Shape
}

func (t Type) String() string { return fmt.Sprintf("%v%v", t.DType, t.Shape) }

// Node is a symbolic value of a Graph: an input, a parameter, a buffer, a
// constant, or the result of an op. Its shape may have a Batch dimension.
type Node struct {
	g       *Graph
	id      int
	kind    nodeKind
	op      Op
	inputs  []*Node
	typ     Type
	name    string
	param   *Param
	value   *Tensor    // constants
	grad    *gradGroup // kindGrad: the Grad call
	gradIdx int        // kindGrad: the index of the node's wrt in it
	failed  bool
}

// gradGroup is one Grad call: the scalar y and the nodes its gradients are
// taken with respect to. Node i of the call is the gradient with respect
// to wrt[i]; its inputs are y and every wrt (for the graph's order).
type gradGroup struct {
	y   *Node
	wrt []*Node
}

// Graph returns the node's graph.
func (n *Node) Graph() *Graph { return n.g }

// Shape returns the node's shape (Batch for the batch dimension).
func (n *Node) Shape() Shape { return n.typ.Shape }

// DType returns the node's element type.
func (n *Node) DType() DType { return n.typ.DType }

// Type returns the node's dtype and shape.
func (n *Node) Type() Type { return n.typ }

// Name returns the name of an input, parameter or buffer ("" otherwise).
func (n *Node) Name() string { return n.name }

// Param returns the parameter or buffer behind n, or nil.
func (n *Node) Param() *Param { return n.param }

// ConstValue returns the value of a constant (Const, Scalar), or nil for
// any other node. It is shared: do not modify it.
func (n *Node) ConstValue() *Tensor {
	if n.kind != kindConst {
		return nil
	}
	return n.value
}

// Op returns the op that computes n, or nil for inputs, parameters and constants.
func (n *Node) Op() Op { return n.op }

// Inputs returns the nodes n's op reads.
func (n *Node) Inputs() []*Node { return n.inputs }

// IsInput reports whether n is a graph input (fed with each batch).
func (n *Node) IsInput() bool { return n.kind == kindInput }

// Failed reports whether building n failed (see Graph.Err).
func (n *Node) Failed() bool { return n.failed }

func (n *Node) String() string {
	switch {
	case n.failed:
		return "<failed>"
	case n.name != "":
		return fmt.Sprintf("%s%v", n.name, n.typ.Shape)
	case n.op != nil:
		return fmt.Sprintf("%s%v", n.op, n.typ.Shape)
	case n.kind == kindGrad:
		return fmt.Sprintf("Grad%v", n.typ.Shape)
	}
	return fmt.Sprintf("const%v", n.typ.Shape)
}

// Apply adds a node computing op on the inputs. It checks the inputs belong
// to one graph and asks op.Infer for the output type; a failure is recorded
// in the graph (see Graph.Err). This is how packages outside graph (ops/,
// user code) add their own ops.
func Apply(op Op, inputs ...*Node) *Node {
	var g *Graph
	for _, in := range inputs {
		if in != nil {
			g = in.g
			break
		}
	}
	if g == nil {
		return &Node{failed: true}
	}
	for _, in := range inputs {
		if in == nil {
			return g.fail(&OpError{Op: op.String(), Err: fmt.Errorf("%w: nil input", ErrGraph)})
		}
		if in.failed {
			return &Node{g: in.g, failed: true}
		}
	}
	for _, in := range inputs[1:] {
		if in.g != g {
			return g.fail(&OpError{Op: op.String(), Err: fmt.Errorf("%w: inputs come from different graphs", ErrGraph)})
		}
	}
	types := make([]Type, len(inputs))
	for i, in := range inputs {
		types[i] = in.typ
	}
	t, err := op.Infer(types)
	if err != nil {
		return g.fail(&OpError{Op: op.String(), Err: err})
	}
	return g.add(&Node{kind: kindOp, op: op, inputs: append([]*Node(nil), inputs...), typ: t})
}

// Param is a named tensor of a Graph: a trainable parameter or a buffer.
// Its value lives here, shared by every program compiled from the graph;
// optimizers update it in place.
type Param struct {
	name      string
	trainable bool
	value     *Tensor
	grad      *Tensor
	node      *Node
	fans      Fans
}

// Name returns the full hierarchical name, e.g. "mlp/dense0/w".
func (p *Param) Name() string { return p.name }

// Trainable reports whether p is a parameter (true) or a buffer (false).
func (p *Param) Trainable() bool { return p.trainable }

// Value returns the parameter's tensor (shared: updates are seen by every program).
func (p *Param) Value() *Tensor { return p.value }

// Grad returns the gradient of the loss from the last backward pass of
// p's graph, or nil if that pass did not reach p (then optimizers skip it,
// as PyTorch skips parameters whose grad is None). It is overwritten,
// never accumulated, by each backward pass. The tensor is p's own: editing
// it in place (clipping) affects no other parameter and no later step.
func (p *Param) Grad() *Tensor { return p.grad }

// SetGrad replaces the gradient (nil clears it). Training code normally
// leaves this to Program; tests and custom loops use it.
func (p *Param) SetGrad(t *Tensor) { p.grad = t }

// Node returns the graph node of p.
func (p *Param) Node() *Node { return p.node }

// Shape returns the parameter's shape.
func (p *Param) Shape() Shape { return p.value.shape }

// DType returns the parameter's dtype.
func (p *Param) DType() DType { return p.value.dtype }

// NewParam returns a trainable parameter outside any graph, holding value
// (not copied). Optimizer tests and replays use it.
func NewParam(name string, value *Tensor) *Param {
	return &Param{name: name, trainable: true, value: value, fans: DefaultFans(value.shape)}
}

// ParamOption adjusts a parameter at creation.
type ParamOption func(*Param)

// WithFans sets the fan-in and fan-out that Glorot/He initialisers use,
// overriding DefaultFans.
func WithFans(in, out int) ParamOption { return func(p *Param) { p.fans = Fans{In: in, Out: out} } }
