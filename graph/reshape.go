package graph

import (
	"fmt"
	"slices"
)

// Reshape returns x with another shape of the same size, sharing its
// elements (a view, no copy). The shape may name open dimensions (Batch,
// Seq, ...), whose sizes come with each batch, and one Unknown (-1), which
// is inferred as in PyTorch: Reshape(x, Batch, Unknown) flattens all but the
// batch dimension.
func Reshape(x *Node, shape ...int) *Node {
	spec := Shape(shape).Clone()
	from := make([]int, len(spec))
	for i := range from {
		from[i] = -1
	}
	if err := checkSpec(spec); err != nil {
		return failNode(x, "Reshape", err)
	}
	return Apply(reshapeOp{spec: spec, from: from}, x)
}

// Flatten keeps dimension 0 and flattens the rest: [N, C, H, W] -> [N, C*H*W].
func Flatten(x *Node) *Node {
	if x == nil || x.failed || x.g == nil {
		return failNode(x, "Flatten", fmt.Errorf("%w: nil input", ErrGraph))
	}
	if x.typ.Shape.Rank() < 1 {
		return failNode(x, "Flatten", shapeErr("operand is a scalar (want at least one dimension)"))
	}
	return Apply(reshapeOp{spec: Shape{0, Unknown}, from: []int{0, -1}, name: "Flatten"}, x)
}

// Squeeze removes the given dimensions of size 1 (all of them when none
// are given), as torch.squeeze. A given dimension whose size only the
// compiled program knows (a slice of an open dimension, shown as ?) is
// checked to be 1 when the program is compiled.
func Squeeze(x *Node, axes ...int) *Node {
	if x == nil || x.failed || x.g == nil {
		return failNode(x, "Squeeze", fmt.Errorf("%w: nil input", ErrGraph))
	}
	s := x.typ.Shape
	var drop []int
	if len(axes) == 0 {
		for i, d := range s {
			if d == 1 {
				drop = append(drop, i)
			}
		}
	} else {
		var err error
		if drop, err = axesOf(axes, s.Rank()); err != nil {
			return failNode(x, "Squeeze", err)
		}
		for _, a := range drop {
			if s[a] != 1 && s[a] != Unknown {
				return failNode(x, "Squeeze", shapeErr("dimension %d of %v is %s (want 1)", a, s, dimName(s[a])))
			}
		}
	}
	var spec Shape
	var from []int
	for i := range s {
		if !slices.Contains(drop, i) {
			spec, from = append(spec, 0), append(from, i)
		}
	}
	return Apply(reshapeOp{spec: spec, from: from, name: "Squeeze"}, x)
}

// Unsqueeze inserts a dimension of size 1 at axis (negative counts from
// the end of the result), as torch.unsqueeze.
func Unsqueeze(x *Node, axis int) *Node {
	if x == nil || x.failed || x.g == nil {
		return failNode(x, "Unsqueeze", fmt.Errorf("%w: nil input", ErrGraph))
	}
	r := x.typ.Shape.Rank()
	a := axis
	if a < 0 {
		a += r + 1
	}
	if a < 0 || a > r {
		return failNode(x, "Unsqueeze", shapeErr("axis %d is out of range for rank %d (want %d..%d)", axis, r, -r-1, r))
	}
	var spec Shape
	var from []int
	for i := 0; i <= r; i++ {
		switch {
		case i == a:
			spec, from = append(spec, 1), append(from, -1)
		case i < a:
			spec, from = append(spec, 0), append(from, i)
		default:
			spec, from = append(spec, 0), append(from, i-1)
		}
	}
	return Apply(reshapeOp{spec: spec, from: from, name: "Unsqueeze"}, x)
}

// checkSpec validates a Reshape target: sizes > 0, open dimensions, at
// most one Unknown.
func checkSpec(spec Shape) error {
	unknown := 0
	for i, d := range spec {
		switch {
		case d == Unknown:
			unknown++
		case d == 0 || (d < 0 && !isOpen(d)):
			return shapeErr("dimension %d of %v is %d (want a positive size, an open dimension or one -1)", i, spec, d)
		}
	}
	if unknown > 1 {
		return shapeErr("%v has %d unknown (-1) dimensions (want at most one)", spec, unknown)
	}
	known := Shape{}
	for _, d := range spec {
		if d > 0 {
			known = append(known, d)
		}
	}
	if err := validShape(known, false); err != nil {
		return shapeErr("%v", err)
	}
	return nil
}

// reshapeOp reshapes to spec; where from[i] >= 0 the output's dimension i
// is the input's dimension from[i] (Flatten, Squeeze, Unsqueeze).
type reshapeOp struct {
	spec Shape
	from []int
	name string
}

func (o reshapeOp) String() string {
	if o.name != "" {
		return o.name
	}
	return fmt.Sprintf("Reshape%v", o.spec)
}

func (o reshapeOp) IsView() bool { return true }

// bindDims replaces open dimensions of the target by their sizes.
func (o reshapeOp) bindDims(env *dimEnv) (Op, error) {
	if !slices.ContainsFunc(o.spec, isOpen) {
		return o, nil
	}
	spec := o.spec.Clone()
	for i, d := range spec {
		if isOpen(d) {
			v, err := env.size(d)
			if err != nil {
				return nil, err
			}
			spec[i] = v
		}
	}
	return reshapeOp{spec: spec, from: o.from, name: o.name}, nil
}

func (o reshapeOp) Infer(in []Type) (Type, error) {
	x := in[0].Shape
	want := o.spec.Clone()
	for i, f := range o.from {
		if f >= 0 {
			if f >= len(x) {
				return Type{}, shapeErr("%s of %v", o, x)
			}
			want[i] = x[f]
		}
	}
	out, err := inferReshape(x, want)
	if err != nil {
		return Type{}, err
	}
	return Type{DType: in[0].DType, Shape: out}, nil
}

// inferReshape fills the Unknown of want from x's size and checks that the
// sizes agree, as far as open dimensions allow while the graph is built.
func inferReshape(x, want Shape) (Shape, error) {
	factor := func(s Shape) (c int, syms []int, unknown bool) {
		c = 1
		for _, d := range s {
			switch {
			case d == Unknown:
				unknown = true
			case d < 0:
				syms = append(syms, d)
			default:
				c *= d
			}
		}
		slices.Sort(syms)
		return
	}
	cx, sx, ux := factor(x)
	out := want.Clone()
	hole := slices.Index(out, Unknown)
	if hole >= 0 {
		out[hole] = 1
	}
	cw, sw, uw := factor(out)
	if ux || uw { // a size only the compiled program knows
		if hole >= 0 {
			out[hole] = Unknown
		}
		return out, nil
	}
	// Open dimensions of want must be open dimensions of x; what is left
	// over is the Unknown's share.
	rest := slices.Clone(sx)
	for _, d := range sw {
		i := slices.Index(rest, d)
		if i < 0 {
			return nil, shapeErr("cannot reshape %v to %v: dimension %s is not one of the input's", x, want, dimName(d))
		}
		rest = slices.Delete(rest, i, i+1)
	}
	switch {
	case hole < 0:
		if len(rest) > 0 || cx != cw {
			return nil, shapeErr("cannot reshape %v (%s elements) to %v", x, sizeName(cx, sx), want)
		}
	case cw == 0 || cx%cw != 0:
		return nil, shapeErr("cannot reshape %v (%s elements) to %v: the -1 would not be a whole size", x, sizeName(cx, sx), want)
	case len(rest) == 0:
		out[hole] = cx / cw
	case len(rest) == 1 && cx == cw:
		out[hole] = rest[0]
	default:
		out[hole] = Unknown
	}
	return out, nil
}

func sizeName(c int, syms []int) string {
	s := fmt.Sprint(c)
	for _, d := range syms {
		s += "·" + dimName(d)
	}
	return s
}

// Forward is not called: the executor gives a view the input's memory.
func (o reshapeOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	copy(out.f32, in[0].f32)
	copy(out.f64, in[0].f64)
	copy(out.ints, in[0].ints)
	return nil
}

func (o reshapeOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	return []*Sym{b.Reshape(g, in[0].typ.Shape)}, b.Err()
}

// Unflatten splits dimension axis of x into sizes (one may be -1, to
// infer), keeping the others (torch.unflatten): [N, T, E] with axis -1 and
// sizes (H, -1) gives [N, T, H, E/H], whatever N and T are.
func Unflatten(x *Node, axis int, sizes ...int) *Node {
	if x == nil || x.failed || x.g == nil {
		return failNode(x, "Unflatten", fmt.Errorf("%w: nil input", ErrGraph))
	}
	r := x.typ.Shape.Rank()
	a, err := axisOf(axis, r)
	if err == nil {
		err = checkSpec(Shape(sizes))
	}
	if err != nil {
		return failNode(x, "Unflatten", err)
	}
	var spec Shape
	var from []int
	for i := 0; i < r; i++ {
		if i == a {
			for _, s := range sizes {
				spec, from = append(spec, s), append(from, -1)
			}
			continue
		}
		spec, from = append(spec, 0), append(from, i)
	}
	return Apply(reshapeOp{spec: spec, from: from, name: fmt.Sprintf("Unflatten(%d, %v)", axis, sizes)}, x)
}

// FlattenAxes merges dimensions start..end (inclusive; negative count
// from the end) of x into one (torch.flatten(x, start, end)).
func FlattenAxes(x *Node, start, end int) *Node {
	if x == nil || x.failed || x.g == nil {
		return failNode(x, "FlattenAxes", fmt.Errorf("%w: nil input", ErrGraph))
	}
	r := x.typ.Shape.Rank()
	s, err := axisOf(start, r)
	var e int
	if err == nil {
		e, err = axisOf(end, r)
	}
	if err == nil && e < s {
		err = shapeErr("FlattenAxes from %d to %d (want start <= end)", start, end)
	}
	if err != nil {
		return failNode(x, "FlattenAxes", err)
	}
	var spec Shape
	var from []int
	for i := 0; i < r; i++ {
		switch {
		case i == s:
			spec, from = append(spec, Unknown), append(from, -1)
		case i > s && i <= e:
		default:
			spec, from = append(spec, 0), append(from, i)
		}
	}
	return Apply(reshapeOp{spec: spec, from: from, name: fmt.Sprintf("Flatten(%d..%d)", start, end)}, x)
}

// axisOf is axis as a package-level helper name clash-free for callers
// with a parameter named axis.
func axisOf(a, r int) (int, error) { return axis(a, r) }
