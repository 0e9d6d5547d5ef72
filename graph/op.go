package graph

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math/rand/v2"
	"sync/atomic"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Mode selects training or evaluation behaviour of ops such as batch norm
// and dropout.
type Mode uint8

const (
	// Train: batch statistics, dropout active, running statistics updated.
	Train Mode = iota
	// Eval: running statistics, dropout off, nothing updated.
	Eval
)

func (m Mode) String() string {
	if m == Eval {
		return "eval"
	}
	return "train"
}

// Op is an operation on tensors: descent's extension point. The builders
// in this package and in ops/ are Ops; user code can write its own and add
// it with Apply.
//
// Infer is called when the graph is built, with shapes that may hold Batch
// for the batch dimension, and again for each compiled batch shape with
// concrete shapes. It must validate its inputs: the executor trusts it.
// Forward writes the result into out, which Infer's shape and dtype
// describe; it must not keep references to its inputs between calls.
type Op interface {
	fmt.Stringer
	Infer(in []Type) (Type, error)
	Forward(ctx *Context, out *Tensor, in []*Tensor) error
}

// Differentiable is an Op with a gradient. Backward builds, from the ops
// of the compiled program, the gradient of each input given the gradient of
// the output (same shape as the output); it returns nil for an input
// without a gradient (Int inputs always). gorgonia.Grad calls it.
type Differentiable interface {
	Op
	Backward(b *Builder, in []*Sym, out, grad *Sym) ([]*Sym, error)
}

// Lowerer is an Op whose behaviour depends on the mode or that keeps
// per-program state (saved batch statistics, dropout masks). Lower returns
// a fresh op to run in one compiled program of that mode, or nil when the
// op is the identity in that mode (its input 0 passes through).
type Lowerer interface {
	Lower(mode Mode) Op
}

// Viewer is an Op whose output has input 0's elements in the same order
// (reshape): the executor gives it input 0's memory and never calls Forward.
type Viewer interface {
	IsView() bool
}

// Context is what Forward sees of the running program.
type Context struct {
	Mode Mode
	Rand *rand.Rand // the graph's seeded stream (dropout masks)
}

// Sym is a node of a compiled program: what Backward works with.
type Sym struct {
	n   *gorgonia.Node
	typ Type
}

// Type returns the symbol's dtype and concrete shape.
func (s *Sym) Type() Type { return s.typ }

// Shape returns the symbol's concrete shape.
func (s *Sym) Shape() Shape { return s.typ.Shape }

// Builder adds ops to a program being compiled; Backward receives one.
type Builder struct {
	eg   *gorgonia.ExprGraph
	mode Mode
	rng  *rand.Rand
	dims *dimEnv // sizes of the open dimensions of the program
	err  error   // the first error of a helper (see Err)
	// symErr is the last error a Backward returned to gorgonia.Grad.
	symErr error
}

// Mode returns the mode of the program being compiled.
func (b *Builder) Mode() Mode { return b.mode }

// Apply adds op on the inputs to the compiled program.
func (b *Builder) Apply(op Op, in ...*Sym) (*Sym, error) {
	types := make([]Type, len(in))
	nodes := make([]*gorgonia.Node, len(in))
	for i, s := range in {
		if s == nil {
			return nil, fmt.Errorf("graph: %v: nil input %d: %w", op, i, ErrGraph)
		}
		types[i], nodes[i] = s.typ, s.n
	}
	out, err := op.Infer(types)
	if err != nil {
		return nil, &OpError{Op: op.String(), Err: err}
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("graph: %v: an op needs at least one input: %w", op, ErrGraph)
	}
	n, err := gorgonia.ApplyOp(&gop{op: op, b: b, in: types, out: out, id: nextOpID.Add(1)}, nodes...)
	if err != nil {
		return nil, fmt.Errorf("graph: %v: %w", op, err)
	}
	return &Sym{n: n, typ: out}, nil
}

func symOf(n *gorgonia.Node) *Sym {
	return &Sym{n: n, typ: Type{DType: fromTensorDtype(n.Dtype()), Shape: Shape(n.Shape()).Clone()}}
}

func fromTensorDtype(dt tensor.Dtype) DType {
	switch dt {
	case tensor.Float32:
		return Float32
	case tensor.Float64:
		return Float64
	}
	return Int
}

func hmType(t Type) hm.Type {
	if len(t.Shape) == 0 {
		return t.DType.tensorDtype()
	}
	return gorgonia.TensorType{Dims: len(t.Shape), Of: t.DType.tensorDtype()}
}

// nextOpID makes every op node of a compiled program unique, so gorgonia's
// hash-consing never merges two ops (stateful ops must stay apart).
var nextOpID atomic.Uint64

// gop adapts an Op to gorgonia.Op (and gorgonia.SDOp for Differentiable
// ops), with the types fixed at compile time.
type gop struct {
	op  Op
	b   *Builder
	in  []Type
	out Type
	id  uint64
}

func (o *gop) Arity() int { return len(o.in) }

func (o *gop) Type() hm.Type {
	ts := make([]hm.Type, 0, len(o.in)+1)
	for _, t := range o.in {
		ts = append(ts, hmType(t))
	}
	return hm.NewFnType(append(ts, hmType(o.out))...)
}

func (o *gop) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape(o.out.Shape.Clone()), nil
}

// Do lets gorgonia's own machines run the op; descent's executor calls
// Forward directly.
func (o *gop) Do(vals ...gorgonia.Value) (v gorgonia.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("graph: %v: %w: panic: %v", o.op, ErrRun, r)
		}
	}()
	in := make([]*Tensor, len(vals))
	for i, x := range vals {
		if in[i], err = fromValue(x, o.in[i].Shape); err != nil {
			return nil, err
		}
	}
	out := mustTensor(o.out.DType, o.out.Shape)
	if viewer, ok := o.op.(Viewer); ok && viewer.IsView() {
		copy(out.f32, in[0].f32)
		copy(out.f64, in[0].f64)
		copy(out.ints, in[0].ints)
	} else if err := o.op.Forward(&Context{Mode: o.b.mode, Rand: o.b.rng}, out, in); err != nil {
		return nil, err
	}
	return toValue(out), nil
}

func (o *gop) ReturnsPtr() bool     { return false }
func (o *gop) CallsExtern() bool    { return false }
func (o *gop) OverwritesInput() int { return -1 }
func (o *gop) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "descent.%v#%d", o.op, o.id)
}
func (o *gop) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}
func (o *gop) String() string { return o.op.String() }

func (o *gop) DiffWRT(n int) []bool {
	out := make([]bool, n)
	if _, ok := o.op.(Differentiable); !ok {
		return out
	}
	for i := range out {
		out[i] = i < len(o.in) && o.in[i].DType.IsFloat()
	}
	return out
}

func (o *gop) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	d, ok := o.op.(Differentiable)
	if !ok {
		return nil, fmt.Errorf("graph: %v has no gradient", o.op)
	}
	in := make([]*Sym, len(inputs))
	for i, n := range inputs {
		in[i] = symOf(n)
	}
	gs, err := d.Backward(o.b, in, symOf(output), symOf(grad))
	if err != nil {
		o.b.symErr = err // gorgonia wraps it in a type errors.Is cannot see through
		return nil, err
	}
	if len(gs) != len(inputs) {
		return nil, fmt.Errorf("graph: %v: Backward returned %d gradients (want %d)", o.op, len(gs), len(inputs))
	}
	diff := o.DiffWRT(len(inputs))
	out := make(gorgonia.Nodes, len(inputs))
	for i, s := range gs {
		if s == nil && diff[i] {
			if s, err = o.b.Apply(zerosLike{}, in[i]); err != nil {
				return nil, err
			}
		}
		if s != nil {
			if !s.typ.Shape.Equal(in[i].typ.Shape) {
				return nil, fmt.Errorf("graph: %v: gradient %d has shape %v (want %v)", o.op, i, s.typ.Shape, in[i].typ.Shape)
			}
			out[i] = s.n
		}
	}
	return out, nil
}

// zerosLike is the gradient of an input that an op does not differentiate.
type zerosLike struct{}

func (zerosLike) String() string                { return "ZerosLike" }
func (zerosLike) Infer(in []Type) (Type, error) { return in[0], nil }
func (zerosLike) Forward(_ *Context, out *Tensor, _ []*Tensor) error {
	out.Zero()
	return nil
}

// fromValue wraps a gorgonia value as a Tensor sharing its memory.
func fromValue(v gorgonia.Value, s Shape) (*Tensor, error) {
	switch x := v.(type) {
	case *gorgonia.F64:
		return &Tensor{dtype: Float64, shape: Shape{}, f64: []float64{float64(*x)}}, nil
	case *gorgonia.F32:
		return &Tensor{dtype: Float32, shape: Shape{}, f32: []float32{float32(*x)}}, nil
	case *tensor.Dense:
		switch d := x.Data().(type) {
		case []float32:
			return &Tensor{dtype: Float32, shape: s.Clone(), f32: d}, nil
		case []float64:
			return &Tensor{dtype: Float64, shape: s.Clone(), f64: d}, nil
		case []int:
			return &Tensor{dtype: Int, shape: s.Clone(), ints: d}, nil
		case float32:
			return &Tensor{dtype: Float32, shape: Shape{}, f32: []float32{d}}, nil
		case float64:
			return &Tensor{dtype: Float64, shape: Shape{}, f64: []float64{d}}, nil
		}
	}
	return nil, fmt.Errorf("graph: unsupported gorgonia value %T: %w", v, ErrDType)
}

// toValue wraps t as a gorgonia value sharing its memory.
func toValue(t *Tensor) gorgonia.Value {
	if len(t.shape) == 0 {
		switch t.dtype {
		case Float32:
			return (*gorgonia.F32)(&t.f32[0])
		case Float64:
			return (*gorgonia.F64)(&t.f64[0])
		}
	}
	var backing any
	switch t.dtype {
	case Float32:
		backing = t.f32
	case Float64:
		backing = t.f64
	default:
		backing = t.ints
	}
	shape := []int(t.shape)
	if len(shape) == 0 {
		shape = []int{1}
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))
}
