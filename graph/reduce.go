package graph

import "fmt"

// Sum returns the sum of all elements of x, a scalar.
func Sum(x *Node) *Node { return Apply(reduceOp{}, x) }

// Mean returns the mean of all elements of x, a scalar.
func Mean(x *Node) *Node { return Apply(reduceOp{mean: true}, x) }

type reduceOp struct{ mean bool }

func (o reduceOp) String() string {
	if o.mean {
		return "Mean"
	}
	return "Sum"
}

func (o reduceOp) Infer(in []Type) (Type, error) {
	if !in[0].DType.IsFloat() {
		return Type{}, dtypeErr("operand is %v (want float)", in[0].DType)
	}
	return Type{DType: in[0].DType, Shape: Shape{}}, nil
}

func (o reduceOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		out.f32[0] = float32(sum(in[0].f32, o.mean))
	case Float64:
		out.f64[0] = sum(in[0].f64, o.mean)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

// sum adds in float64 (pairs of partial sums) for accuracy in float32.
func sum[T Float](x []T, mean bool) float64 {
	var s0, s1 float64
	i := 0
	for ; i+1 < len(x); i += 2 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
	}
	if i < len(x) {
		s0 += float64(x[i])
	}
	s := s0 + s1
	if mean && len(x) > 0 {
		s /= float64(len(x))
	}
	return s
}

func (o reduceOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	s, err := b.Apply(broadcastToOp{shape: in[0].typ.Shape.Clone()}, g)
	if err == nil && o.mean {
		s, err = b.Apply(scaleOp{c: 1 / float64(in[0].typ.Shape.Size())}, s)
	}
	return []*Sym{s}, err
}
