package graph

import (
	"fmt"
	"strings"
)

// Batch stands for the batch dimension of an input whose size is only
// known when a batch is bound. A program is compiled for each batch size
// it meets, once, and cached.
const Batch = -1

// Shape is the size of each dimension, row-major. The empty shape is a scalar.
type Shape []int

// Size is the number of elements; it is negative when a dimension is Batch.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Rank is the number of dimensions.
func (s Shape) Rank() int { return len(s) }

// Equal reports whether s and o have the same dimensions.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of s.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

// Symbolic reports whether any dimension is Batch.
func (s Shape) Symbolic() bool {
	for _, d := range s {
		if d == Batch {
			return true
		}
	}
	return false
}

// String formats s as [2 3] with "N" for the batch dimension.
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d == Batch {
			parts[i] = "N"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func validShape(s Shape, allowBatch bool) error {
	for i, d := range s {
		if d == Batch && allowBatch && i == 0 {
			continue
		}
		if d <= 0 {
			return fmt.Errorf("dimension %d is %d (want a positive size%s)", i, d,
				map[bool]string{true: ", or Batch for dimension 0", false: ""}[allowBatch])
		}
	}
	return nil
}
