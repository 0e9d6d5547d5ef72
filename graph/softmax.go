package graph

import (
	"fmt"
	"math"
)

// Softmax normalises x to probabilities along axis (negative counts from
// the end; -1 is the last dimension).
func Softmax(x *Node, axis int) *Node { return Apply(softmaxOp{axis: axis}, x) }

// LogSoftmax returns log(Softmax(x, axis)), computed stably (x minus its
// log-sum-exp).
func LogSoftmax(x *Node, axis int) *Node { return Apply(softmaxOp{axis: axis, log: true}, x) }

type softmaxOp struct {
	axis int
	log  bool
}

func (o softmaxOp) String() string {
	name := "Softmax"
	if o.log {
		name = "LogSoftmax"
	}
	return fmt.Sprintf("%s(%d)", name, o.axis)
}

func (o softmaxOp) Infer(in []Type) (Type, error) {
	t, err := floatLike(in[0])
	if err != nil {
		return t, err
	}
	if in[0].Shape.Rank() < 1 {
		return Type{}, shapeErr("operand is a scalar (want at least one dimension)")
	}
	if _, err := axis(o.axis, in[0].Shape.Rank()); err != nil {
		return Type{}, err
	}
	return t, nil
}

// blocks returns x as [outer, n, inner] around the softmax axis.
func (o softmaxOp) blocks(s Shape) (outer, n, inner int) {
	a, _ := axis(o.axis, len(s))
	outer, _, inner, _ = blocks(s, []int{a})
	return outer, s[a], inner
}

func (o softmaxOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	outer, n, inner := o.blocks(in[0].shape)
	switch out.dtype {
	case Float32:
		softmaxSplit(&softmaxLoop32, softmaxArgs[float32]{out: out.f32, x: in[0].f32, outer: outer, n: n, inner: inner, log: o.log}, outer, n*inner)
	case Float64:
		softmaxSplit(&softmaxLoop64, softmaxArgs[float64]{out: out.f64, x: in[0].f64, outer: outer, n: n, inner: inner, log: o.log}, outer, n*inner)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

// softmaxInto writes the (log-)softmax of x along the middle dimension of
// [outer, n, inner], in float64.
func softmaxInto[T Float](out, x []T, outer, n, inner int, log bool) {
	if inner == 1 {
		var b expBuf
		for r := 0; r < outer*n; r += n {
			softmaxRow(out[r:r+n], x[r:r+n], log, &b)
		}
		return
	}
	for o := 0; o < outer; o++ {
		base := o * n * inner
		for i := 0; i < inner; i++ {
			m := math.Inf(-1)
			for k := 0; k < n; k++ {
				m = max(m, float64(x[base+k*inner+i]))
			}
			lse := m
			if !math.IsInf(m, 0) {
				var s float64
				for k := 0; k < n; k++ {
					s += math.Exp(float64(x[base+k*inner+i]) - m)
				}
				lse = m + math.Log(s)
			}
			for k := 0; k < n; k++ {
				j := base + k*inner + i
				if log {
					out[j] = T(float64(x[j]) - lse)
				} else {
					out[j] = T(math.Exp(float64(x[j]) - lse))
				}
			}
		}
	}
}

func softmaxRow[T Float](y, x []T, log bool, b *expBuf) {
	if log {
		lse := logSumExpBuf(x, b)
		for i, v := range x {
			y[i] = T(float64(v) - lse)
		}
		return
	}
	// One exponential per element: e = exp(x - max), then e / sum(e).
	m := rowMax(x)
	if math.IsInf(m, 0) { // all -inf (masked), +inf, or NaN only: as exp(x - lse)
		lse := logSumExp(x)
		for i, v := range x {
			y[i] = T(math.Exp(float64(v) - lse))
		}
		return
	}
	var s float64
	for lo := 0; lo < len(x); lo += expBlock {
		for i, e := range expShift(b, x[lo:min(lo+expBlock, len(x))], m) {
			s += e
			y[lo+i] = T(e)
		}
	}
	inv := 1 / s
	for i := range y {
		y[i] = T(float64(y[i]) * inv)
	}
}

func (o softmaxOp) Backward(b *Builder, _ []*Sym, out, g *Sym) ([]*Sym, error) {
	return []*Sym{b.Op(softmaxGradOp(o), out, g)}, b.Err()
}

// softmaxGradOp: for y = softmax(x), dx = y * (g - sum(g*y)); for
// y = log_softmax(x), dx = g - exp(y) * sum(g), sums along the axis. Its own
// gradient is built from ops.
type softmaxGradOp softmaxOp

func (o softmaxGradOp) String() string { return softmaxOp(o).String() + "Grad" }

func (o softmaxGradOp) Infer(in []Type) (Type, error) { return unaryGradOp{}.Infer(in) }

func (o softmaxGradOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	outer, n, inner := softmaxOp(o).blocks(in[0].shape)
	switch out.dtype {
	case Float32:
		softmaxSplit(&softmaxLoop32, softmaxArgs[float32]{out: out.f32, x: in[0].f32, g: in[1].f32, outer: outer, n: n, inner: inner, log: o.log, grad: true}, outer, n*inner)
	case Float64:
		softmaxSplit(&softmaxLoop64, softmaxArgs[float64]{out: out.f64, x: in[0].f64, g: in[1].f64, outer: outer, n: n, inner: inner, log: o.log, grad: true}, outer, n*inner)
	}
	return nil
}

func softmaxGrad[T Float](out, y, g []T, outer, n, inner int, log bool) {
	if inner == 1 && !log { // rows: the loops below without their index arithmetic and branches
		for r := 0; r < outer*n; r += n {
			yr, gr, or := y[r:r+n], g[r:r+n], out[r:r+n]
			gr, or = gr[:len(yr)], or[:len(yr)]
			var s T
			for k, v := range yr {
				s += gr[k] * v
			}
			for k, v := range yr {
				or[k] = v * (gr[k] - s)
			}
		}
		return
	}
	for o := 0; o < outer; o++ {
		base := o * n * inner
		for i := 0; i < inner; i++ {
			var s T
			for k := 0; k < n; k++ {
				j := base + k*inner + i
				if log {
					s += g[j]
				} else {
					s += g[j] * y[j]
				}
			}
			for k := 0; k < n; k++ {
				j := base + k*inner + i
				if log {
					out[j] = g[j] - T(math.Exp(float64(y[j])))*s
				} else {
					out[j] = y[j] * (g[j] - s)
				}
			}
		}
	}
}

// Backward of the softmax gradient, from ops. With s = sum(g·y):
// softmax: dx = y(g - s), so d/dg = y(gg - sum(gg·y)) and
// d/dy = gg(g - s) - g·sum(gg·y); log-softmax: dx = g - e^y sum(g), so
// d/dg = gg - sum(gg·e^y) and d/dy = -gg·e^y·sum(g).
func (o softmaxGradOp) Backward(b *Builder, in []*Sym, _, gg *Sym) ([]*Sym, error) {
	a, err := axis(o.axis, in[0].typ.Shape.Rank())
	if err != nil {
		return nil, err
	}
	y, g := in[0], in[1]
	if o.log {
		ey := b.unary(opExp, y)
		dg := b.Sub(gg, b.Sum(b.Mul(gg, ey), true, a))
		dy := b.Neg(b.Mul(b.Mul(gg, ey), b.Sum(g, true, a)))
		return []*Sym{dy, dg}, b.Err()
	}
	s := b.Sum(b.Mul(g, y), true, a)
	sgg := b.Sum(b.Mul(gg, y), true, a)
	dg := b.Mul(y, b.Sub(gg, sgg))
	dy := b.Sub(b.Mul(gg, b.Sub(g, s)), b.Mul(g, sgg))
	return []*Sym{dy, dg}, b.Err()
}
