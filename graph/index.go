package graph

import (
	"fmt"
	"slices"
)

// IndexSelect picks entries of x along axis by the Int tensor idx: the
// result's shape is x's with dimension axis replaced by idx's shape
// (torch.index_select for a vector idx; any idx shape here, so
// IndexSelect(table, 0, tokens) is an embedding lookup). The gradient is
// added back into the selected entries (scatter-add): repeated indices add
// up. An index out of range is a run-time error.
func IndexSelect(x *Node, axis int, idx *Node) *Node {
	return Apply(indexSelectOp{axis: axis, skip: -1}, x, idx)
}

// Embedding looks up rows of table [V, D] by the Int indices idx (any
// shape): the result is idx's shape + [D]. Rows equal to paddingIdx get no
// gradient (torch.nn.Embedding's padding_idx; -1 for none).
func Embedding(table, idx *Node, paddingIdx int) *Node {
	return Apply(indexSelectOp{axis: 0, skip: paddingIdx}, table, idx)
}

// Gather picks, along axis, x[..., idx[i...], ...] for every position of
// idx, which has x's rank (torch.gather): out[i][j][k] = x[i][idx[i][j][k]][k]
// for axis 1. The gradient is scattered back and added up.
func Gather(x *Node, axis int, idx *Node) *Node { return Apply(gatherOp{axis: axis}, x, idx) }

// OneHot returns a float tensor of idx's shape + [classes] with 1 at each
// index and 0 elsewhere, in the graph's dtype.
func OneHot(idx *Node, classes int) *Node {
	if idx == nil || idx.failed || idx.g == nil {
		return failNode(idx, "OneHot", fmt.Errorf("%w: nil input", ErrGraph))
	}
	return Apply(oneHotOp{classes: classes, dtype: idx.g.dtype}, idx)
}

type indexSelectOp struct {
	axis int
	skip int // an index whose entries get no gradient (-1: none)
}

func (o indexSelectOp) String() string { return fmt.Sprintf("IndexSelect(%d)", o.axis) }

func (o indexSelectOp) Infer(in []Type) (Type, error) {
	x, idx := in[0], in[1]
	if idx.DType != Int {
		return Type{}, dtypeErr("indices are %v (want Int)", idx.DType)
	}
	a, err := axis(o.axis, x.Shape.Rank())
	if err != nil {
		return Type{}, err
	}
	if o.skip >= 0 && x.Shape[a] >= 0 && o.skip >= x.Shape[a] {
		return Type{}, shapeErr("padding index %d of a dimension of %d", o.skip, x.Shape[a])
	}
	out := slices.Concat(x.Shape[:a], idx.Shape, x.Shape[a+1:])
	return Type{DType: x.DType, Shape: Shape(out).Clone()}, nil
}

// parts returns x as [outer, n, inner] around axis.
func (o indexSelectOp) parts(s Shape) (outer, n, inner int) {
	a, _ := axis(o.axis, len(s))
	outer, _, inner, _ = blocks(s, []int{a})
	return outer, s[a], inner
}

func (o indexSelectOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	x, idx := in[0], in[1]
	outer, n, inner := o.parts(x.shape)
	for _, i := range idx.ints {
		if i < 0 || i >= n {
			return fmt.Errorf("index %d is out of range (want 0..%d)", i, n-1)
		}
	}
	switch x.dtype {
	case Float32:
		selectRows(out.f32, x.f32, idx.ints, outer, n, inner)
	case Float64:
		selectRows(out.f64, x.f64, idx.ints, outer, n, inner)
	default:
		selectRows(out.ints, x.ints, idx.ints, outer, n, inner)
	}
	return nil
}

func selectRows[T any](out, x []T, idx []int, outer, n, inner int) {
	k := len(idx)
	for o := 0; o < outer; o++ {
		for j, i := range idx {
			copy(out[(o*k+j)*inner:(o*k+j+1)*inner], x[(o*n+i)*inner:(o*n+i+1)*inner])
		}
	}
}

func (o indexSelectOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	dx := b.Op(indexAddOp{sel: o, full: in[0].typ.Shape.Clone()}, g, in[1])
	return []*Sym{dx, nil}, b.Err()
}

// indexAddOp adds the rows of g into zeros of the selected tensor's shape
// at the indices (the gradient of IndexSelect); its gradient is IndexSelect.
type indexAddOp struct {
	sel  indexSelectOp
	full Shape
}

func (o indexAddOp) String() string { return fmt.Sprintf("IndexAdd(%d)", o.sel.axis) }

func (o indexAddOp) Infer(in []Type) (Type, error) {
	return Type{DType: in[0].DType, Shape: o.full.Clone()}, nil
}

func (o indexAddOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	g, idx := in[0], in[1]
	out.Zero()
	outer, n, inner := o.sel.parts(o.full)
	switch out.dtype {
	case Float32:
		addRows(out.f32, g.f32, idx.ints, outer, n, inner, o.sel.skip)
	default:
		addRows(out.f64, g.f64, idx.ints, outer, n, inner, o.sel.skip)
	}
	return nil
}

// addRows adds the rows of g into out at the indices, in order (so the sums
// of repeated indices do not depend on anything but the data).
func addRows[T Float](out, g []T, idx []int, outer, n, inner, skip int) {
	k := len(idx)
	for o := 0; o < outer; o++ {
		for j, i := range idx {
			if i == skip || i < 0 || i >= n {
				continue
			}
			dst := out[(o*n+i)*inner : (o*n+i+1)*inner]
			src := g[(o*k+j)*inner : (o*k+j+1)*inner]
			for c, v := range src {
				dst[c] += v
			}
		}
	}
}

func (o indexAddOp) Backward(b *Builder, in []*Sym, _, gg *Sym) ([]*Sym, error) {
	sel := o.sel
	dg := b.Op(sel, gg, in[1])
	if sel.skip >= 0 { // the skipped index received nothing
		dg = b.Mul(dg, b.Op(notIndexOp{skip: sel.skip, dtype: gg.typ.DType, sel: sel, rank: in[0].typ.Shape.Rank()}, in[1], in[0]))
	}
	return []*Sym{dg, nil}, b.Err()
}

// notIndexOp is a float mask of g's shape: 0 where the index is skip.
type notIndexOp struct {
	skip  int
	dtype DType
	sel   indexSelectOp
	rank  int
}

func (o notIndexOp) String() string { return fmt.Sprintf("NotIndex(%d)", o.skip) }

func (o notIndexOp) Infer(in []Type) (Type, error) {
	return Type{DType: o.dtype, Shape: in[1].Shape.Clone()}, nil
}

func (o notIndexOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	idx, g := in[0], in[1]
	a, _ := axis(o.sel.axis, len(g.shape))
	outer, _, inner, _ := blocks(g.shape, []int{a})
	_ = outer
	k := len(idx.ints)
	for p := 0; p < out.Len(); p++ {
		j := (p / inner) % k
		v := 1.0
		if idx.ints[j] == o.skip {
			v = 0
		}
		out.Set(p, v)
	}
	return nil
}

type gatherOp struct{ axis int }

func (o gatherOp) String() string { return fmt.Sprintf("Gather(%d)", o.axis) }

func (o gatherOp) Infer(in []Type) (Type, error) {
	x, idx := in[0], in[1]
	if idx.DType != Int {
		return Type{}, dtypeErr("indices are %v (want Int)", idx.DType)
	}
	if idx.Shape.Rank() != x.Shape.Rank() {
		return Type{}, shapeErr("indices %v and input %v (want the same rank)", idx.Shape, x.Shape)
	}
	a, err := axis(o.axis, x.Shape.Rank())
	if err != nil {
		return Type{}, err
	}
	for d := range x.Shape {
		if d != a && x.Shape[d] >= 0 && idx.Shape[d] >= 0 && idx.Shape[d] > x.Shape[d] {
			return Type{}, shapeErr("indices %v are larger than the input %v along dimension %d", idx.Shape, x.Shape, d)
		}
	}
	return Type{DType: x.DType, Shape: idx.Shape.Clone()}, nil
}

// gatherWalk calls f(outIndex, xIndex) for every index position.
func gatherWalk(xs, is Shape, a int, idx []int, f func(o, x int) error) error {
	xst := xs.strides()
	coord := make([]int, len(is))
	for o := range idx {
		i := idx[o]
		if i < 0 || i >= xs[a] {
			return fmt.Errorf("index %d is out of range (want 0..%d)", i, xs[a]-1)
		}
		off := 0
		for d, c := range coord {
			if d == a {
				c = i
			}
			off += c * xst[d]
		}
		if err := f(o, off); err != nil {
			return err
		}
		for d := len(coord) - 1; d >= 0; d-- {
			if coord[d]++; coord[d] < is[d] {
				break
			}
			coord[d] = 0
		}
	}
	return nil
}

func (o gatherOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	x, idx := in[0], in[1]
	a, _ := axis(o.axis, len(x.shape))
	return gatherWalk(x.shape, idx.shape, a, idx.ints, func(p, q int) error {
		out.Set(p, x.At(q))
		return nil
	})
}

func (o gatherOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	return []*Sym{b.Op(scatterAddOp{axis: o.axis, full: in[0].typ.Shape.Clone()}, g, in[1]), nil}, b.Err()
}

// scatterAddOp adds g into zeros of the gathered tensor's shape at the
// gathered positions (the gradient of Gather); its gradient is Gather.
type scatterAddOp struct {
	axis int
	full Shape
}

func (o scatterAddOp) String() string { return fmt.Sprintf("ScatterAdd(%d)", o.axis) }

func (o scatterAddOp) Infer(in []Type) (Type, error) {
	return Type{DType: in[0].DType, Shape: o.full.Clone()}, nil
}

func (o scatterAddOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	g, idx := in[0], in[1]
	out.Zero()
	a, _ := axis(o.axis, len(o.full))
	return gatherWalk(o.full, idx.shape, a, idx.ints, func(p, q int) error {
		out.Set(q, out.At(q)+g.At(p))
		return nil
	})
}

func (o scatterAddOp) Backward(b *Builder, in []*Sym, _, gg *Sym) ([]*Sym, error) {
	return []*Sym{b.Op(gatherOp{axis: o.axis}, gg, in[1]), nil}, b.Err()
}

type oneHotOp struct {
	classes int
	dtype   DType
}

func (o oneHotOp) String() string { return fmt.Sprintf("OneHot(%d)", o.classes) }

func (o oneHotOp) Infer(in []Type) (Type, error) {
	if in[0].DType != Int {
		return Type{}, dtypeErr("indices are %v (want Int)", in[0].DType)
	}
	if o.classes <= 0 {
		return Type{}, shapeErr("%d classes (want > 0)", o.classes)
	}
	return Type{DType: o.dtype, Shape: append(in[0].Shape.Clone(), o.classes)}, nil
}

func (o oneHotOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	out.Zero()
	for j, i := range in[0].ints {
		if i < 0 || i >= o.classes {
			return fmt.Errorf("index %d is out of range (want 0..%d)", i, o.classes-1)
		}
		out.Set(j*o.classes+i, 1)
	}
	return nil
}

// Arange returns the Int positions 0, 1, ..., n-1 along dimension axis of
// x, n that dimension's size (known when the program is compiled, so it
// follows an open dimension such as Seq): positions for embeddings,
// causal masks.
func Arange(x *Node, axis int) *Node { return Apply(arangeOp{axis: axis}, x) }

type arangeOp struct{ axis int }

func (o arangeOp) String() string { return fmt.Sprintf("Arange(%d)", o.axis) }

func (o arangeOp) Infer(in []Type) (Type, error) {
	a, err := axis(o.axis, in[0].Shape.Rank())
	if err != nil {
		return Type{}, err
	}
	return Type{DType: Int, Shape: Shape{in[0].Shape[a]}}, nil
}

func (o arangeOp) Forward(_ *Context, out *Tensor, _ []*Tensor) error {
	for i := range out.ints {
		out.ints[i] = i
	}
	return nil
}

// CausalMask returns the Int mask [Tq, Tk] of the last two dimensions of
// scores: 1 where the key comes after the query (k > q), which attention
// hides (torch.triu(ones, diagonal=1)).
func CausalMask(scores *Node) *Node {
	return Greater(Unsqueeze(Arange(scores, -1), 0), Unsqueeze(Arange(scores, -2), 1))
}
