package graph

import "fmt"

// Add returns a + b. The shapes must be equal, or one must be a suffix of
// the other (a scalar, a bias [D] on rows [N, D]): the smaller operand is
// repeated over the leading dimensions of the larger, as NumPy and PyTorch
// broadcast.
func Add(a, b *Node) *Node { return Apply(binaryOp{kind: opAdd}, a, b) }

// Sub returns a - b, broadcasting as Add.
func Sub(a, b *Node) *Node { return Apply(binaryOp{kind: opSub}, a, b) }

// Mul returns the elementwise product a * b, broadcasting as Add.
func Mul(a, b *Node) *Node { return Apply(binaryOp{kind: opMul}, a, b) }

// Div returns the elementwise quotient a / b, broadcasting as Add.
func Div(a, b *Node) *Node { return Apply(binaryOp{kind: opDiv}, a, b) }

// Scale returns c * x for a constant c.
func Scale(x *Node, c float64) *Node { return Apply(scaleOp{c: c}, x) }

type binKind uint8

const (
	opAdd binKind = iota
	opSub
	opMul
	opDiv
)

var binNames = [...]string{"Add", "Sub", "Mul", "Div"}

type binaryOp struct{ kind binKind }

func (o binaryOp) String() string { return binNames[o.kind] }

// isSuffix reports whether small's dimensions end big's.
func isSuffix(small, big Shape) bool {
	if len(small) > len(big) {
		return false
	}
	return Shape(big[len(big)-len(small):]).Equal(small)
}

func (o binaryOp) Infer(in []Type) (Type, error) {
	a, b := in[0], in[1]
	if a.DType != b.DType || !a.DType.IsFloat() {
		return Type{}, dtypeErr("operands are %v and %v (want the same float type)", a.DType, b.DType)
	}
	switch {
	case isSuffix(b.Shape, a.Shape):
		return Type{DType: a.DType, Shape: a.Shape.Clone()}, nil
	case isSuffix(a.Shape, b.Shape):
		return Type{DType: a.DType, Shape: b.Shape.Clone()}, nil
	}
	return Type{}, shapeErr("cannot broadcast %v with %v (want equal shapes, or one a suffix of the other)", a.Shape, b.Shape)
}

func (o binaryOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		binary(o.kind, out.f32, in[0].f32, in[1].f32)
	case Float64:
		binary(o.kind, out.f64, in[0].f64, in[1].f64)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

// binary computes out = a op b where the shorter operand repeats.
func binary[T Float](k binKind, out, a, b []T) {
	switch {
	case len(a) == len(b):
		switch k {
		case opAdd:
			for i := range out {
				out[i] = a[i] + b[i]
			}
		case opSub:
			for i := range out {
				out[i] = a[i] - b[i]
			}
		case opMul:
			for i := range out {
				out[i] = a[i] * b[i]
			}
		case opDiv:
			for i := range out {
				out[i] = a[i] / b[i]
			}
		}
	case len(b) < len(a):
		for o := 0; o < len(a); o += len(b) {
			binary(k, out[o:o+len(b)], a[o:o+len(b)], b)
		}
	default:
		for o := 0; o < len(b); o += len(a) {
			binary(k, out[o:o+len(a)], a, b[o:o+len(a)])
		}
	}
}

// Backward reduces each operand's gradient over the dimensions it was
// repeated on; the products are themselves broadcast ops.
func (o binaryOp) Backward(b *Builder, in []*Sym, out, g *Sym) ([]*Sym, error) {
	A, B := in[0], in[1]
	var ga, gb *Sym
	var err error
	switch o.kind {
	case opAdd:
		ga, gb = g, g
	case opSub:
		ga = g
		gb, err = b.Apply(scaleOp{c: -1}, g)
	case opMul:
		if ga, err = b.Apply(binaryOp{kind: opMul}, g, B); err == nil {
			gb, err = b.Apply(binaryOp{kind: opMul}, g, A)
		}
	case opDiv: // d(a/b)/da = 1/b, d(a/b)/db = -out/b
		var t *Sym
		if ga, err = b.Apply(binaryOp{kind: opDiv}, g, B); err == nil {
			if t, err = b.Apply(binaryOp{kind: opMul}, ga, out); err == nil {
				gb, err = b.Apply(scaleOp{c: -1}, t)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if ga, err = sumTo(b, ga, A.typ.Shape); err != nil {
		return nil, err
	}
	if gb, err = sumTo(b, gb, B.typ.Shape); err != nil {
		return nil, err
	}
	return []*Sym{ga, gb}, nil
}

// sumTo sums s over its leading dimensions down to shape (a suffix of s's).
func sumTo(b *Builder, s *Sym, shape Shape) (*Sym, error) {
	if s.typ.Shape.Equal(shape) {
		return s, nil
	}
	return b.Apply(sumToOp{shape: shape.Clone()}, s)
}

// sumToOp sums over leading dimensions: [N, D] -> [D], or to a scalar.
type sumToOp struct{ shape Shape }

func (o sumToOp) String() string { return fmt.Sprintf("SumTo%v", o.shape) }

func (o sumToOp) Infer(in []Type) (Type, error) {
	if !isSuffix(o.shape, in[0].Shape) {
		return Type{}, shapeErr("cannot sum %v to %v", in[0].Shape, o.shape)
	}
	return Type{DType: in[0].DType, Shape: o.shape.Clone()}, nil
}

func (o sumToOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		sumLeading(out.f32, in[0].f32)
	case Float64:
		sumLeading(out.f64, in[0].f64)
	}
	return nil
}

func sumLeading[T Float](out, in []T) {
	copy(out, in[:len(out)])
	for o := len(out); o < len(in); o += len(out) {
		row := in[o : o+len(out)]
		for i, v := range row {
			out[i] += v
		}
	}
}

// Backward repeats the gradient over the summed dimensions.
func (o sumToOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	s, err := b.Apply(broadcastToOp{shape: in[0].typ.Shape.Clone()}, g)
	return []*Sym{s}, err
}

// broadcastToOp repeats its input over leading dimensions.
type broadcastToOp struct{ shape Shape }

func (o broadcastToOp) String() string { return fmt.Sprintf("BroadcastTo%v", o.shape) }

func (o broadcastToOp) Infer(in []Type) (Type, error) {
	if !isSuffix(in[0].Shape, o.shape) {
		return Type{}, shapeErr("cannot broadcast %v to %v", in[0].Shape, o.shape)
	}
	return Type{DType: in[0].DType, Shape: o.shape.Clone()}, nil
}

func (o broadcastToOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		repeat(out.f32, in[0].f32)
	case Float64:
		repeat(out.f64, in[0].f64)
	}
	return nil
}

func repeat[T Float](out, in []T) {
	if len(in) == 1 {
		v := in[0]
		for i := range out {
			out[i] = v
		}
		return
	}
	for o := 0; o < len(out); o += len(in) {
		copy(out[o:o+len(in)], in)
	}
}

func (o broadcastToOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	s, err := sumTo(b, g, in[0].typ.Shape)
	return []*Sym{s}, err
}

// scaleOp multiplies by a constant.
type scaleOp struct{ c float64 }

func (o scaleOp) String() string { return fmt.Sprintf("Scale(%g)", o.c) }

func (o scaleOp) Infer(in []Type) (Type, error) {
	if !in[0].DType.IsFloat() {
		return Type{}, dtypeErr("operand is %v (want float)", in[0].DType)
	}
	return Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (o scaleOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		scale(out.f32, in[0].f32, float32(o.c))
	case Float64:
		scale(out.f64, in[0].f64, o.c)
	}
	return nil
}

func scale[T Float](out, in []T, c T) {
	for i, v := range in {
		out[i] = c * v
	}
}

func (o scaleOp) Backward(b *Builder, _ []*Sym, _, g *Sym) ([]*Sym, error) {
	s, err := b.Apply(o, g)
	return []*Sym{s}, err
}
