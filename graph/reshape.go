package graph

import "fmt"

// Reshape returns x with another shape of the same size. Batch may stand
// for x's batch dimension (dimension 0), which it keeps.
func Reshape(x *Node, shape ...int) *Node {
	if x == nil {
		return &Node{failed: true}
	}
	op, err := newReshape(Shape(shape))
	if err != nil {
		if x.failed || x.g == nil {
			return x
		}
		return x.g.fail(&OpError{Op: "Reshape", Err: err})
	}
	return Apply(op, x)
}

// Flatten keeps dimension 0 and flattens the rest: [N, C, H, W] -> [N, C*H*W].
func Flatten(x *Node) *Node {
	if x == nil {
		return &Node{failed: true}
	}
	if x.failed || x.g == nil {
		return x
	}
	s := x.typ.Shape
	if s.Rank() < 1 {
		return x.g.fail(&OpError{Op: "Flatten", Err: shapeErr("operand is a scalar (want at least one dimension)")})
	}
	rest := 1
	for _, d := range s[1:] {
		rest *= d
	}
	return Apply(reshapeOp{shape: Shape{rest}, keep: true}, x)
}

// reshapeOp reshapes to shape; with keep, dimension 0 of the input is
// kept and shape holds the remaining dimensions.
type reshapeOp struct {
	shape Shape
	keep  bool
}

func newReshape(shape Shape) (reshapeOp, error) {
	for i, d := range shape {
		switch {
		case d == Batch && i != 0:
			return reshapeOp{}, shapeErr("Batch must be dimension 0 (got %v)", shape)
		case d != Batch && d <= 0:
			return reshapeOp{}, shapeErr("dimension %d of %v is %d (want positive)", i, shape, d)
		}
	}
	if len(shape) > 0 && shape[0] == Batch {
		return reshapeOp{shape: shape[1:].Clone(), keep: true}, nil
	}
	return reshapeOp{shape: shape.Clone()}, nil
}

func (o reshapeOp) String() string {
	if o.keep {
		return fmt.Sprintf("Reshape%v", append(Shape{Batch}, o.shape...))
	}
	return fmt.Sprintf("Reshape%v", o.shape)
}

func (o reshapeOp) IsView() bool { return true }

func (o reshapeOp) Infer(in []Type) (Type, error) {
	s := in[0].Shape
	want := o.shape.Clone()
	if o.keep {
		if s.Rank() == 0 {
			return Type{}, shapeErr("cannot keep dimension 0 of a scalar")
		}
		want = append(Shape{s[0]}, want...)
	} else if s.Symbolic() {
		return Type{}, shapeErr("reshaping %v to %v would mix the batch with other dimensions (keep Batch as dimension 0)", s, want)
	}
	if abs(want.Size()) != abs(s.Size()) {
		return Type{}, shapeErr("cannot reshape %v (%d elements per batch row) to %v", s, abs(s.Size()), want)
	}
	return Type{DType: in[0].DType, Shape: want}, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Forward is not called: the executor gives a view the input's memory.
func (o reshapeOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	copy(out.f32, in[0].f32)
	copy(out.f64, in[0].f64)
	copy(out.ints, in[0].ints)
	return nil
}

func (o reshapeOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	s, err := b.Apply(reshapeOp{shape: in[0].typ.Shape.Clone()}, g) // concrete shapes: no batch to keep
	return []*Sym{s}, err
}
