package data

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// Dataset is a set of N examples held in two tensors.
//
// X is [N, features...]: Float32 or Float64 features, or Int ids (token
// sequences, user and item ids). Y holds the targets: for classification
// (Classes > 0) an Int tensor [N] of labels in 0..Classes-1; for
// regression (Classes == 0) a float tensor [N, k].
type Dataset struct {
	Name    string
	X       *graph.Tensor
	Y       *graph.Tensor
	Classes int

	// Sequence marks X as Int token sequences [N, T] padded at the end
	// with token 0: a Batcher trims each batch to its longest sequence.
	Sequence bool
	// Inputs holds more per-example tensors by name, each [N, ...] of any
	// dtype: masks, example weights, a second input of a model. They are
	// batched with X and Y and fed to the graph inputs of the same names
	// (train.Inputs). "x" and "y" are X's and Y's names. In a sequence set,
	// an input [N, T, ...] with X's T is trimmed with X.
	Inputs map[string]*graph.Tensor
	// Categories names the ids of each column of an Int X [N, k] when the
	// source had names (a ratings file's users and items); may be nil.
	Categories [][]string

	// FeatureNames names the columns of a two-dimensional X (CSV); may be nil.
	FeatureNames []string
	// ClassNames names the classes when the source had named labels (CSV);
	// label i is ClassNames[i]. May be nil.
	ClassNames []string
}

// NewDataset checks x, y and classes against the rules of Dataset and
// returns a Dataset holding them (not copied).
func NewDataset(name string, x, y *graph.Tensor, classes int) (*Dataset, error) {
	d := &Dataset{Name: name, X: x, Y: y, Classes: classes}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// Validate checks the shapes, dtypes and labels of d.
func (d *Dataset) Validate() error {
	const fn = "Dataset.Validate"
	if d == nil || d.X == nil || d.Y == nil {
		return fmt.Errorf("data: %s: %w: nil dataset or tensor", fn, ErrFormat)
	}
	xs, ys := d.X.Shape(), d.Y.Shape()
	if d.X.DType() != graph.Float32 && d.X.DType() != graph.Float64 && d.X.DType() != graph.Int {
		return fmt.Errorf("data: %s: %w: X dtype %v (want float32, float64 or int)", fn, ErrFormat, d.X.DType())
	}
	if d.Sequence && (d.X.DType() != graph.Int || xs.Rank() != 2) {
		return fmt.Errorf("data: %s: %w: a sequence set's X is %v %v (want int [N, T] tokens)", fn, ErrFormat, d.X.DType(), xs)
	}
	if xs.Rank() < 2 {
		return fmt.Errorf("data: %s: %w: X shape %v (want [N, features...])", fn, ErrFormat, xs)
	}
	n := xs[0]
	switch {
	case d.Classes < 0:
		return fmt.Errorf("data: %s: %w: Classes %d (want >= 0)", fn, ErrFormat, d.Classes)
	case d.Classes > 0:
		if d.Y.DType() != graph.Int || ys.Rank() != 1 || ys[0] != n {
			return fmt.Errorf("data: %s: %w: Y is %v %v (want int [%d] labels)", fn, ErrFormat, d.Y.DType(), ys, n)
		}
		for i, l := range ints(d.Y) {
			if l < 0 || l >= d.Classes {
				return fmt.Errorf("data: %s: %w: label %d of example %d is out of range (want 0..%d)",
					fn, ErrFormat, l, i, d.Classes-1)
			}
		}
	default:
		if !d.Y.DType().IsFloat() || (d.X.DType().IsFloat() && d.Y.DType() != d.X.DType()) || ys.Rank() != 2 || ys[0] != n {
			want := d.X.DType().String()
			if !d.X.DType().IsFloat() {
				want = "float"
			}
			return fmt.Errorf("data: %s: %w: Y is %v %v (want %s [%d, k] regression targets)",
				fn, ErrFormat, d.Y.DType(), ys, want, n)
		}
	}
	if d.FeatureNames != nil && (xs.Rank() != 2 || len(d.FeatureNames) != xs[1]) {
		return fmt.Errorf("data: %s: %w: %d feature names for X shape %v", fn, ErrFormat, len(d.FeatureNames), xs)
	}
	if d.ClassNames != nil && len(d.ClassNames) != d.Classes {
		return fmt.Errorf("data: %s: %w: %d class names (want Classes = %d)", fn, ErrFormat, len(d.ClassNames), d.Classes)
	}
	for name, t := range d.Inputs {
		switch {
		case name == "" || name == "x" || name == "y":
			return fmt.Errorf("data: %s: %w: input name %q (want a name other than \"\", \"x\" and \"y\")", fn, ErrFormat, name)
		case t == nil || t.Shape().Rank() < 1 || t.Shape()[0] != n:
			var s graph.Shape
			if t != nil {
				s = t.Shape()
			}
			return fmt.Errorf("data: %s: %w: input %q has shape %v (want [%d, ...], a row per example)", fn, ErrFormat, name, s, n)
		}
	}
	return nil
}

// Len returns the number of examples N.
func (d *Dataset) Len() int { return d.X.Shape()[0] }

// Features returns the number of values per example in X (the product of
// X's dimensions after the first: 784 for MNIST).
func (d *Dataset) Features() int { return rowLen(d.X) }

// Targets returns the number of values per example in Y: 1 for labels,
// k for regression targets [N, k].
func (d *Dataset) Targets() int { return rowLen(d.Y) }

// Subset returns a new dataset holding copies of the examples idx, in that
// order. Indices may repeat (bootstrap samples); idx must not be empty.
func (d *Dataset) Subset(idx []int) (*Dataset, error) {
	const fn = "Dataset.Subset"
	if len(idx) == 0 {
		return nil, invalid(fn, "no indices (want at least one)")
	}
	n := d.Len()
	for i, j := range idx {
		if j < 0 || j >= n {
			return nil, invalid(fn, "index %d at position %d is out of range (want 0..%d)", j, i, n-1)
		}
	}
	x, err := rowsLike(d.X, len(idx))
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", fn, err)
	}
	y, err := rowsLike(d.Y, len(idx))
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", fn, err)
	}
	gather(x, d.X, idx)
	gather(y, d.Y, idx)
	out := *d
	out.X, out.Y = x, y
	if d.Inputs != nil {
		out.Inputs = make(map[string]*graph.Tensor, len(d.Inputs))
		for name, t := range d.Inputs {
			r, err := rowsLike(t, len(idx))
			if err != nil {
				return nil, fmt.Errorf("data: %s: input %q: %w", fn, name, err)
			}
			gather(r, t, idx)
			out.Inputs[name] = r
		}
	}
	return &out, nil
}

// Clone returns a deep copy of d.
func (d *Dataset) Clone() *Dataset {
	out := *d
	out.X, out.Y = d.X.Clone(), d.Y.Clone()
	if d.Inputs != nil {
		out.Inputs = make(map[string]*graph.Tensor, len(d.Inputs))
		for name, t := range d.Inputs {
			out.Inputs[name] = t.Clone()
		}
	}
	out.Categories = nil
	for _, c := range d.Categories {
		out.Categories = append(out.Categories, append([]string(nil), c...))
	}
	out.FeatureNames = append([]string(nil), d.FeatureNames...)
	out.ClassNames = append([]string(nil), d.ClassNames...)
	if d.FeatureNames == nil {
		out.FeatureNames = nil
	}
	if d.ClassNames == nil {
		out.ClassNames = nil
	}
	return &out
}

// rowLen is the number of elements per example (row) of t.
func rowLen(t *graph.Tensor) int {
	s := t.Shape()
	n := 1
	for _, d := range s[1:] {
		n *= d
	}
	return n
}

// rowsLike returns a zeroed tensor shaped like t with n rows.
func rowsLike(t *graph.Tensor, n int) (*graph.Tensor, error) {
	s := t.Shape().Clone()
	s[0] = n
	return graph.NewTensor(t.DType(), s...)
}

// gather copies rows idx of src into rows 0..len(idx)-1 of dst; both have
// the same dtype and row length. It does not allocate.
func gather(dst, src *graph.Tensor, idx []int) {
	w := rowLen(src)
	switch src.DType() {
	case graph.Float32:
		gatherRows(f32s(dst), f32s(src), idx, w)
	case graph.Float64:
		gatherRows(f64s(dst), f64s(src), idx, w)
	default:
		gatherRows(ints(dst), ints(src), idx, w)
	}
}

func gatherRows[T any](dst, src []T, idx []int, w int) {
	if w == 1 {
		for i, j := range idx {
			dst[i] = src[j]
		}
		return
	}
	for i, j := range idx {
		copy(dst[i*w:(i+1)*w], src[j*w:(j+1)*w])
	}
}

// floatDType resolves a caller's dtype: the zero value selects Float32.
func floatDType(fn string, dt graph.DType) (graph.DType, error) {
	if dt == 0 {
		return graph.Float32, nil
	}
	if !dt.IsFloat() {
		return 0, invalid(fn, "dtype %v (want float32 or float64)", dt)
	}
	return dt, nil
}

// floatTensor converts row-major float64 values to a tensor of dtype dt.
func floatTensor(dt graph.DType, vals []float64, shape ...int) (*graph.Tensor, error) {
	if dt == graph.Float64 {
		return graph.FromFloat64(vals, shape...)
	}
	return graph.FromFloat64s(dt, vals, shape...)
}

// f32s, f64s and ints return a tensor's backing slice for callers that
// have switched on its dtype already (the accessors' dtype error cannot
// happen there).
func f32s(t *graph.Tensor) []float32 { v, _ := t.Float32s(); return v }
func f64s(t *graph.Tensor) []float64 { v, _ := t.Float64s(); return v }
func ints(t *graph.Tensor) []int     { v, _ := t.Ints(); return v }
