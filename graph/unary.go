package graph

import (
	"fmt"
	"math"
)

// Elementwise functions. Each is one op; its gradient is built from other
// ops, so it can be differentiated again (ReLU, Tanh, Sigmoid, Sqrt and
// Square have a fused gradient op whose own gradient is built from ops).

// ReLU returns max(x, 0). Its gradient at 0 is 0, as in PyTorch.
func ReLU(x *Node) *Node { return unaryNode(opReLU, x) }

// Tanh returns the hyperbolic tangent of x.
func Tanh(x *Node) *Node { return unaryNode(opTanh, x) }

// Sigmoid returns 1 / (1 + exp(-x)), computed without overflow.
func Sigmoid(x *Node) *Node { return unaryNode(opSigmoid, x) }

// Exp returns e^x.
func Exp(x *Node) *Node { return unaryNode(opExp, x) }

// Log returns the natural logarithm of x.
func Log(x *Node) *Node { return unaryNode(opLog, x) }

// Neg returns -x.
func Neg(x *Node) *Node { return Apply(scaleOp{c: -1}, x) }

// Square returns x².
func Square(x *Node) *Node { return unaryNode(opSquare, x) }

// Sqrt returns √x.
func Sqrt(x *Node) *Node { return unaryNode(opSqrt, x) }

// Abs returns |x|; its gradient at 0 is 0 (torch.abs).
func Abs(x *Node) *Node { return unaryNode(opAbs, x) }

// Sign returns -1, 0 or 1 (torch.sign); its gradient is 0.
func Sign(x *Node) *Node { return unaryNode(opSign, x) }

// Sin returns sin x.
func Sin(x *Node) *Node { return unaryNode(opSin, x) }

// Cos returns cos x.
func Cos(x *Node) *Node { return unaryNode(opCos, x) }

// Erf returns the error function of x.
func Erf(x *Node) *Node { return unaryNode(opErf, x) }

// Log1p returns log(1 + x), accurate for small x.
func Log1p(x *Node) *Node { return unaryNode(opLog1p, x) }

// Expm1 returns e^x - 1, accurate for small x.
func Expm1(x *Node) *Node { return unaryNode(opExpm1, x) }

// Reciprocal returns 1 / x.
func Reciprocal(x *Node) *Node { return unaryNode(opRecip, x) }

// Rsqrt returns 1 / √x.
func Rsqrt(x *Node) *Node { return unaryNode(opRsqrt, x) }

// SiLU returns x·sigmoid(x) (also called swish).
func SiLU(x *Node) *Node { return unaryNode(opSiLU, x) }

// GELU returns x·Φ(x), Φ the standard normal CDF, in its exact erf form
// (torch.nn.GELU()).
func GELU(x *Node) *Node { return unaryNode(opGELU, x) }

// GELUTanh returns the tanh approximation of GELU,
// 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) (torch.nn.GELU(approximate="tanh")).
func GELUTanh(x *Node) *Node { return unaryNode(opGELUTanh, x) }

// Softplus returns log(1 + exp(βx))/β, and x where βx > threshold
// (torch.nn.Softplus; torch's defaults are β = 1, threshold = 20).
func Softplus(x *Node, beta, threshold float64) *Node {
	if !(beta > 0) || math.IsInf(beta, 0) || math.IsNaN(threshold) {
		return failNode(x, "Softplus", fmt.Errorf("%w: beta %v, threshold %v (want beta > 0, finite)", ErrShape, beta, threshold))
	}
	return Apply(unaryOp{kind: opSoftplus, a: beta, b: threshold}, x)
}

// LeakyReLU returns x where x > 0 and slope·x elsewhere (torch's default
// slope is 0.01).
func LeakyReLU(x *Node, slope float64) *Node {
	return Apply(unaryOp{kind: opLeakyReLU, a: slope}, x)
}

// ELU returns x where x > 0 and alpha·(e^x - 1) elsewhere (torch's default
// alpha is 1).
func ELU(x *Node, alpha float64) *Node { return Apply(unaryOp{kind: opELU, a: alpha}, x) }

// PowScalar returns x raised to the constant power p.
func PowScalar(x *Node, p float64) *Node { return Apply(unaryOp{kind: opPowC, a: p}, x) }

// Clamp limits x to [lo, hi] (torch.clamp; use ±math.Inf(1) for no bound).
// The gradient passes where lo <= x <= hi.
func Clamp(x *Node, lo, hi float64) *Node {
	if math.IsNaN(lo) || math.IsNaN(hi) || lo > hi {
		return failNode(x, "Clamp", fmt.Errorf("%w: bounds [%v, %v] (want lo <= hi)", ErrShape, lo, hi))
	}
	return Apply(unaryOp{kind: opClamp, a: lo, b: hi}, x)
}

func unaryNode(k unaryKind, x *Node) *Node { return Apply(unaryOp{kind: k}, x) }

// failNode records err in x's graph and returns a failed node.
func failNode(x *Node, op string, err error) *Node {
	if x == nil || x.g == nil {
		return &Node{failed: true}
	}
	if x.failed {
		return x
	}
	return x.g.fail(&OpError{Op: op, Err: err})
}

type unaryKind uint8

const (
	opReLU unaryKind = iota
	opTanh
	opSigmoid
	opExp
	opLog
	opSquare
	opSqrt
	opAbs
	opSign
	opSin
	opCos
	opErf
	opLog1p
	opExpm1
	opRecip
	opRsqrt
	opSiLU
	opGELU
	opGELUTanh
	opSoftplus
	opLeakyReLU
	opELU
	opPowC
	opClamp
	opStep    // 1 where x > 0, else 0; no gradient
	opInRange // 1 where a <= x <= b, else 0; no gradient
)

var unaryNames = [...]string{"ReLU", "Tanh", "Sigmoid", "Exp", "Log", "Square", "Sqrt", "Abs", "Sign", "Sin", "Cos",
	"Erf", "Log1p", "Expm1", "Reciprocal", "Rsqrt", "SiLU", "GELU", "GELUTanh", "Softplus", "LeakyReLU", "ELU",
	"PowScalar", "Clamp", "Step", "InRange"}

// unaryOp is an elementwise function; a and b are its parameters (slope,
// alpha, power, bounds, beta and threshold).
type unaryOp struct {
	kind unaryKind
	a, b float64
}

func (o unaryOp) String() string {
	switch o.kind {
	case opSoftplus, opClamp, opInRange:
		return fmt.Sprintf("%s(%g, %g)", unaryNames[o.kind], o.a, o.b)
	case opLeakyReLU, opELU, opPowC:
		return fmt.Sprintf("%s(%g)", unaryNames[o.kind], o.a)
	}
	return unaryNames[o.kind]
}

func (o unaryOp) Infer(in []Type) (Type, error) { return floatLike(in[0]) }

func (o unaryOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		unarySplit(&unaryLoop32, o, out.f32, in[0].f32)
	case Float64:
		unarySplit(&unaryLoop64, o, out.f64, in[0].f64)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

const (
	sqrt2    = 1.4142135623730951
	sqrt2Pi  = 2.5066282746310002 // √(2π)
	geluK    = 0.7978845608028654 // √(2/π)
	geluC    = 0.044715
	twoSqrPi = 1.1283791670955126 // 2/√π
)

func unary[T Float](o unaryOp, out, in []T) {
	in = in[:len(out)]
	if o.kind == opReLU {
		relu(out, in)
		return
	}
	if o.kind == opSquare {
		for i, v := range in {
			out[i] = v * v
		}
		return
	}
	for i, v := range in {
		out[i] = T(unary1(o, float64(v)))
	}
}

// unary1 computes one element in float64.
func unary1(o unaryOp, x float64) float64 {
	switch o.kind {
	case opTanh:
		return math.Tanh(x)
	case opSigmoid:
		return sigmoid(x)
	case opExp:
		return math.Exp(x)
	case opLog:
		return math.Log(x)
	case opSqrt:
		return math.Sqrt(x)
	case opAbs:
		return math.Abs(x)
	case opSign:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x // ±0, NaN
	case opSin:
		return math.Sin(x)
	case opCos:
		return math.Cos(x)
	case opErf:
		return math.Erf(x)
	case opLog1p:
		return math.Log1p(x)
	case opExpm1:
		return math.Expm1(x)
	case opRecip:
		return 1 / x
	case opRsqrt:
		return 1 / math.Sqrt(x)
	case opSiLU:
		return x * sigmoid(x)
	case opGELU:
		return 0.5 * x * (1 + math.Erf(x/sqrt2))
	case opGELUTanh:
		return 0.5 * x * (1 + math.Tanh(geluK*(x+geluC*x*x*x)))
	case opSoftplus:
		if o.a*x > o.b {
			return x
		}
		return math.Log1p(math.Exp(o.a*x)) / o.a
	case opLeakyReLU:
		if x > 0 {
			return x
		}
		return o.a * x
	case opELU:
		if x > 0 {
			return x
		}
		return o.a * math.Expm1(x)
	case opPowC:
		return math.Pow(x, o.a)
	case opClamp:
		if x != x {
			return x
		}
		return math.Min(math.Max(x, o.a), o.b)
	case opStep:
		if x > 0 {
			return 1
		}
		return 0
	case opInRange:
		if x >= o.a && x <= o.b {
			return 1
		}
		return 0
	}
	return math.NaN()
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Backward builds dx from ops that are themselves differentiable.
func (o unaryOp) Backward(b *Builder, in []*Sym, out, g *Sym) ([]*Sym, error) {
	x := in[0]
	var dx *Sym
	switch o.kind {
	case opReLU, opTanh, opSigmoid, opSqrt:
		dx = b.Op(unaryGradOp{kind: o.kind}, out, g)
	case opSquare:
		dx = b.Op(unaryGradOp{kind: opSquare}, x, g)
	case opExp:
		dx = b.Mul(g, out)
	case opLog:
		dx = b.Div(g, x)
	case opAbs:
		dx = b.Mul(g, b.unary(opSign, x))
	case opSign, opStep, opInRange:
		dx = b.ZerosLike(x)
	case opSin:
		dx = b.Mul(g, b.unary(opCos, x))
	case opCos:
		dx = b.Neg(b.Mul(g, b.unary(opSin, x)))
	case opErf: // 2/√π e^(-x²)
		dx = b.Mul(g, b.Scale(b.unary(opExp, b.Neg(b.unary(opSquare, x))), twoSqrPi))
	case opLog1p:
		dx = b.Div(g, b.Shift(x, 1))
	case opExpm1:
		dx = b.Mul(g, b.Shift(out, 1))
	case opRecip: // -1/x²
		dx = b.Neg(b.Mul(g, b.unary(opSquare, out)))
	case opRsqrt: // -x^(-3/2)/2
		dx = b.Scale(b.Mul(g, b.Op(unaryOp{kind: opPowC, a: 3}, out)), -0.5)
	case opSiLU: // σ(x)(1 + x(1 - σ(x)))
		s := b.unary(opSigmoid, x)
		dx = b.Mul(g, b.Mul(s, b.Shift(b.Mul(x, b.Shift(b.Neg(s), 1)), 1)))
	case opGELU: // Φ(x) + x φ(x)
		cdf := b.Scale(b.Shift(b.unary(opErf, b.Scale(x, 1/sqrt2)), 1), 0.5)
		pdf := b.Scale(b.unary(opExp, b.Scale(b.unary(opSquare, x), -0.5)), 1/sqrt2Pi)
		dx = b.Mul(g, b.Add(cdf, b.Mul(x, pdf)))
	case opGELUTanh: // 0.5(1+t) + 0.5x(1-t²)k(1+3c x²), t = tanh(k(x + c x³))
		x2 := b.unary(opSquare, x)
		t := b.unary(opTanh, b.Scale(b.Add(x, b.Scale(b.Mul(x2, x), geluC)), geluK))
		left := b.Scale(b.Shift(t, 1), 0.5)
		right := b.Scale(b.Mul(b.Mul(x, b.Shift(b.Neg(b.unary(opSquare, t)), 1)), b.Shift(b.Scale(x2, 3*geluC), 1)), 0.5*geluK)
		dx = b.Mul(g, b.Add(left, right))
	case opSoftplus: // σ(βx), and 1 past the threshold (βx > threshold)
		lin := b.Op(unaryOp{kind: opStep}, b.Shift(x, -o.b/o.a))
		s := b.unary(opSigmoid, b.Scale(x, o.a))
		dx = b.Mul(g, b.Add(s, b.Mul(lin, b.Shift(b.Neg(s), 1))))
	case opLeakyReLU: // 1 where x > 0, slope elsewhere
		dx = b.Mul(g, b.Shift(b.Scale(b.Op(unaryOp{kind: opStep}, x), 1-o.a), o.a))
	case opELU: // 1 where x > 0, out + alpha elsewhere
		pos := b.Op(unaryOp{kind: opStep}, x)
		neg := b.Shift(b.Neg(pos), 1)
		dx = b.Mul(g, b.Add(pos, b.Mul(neg, b.Shift(out, o.a))))
	case opPowC: // p x^(p-1)
		dx = b.Mul(g, b.Scale(b.Op(unaryOp{kind: opPowC, a: o.a - 1}, x), o.a))
	case opClamp:
		dx = b.Mul(g, b.Op(unaryOp{kind: opInRange, a: o.a, b: o.b}, x))
	}
	return []*Sym{dx}, b.Err()
}

// unaryGradOp is the fused gradient of ReLU, Tanh, Sigmoid and Sqrt (from
// (y, dy), y their output) and of Square (from (x, dy)).
type unaryGradOp struct{ kind unaryKind }

func (o unaryGradOp) String() string { return unaryNames[o.kind] + "Grad" }

func (o unaryGradOp) Infer(in []Type) (Type, error) {
	if !in[0].Shape.Equal(in[1].Shape) || in[0].DType != in[1].DType {
		return Type{}, shapeErr("%v and %v differ", in[0], in[1])
	}
	return floatLike(in[0])
}

func (o unaryGradOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		unaryGradSplit(&unaryGradLoop32, o.kind, out.f32, in[0].f32, in[1].f32)
	case Float64:
		unaryGradSplit(&unaryGradLoop64, o.kind, out.f64, in[0].f64, in[1].f64)
	}
	return nil
}

func unaryGrad[T Float](k unaryKind, out, y, g []T) {
	y, g = y[:len(out)], g[:len(out)]
	switch k {
	case opReLU:
		reluGrad(out, y, g)
	case opTanh:
		for i, v := range y {
			out[i] = g[i] * (1 - v*v)
		}
	case opSigmoid:
		for i, v := range y {
			out[i] = g[i] * v * (1 - v)
		}
	case opSquare: // y holds x here
		for i, v := range y {
			out[i] = 2 * v * g[i]
		}
	case opSqrt:
		for i, v := range y {
			out[i] = g[i] / (2 * v)
		}
	}
}

// Backward of the fused gradients: with dx = f'(y)·g, d/dg = f'(y) (the
// same op on the incoming gradient) and d/dy = f”·g·gg, in ops.
func (o unaryGradOp) Backward(b *Builder, in []*Sym, _, gg *Sym) ([]*Sym, error) {
	y, g := in[0], in[1]
	dg := b.Op(unaryGradOp{kind: o.kind}, y, gg)
	var dy *Sym
	switch o.kind {
	case opReLU:
		dy = b.ZerosLike(y)
	case opTanh: // d/dy g(1-y²) = -2yg
		dy = b.Scale(b.Mul(b.Mul(y, g), gg), -2)
	case opSigmoid: // d/dy g y(1-y) = g(1-2y)
		dy = b.Mul(b.Mul(g, b.Shift(b.Scale(y, -2), 1)), gg)
	case opSquare: // d/dx 2xg = 2g
		dy = b.Scale(b.Mul(g, gg), 2)
	case opSqrt: // d/dy g/(2y) = -g/(2y²)
		dy = b.Scale(b.Div(b.Mul(g, gg), b.unary(opSquare, y)), -0.5)
	}
	return []*Sym{dy, dg}, b.Err()
}
