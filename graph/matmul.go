package graph

import (
	"fmt"

	"github.com/descent-ml/descent/internal/blas"
	"github.com/descent-ml/descent/internal/parallel"
)

// MatMul returns a @ b with torch.matmul's rules: matrices [M, K] @ [K, N];
// batches of matrices [..., M, K] @ [..., K, N] whose leading (batch)
// dimensions broadcast ([B, H, T, D] @ [B, H, D, T], or [N, T, E] @ [E, F]
// for a dense layer applied at every position, which runs as one product);
// and a vector operand [K] taken as a row (first) or a column (second),
// its dimension dropped from the result.
func MatMul(a, b *Node) *Node {
	if a == nil || b == nil || a.failed || b.failed {
		return Apply(matMulOp{}, a, b)
	}
	ra, rb := a.typ.Shape.Rank(), b.typ.Shape.Rank()
	switch {
	case ra == 1 && rb == 1:
		return Reshape(Apply(matMulOp{}, Unsqueeze(a, 0), Unsqueeze(b, 1)))
	case ra == 1:
		return Squeeze(Apply(matMulOp{}, Unsqueeze(a, 0), b), -2)
	case rb == 1:
		return Squeeze(Apply(matMulOp{}, a, Unsqueeze(b, 1)), -1)
	}
	return Apply(matMulOp{}, a, b)
}

// matMulOp is op(A) @ op(B), op transposing the last two dimensions when
// the flag is set. The backward pass uses the flags, so no transpose is
// ever materialised.
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

// dims returns m, k of op(A) and k, n of op(B), from the last two dimensions.
func (o matMulOp) dims(a, b Shape) (m, ka, kb, n int) {
	m, ka = a[len(a)-2], a[len(a)-1]
	if o.transA {
		m, ka = ka, m
	}
	kb, n = b[len(b)-2], b[len(b)-1]
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
	if a.Shape.Rank() < 2 || b.Shape.Rank() < 2 {
		return Type{}, shapeErr("operands %v and %v (want matrices or batches of matrices)", a.Shape, b.Shape)
	}
	m, ka, kb, n := o.dims(a.Shape, b.Shape)
	if _, ok := broadcastDim(ka, kb); !ok || (ka != kb && ka != Unknown && kb != Unknown) {
		return Type{}, shapeErr("inner dimensions of %v and %v differ (got %s and %s, want equal)",
			a.Shape, b.Shape, dimName(ka), dimName(kb))
	}
	batch, err := BroadcastShapes(a.Shape[:a.Shape.Rank()-2], b.Shape[:b.Shape.Rank()-2])
	if err != nil {
		return Type{}, shapeErr("batch dimensions of %v and %v: %v", a.Shape, b.Shape, err)
	}
	if !batch.Symbolic() {
		if _, ok := newLayout(batch, a.Shape[:a.Shape.Rank()-2], b.Shape[:b.Shape.Rank()-2]); !ok {
			return Type{}, shapeErr("batch dimensions of %v and %v: more than %d after merging", a.Shape, b.Shape, maxRank)
		}
	}
	return Type{DType: a.DType, Shape: append(batch, m, n)}, nil
}

// collapses reports whether a batched A times a matrix B runs as one
// product over A's rows.
func (o matMulOp) collapses(a, b Shape) bool { return len(b) == 2 && len(a) > 2 && !o.transA }

func (o matMulOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	a, b := in[0], in[1]
	m, k, _, n := o.dims(a.shape, b.shape)
	if o.collapses(a.shape, b.shape) {
		m = a.Len() / k
	}
	switch out.dtype {
	case Float32:
		batchedMatMul(o, out.f32, a.f32, b.f32, out.shape, a.shape, b.shape, m, n, k)
	case Float64:
		batchedMatMul(o, out.f64, a.f64, b.f64, out.shape, a.shape, b.shape, m, n, k)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

// batchedMatMul runs one product per batch element (one in all when the
// batch collapses or there is none), the operands' batch dimensions
// broadcast into the output's.
func batchedMatMul[T blas.Float](o matMulOp, out, a, b []T, os, as, bs Shape, m, n, k int) {
	if len(os) == 2 || o.collapses(as, bs) {
		blas.MatMul(o.transA, o.transB, m, n, k, a, b, out)
		return
	}
	l, _ := newLayout(os[:len(os)-2], as[:len(as)-2], bs[:len(bs)-2]) // Infer checked the rank
	args := bmmArgs[T]{o: o, out: out, a: a, b: b, l: l, m: m, n: n, k: k}
	// Many small products (attention's, per batch element and head) are
	// split over the threads a chunk of products each, worth at least
	// bmmGrain multiply-adds: one such product is too small for the GEMM to
	// split, so they would all run on one thread.
	if grain := max(1, bmmGrain/max(m*n*k, 1)); splits(l.size, grain) {
		var z T
		if _, f32 := any(z).(float32); f32 {
			any(&bmmLoop32).(*parallel.Loop[bmmArgs[T]]).For(l.size, grain, args)
		} else {
			any(&bmmLoop64).(*parallel.Loop[bmmArgs[T]]).For(l.size, grain, args)
		}
		return
	}
	args.Range(0, l.size)
}

// bmmGrain is the least work, in multiply-adds, of a chunk of a batched
// product: about 15 µs of one core, as the GEMM's minChunkFlops.
const bmmGrain = 1 << 20

// bmmArgs is a batched product's work: Range computes the products of the
// output's batch elements [lo, hi), each with one call of the GEMM, the
// same call whichever chunk it falls in (so the same bits).
type bmmArgs[T blas.Float] struct {
	o         matMulOp
	out, a, b []T
	l         layout // of the batch dimensions: output, A, B
	m, n, k   int
}

func (x bmmArgs[T]) Range(lo, hi int) {
	am, bm, om := x.m*x.k, x.k*x.n, x.m*x.n
	for p := lo; p < hi; p++ {
		i0, i1 := x.l.at(p)
		ia, ib, io := i0*am, i1*bm, p*om
		blas.MatMul(x.o.transA, x.o.transB, x.m, x.n, x.k, x.a[ia:ia+am], x.b[ib:ib+bm], x.out[io:io+om])
	}
}

var (
	bmmLoop32 parallel.Loop[bmmArgs[float32]]
	bmmLoop64 parallel.Loop[bmmArgs[float64]]
)

// Backward: with C = op(A) op(B) and G = dL/dC, dA = G op(B)ᵀ (or its
// transpose when A is transposed), dB = op(A)ᵀ G (likewise), each summed
// over the batch dimensions its operand was broadcast on. A batched A
// times a matrix B gets dB from one product over all of A's rows.
func (o matMulOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	A, B := in[0], in[1]
	var da, db *Sym
	if o.transA {
		da = b.Op(matMulOp{transA: o.transB, transB: true}, B, g)
	} else {
		da = b.Op(matMulOp{transB: !o.transB}, g, B)
	}
	if o.collapses(A.typ.Shape, B.typ.Shape) {
		sa, sg := A.typ.Shape, g.typ.Shape
		a2 := b.Reshape(A, Shape{sa.Size() / sa[len(sa)-1], sa[len(sa)-1]})
		g2 := b.Reshape(g, Shape{sg.Size() / sg[len(sg)-1], sg[len(sg)-1]})
		if o.transB {
			db = b.Op(matMulOp{transA: true}, g2, a2)
		} else {
			db = b.Op(matMulOp{transA: true}, a2, g2)
		}
	} else if o.transB {
		db = b.Op(matMulOp{transA: true, transB: o.transA}, g, A)
	} else {
		db = b.Op(matMulOp{transA: !o.transA}, A, g)
	}
	return []*Sym{b.SumTo(da, A.typ.Shape), b.SumTo(db, B.typ.Shape)}, b.Err()
}

// MatMulTransB returns a @ bᵀ, bᵀ b with its last two dimensions swapped,
// without materialising the transpose (attention's q @ kᵀ).
func MatMulTransB(a, b *Node) *Node { return Apply(matMulOp{transB: true}, a, b) }
