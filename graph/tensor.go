package graph

import (
	"fmt"
	"math"
)

// Tensor is a dense, row-major array of float32, float64 or int values.
// Parameters, batches, outputs and gradients are all Tensors. A Tensor
// returned by a Program or a Param shares memory with it: copy it (Clone)
// to keep it past the next step.
type Tensor struct {
	shape Shape
	dtype DType
	f32   []float32
	f64   []float64
	ints  []int
}

// NewTensor returns a zeroed tensor of the given dtype and shape.
func NewTensor(dt DType, shape ...int) (*Tensor, error) {
	s := Shape(shape).Clone()
	if err := validShape(s, false); err != nil {
		return nil, fmt.Errorf("graph: NewTensor: %w: %v", ErrShape, err)
	}
	t := &Tensor{shape: s, dtype: dt}
	switch dt {
	case Float32:
		t.f32 = make([]float32, s.Size())
	case Float64:
		t.f64 = make([]float64, s.Size())
	case Int:
		t.ints = make([]int, s.Size())
	default:
		return nil, fmt.Errorf("graph: NewTensor: %w: %v", ErrDType, dt)
	}
	return t, nil
}

// mustTensor is NewTensor for shapes the package has already validated.
func mustTensor(dt DType, s Shape) *Tensor {
	t := &Tensor{shape: s.Clone(), dtype: dt}
	n := s.Size()
	switch dt {
	case Float32:
		t.f32 = make([]float32, n)
	case Float64:
		t.f64 = make([]float64, n)
	default:
		t.ints = make([]int, n)
	}
	return t
}

// FromFloat32 wraps data (not copied) as a tensor of the given shape.
func FromFloat32(data []float32, shape ...int) (*Tensor, error) {
	if err := checkLen("FromFloat32", len(data), shape); err != nil {
		return nil, err
	}
	return &Tensor{shape: Shape(shape).Clone(), dtype: Float32, f32: data}, nil
}

// FromFloat64 wraps data (not copied) as a tensor of the given shape.
func FromFloat64(data []float64, shape ...int) (*Tensor, error) {
	if err := checkLen("FromFloat64", len(data), shape); err != nil {
		return nil, err
	}
	return &Tensor{shape: Shape(shape).Clone(), dtype: Float64, f64: data}, nil
}

// FromInts wraps data (not copied) as an Int tensor, for class labels.
func FromInts(data []int, shape ...int) (*Tensor, error) {
	if err := checkLen("FromInts", len(data), shape); err != nil {
		return nil, err
	}
	return &Tensor{shape: Shape(shape).Clone(), dtype: Int, ints: data}, nil
}

// FromFloat64s converts data to dtype dt (Float32 or Float64), copying it.
func FromFloat64s(dt DType, data []float64, shape ...int) (*Tensor, error) {
	if err := checkLen("FromFloat64s", len(data), shape); err != nil {
		return nil, err
	}
	t := &Tensor{shape: Shape(shape).Clone(), dtype: dt}
	switch dt {
	case Float32:
		t.f32 = make([]float32, len(data))
		for i, v := range data {
			t.f32[i] = float32(v)
		}
	case Float64:
		t.f64 = append([]float64(nil), data...)
	case Int:
		t.ints = make([]int, len(data))
		for i, v := range data {
			t.ints[i] = int(v)
		}
	default:
		return nil, fmt.Errorf("graph: FromFloat64s: %w: %v", ErrDType, dt)
	}
	return t, nil
}

func checkLen(fn string, n int, shape []int) error {
	s := Shape(shape)
	if err := validShape(s, false); err != nil {
		return fmt.Errorf("graph: %s: %w: %v", fn, ErrShape, err)
	}
	if s.Size() != n {
		return fmt.Errorf("graph: %s: %w: %d values for shape %v (want %d)", fn, ErrShape, n, s, s.Size())
	}
	return nil
}

// Shape returns the tensor's shape. Do not modify it.
func (t *Tensor) Shape() Shape { return t.shape }

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Len returns the number of elements.
func (t *Tensor) Len() int {
	switch t.dtype {
	case Float32:
		return len(t.f32)
	case Float64:
		return len(t.f64)
	}
	return len(t.ints)
}

// Float32s returns the backing slice of a Float32 tensor (shared, not
// copied); for another dtype it returns an error wrapping ErrDType.
func (t *Tensor) Float32s() ([]float32, error) {
	if t.dtype != Float32 {
		return nil, t.wrongDType("Float32s", Float32)
	}
	return t.f32, nil
}

// Float64s returns the backing slice of a Float64 tensor (shared, not
// copied); for another dtype it returns an error wrapping ErrDType.
func (t *Tensor) Float64s() ([]float64, error) {
	if t.dtype != Float64 {
		return nil, t.wrongDType("Float64s", Float64)
	}
	return t.f64, nil
}

// Ints returns the backing slice of an Int tensor (shared, not copied);
// for another dtype it returns an error wrapping ErrDType.
func (t *Tensor) Ints() ([]int, error) {
	if t.dtype != Int {
		return nil, t.wrongDType("Ints", Int)
	}
	return t.ints, nil
}

func (t *Tensor) wrongDType(fn string, want DType) error {
	return fmt.Errorf("graph: Tensor.%s: %w: the tensor is %v%v (want %v)", fn, ErrDType, t.dtype, t.shape, want)
}

// At returns element i of the flattened tensor as a float64.
func (t *Tensor) At(i int) float64 {
	switch t.dtype {
	case Float32:
		return float64(t.f32[i])
	case Float64:
		return t.f64[i]
	}
	return float64(t.ints[i])
}

// Set stores v at flattened index i, rounding to the tensor's dtype.
func (t *Tensor) Set(i int, v float64) {
	switch t.dtype {
	case Float32:
		t.f32[i] = float32(v)
	case Float64:
		t.f64[i] = v
	default:
		t.ints[i] = int(v)
	}
}

// Values returns a float64 copy of the elements.
func (t *Tensor) Values() []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		out[i] = t.At(i)
	}
	return out
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{shape: t.shape.Clone(), dtype: t.dtype}
	switch t.dtype {
	case Float32:
		c.f32 = append([]float32(nil), t.f32...)
	case Float64:
		c.f64 = append([]float64(nil), t.f64...)
	default:
		c.ints = append([]int(nil), t.ints...)
	}
	return c
}

// CopyFrom copies src's elements into t; shapes and dtypes must match.
func (t *Tensor) CopyFrom(src *Tensor) error {
	if t.dtype != src.dtype {
		return fmt.Errorf("graph: Tensor.CopyFrom: %w: got %v (want %v)", ErrDType, src.dtype, t.dtype)
	}
	if !t.shape.Equal(src.shape) {
		return fmt.Errorf("graph: Tensor.CopyFrom: %w: got %v (want %v)", ErrShape, src.shape, t.shape)
	}
	copy(t.f32, src.f32)
	copy(t.f64, src.f64)
	copy(t.ints, src.ints)
	return nil
}

// Zero sets every element to 0.
func (t *Tensor) Zero() {
	clear(t.f32)
	clear(t.f64)
	clear(t.ints)
}

// Fill sets every element to v.
func (t *Tensor) Fill(v float64) {
	for i := range t.f32 {
		t.f32[i] = float32(v)
	}
	for i := range t.f64 {
		t.f64[i] = v
	}
	for i := range t.ints {
		t.ints[i] = int(v)
	}
}

// Scalar returns the single element of a one-element tensor.
func (t *Tensor) Scalar() float64 {
	if t.Len() != 1 {
		return math.NaN()
	}
	return t.At(0)
}

// String prints the shape, dtype and up to 8 values.
func (t *Tensor) String() string {
	n := t.Len()
	show := min(n, 8)
	vals := make([]float64, show)
	for i := range vals {
		vals[i] = t.At(i)
	}
	more := ""
	if n > show {
		more = " ..."
	}
	return fmt.Sprintf("%v %v %v%s", t.dtype, t.shape, vals, more)
}

// view returns a tensor sharing t's memory with another shape of the same size.
func (t *Tensor) view(s Shape) *Tensor {
	return &Tensor{shape: s, dtype: t.dtype, f32: t.f32, f64: t.f64, ints: t.ints}
}
