package graph

import (
	"fmt"
	"math/bits"
	"strings"
)

// Open dimensions. A graph is built once with some sizes left open and run
// on batches whose shapes bind them: a program is compiled for each
// combination of sizes it meets and cached. Open dimensions may stand at
// any position of an input's shape, and an input may have several.
const (
	// Unknown is a size that is not known while the graph is built (the
	// product of open dimensions after a Reshape, say); it is known when the
	// program is compiled. In Reshape it asks for the one size to infer, as
	// -1 does in PyTorch and NumPy.
	Unknown = -1
	// Batch is the batch size, printed "N".
	Batch = -2
	// Seq is a sequence length, printed "T".
	Seq = -3
)

// Open returns the k-th further open dimension (k >= 0), printed "D<k>",
// for inputs with more than a batch size and a sequence length bound at
// run time.
func Open(k int) int { return -4 - k }

// isOpen reports whether d is a named open dimension (Batch, Seq, Open(k)).
func isOpen(d int) bool { return d <= Batch }

// MaxElements is the largest number of elements a tensor may have
// (2^40, 4 TiB of float32): a size computed from user input past it is an
// ErrShape, never an allocation that fails or a product that overflows.
const MaxElements = 1 << 40

// dimName formats a dimension.
func dimName(d int) string {
	switch {
	case d >= 0:
		return fmt.Sprint(d)
	case d == Unknown:
		return "?"
	case d == Batch:
		return "N"
	case d == Seq:
		return "T"
	}
	return fmt.Sprintf("D%d", -4-d)
}

// Shape is the size of each dimension, row-major. The empty shape is a
// scalar. A dimension may be open (Batch, Seq, Open(k)) or Unknown while
// a graph is built; shapes of tensors are always concrete.
type Shape []int

// Size is the number of elements of a concrete shape; it is -1 when a
// dimension is open or unknown, or when the product exceeds MaxElements.
func (s Shape) Size() int {
	n, ok := s.size()
	if !ok {
		return -1
	}
	return n
}

// size returns the product of s's dimensions and whether it is concrete
// and at most MaxElements.
func (s Shape) size() (int, bool) {
	n := 1
	for _, d := range s {
		if d < 0 {
			return -1, false
		}
		var ok bool
		if n, ok = mulSize(n, d); !ok {
			return -1, false
		}
	}
	return n, true
}

// mulSize multiplies two sizes, reporting false past MaxElements.
func mulSize(a, b int) (int, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > MaxElements {
		return 0, false
	}
	return int(lo), true
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

// Symbolic reports whether any dimension is open or unknown.
func (s Shape) Symbolic() bool {
	for _, d := range s {
		if d < 0 {
			return true
		}
	}
	return false
}

// String formats s as [2 3], with N, T, D<k> for open dimensions and ? for
// unknown ones.
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = dimName(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// validShape checks the dimensions of a declared shape: positive sizes, or
// open dimensions where allowed (inputs), and at most MaxElements.
func validShape(s Shape, allowOpen bool) error {
	n := 1
	for i, d := range s {
		switch {
		case isOpen(d) && allowOpen:
			continue
		case d <= 0:
			want := "a positive size"
			if allowOpen {
				want += ", or an open dimension (Batch, Seq, Open(k))"
			}
			return fmt.Errorf("dimension %d is %s (want %s)", i, dimName(d), want)
		}
		var ok bool
		if n, ok = mulSize(n, d); !ok {
			return fmt.Errorf("shape %v has more than %d elements (want at most graph.MaxElements per tensor)", s, MaxElements)
		}
	}
	return nil
}

// axis normalises a possibly negative axis of a rank-r shape.
func axis(a, r int) (int, error) {
	if a < -r || a >= r {
		return 0, shapeErr("axis %d is out of range for rank %d (want %d..%d)", a, r, -r, r-1)
	}
	if a < 0 {
		a += r
	}
	return a, nil
}

// axisTable backs the "every axis" answer of axesFast (read only).
var axisTable = func() (t [64]int) {
	for i := range t {
		t[i] = i
	}
	return
}()

// axesFast is axesOf without allocating when the axes are already
// normalised (sorted, non-negative, in range) or empty: what the builders
// store, so an op's Forward calls it every step.
func axesFast(axes []int, r int) ([]int, error) {
	if len(axes) == 0 && r <= len(axisTable) {
		return axisTable[:r], nil
	}
	prev := -1
	for _, a := range axes {
		if a <= prev || a >= r {
			return axesOf(axes, r)
		}
		prev = a
	}
	return axes, nil
}

// axesOf normalises axes of a rank-r shape into a sorted set without
// repeats; no axes means all of them.
func axesOf(axes []int, r int) ([]int, error) {
	if len(axes) == 0 {
		out := make([]int, r)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	seen := make([]bool, r)
	for _, a := range axes {
		n, err := axis(a, r)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, shapeErr("axis %d is repeated in %v", a, axes)
		}
		seen[n] = true
	}
	var out []int
	for i, s := range seen {
		if s {
			out = append(out, i)
		}
	}
	return out, nil
}

// broadcastDim combines one dimension of two operands by NumPy's rules: equal
// sizes, or 1 against anything. An open or Unknown size against a concrete
// one takes the concrete size here and is checked when the program is
// compiled, where every size is known; two different open dimensions are
// an error (they name different sizes).
func broadcastDim(a, b int) (int, bool) {
	switch {
	case a == b:
		return a, true
	case a == 1:
		return b, true
	case b == 1:
		return a, true
	case a < 0 && b > 0:
		return b, true
	case b < 0 && a > 0:
		return a, true
	case a == Unknown || b == Unknown:
		return Unknown, true
	}
	return 0, false
}

// BroadcastShapes returns the shape NumPy and PyTorch give to an
// elementwise op on operands of shapes a and b: dimensions aligned from the
// right, each pair equal or one of them 1.
func BroadcastShapes(a, b Shape) (Shape, error) {
	r := max(len(a), len(b))
	out := make(Shape, r)
	for i := 1; i <= r; i++ {
		x, y := 1, 1
		if i <= len(a) {
			x = a[len(a)-i]
		}
		if i <= len(b) {
			y = b[len(b)-i]
		}
		d, ok := broadcastDim(x, y)
		if !ok {
			return nil, shapeErr("cannot broadcast %v with %v (dimension %s against %s: want equal sizes or 1)", a, b, dimName(x), dimName(y))
		}
		out[r-i] = d
	}
	return out, nil
}

// strides returns the row-major strides of a concrete shape.
func (s Shape) strides() []int {
	st := make([]int, len(s))
	n := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = n
		n *= s[i]
	}
	return st
}
