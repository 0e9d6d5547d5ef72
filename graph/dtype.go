package graph

import (
	"fmt"
	"unsafe"

	"gorgonia.org/tensor"
)

// DType is the element type of a tensor.
type DType uint8

// The element types descent computes with. Float32 and Float64 hold values
// and gradients; Int holds class labels, which are never differentiated.
const (
	Float32 DType = iota + 1
	Float64
	Int
)

// String returns "float32", "float64" or "int".
func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Int:
		return "int"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// size is the bytes of one element.
func (d DType) size() int {
	if d == Float32 {
		return 4
	}
	return 8
}

// IsFloat reports whether d is Float32 or Float64.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 }

// ParseDType reads "float32"/"f32" or "float64"/"f64".
func ParseDType(s string) (DType, error) {
	switch s {
	case "float32", "f32":
		return Float32, nil
	case "float64", "f64":
		return Float64, nil
	}
	return 0, fmt.Errorf("graph: ParseDType: unknown dtype %q (want float32 or float64)", s)
}

func (d DType) tensorDtype() tensor.Dtype {
	switch d {
	case Float32:
		return tensor.Float32
	case Float64:
		return tensor.Float64
	}
	return tensor.Int
}

// Float is the constraint of the generic numeric kernels.
type Float interface{ ~float32 | ~float64 }

// Floats returns t's elements as []T without copying. T must match t's
// dtype: Floats[float32] of a Float64 tensor is an error wrapping ErrDType.
func Floats[T Float](t *Tensor) ([]T, error) {
	var z T
	switch any(z).(type) {
	case float32:
		if t.dtype != Float32 {
			return nil, t.wrongDType("Floats[float32]", Float32)
		}
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(t.f32))), len(t.f32)), nil
	default:
		if t.dtype != Float64 {
			return nil, t.wrongDType("Floats[float64]", Float64)
		}
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(t.f64))), len(t.f64)), nil
	}
}
