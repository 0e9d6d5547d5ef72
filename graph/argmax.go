package graph

import (
	"fmt"
	"math"
	"sort"
)

// Argmax returns the Int index of the largest element along axis (the
// first one on ties; a NaN counts as largest), dropping the axis
// (torch.argmax). It has no gradient.
func Argmax(x *Node, axis int) *Node { return Apply(argOp{axis: axis}, x) }

// Argmin returns the Int index of the smallest element along axis (the
// first on ties).
func Argmin(x *Node, axis int) *Node { return Apply(argOp{axis: axis, min: true}, x) }

// TopK returns the k largest elements of x along axis, in descending
// order (ties by lower index first), and their Int indices (torch.topk).
// The values' gradient goes back to the chosen elements.
func TopK(x *Node, k, axis int) (values, indices *Node) {
	if x == nil || x.failed || x.g == nil {
		f := failNode(x, "TopK", fmt.Errorf("%w: nil input", ErrGraph))
		return f, f
	}
	indices = Apply(topKOp{k: k, axis: axis}, x)
	return Gather(x, axis, indices), indices
}

// Accuracy returns the fraction of rows whose largest logit (along the
// last axis) is the label: a float scalar with no gradient. logits [..., C],
// labels Int [...].
func Accuracy(logits, labels *Node) *Node { return TopKAccuracy(logits, labels, 1) }

// TopKAccuracy returns the fraction of rows whose label is among the k
// largest logits (along the last axis).
func TopKAccuracy(logits, labels *Node, k int) *Node {
	if logits == nil || logits.failed || logits.g == nil {
		return failNode(logits, "TopKAccuracy", fmt.Errorf("%w: nil input", ErrGraph))
	}
	return Apply(accuracyOp{k: k, dtype: logits.g.dtype}, logits, labels)
}

type argOp struct {
	axis int
	min  bool
}

func (o argOp) String() string {
	if o.min {
		return fmt.Sprintf("Argmin(%d)", o.axis)
	}
	return fmt.Sprintf("Argmax(%d)", o.axis)
}

func (o argOp) Infer(in []Type) (Type, error) {
	if !in[0].DType.IsFloat() {
		return Type{}, dtypeErr("operand is %v (want float)", in[0].DType)
	}
	a, err := axis(o.axis, in[0].Shape.Rank())
	if err != nil {
		return Type{}, err
	}
	return Type{DType: Int, Shape: reducedShape(in[0].Shape, []int{a}, false)}, nil
}

func (o argOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	x := in[0]
	a, _ := axis(o.axis, len(x.shape))
	outer, n, inner, _ := blocks(x.shape, []int{a})
	for p := 0; p < outer; p++ {
		for i := 0; i < inner; i++ {
			best, arg := x.At(p*n*inner+i), 0
			for k := 1; k < n; k++ {
				v := x.At((p*n+k)*inner + i)
				if best != best {
					break
				}
				if v != v || (!o.min && v > best) || (o.min && v < best) {
					best, arg = v, k
				}
			}
			out.ints[p*inner+i] = arg
		}
	}
	return nil
}

type topKOp struct{ k, axis int }

func (o topKOp) String() string { return fmt.Sprintf("TopK(%d, axis %d)", o.k, o.axis) }

func (o topKOp) Infer(in []Type) (Type, error) {
	if !in[0].DType.IsFloat() {
		return Type{}, dtypeErr("operand is %v (want float)", in[0].DType)
	}
	a, err := axis(o.axis, in[0].Shape.Rank())
	if err != nil {
		return Type{}, err
	}
	if d := in[0].Shape[a]; o.k <= 0 || (d >= 0 && o.k > d) {
		return Type{}, shapeErr("k = %d along a dimension of %s (want 1..size)", o.k, dimName(d))
	}
	s := in[0].Shape.Clone()
	s[a] = o.k
	return Type{DType: Int, Shape: s}, nil
}

func (o topKOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	x := in[0]
	a, _ := axis(o.axis, len(x.shape))
	outer, n, inner, _ := blocks(x.shape, []int{a})
	order := make([]int, n)
	for p := 0; p < outer; p++ {
		for i := 0; i < inner; i++ {
			for k := range order {
				order[k] = k
			}
			at := func(k int) float64 { return x.At((p*n+k)*inner + i) }
			sort.SliceStable(order, func(u, v int) bool {
				a, b := at(order[u]), at(order[v])
				return (math.IsNaN(a) && !math.IsNaN(b)) || a > b // NaN counts as largest, as in torch
			})
			for k := 0; k < o.k; k++ {
				out.ints[(p*o.k+k)*inner+i] = order[k]
			}
		}
	}
	return nil
}

type accuracyOp struct {
	k     int
	dtype DType
}

func (o accuracyOp) String() string { return fmt.Sprintf("TopKAccuracy(%d)", o.k) }

func (o accuracyOp) Infer(in []Type) (Type, error) {
	l, y := in[0], in[1]
	if !l.DType.IsFloat() || y.DType != Int {
		return Type{}, dtypeErr("logits %v and labels %v (want float and Int)", l.DType, y.DType)
	}
	if l.Shape.Rank() != y.Shape.Rank()+1 {
		return Type{}, shapeErr("logits %v and labels %v (want [..., C] and [...])", l.Shape, y.Shape)
	}
	if c := l.Shape[l.Shape.Rank()-1]; o.k <= 0 || (c >= 0 && o.k > c) {
		return Type{}, shapeErr("k = %d of %s classes", o.k, dimName(c))
	}
	return Type{DType: o.dtype, Shape: Shape{}}, nil
}

func (o accuracyOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	l, y := in[0], in[1]
	c := l.shape[len(l.shape)-1]
	hits := 0
	for r, label := range y.ints {
		if label < 0 || label >= c {
			return fmt.Errorf("label %d of row %d is outside 0..%d", label, r, c-1)
		}
		v := l.At(r*c + label)
		above := 0 // logits strictly above the label's, or equal at a lower index
		for j := 0; j < c; j++ {
			w := l.At(r*c + j)
			if w > v || (w == v && j < label) {
				above++
			}
		}
		if above < o.k {
			hits++
		}
	}
	out.Set(0, float64(hits)/float64(max(len(y.ints), 1)))
	return nil
}
