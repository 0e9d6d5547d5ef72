package graph

import (
	"fmt"
	"github.com/descent-ml/descent/internal/vec"
	"math"
)

// Add returns a + b. The shapes broadcast as in NumPy and PyTorch: aligned
// from the right, each pair of dimensions equal or one of them 1 ([N, 1]
// with [N, D], [1, D] with [N, 1], a scalar with anything). The gradient of
// an operand is summed over the dimensions it was repeated on.
func Add(a, b *Node) *Node { return Apply(binaryOp{kind: opAdd}, a, b) }

// Sub returns a - b, broadcasting as Add.
func Sub(a, b *Node) *Node { return Apply(binaryOp{kind: opSub}, a, b) }

// Mul returns the elementwise product a * b, broadcasting as Add.
func Mul(a, b *Node) *Node { return Apply(binaryOp{kind: opMul}, a, b) }

// Div returns the elementwise quotient a / b, broadcasting as Add.
func Div(a, b *Node) *Node { return Apply(binaryOp{kind: opDiv}, a, b) }

// Pow returns a raised to the power b, elementwise, broadcasting as Add
// (torch.pow). For a constant exponent use PowScalar.
func Pow(a, b *Node) *Node { return Apply(binaryOp{kind: opPow}, a, b) }

// Minimum returns the elementwise minimum of a and b, broadcasting as Add
// (torch.minimum; where they are equal each gets half the gradient).
func Minimum(a, b *Node) *Node { return Apply(binaryOp{kind: opMin}, a, b) }

// Maximum returns the elementwise maximum of a and b, broadcasting as Add
// (torch.maximum; where they are equal each gets half the gradient).
func Maximum(a, b *Node) *Node { return Apply(binaryOp{kind: opMax}, a, b) }

// Scale returns c * x for a constant c.
func Scale(x *Node, c float64) *Node { return Apply(scaleOp{c: c}, x) }

// Shift returns x + c for a constant c.
func Shift(x *Node, c float64) *Node { return Apply(shiftOp{c: c}, x) }

type binKind uint8

const (
	opAdd binKind = iota
	opSub
	opMul
	opDiv
	opPow
	opMin
	opMax
)

var binNames = [...]string{"Add", "Sub", "Mul", "Div", "Pow", "Minimum", "Maximum"}

type binaryOp struct{ kind binKind }

func (o binaryOp) String() string { return binNames[o.kind] }

func (o binaryOp) Infer(in []Type) (Type, error) {
	a, b := in[0], in[1]
	if a.DType != b.DType || !a.DType.IsFloat() {
		return Type{}, dtypeErr("operands are %v and %v (want the same float type)", a.DType, b.DType)
	}
	s, err := BroadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return Type{}, err
	}
	if !s.Symbolic() {
		if _, ok := newLayout(s, a.Shape, b.Shape); !ok {
			return Type{}, shapeErr("broadcasting %v with %v needs more than %d dimensions after merging", a.Shape, b.Shape, maxRank)
		}
	}
	return Type{DType: a.DType, Shape: s}, nil
}

func (o binaryOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		binarySplit(&binaryLoop32, o.kind, out.f32, in[0].f32, in[1].f32, out.shape, in[0].shape, in[1].shape)
	case Float64:
		binarySplit(&binaryLoop64, o.kind, out.f64, in[0].f64, in[1].f64, out.shape, in[0].shape, in[1].shape)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

// binaryBroadcast computes out = a op b with a and b broadcast into out:
// equal lengths and a repeated suffix (a bias on rows) directly, anything
// else through a layout.
func binaryBroadcast[T Float](k binKind, out, a, b []T, os, as, bs Shape) {
	switch {
	case len(a) == len(out) && len(b) == len(out):
		binaryRow(k, out, a, b, 1, 1)
		return
	case len(b) == 1:
		binaryRow(k, out, a, b, 1, 0)
		return
	case len(a) == 1:
		binaryRow(k, out, a, b, 0, 1)
		return
	case len(a) == len(out) && isSuffix(bs, os):
		for o := 0; o < len(out); o += len(b) {
			binaryRow(k, out[o:o+len(b)], a[o:o+len(b)], b, 1, 1)
		}
		return
	case len(b) == len(out) && isSuffix(as, os):
		for o := 0; o < len(out); o += len(a) {
			binaryRow(k, out[o:o+len(a)], a, b[o:o+len(a)], 1, 1)
		}
		return
	}
	l, _ := newLayout(os, as, bs) // Infer checked the rank
	sa, sb := l.inner(0), l.inner(1)
	l.walk(func(o, i0, i1, _, n int) {
		binaryRow(k, out[o:o+n], a[i0:], b[i1:], sa, sb)
	})
}

// isSuffix reports whether small's dimensions, with leading 1s dropped,
// end big's.
func isSuffix(small, big Shape) bool {
	for len(small) > 0 && small[0] == 1 {
		small = small[1:]
	}
	if len(small) > len(big) {
		return false
	}
	return Shape(big[len(big)-len(small):]).Equal(small)
}

// binaryRow computes out[i] = a[i*sa] op b[i*sb], sa and sb in {0, 1}:
// +, -, ×, ÷ on the leading whole vectors with internal/vec's SIMD kernels
// (the same IEEE operation per element), the rest and the other ops here.
func binaryRow[T Float](k binKind, out, a, b []T, sa, sb int) {
	if k <= opDiv && (sa == 1 || sb == 1) {
		x, y := a[:1], b[:1]
		if sa == 1 {
			x = a[:len(out)]
		}
		if sb == 1 {
			y = b[:len(out)]
		}
		if d := vec.Binary(simd, vec.BinOp(k), out, x, y); d > 0 {
			out = out[d:]
			if sa == 1 {
				a = a[d:]
			}
			if sb == 1 {
				b = b[d:]
			}
		}
	}
	n := len(out)
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n], b[:n]
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
		default:
			for i := range out {
				out[i] = binary1(k, a[i], b[i])
			}
		}
	case sa == 1:
		a = a[:n]
		y := b[0]
		switch k {
		case opAdd:
			for i := range out {
				out[i] = a[i] + y
			}
		case opSub:
			for i := range out {
				out[i] = a[i] - y
			}
		case opMul:
			for i := range out {
				out[i] = a[i] * y
			}
		case opDiv:
			for i := range out {
				out[i] = a[i] / y
			}
		default:
			for i := range out {
				out[i] = binary1(k, a[i], y)
			}
		}
	case sb == 1:
		b = b[:n]
		x := a[0]
		switch k {
		case opAdd:
			for i := range out {
				out[i] = x + b[i]
			}
		case opSub:
			for i := range out {
				out[i] = x - b[i]
			}
		case opMul:
			for i := range out {
				out[i] = x * b[i]
			}
		case opDiv:
			for i := range out {
				out[i] = x / b[i]
			}
		default:
			for i := range out {
				out[i] = binary1(k, x, b[i])
			}
		}
	default:
		v := binary1(k, a[0], b[0])
		for i := range out {
			out[i] = v
		}
	}
}

// binary1 applies op to one pair.
func binary1[T Float](k binKind, x, y T) T {
	switch k {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	case opDiv:
		return x / y
	case opPow:
		return T(math.Pow(float64(x), float64(y)))
	case opMin:
		if x != x || x < y {
			return x
		}
		return y
	default:
		if x != x || x > y {
			return x
		}
		return y
	}
}

// Backward builds each operand's gradient from differentiable ops and sums
// it over the dimensions the operand was broadcast on.
func (o binaryOp) Backward(b *Builder, in []*Sym, out, g *Sym) ([]*Sym, error) {
	A, B := in[0], in[1]
	var ga, gb *Sym
	switch o.kind {
	case opAdd:
		ga, gb = g, g
	case opSub:
		ga, gb = g, b.Neg(g)
	case opMul:
		ga, gb = b.Mul(g, B), b.Mul(g, A)
	case opDiv: // d(a/b)/da = 1/b, d(a/b)/db = -out/b
		ga = b.Div(g, B)
		gb = b.Neg(b.Mul(ga, out))
	case opPow: // d/da = b a^(b-1); d/db = out log a, 0 where a = 0 and b >= 0 (as torch)
		ga = b.Mul(g, b.Mul(B, b.Pow(A, b.Shift(B, -1))))
		lg := b.Mul(out, b.unary(opLog, A))
		zero := b.Mul(b.mask(cmpEQ, A, b.ZerosLike(A)), b.mask(cmpGE, B, b.ZerosLike(B)))
		gb = b.Mul(g, b.Where(zero, b.ZerosLike(lg), lg))
	case opMin, opMax: // the winner takes the gradient; ties share it
		win := cmpLT
		if o.kind == opMax {
			win = cmpGT
		}
		half := b.Scale(b.mask(cmpEQ, A, B), 0.5)
		ga = b.Mul(g, b.Add(b.mask(win, A, B), half))
		gb = b.Mul(g, b.Add(b.mask(win, B, A), half))
	}
	return []*Sym{b.SumTo(ga, A.Shape()), b.SumTo(gb, B.Shape())}, b.Err()
}

// scaleOp multiplies by a constant.
type scaleOp struct{ c float64 }

func (o scaleOp) String() string { return fmt.Sprintf("Scale(%g)", o.c) }

func (o scaleOp) Infer(in []Type) (Type, error) { return floatLike(in[0]) }

func (o scaleOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		affineSplit(&affineLoop32, out.f32, in[0].f32, float32(o.c), false)
	case Float64:
		affineSplit(&affineLoop64, out.f64, in[0].f64, o.c, false)
	}
	return nil
}

// scale writes c·in: internal/vec's kernel on the leading whole vectors
// (the same IEEE product per element), this loop on the rest.
func scale[T Float](out, in []T, c T) {
	in = in[:len(out)]
	k := vec.Scale(simd, out, in, c)
	for i, v := range in[k:] {
		out[k+i] = c * v
	}
}

func (o scaleOp) Backward(b *Builder, _ []*Sym, _, g *Sym) ([]*Sym, error) {
	return []*Sym{b.Scale(g, o.c)}, b.Err()
}

// shiftOp adds a constant.
type shiftOp struct{ c float64 }

func (o shiftOp) String() string { return fmt.Sprintf("Shift(%g)", o.c) }

func (o shiftOp) Infer(in []Type) (Type, error) { return floatLike(in[0]) }

func (o shiftOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		affineSplit(&affineLoop32, out.f32, in[0].f32, float32(o.c), true)
	case Float64:
		affineSplit(&affineLoop64, out.f64, in[0].f64, o.c, true)
	}
	return nil
}

// shift writes in+c, as scale does.
func shift[T Float](out, in []T, c T) {
	in = in[:len(out)]
	k := vec.Shift(simd, out, in, c)
	for i, v := range in[k:] {
		out[k+i] = v + c
	}
}

func (o shiftOp) Backward(_ *Builder, _ []*Sym, _, g *Sym) ([]*Sym, error) {
	return []*Sym{g}, nil
}

// floatLike is the Infer of an op whose output has its float input's type.
func floatLike(t Type) (Type, error) {
	if !t.DType.IsFloat() {
		return Type{}, dtypeErr("operand is %v (want float32 or float64)", t.DType)
	}
	return Type{DType: t.DType, Shape: t.Shape.Clone()}, nil
}
