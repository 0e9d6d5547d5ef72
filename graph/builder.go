package graph

import "fmt"

// The Builder's helpers add descent's ops to a program being compiled, so
// that an op's Backward composes its input gradients from the same ops a
// model is built from (micrograd's and JAX's way): the gradient is then
// itself differentiable, which Grad and HVP rely on. Each helper keeps the
// first error in the Builder (see Err) and returns nil once one occurred,
// so a Backward chains them and checks b.Err() once.

// errNilSym is the error of a helper given a nil symbol.
func errNilSym(op Op) error {
	return &OpError{Op: op.String(), Err: fmt.Errorf("%w: nil input", ErrGraph)}
}

// Err returns the first error a helper met.
func (b *Builder) Err() error { return b.err }

// Op adds op on the inputs, as Apply, keeping an error in the Builder.
func (b *Builder) Op(op Op, in ...*Sym) *Sym {
	if b.err != nil {
		return nil
	}
	for _, s := range in {
		if s == nil {
			b.err = errNilSym(op)
			return nil
		}
	}
	s, err := b.Apply(op, in...)
	if err != nil {
		b.err = err
		return nil
	}
	return s
}

// Add returns x + y (broadcasting).
func (b *Builder) Add(x, y *Sym) *Sym { return b.Op(binaryOp{kind: opAdd}, x, y) }

// Sub returns x - y (broadcasting).
func (b *Builder) Sub(x, y *Sym) *Sym { return b.Op(binaryOp{kind: opSub}, x, y) }

// Mul returns x * y (broadcasting).
func (b *Builder) Mul(x, y *Sym) *Sym { return b.Op(binaryOp{kind: opMul}, x, y) }

// Div returns x / y (broadcasting).
func (b *Builder) Div(x, y *Sym) *Sym { return b.Op(binaryOp{kind: opDiv}, x, y) }

// Pow returns x ** y (broadcasting).
func (b *Builder) Pow(x, y *Sym) *Sym { return b.Op(binaryOp{kind: opPow}, x, y) }

// Neg returns -x.
func (b *Builder) Neg(x *Sym) *Sym { return b.Op(scaleOp{c: -1}, x) }

// Scale returns c * x.
func (b *Builder) Scale(x *Sym, c float64) *Sym { return b.Op(scaleOp{c: c}, x) }

// Shift returns x + c.
func (b *Builder) Shift(x *Sym, c float64) *Sym { return b.Op(shiftOp{c: c}, x) }

// unary applies an elementwise function of package graph (see unary.go).
func (b *Builder) unary(k unaryKind, x *Sym) *Sym { return b.Op(unaryOp{kind: k}, x) }

// mask returns 1 where x cmp y holds and 0 elsewhere, in x's float dtype
// (broadcasting); it has no gradient.
func (b *Builder) mask(c cmpKind, x, y *Sym) *Sym { return b.Op(compareOp{kind: c, float: true}, x, y) }

// Exp returns e**x elementwise.
func (b *Builder) Exp(x *Sym) *Sym { return b.unary(opExp, x) }

// Log returns the natural logarithm elementwise.
func (b *Builder) Log(x *Sym) *Sym { return b.unary(opLog, x) }

// Square returns x*x elementwise.
func (b *Builder) Square(x *Sym) *Sym { return b.unary(opSquare, x) }

// Sqrt returns the square root elementwise.
func (b *Builder) Sqrt(x *Sym) *Sym { return b.unary(opSqrt, x) }

// Tanh returns the hyperbolic tangent elementwise.
func (b *Builder) Tanh(x *Sym) *Sym { return b.unary(opTanh, x) }

// Sigmoid returns 1/(1+e**-x) elementwise.
func (b *Builder) Sigmoid(x *Sym) *Sym { return b.unary(opSigmoid, x) }

// Sin returns the sine elementwise.
func (b *Builder) Sin(x *Sym) *Sym { return b.unary(opSin, x) }

// Cos returns the cosine elementwise.
func (b *Builder) Cos(x *Sym) *Sym { return b.unary(opCos, x) }

// Abs returns |x| elementwise.
func (b *Builder) Abs(x *Sym) *Sym { return b.unary(opAbs, x) }

// Sign returns -1, 0 or 1 elementwise (no gradient).
func (b *Builder) Sign(x *Sym) *Sym { return b.unary(opSign, x) }

// Greater returns 1 where x > y and 0 elsewhere, in x's float dtype
// (broadcasting; no gradient): the mask of a piecewise gradient.
func (b *Builder) Greater(x, y *Sym) *Sym { return b.mask(cmpGT, x, y) }

// Equal returns 1 where x == y and 0 elsewhere, in x's float dtype
// (broadcasting; no gradient).
func (b *Builder) Equal(x, y *Sym) *Sym { return b.mask(cmpEQ, x, y) }

// ZerosLike returns zeros of x's type.
func (b *Builder) ZerosLike(x *Sym) *Sym { return b.Op(zerosLike{}, x) }

// Where returns x where cond is non-zero and y elsewhere (broadcasting).
func (b *Builder) Where(cond, x, y *Sym) *Sym { return b.Op(whereOp{}, cond, x, y) }

// SumTo sums x over the dimensions it has beyond shape or where shape has
// 1 (the gradient of a broadcast), then gives it shape.
func (b *Builder) SumTo(x *Sym, shape Shape) *Sym {
	if b.err != nil {
		return nil
	}
	if x == nil {
		b.err = errNilSym(reduceOp{kind: redSum})
		return nil
	}
	if x.typ.Shape.Equal(shape) {
		return x
	}
	axes, ok := broadcastAxes(shape, x.typ.Shape)
	if !ok {
		b.err = shapeErr("cannot sum %v to %v", x.typ.Shape, shape)
		return nil
	}
	s := x
	if len(axes) > 0 {
		s = b.Op(reduceOp{kind: redSum, axes: axes, keep: true}, x)
	}
	return b.Reshape(s, shape)
}

// Sum sums x over axes (all when empty), keeping them as 1s when keep.
func (b *Builder) Sum(x *Sym, keep bool, axes ...int) *Sym {
	if x != nil {
		if norm, err := axesOf(axes, x.typ.Shape.Rank()); err == nil && len(axes) > 0 {
			axes = norm
		}
	}
	return b.Op(reduceOp{kind: redSum, axes: axes, keep: keep}, x)
}

// BroadcastTo repeats x into shape (NumPy's rules).
func (b *Builder) BroadcastTo(x *Sym, shape Shape) *Sym {
	if x != nil && x.typ.Shape.Equal(shape) {
		return x
	}
	return b.Op(expandOp{shape: shape.Clone()}, x)
}

// Reshape gives x another concrete shape of the same size.
func (b *Builder) Reshape(x *Sym, shape Shape) *Sym {
	if x != nil && x.typ.Shape.Equal(shape) {
		return x
	}
	return b.Op(reshapeOp{spec: shape.Clone()}, x)
}

// Transpose permutes x's dimensions: dimension i of the result is perm[i] of x.
func (b *Builder) Transpose(x *Sym, perm ...int) *Sym {
	return b.Op(transposeOp{perm: append([]int(nil), perm...)}, x)
}

// MatMul returns x @ y with PyTorch's matmul rules (see MatMul).
func (b *Builder) MatMul(x, y *Sym) *Sym { return b.Op(matMulOp{}, x, y) }

// broadcastAxes returns the axes of big that were broadcast from small
// (NumPy's rules, small aligned right): leading axes, and axes where small
// is 1 and big is not. It reports false when small does not broadcast to big.
func broadcastAxes(small, big Shape) ([]int, bool) {
	if len(small) > len(big) {
		return nil, false
	}
	off := len(big) - len(small)
	var axes []int
	for i := range big {
		if i < off {
			axes = append(axes, i)
			continue
		}
		switch s := small[i-off]; {
		case s == big[i]:
		case s == 1:
			axes = append(axes, i)
		default:
			return nil, false
		}
	}
	return axes, true
}
