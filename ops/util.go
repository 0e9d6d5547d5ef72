package ops

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/descent-ml/descent/graph"
)

// ErrConfig: a hyperparameter is out of range (dropout p outside [0, 1),
// a negative eps or padding, a zero kernel, ...). Shape and dtype errors
// wrap graph.ErrShape and graph.ErrDType instead.
var ErrConfig = errors.New("bad configuration")

// Float is the element type of the generic kernels.
type Float interface{ float32 | float64 }

// HW is a pair of sizes for the height and width dimensions of an image.
type HW [2]int

// Both returns HW{n, n}.
func Both(n int) HW { return HW{n, n} }

func (s HW) String() string { return fmt.Sprintf("(%d, %d)", s[0], s[1]) }

// orDefault replaces zero components by def's.
func (s HW) orDefault(def HW) HW {
	for i := range s {
		if s[i] == 0 {
			s[i] = def[i]
		}
	}
	return s
}

// scratch is memory owned by one lowered op instance (one compiled
// program): it grows once, on the first run, and is reused afterwards.
type scratch struct {
	f32 []float32
	f64 []float64
}

// buf returns n elements of s as []T, allocating only when s is too small.
func buf[T Float](s *scratch, n int) []T {
	var z T
	switch any(z).(type) {
	case float32:
		if cap(s.f32) < n {
			s.f32 = make([]float32, n)
		}
		return any(s.f32[:n]).([]T)
	default:
		if cap(s.f64) < n {
			s.f64 = make([]float64, n)
		}
		return any(s.f64[:n]).([]T)
	}
}

// grow returns a float64 slice of length n, reusing *p when it is large enough.
func grow(p *[]float64, n int) []float64 {
	if cap(*p) < n {
		*p = make([]float64, n)
	}
	return (*p)[:n]
}

// data returns t's elements as []T (nil when t is nil).
func data[T Float](t *graph.Tensor) []T {
	if t == nil {
		return nil
	}
	v, _ := graph.Floats[T](t) // Infer has checked the dtypes of the op's inputs
	return v
}

func shapeErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{graph.ErrShape}, args...)...)
}

func dtypeErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{graph.ErrDType}, args...)...)
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// failOp records err in x's graph: graph.Apply keeps the first error of
// a graph (see graph.Graph.Err) and returns a failed node.
type failOp struct {
	name string
	err  error
}

func (o failOp) String() string                         { return o.name }
func (o failOp) Infer([]graph.Type) (graph.Type, error) { return graph.Type{}, o.err }
func (o failOp) Forward(*graph.Context, *graph.Tensor, []*graph.Tensor) error {
	return o.err
}

// fail returns a failed node carrying err in the graph of the first
// non-nil node of at.
func fail(name string, err error, at ...*graph.Node) *graph.Node {
	for _, n := range at {
		if n != nil {
			return graph.Apply(failOp{name: name, err: err}, n)
		}
	}
	return graph.Apply(failOp{name: name, err: err}) // no graph: a failed node
}

// apply is graph.Apply guarded against nil inputs (graph.Apply
// dereferences its first input): a nil input is an ErrGraph recorded in
// the graph of the other inputs.
func apply(op graph.Op, in ...*graph.Node) *graph.Node {
	for i, n := range in {
		if n == nil {
			return fail(op.String(), fmt.Errorf("%w: input %d is nil", graph.ErrGraph, i), in...)
		}
	}
	return graph.Apply(op, in...)
}

// notLowered is what a mode-dependent op's Forward returns: the executor
// always runs the op that Lower returns instead.
func notLowered(op fmt.Stringer) error {
	return fmt.Errorf("ops: %v: Forward called on an op that was not lowered (call Lower(mode) first)", op)
}

// sameFloat checks that every type is the same float dtype as the first.
func sameFloat(in []graph.Type) error {
	dt := in[0].DType
	if !dt.IsFloat() {
		return dtypeErr("input is %v (want float32 or float64)", dt)
	}
	for i, t := range in[1:] {
		if t.DType != dt {
			return dtypeErr("input %d is %v (want %v like input 0)", i+1, t.DType, dt)
		}
	}
	return nil
}

// dim formats a dimension, Batch as "N".
func dim(d int) string {
	if d == graph.Batch {
		return "N"
	}
	return fmt.Sprint(d)
}

// asBits views s as the bits of its values (U of T's size).
func asBits[T Float, U uint32 | uint64](s []T) []U {
	return unsafe.Slice((*U)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// zeroGrad is a zero gradient of its input's type.
type zeroGrad struct{}

func (zeroGrad) String() string                            { return "ZerosLike" }
func (zeroGrad) Infer(in []graph.Type) (graph.Type, error) { return in[0], nil }
func (zeroGrad) Forward(_ *graph.Context, out *graph.Tensor, _ []*graph.Tensor) error {
	out.Zero()
	return nil
}
