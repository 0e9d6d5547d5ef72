package graph

import (
	"fmt"
	"slices"
)

// Transpose permutes the dimensions of x: dimension i of the result is
// dimension perm[i] of x (torch.permute). With no perm it reverses them.
func Transpose(x *Node, perm ...int) *Node {
	if x == nil || x.failed || x.g == nil {
		return failNode(x, "Transpose", fmt.Errorf("%w: nil input", ErrGraph))
	}
	if len(perm) == 0 {
		for i := x.typ.Shape.Rank() - 1; i >= 0; i-- {
			perm = append(perm, i)
		}
	}
	return Apply(transposeOp{perm: append([]int(nil), perm...)}, x)
}

// SwapAxes exchanges two dimensions of x (torch.transpose(x, a, b)).
func SwapAxes(x *Node, a, b int) *Node {
	if x == nil || x.failed || x.g == nil {
		return failNode(x, "SwapAxes", fmt.Errorf("%w: nil input", ErrGraph))
	}
	r := x.typ.Shape.Rank()
	i, err := axis(a, r)
	if err == nil {
		b, err = axis(b, r)
	}
	if err != nil {
		return failNode(x, "SwapAxes", err)
	}
	perm := make([]int, r)
	for k := range perm {
		perm[k] = k
	}
	perm[i], perm[b] = perm[b], perm[i]
	return Apply(transposeOp{perm: perm}, x)
}

type transposeOp struct{ perm []int }

func (o transposeOp) String() string { return fmt.Sprintf("Transpose%v", o.perm) }

func (o transposeOp) Infer(in []Type) (Type, error) {
	s := in[0].Shape
	if len(o.perm) != len(s) {
		return Type{}, shapeErr("permutation %v of a rank-%d operand (want %d axes)", o.perm, len(s), len(s))
	}
	seen := make([]bool, len(s))
	out := make(Shape, len(s))
	for i, p := range o.perm {
		if p < 0 || p >= len(s) || seen[p] {
			return Type{}, shapeErr("%v is not a permutation of 0..%d", o.perm, len(s)-1)
		}
		seen[p] = true
		out[i] = s[p]
	}
	return Type{DType: in[0].DType, Shape: out}, nil
}

func (o transposeOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		permute(out.f32, in[0].f32, in[0].shape, o.perm)
	case Float64:
		permute(out.f64, in[0].f64, in[0].shape, o.perm)
	default:
		permute(out.ints, in[0].ints, in[0].shape, o.perm)
	}
	return nil
}

// permute writes x (shape s) with its dimensions permuted. Trailing
// dimensions that stay in place are copied as blocks; the rest is walked
// with an odometer over the output.
func permute[T any](out, x []T, s Shape, perm []int) {
	r := len(s)
	block, k := 1, r
	for k > 0 && perm[k-1] == k-1 {
		k--
		block *= s[k]
	}
	if k == 0 {
		copy(out, x)
		return
	}
	if k == 2 && perm[0] == 1 && perm[1] == 0 { // a matrix of blocks
		rows, cols := s[0], s[1]
		for i := 0; i < cols; i++ {
			for j := 0; j < rows; j++ {
				copy(out[(i*rows+j)*block:(i*rows+j+1)*block], x[(j*cols+i)*block:(j*cols+i+1)*block])
			}
		}
		return
	}
	st := s.strides()
	var idx, dims, step [2 * maxRank]int
	if k > len(idx) {
		slowPermute(out, x, s, perm)
		return
	}
	for i := 0; i < k; i++ {
		dims[i], step[i] = s[perm[i]], st[perm[i]]
	}
	src := 0
	for o := 0; o < len(out); o += block {
		copy(out[o:o+block], x[src:src+block])
		for d := k - 1; d >= 0; d-- {
			idx[d]++
			src += step[d]
			if idx[d] < dims[d] {
				break
			}
			src -= step[d] * dims[d]
			idx[d] = 0
		}
	}
}

// slowPermute handles ranks past permute's fixed arrays.
func slowPermute[T any](out, x []T, s Shape, perm []int) {
	st := s.strides()
	idx := make([]int, len(s))
	for o := range out {
		src := 0
		for i, p := range perm {
			src += idx[i] * st[p]
		}
		out[o] = x[src]
		for d := len(perm) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < s[perm[d]] {
				break
			}
			idx[d] = 0
		}
	}
}

func (o transposeOp) Backward(b *Builder, _ []*Sym, _, g *Sym) ([]*Sym, error) {
	inv := make([]int, len(o.perm))
	for i, p := range o.perm {
		inv[p] = i
	}
	return []*Sym{b.Transpose(g, inv...)}, b.Err()
}

// BroadcastTo repeats x into shape by NumPy's rules (torch.expand); the
// shape may name open dimensions. The gradient is summed back.
func BroadcastTo(x *Node, shape ...int) *Node {
	return Apply(expandOp{shape: Shape(shape).Clone()}, x)
}

type expandOp struct{ shape Shape }

func (o expandOp) String() string { return fmt.Sprintf("BroadcastTo%v", o.shape) }

func (o expandOp) bindDims(env *dimEnv) (Op, error) {
	s, err := env.concrete(o.shape)
	if err != nil {
		return nil, err
	}
	return expandOp{shape: s}, nil
}

func (o expandOp) Infer(in []Type) (Type, error) {
	if err := validShape(o.shape, true); err != nil {
		return Type{}, shapeErr("%v", err)
	}
	s, err := BroadcastShapes(in[0].Shape, o.shape)
	if err != nil || !s.Equal(o.shape) {
		return Type{}, shapeErr("cannot broadcast %v to %v", in[0].Shape, o.shape)
	}
	return Type{DType: in[0].DType, Shape: o.shape.Clone()}, nil
}

func (o expandOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	l, ok := newLayout(out.shape, in[0].shape)
	if !ok {
		return shapeErr("broadcasting %v to %v needs more than %d dimensions", in[0].shape, out.shape, maxRank)
	}
	switch out.dtype {
	case Float32:
		expandSplit(&expandLoop32, out.f32, in[0].f32, &l)
	case Float64:
		expandSplit(&expandLoop64, out.f64, in[0].f64, &l)
	default:
		expandSplit(&expandLoopI, out.ints, in[0].ints, &l)
	}
	return nil
}

// fillRun sets every element of run to v: one store, then copies that
// double the filled part (copy is vectorised; a store per element is not).
func fillRun[T any](run []T, v T) {
	if len(run) == 0 {
		return
	}
	run[0] = v
	for done := 1; done < len(run); done *= 2 {
		copy(run[done:], run[:done])
	}
}

func expand[T any](out, x []T, l *layout) {
	s := l.inner(0)
	l.walk(func(o, i0, _, _, n int) {
		if s == 1 {
			copy(out[o:o+n], x[i0:i0+n])
			return
		}
		fillRun(out[o:o+n], x[i0])
	})
}

func (o expandOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	return []*Sym{b.SumTo(g, in[0].typ.Shape)}, b.Err()
}

// Concat joins xs along axis; their other dimensions must agree (torch.cat).
func Concat(axis int, xs ...*Node) *Node {
	if len(xs) == 0 {
		return &Node{failed: true}
	}
	return Apply(concatOp{axis: axis}, xs...)
}

// Stack joins xs along a new dimension at axis (torch.stack).
func Stack(axis int, xs ...*Node) *Node {
	us := make([]*Node, len(xs))
	for i, x := range xs {
		us[i] = Unsqueeze(x, axis)
	}
	return Concat(axis, us...) // a negative axis counts from the end of the result, as in Unsqueeze
}

type concatOp struct{ axis int }

func (o concatOp) String() string { return fmt.Sprintf("Concat(%d)", o.axis) }

func (o concatOp) Infer(in []Type) (Type, error) {
	r := in[0].Shape.Rank()
	a, err := axis(o.axis, r)
	if err != nil {
		return Type{}, err
	}
	out := in[0].Shape.Clone()
	for i, t := range in[1:] {
		if t.DType != in[0].DType {
			return Type{}, dtypeErr("operand %d is %v (want %v)", i+1, t.DType, in[0].DType)
		}
		if t.Shape.Rank() != r {
			return Type{}, shapeErr("operand %d has rank %d (want %d)", i+1, t.Shape.Rank(), r)
		}
		for d := range t.Shape {
			if d == a {
				continue
			}
			if _, ok := broadcastDim(out[d], t.Shape[d]); !ok || (out[d] != t.Shape[d] && out[d] != Unknown && t.Shape[d] != Unknown) {
				return Type{}, shapeErr("operand %d is %v, operand 0 %v (want equal sizes but along axis %d)", i+1, t.Shape, in[0].Shape, a)
			}
		}
		if out[a] < 0 || t.Shape[a] < 0 {
			out[a] = Unknown
		} else {
			out[a] += t.Shape[a]
		}
	}
	return Type{DType: in[0].DType, Shape: out}, nil
}

func (o concatOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	a, _ := axis(o.axis, len(out.shape))
	outer := 1
	for _, d := range out.shape[:a] {
		outer *= d
	}
	inner := 1
	for _, d := range out.shape[a+1:] {
		inner *= d
	}
	off := 0
	for _, t := range in {
		w := t.shape[a] * inner
		switch out.dtype {
		case Float32:
			concatCopy(out.f32, t.f32, outer, out.shape[a]*inner, w, off)
		case Float64:
			concatCopy(out.f64, t.f64, outer, out.shape[a]*inner, w, off)
		default:
			concatCopy(out.ints, t.ints, outer, out.shape[a]*inner, w, off)
		}
		off += w
	}
	return nil
}

// concatCopy copies the outer rows of width w of src into dst's rows of
// width row, at offset off.
func concatCopy[T any](dst, src []T, outer, row, w, off int) {
	for r := 0; r < outer; r++ {
		copy(dst[r*row+off:r*row+off+w], src[r*w:(r+1)*w])
	}
}

// Backward: each operand's gradient is its slice of g.
func (o concatOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	a, err := axis(o.axis, g.typ.Shape.Rank())
	if err != nil {
		return nil, err
	}
	out := make([]*Sym, len(in))
	start := 0
	for i, x := range in {
		n := x.typ.Shape[a]
		out[i] = b.Op(sliceOp{axis: a, start: start, stop: start + n, step: 1}, g)
		start += n
	}
	return out, b.Err()
}

// Slice returns the elements start, start+step, ... before stop along axis
// (Python's x[..., start:stop:step, ...]; negative start and stop count
// from the end, out-of-range ones are clamped; step > 0).
func Slice(x *Node, axis, start, stop, step int) *Node {
	if step <= 0 {
		return failNode(x, "Slice", shapeErr("step %d (want > 0)", step))
	}
	return Apply(sliceOp{axis: axis, start: start, stop: stop, step: step}, x)
}

// Split cuts x along axis into pieces of the given sizes (torch.split).
func Split(x *Node, axis int, sizes ...int) []*Node {
	out := make([]*Node, len(sizes))
	start := 0
	for i, n := range sizes {
		if n <= 0 {
			out[i] = failNode(x, "Split", shapeErr("size %d (want > 0)", n))
			continue
		}
		out[i] = Slice(x, axis, start, start+n, 1)
		start += n
	}
	return out
}

type sliceOp struct{ axis, start, stop, step int }

func (o sliceOp) String() string {
	return fmt.Sprintf("Slice(axis %d, %d:%d:%d)", o.axis, o.start, o.stop, o.step)
}

// bounds resolves start and stop against a dimension of size n.
func (o sliceOp) bounds(n int) (start, count int) {
	clamp := func(i int) int {
		if i < 0 {
			i += n
		}
		return min(max(i, 0), n)
	}
	start, stop := clamp(o.start), clamp(o.stop)
	if stop <= start {
		return start, 0
	}
	return start, (stop - start + o.step - 1) / o.step
}

func (o sliceOp) Infer(in []Type) (Type, error) {
	s := in[0].Shape
	a, err := axis(o.axis, s.Rank())
	if err != nil {
		return Type{}, err
	}
	if o.step <= 0 {
		return Type{}, shapeErr("step %d (want > 0)", o.step)
	}
	out := s.Clone()
	if s[a] < 0 {
		out[a] = Unknown
	} else {
		_, out[a] = o.bounds(s[a])
		if out[a] == 0 {
			return Type{}, shapeErr("slice %d:%d:%d of a dimension of %d is empty", o.start, o.stop, o.step, s[a])
		}
	}
	return Type{DType: in[0].DType, Shape: out}, nil
}

func (o sliceOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	x := in[0]
	a, _ := axis(o.axis, len(x.shape))
	start, count := o.bounds(x.shape[a])
	outer, inner := 1, 1
	for _, d := range x.shape[:a] {
		outer *= d
	}
	for _, d := range x.shape[a+1:] {
		inner *= d
	}
	n := x.shape[a]
	switch x.dtype {
	case Float32:
		sliceCopy(out.f32, x.f32, outer, n, inner, start, count, o.step, false)
	case Float64:
		sliceCopy(out.f64, x.f64, outer, n, inner, start, count, o.step, false)
	default:
		sliceCopy(out.ints, x.ints, outer, n, inner, start, count, o.step, false)
	}
	return nil
}

// sliceCopy copies the slice (or, with back, writes it back into a zeroed
// full tensor: the gradient of a slice).
func sliceCopy[T any](small, full []T, outer, n, inner, start, count, step int, back bool) {
	if step == 1 { // one contiguous run per outer index
		w := count * inner
		for r := 0; r < outer; r++ {
			f := (r*n + start) * inner
			if back {
				copy(full[f:f+w], small[r*w:(r+1)*w])
			} else {
				copy(small[r*w:(r+1)*w], full[f:f+w])
			}
		}
		return
	}
	for r := 0; r < outer; r++ {
		for k := 0; k < count; k++ {
			f := (r*n + start + k*step) * inner
			s := (r*count + k) * inner
			if back {
				copy(full[f:f+inner], small[s:s+inner])
			} else {
				copy(small[s:s+inner], full[f:f+inner])
			}
		}
	}
}

func (o sliceOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	return []*Sym{b.Op(sliceGradOp{s: o, full: in[0].typ.Shape.Clone()}, g)}, b.Err()
}

// sliceGradOp puts a slice's gradient back into zeros of the input's shape.
type sliceGradOp struct {
	s    sliceOp
	full Shape
}

func (o sliceGradOp) String() string { return o.s.String() + "Grad" }

func (o sliceGradOp) Infer(in []Type) (Type, error) {
	return Type{DType: in[0].DType, Shape: o.full.Clone()}, nil
}

func (o sliceGradOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	out.Zero()
	a, _ := axis(o.s.axis, len(o.full))
	start, count := o.s.bounds(o.full[a])
	outer, inner := 1, 1
	for _, d := range o.full[:a] {
		outer *= d
	}
	for _, d := range o.full[a+1:] {
		inner *= d
	}
	switch out.dtype {
	case Float32:
		sliceCopy(in[0].f32, out.f32, outer, o.full[a], inner, start, count, o.s.step, true)
	default:
		sliceCopy(in[0].f64, out.f64, outer, o.full[a], inner, start, count, o.s.step, true)
	}
	return nil
}

func (o sliceGradOp) Backward(b *Builder, _ []*Sym, _, g *Sym) ([]*Sym, error) {
	return []*Sym{b.Op(o.s, g)}, b.Err()
}

// Pad adds before[i] and after[i] elements of value around dimension i
// (for the first len(before) dimensions; torch.nn.functional.pad's
// constant mode, with the pads listed from the first dimension).
func Pad(x *Node, before, after []int, value float64) *Node {
	if len(before) != len(after) {
		return failNode(x, "Pad", shapeErr("%d pads before and %d after (want as many)", len(before), len(after)))
	}
	for i := range before {
		if before[i] < 0 || after[i] < 0 {
			return failNode(x, "Pad", shapeErr("pads %v, %v (want >= 0)", before, after))
		}
	}
	return Apply(padOp{before: slices.Clone(before), after: slices.Clone(after), value: value}, x)
}

type padOp struct {
	before, after []int
	value         float64
}

func (o padOp) String() string { return fmt.Sprintf("Pad(%v, %v)", o.before, o.after) }

func (o padOp) Infer(in []Type) (Type, error) {
	s := in[0].Shape
	if len(o.before) > len(s) {
		return Type{}, shapeErr("%d padded dimensions of a rank-%d operand", len(o.before), len(s))
	}
	if len(s) > 4*maxRank {
		return Type{}, shapeErr("padding a rank-%d operand (want at most %d dimensions)", len(s), 4*maxRank)
	}
	if !in[0].DType.IsFloat() {
		return Type{}, dtypeErr("operand is %v (want float)", in[0].DType)
	}
	out := s.Clone()
	for i := range o.before {
		if out[i] >= 0 {
			out[i] += o.before[i] + o.after[i]
		}
	}
	return Type{DType: in[0].DType, Shape: out}, nil
}

func (o padOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	out.Fill(o.value)
	switch out.dtype {
	case Float32:
		padCopy(out.f32, in[0].f32, in[0].shape, out.shape, o.before)
	default:
		padCopy(out.f64, in[0].f64, in[0].shape, out.shape, o.before)
	}
	return nil
}

// padCopy copies x (shape xs) into the interior of out (shape os), shifted
// by before along the leading dimensions, one row of x's last dimension at
// a time.
func padCopy[T any](out, x []T, xs, os Shape, before []int) {
	if len(xs) == 0 {
		copy(out, x)
		return
	}
	r := len(xs)
	ost := os.strides()
	pad := func(d int) int {
		if d < len(before) {
			return before[d]
		}
		return 0
	}
	inner := xs[r-1]
	var idx [4 * maxRank]int
	if r > len(idx) {
		return
	}
	for src := 0; src < len(x); src += inner {
		dst := pad(r - 1)
		for d := 0; d < r-1; d++ {
			dst += (idx[d] + pad(d)) * ost[d]
		}
		copy(out[dst:dst+inner], x[src:src+inner])
		for d := r - 2; d >= 0; d-- {
			if idx[d]++; idx[d] < xs[d] {
				break
			}
			idx[d] = 0
		}
	}
}

// Backward: the gradient is g's interior, one slice per padded dimension.
func (o padOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	s := g
	for i := range o.before {
		n := in[0].typ.Shape[i]
		if o.before[i] != 0 || o.after[i] != 0 {
			s = b.Op(sliceOp{axis: i, start: o.before[i], stop: o.before[i] + n, step: 1}, s)
		}
	}
	return []*Sym{s}, b.Err()
}
