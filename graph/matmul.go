package graph

import (
	"fmt"

	"github.com/descent-ml/descent/internal/blas"
)

// MatMul returns a @ b for matrices a [M, K] and b [K, N] (either may have
// a Batch dimension where it is the row count of a or the result).
func MatMul(a, b *Node) *Node { return Apply(matMulOp{}, a, b) }

// matMulOp is op(A) @ op(B), op transposing when the flag is set. The
// backward pass uses the flags, so no transpose is ever materialised.
type matMulOp struct{ transA, transB bool }

func (o matMulOp) String() string {
	switch {
	case o.transA && o.transB:
		return "MatMul(Aᵀ,Bᵀ)"
	case o.transA:
		return "MatMul(Aᵀ,B)"
	case o.transB:
		return "MatMul(A,Bᵀ)"
	}
	return "MatMul"
}

// dims returns m, k of op(A) and k, n of op(B).
func (o matMulOp) dims(a, b Shape) (m, ka, kb, n int) {
	m, ka = a[0], a[1]
	if o.transA {
		m, ka = ka, m
	}
	kb, n = b[0], b[1]
	if o.transB {
		kb, n = n, kb
	}
	return
}

func (o matMulOp) Infer(in []Type) (Type, error) {
	a, b := in[0], in[1]
	if a.DType != b.DType || !a.DType.IsFloat() {
		return Type{}, dtypeErr("operands are %v and %v (want the same float type)", a.DType, b.DType)
	}
	if a.Shape.Rank() != 2 || b.Shape.Rank() != 2 {
		return Type{}, shapeErr("operands %v and %v (want two matrices)", a.Shape, b.Shape)
	}
	m, ka, kb, n := o.dims(a.Shape, b.Shape)
	if ka != kb || ka == Batch {
		return Type{}, shapeErr("inner dimensions of %v and %v differ (got %d and %d, want equal)",
			a.Shape, b.Shape, ka, kb)
	}
	return Type{DType: a.DType, Shape: Shape{m, n}}, nil
}

func (o matMulOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	m, k, _, n := o.dims(in[0].shape, in[1].shape)
	switch out.dtype {
	case Float32:
		blas.MatMul(o.transA, o.transB, m, n, k, in[0].f32, in[1].f32, out.f32)
	case Float64:
		blas.MatMul(o.transA, o.transB, m, n, k, in[0].f64, in[1].f64, out.f64)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

// Backward: with C = op(A) op(B) and G = dL/dC,
// dA = G op(B)ᵀ (or its transpose when A is transposed), dB = op(A)ᵀ G (likewise).
func (o matMulOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	A, B := in[0], in[1]
	var da, db *Sym
	var err error
	if o.transA {
		da, err = b.Apply(matMulOp{transA: o.transB, transB: true}, B, g)
	} else {
		da, err = b.Apply(matMulOp{transB: !o.transB}, g, B)
	}
	if err != nil {
		return nil, err
	}
	if o.transB {
		db, err = b.Apply(matMulOp{transA: true, transB: o.transA}, g, A)
	} else {
		db, err = b.Apply(matMulOp{transA: !o.transA}, A, g)
	}
	if err != nil {
		return nil, err
	}
	return []*Sym{da, db}, nil
}
