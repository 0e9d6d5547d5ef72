package graph

import (
	"fmt"
	"math"
)

// ReLU returns max(x, 0). Its gradient at 0 is 0, as in PyTorch.
func ReLU(x *Node) *Node { return Apply(unaryOp{kind: opReLU}, x) }

// Tanh returns the hyperbolic tangent of x.
func Tanh(x *Node) *Node { return Apply(unaryOp{kind: opTanh}, x) }

// Sigmoid returns 1 / (1 + exp(-x)), computed without overflow.
func Sigmoid(x *Node) *Node { return Apply(unaryOp{kind: opSigmoid}, x) }

// Exp returns e^x.
func Exp(x *Node) *Node { return Apply(unaryOp{kind: opExp}, x) }

// Log returns the natural logarithm of x.
func Log(x *Node) *Node { return Apply(unaryOp{kind: opLog}, x) }

// Neg returns -x.
func Neg(x *Node) *Node { return Apply(scaleOp{c: -1}, x) }

// Square returns x².
func Square(x *Node) *Node { return Apply(unaryOp{kind: opSquare}, x) }

// Sqrt returns √x.
func Sqrt(x *Node) *Node { return Apply(unaryOp{kind: opSqrt}, x) }

type unaryKind uint8

const (
	opReLU unaryKind = iota
	opTanh
	opSigmoid
	opExp
	opLog
	opSquare
	opSqrt
)

var unaryNames = [...]string{"ReLU", "Tanh", "Sigmoid", "Exp", "Log", "Square", "Sqrt"}

type unaryOp struct{ kind unaryKind }

func (o unaryOp) String() string { return unaryNames[o.kind] }

func (o unaryOp) Infer(in []Type) (Type, error) {
	if !in[0].DType.IsFloat() {
		return Type{}, dtypeErr("operand is %v (want float)", in[0].DType)
	}
	return Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (o unaryOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		unary(o.kind, out.f32, in[0].f32)
	case Float64:
		unary(o.kind, out.f64, in[0].f64)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

func unary[T Float](k unaryKind, out, in []T) {
	switch k {
	case opReLU:
		relu(out, in)
	case opTanh:
		for i, v := range in {
			out[i] = T(math.Tanh(float64(v)))
		}
	case opSigmoid:
		for i, v := range in {
			out[i] = T(sigmoid(float64(v)))
		}
	case opExp:
		for i, v := range in {
			out[i] = T(math.Exp(float64(v)))
		}
	case opLog:
		for i, v := range in {
			out[i] = T(math.Log(float64(v)))
		}
	case opSquare:
		for i, v := range in {
			out[i] = v * v
		}
	case opSqrt:
		for i, v := range in {
			out[i] = T(math.Sqrt(float64(v)))
		}
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Backward: ReLU, Tanh, Sigmoid, Exp and Sqrt differentiate from their
// output; Log and Square from their input.
func (o unaryOp) Backward(b *Builder, in []*Sym, out, g *Sym) ([]*Sym, error) {
	var s *Sym
	var err error
	switch o.kind {
	case opExp:
		s, err = b.Apply(binaryOp{kind: opMul}, g, out)
	case opLog:
		s, err = b.Apply(binaryOp{kind: opDiv}, g, in[0])
	case opSquare:
		s, err = b.Apply(unaryGradOp{kind: opSquare}, in[0], g)
	default:
		s, err = b.Apply(unaryGradOp{kind: o.kind}, out, g)
	}
	return []*Sym{s}, err
}

// unaryGradOp computes an activation's input gradient from (y or x, dy).
type unaryGradOp struct{ kind unaryKind }

func (o unaryGradOp) String() string { return unaryNames[o.kind] + "Grad" }

func (o unaryGradOp) Infer(in []Type) (Type, error) {
	if !in[0].Shape.Equal(in[1].Shape) || in[0].DType != in[1].DType {
		return Type{}, shapeErr("%v and %v differ", in[0], in[1])
	}
	return Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (o unaryGradOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		unaryGrad(o.kind, out.f32, in[0].f32, in[1].f32)
	case Float64:
		unaryGrad(o.kind, out.f64, in[0].f64, in[1].f64)
	}
	return nil
}

func unaryGrad[T Float](k unaryKind, out, y, g []T) {
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
