package graph

import (
	"fmt"
	"math"
)

// Softmax normalises the last dimension of x to probabilities.
func Softmax(x *Node) *Node { return Apply(softmaxOp{}, x) }

// LogSoftmax returns log(Softmax(x)) along the last dimension, computed
// stably (x minus its log-sum-exp).
func LogSoftmax(x *Node) *Node { return Apply(softmaxOp{log: true}, x) }

type softmaxOp struct{ log bool }

func (o softmaxOp) String() string {
	if o.log {
		return "LogSoftmax"
	}
	return "Softmax"
}

func (o softmaxOp) Infer(in []Type) (Type, error) {
	if !in[0].DType.IsFloat() {
		return Type{}, dtypeErr("operand is %v (want float)", in[0].DType)
	}
	if in[0].Shape.Rank() < 1 {
		return Type{}, shapeErr("operand is a scalar (want at least one dimension)")
	}
	return Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (o softmaxOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	d := in[0].shape[len(in[0].shape)-1]
	switch out.dtype {
	case Float32:
		softmaxRows(out.f32, in[0].f32, d, o.log)
	case Float64:
		softmaxRows(out.f64, in[0].f64, d, o.log)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

// softmaxRows writes the (log-)softmax of each row of length d, in float64.
func softmaxRows[T Float](out, in []T, d int, log bool) {
	for r := 0; r < len(in); r += d {
		x, y := in[r:r+d], out[r:r+d]
		lse := logSumExp(x)
		for i, v := range x {
			if log {
				y[i] = T(float64(v) - lse)
			} else {
				y[i] = T(math.Exp(float64(v) - lse))
			}
		}
	}
}

// logSumExp returns log(sum(exp(x))) without overflow.
func logSumExp[T Float](x []T) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, float64(v))
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

func (o softmaxOp) Backward(b *Builder, _ []*Sym, out, g *Sym) ([]*Sym, error) {
	s, err := b.Apply(softmaxGradOp(o), out, g)
	return []*Sym{s}, err
}

// softmaxGradOp: for y = softmax(x), dx = y * (g - sum(g*y)); for
// y = log_softmax(x), dx = g - exp(y) * sum(g), sums along the last dimension.
type softmaxGradOp struct{ log bool }

func (o softmaxGradOp) String() string { return softmaxOp(o).String() + "Grad" }

func (o softmaxGradOp) Infer(in []Type) (Type, error) { return unaryGradOp{}.Infer(in) }

func (o softmaxGradOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	d := in[0].shape[len(in[0].shape)-1]
	switch out.dtype {
	case Float32:
		softmaxGrad(out.f32, in[0].f32, in[1].f32, d, o.log)
	case Float64:
		softmaxGrad(out.f64, in[0].f64, in[1].f64, d, o.log)
	}
	return nil
}

func softmaxGrad[T Float](out, y, g []T, d int, log bool) {
	for r := 0; r < len(y); r += d {
		yr, gr, or := y[r:r+d], g[r:r+d], out[r:r+d]
		var s T
		if log {
			for _, v := range gr {
				s += v
			}
			for i := range or {
				or[i] = gr[i] - T(math.Exp(float64(yr[i])))*s
			}
			continue
		}
		for i := range gr {
			s += gr[i] * yr[i]
		}
		for i := range or {
			or[i] = yr[i] * (gr[i] - s)
		}
	}
}
