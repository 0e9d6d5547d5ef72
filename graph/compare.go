package graph

import "fmt"

// Comparisons return an Int mask of the broadcast shape: 1 where the
// relation holds, 0 elsewhere (PyTorch returns bool tensors; descent's
// masks are Int). They have no gradient.

// Greater returns the mask a > b.
func Greater(a, b *Node) *Node { return Apply(compareOp{kind: cmpGT}, a, b) }

// GreaterEqual returns the mask a >= b.
func GreaterEqual(a, b *Node) *Node { return Apply(compareOp{kind: cmpGE}, a, b) }

// Less returns the mask a < b.
func Less(a, b *Node) *Node { return Apply(compareOp{kind: cmpLT}, a, b) }

// LessEqual returns the mask a <= b.
func LessEqual(a, b *Node) *Node { return Apply(compareOp{kind: cmpLE}, a, b) }

// Equal returns the mask a == b (also for Int operands: labels, indices).
func Equal(a, b *Node) *Node { return Apply(compareOp{kind: cmpEQ}, a, b) }

// NotEqual returns the mask a != b.
func NotEqual(a, b *Node) *Node { return Apply(compareOp{kind: cmpNE}, a, b) }

// Where returns a where cond is non-zero and b elsewhere; cond (an Int
// mask, or a float tensor), a and b broadcast together (torch.where). The
// gradient goes to a where cond holds and to b elsewhere.
func Where(cond, a, b *Node) *Node { return Apply(whereOp{}, cond, a, b) }

// MaskedFill returns x with value where mask is non-zero (mask broadcasts
// to x; torch.Tensor.masked_fill). The filled elements get no gradient.
func MaskedFill(x, mask *Node, value float64) *Node {
	if x == nil || x.g == nil || x.failed {
		return failNode(x, "MaskedFill", fmt.Errorf("%w: nil input", ErrGraph))
	}
	return Where(mask, x.g.Scalar(value), x)
}

// Cast converts an Int tensor (a mask, labels) to the graph's float type,
// or a float tensor to Int by truncation toward zero. It has no gradient.
func Cast(x *Node, to DType) *Node { return Apply(castOp{to: to}, x) }

type cmpKind uint8

const (
	cmpGT cmpKind = iota
	cmpGE
	cmpLT
	cmpLE
	cmpEQ
	cmpNE
)

var cmpNames = [...]string{"Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual"}

// compareOp compares two operands of one dtype; float makes the mask the
// operands' float dtype instead of Int (the masks of gradients).
type compareOp struct {
	kind  cmpKind
	float bool
}

func (o compareOp) String() string { return cmpNames[o.kind] }

func (o compareOp) Infer(in []Type) (Type, error) {
	a, b := in[0], in[1]
	if a.DType != b.DType {
		return Type{}, dtypeErr("operands are %v and %v (want the same type)", a.DType, b.DType)
	}
	s, err := BroadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return Type{}, err
	}
	if !s.Symbolic() {
		if _, ok := newLayout(s, a.Shape, b.Shape); !ok {
			return Type{}, shapeErr("broadcasting %v with %v needs more than %d dimensions", a.Shape, b.Shape, maxRank)
		}
	}
	dt := Int
	if o.float {
		if !a.DType.IsFloat() {
			return Type{}, dtypeErr("a float mask of %v operands", a.DType)
		}
		dt = a.DType
	}
	return Type{DType: dt, Shape: s}, nil
}

func (o compareOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	a, b := in[0], in[1]
	l, _ := newLayout(out.shape, a.shape, b.shape)
	switch a.dtype {
	case Float32:
		compareInto(o.kind, out, a.f32, b.f32, &l)
	case Float64:
		compareInto(o.kind, out, a.f64, b.f64, &l)
	default:
		compareInto(o.kind, out, a.ints, b.ints, &l)
	}
	return nil
}

func compareInto[T Float | ~int](k cmpKind, out *Tensor, a, b []T, l *layout) {
	sa, sb := l.inner(0), l.inner(1)
	l.walk(func(o, ia, ib, _, n int) {
		for i := 0; i < n; i++ {
			v := 0
			if cmp1(k, a[ia+i*sa], b[ib+i*sb]) {
				v = 1
			}
			switch out.dtype {
			case Float32:
				out.f32[o+i] = float32(v)
			case Float64:
				out.f64[o+i] = float64(v)
			default:
				out.ints[o+i] = v
			}
		}
	})
}

func cmp1[T Float | ~int](k cmpKind, x, y T) bool {
	switch k {
	case cmpGT:
		return x > y
	case cmpGE:
		return x >= y
	case cmpLT:
		return x < y
	case cmpLE:
		return x <= y
	case cmpEQ:
		return x == y
	}
	return x != y
}

// whereOp selects between a and b by cond, all three broadcast together.
type whereOp struct{}

func (whereOp) String() string { return "Where" }

func (whereOp) Infer(in []Type) (Type, error) {
	c, a, b := in[0], in[1], in[2]
	if a.DType != b.DType || !a.DType.IsFloat() {
		return Type{}, dtypeErr("values are %v and %v (want the same float type)", a.DType, b.DType)
	}
	if c.DType != Int && c.DType != a.DType {
		return Type{}, dtypeErr("condition is %v (want Int, or %v)", c.DType, a.DType)
	}
	s, err := BroadcastShapes(a.Shape, b.Shape)
	if err == nil {
		s, err = BroadcastShapes(c.Shape, s)
	}
	if err != nil {
		return Type{}, err
	}
	return Type{DType: a.DType, Shape: s}, nil
}

func (whereOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	c, a, b := in[0], in[1], in[2]
	l, ok := newLayout(out.shape, c.shape, a.shape, b.shape)
	if !ok {
		return shapeErr("Where: %v, %v and %v need more than %d dimensions after merging", c.shape, a.shape, b.shape, maxRank)
	}
	switch out.dtype {
	case Float32:
		where(out.f32, c, a.f32, b.f32, &l)
	default:
		where(out.f64, c, a.f64, b.f64, &l)
	}
	return nil
}

func where[T Float](out []T, c *Tensor, a, b []T, l *layout) {
	switch c.dtype {
	case Int:
		whereRuns(out, c.ints, a, b, l)
	case Float32:
		whereRuns(out, c.f32, a, b, l)
	default:
		whereRuns(out, c.f64, a, b, l)
	}
}

// whereRuns is where for a condition of element type C: the type switch
// out of the loop (per element, it took half of the op's time).
func whereRuns[T Float, C int | float32 | float64](out []T, c []C, a, b []T, l *layout) {
	sc, sa, sb := l.inner(0), l.inner(1), l.inner(2)
	l.walk(func(o, ic, ia, ib, n int) {
		if sc == 1 && sa == 0 && sb == 1 { // MaskedFill: a constant where the mask holds
			outr, cr, br, v := out[o:o+n], c[ic:ic+n], b[ib:ib+n], a[ia]
			for i, m := range cr {
				if m != 0 {
					outr[i] = v
				} else {
					outr[i] = br[i]
				}
			}
			return
		}
		for i := 0; i < n; i++ {
			if c[ic+i*sc] != 0 {
				out[o+i] = a[ia+i*sa]
			} else {
				out[o+i] = b[ib+i*sb]
			}
		}
	})
}

// Backward: the gradient goes to a where cond holds, to b elsewhere, each
// summed to its shape.
func (whereOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	zero := b.ZerosLike(g)
	ga := b.SumTo(b.Where(in[0], g, zero), in[1].Shape())
	gb := b.SumTo(b.Where(in[0], zero, g), in[2].Shape())
	return []*Sym{nil, ga, gb}, b.Err()
}

// castOp converts between Int and float.
type castOp struct{ to DType }

func (o castOp) String() string { return fmt.Sprintf("Cast(%v)", o.to) }

func (o castOp) Infer(in []Type) (Type, error) {
	if o.to != Int && !o.to.IsFloat() {
		return Type{}, dtypeErr("cast to %v", o.to)
	}
	return Type{DType: o.to, Shape: in[0].Shape.Clone()}, nil
}

func (o castOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	x := in[0]
	for i := 0; i < out.Len(); i++ {
		v := x.At(i)
		if o.to == Int {
			out.ints[i] = int(v)
		} else {
			out.Set(i, v)
		}
	}
	return nil
}
