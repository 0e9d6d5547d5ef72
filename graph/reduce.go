package graph

import (
	"fmt"
	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/internal/vec"
	"math"
	"slices"
)

// Reductions over axes (negative axes count from the end; no axes means
// all of them). The plain forms drop the reduced dimensions, the *Keep forms
// keep them as 1s (PyTorch's keepdim=True), which broadcasts back against x.

// Sum returns the sum of x over axes (all elements: a scalar).
func Sum(x *Node, axes ...int) *Node { return reduce(redSum, x, false, axes) }

// SumKeep is Sum keeping the reduced dimensions as 1s.
func SumKeep(x *Node, axes ...int) *Node { return reduce(redSum, x, true, axes) }

// Mean returns the mean of x over axes (all elements: a scalar).
func Mean(x *Node, axes ...int) *Node { return reduce(redMean, x, false, axes) }

// MeanKeep is Mean keeping the reduced dimensions as 1s.
func MeanKeep(x *Node, axes ...int) *Node { return reduce(redMean, x, true, axes) }

// Max returns the largest element over axes (torch.amax: ties share the
// gradient evenly; a NaN wins).
func Max(x *Node, axes ...int) *Node { return reduce(redMax, x, false, axes) }

// MaxKeep is Max keeping the reduced dimensions as 1s.
func MaxKeep(x *Node, axes ...int) *Node { return reduce(redMax, x, true, axes) }

// Min returns the smallest element over axes (torch.amin).
func Min(x *Node, axes ...int) *Node { return reduce(redMin, x, false, axes) }

// MinKeep is Min keeping the reduced dimensions as 1s.
func MinKeep(x *Node, axes ...int) *Node { return reduce(redMin, x, true, axes) }

// Prod returns the product of the elements over axes. Its gradient is
// exact with zeros in x, but cannot be differentiated again.
func Prod(x *Node, axes ...int) *Node { return reduce(redProd, x, false, axes) }

// ProdKeep is Prod keeping the reduced dimensions as 1s.
func ProdKeep(x *Node, axes ...int) *Node { return reduce(redProd, x, true, axes) }

// LogSumExp returns log(sum(exp(x))) over axes, computed stably.
func LogSumExp(x *Node, axes ...int) *Node { return reduce(redLSE, x, false, axes) }

// LogSumExpKeep is LogSumExp keeping the reduced dimensions as 1s.
func LogSumExpKeep(x *Node, axes ...int) *Node { return reduce(redLSE, x, true, axes) }

// Var returns the variance over axes, dividing by n - correction: 0 for
// the biased variance, 1 for the unbiased one (torch.var's correction).
func Var(x *Node, correction int, axes ...int) *Node {
	return Apply(varOp{axes: normAxes(x, axes), correction: correction}, x)
}

// VarKeep is Var keeping the reduced dimensions as 1s.
func VarKeep(x *Node, correction int, axes ...int) *Node {
	return Apply(varOp{axes: normAxes(x, axes), correction: correction, keep: true}, x)
}

// normAxes normalises axes against x's rank when it can (Infer reports
// bad ones).
func normAxes(x *Node, axes []int) []int {
	if x != nil && !x.failed && len(axes) > 0 {
		if norm, err := axesOf(axes, x.typ.Shape.Rank()); err == nil {
			return norm
		}
	}
	return append([]int(nil), axes...)
}

// Std returns the standard deviation, the square root of Var.
func Std(x *Node, correction int, axes ...int) *Node { return Sqrt(Var(x, correction, axes...)) }

// StdKeep is Std keeping the reduced dimensions as 1s.
func StdKeep(x *Node, correction int, axes ...int) *Node {
	return Sqrt(VarKeep(x, correction, axes...))
}

func reduce(k redKind, x *Node, keep bool, axes []int) *Node {
	if x != nil && !x.failed && len(axes) > 0 {
		if norm, err := axesOf(axes, x.typ.Shape.Rank()); err == nil {
			axes = norm // stored normalised: Forward then needs no allocation
		}
	}
	return Apply(reduceOp{kind: k, axes: append([]int(nil), axes...), keep: keep}, x)
}

type redKind uint8

const (
	redSum redKind = iota
	redMean
	redMax
	redMin
	redProd
	redLSE
)

var redNames = [...]string{"Sum", "Mean", "Max", "Min", "Prod", "LogSumExp"}

type reduceOp struct {
	kind redKind
	axes []int
	keep bool
}

func (o reduceOp) String() string {
	name := redNames[o.kind]
	if len(o.axes) > 0 {
		name += fmt.Sprint(o.axes)
	}
	if o.keep {
		name += "Keep"
	}
	return name
}

// reducedShape returns the shape of a reduction of s over axes (normalised).
func reducedShape(s Shape, axes []int, keep bool) Shape {
	out := Shape{}
	for i, d := range s {
		if slices.Contains(axes, i) {
			if keep {
				out = append(out, 1)
			}
			continue
		}
		out = append(out, d)
	}
	return out
}

func (o reduceOp) Infer(in []Type) (Type, error) {
	if !in[0].DType.IsFloat() {
		return Type{}, dtypeErr("operand is %v (want float)", in[0].DType)
	}
	axes, err := axesOf(o.axes, in[0].Shape.Rank())
	if err != nil {
		return Type{}, err
	}
	if (o.kind == redMax || o.kind == redMin) && !in[0].Shape.Symbolic() && in[0].Shape.Size() == 0 {
		return Type{}, shapeErr("%s of an empty tensor", redNames[o.kind])
	}
	return Type{DType: in[0].DType, Shape: reducedShape(in[0].Shape, axes, o.keep)}, nil
}

func (o reduceOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	axes, err := axesFast(o.axes, len(in[0].shape))
	if err != nil {
		return err
	}
	switch out.dtype {
	case Float32:
		reduceInto(o.kind, out.f32, in[0].f32, in[0].shape, axes)
	case Float64:
		reduceInto(o.kind, out.f64, in[0].f64, in[0].shape, axes)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

// blocks splits shape s around a set of axes: when the axes are one
// contiguous run, x is [outer, red, inner] with the run in the middle.
func blocks(s Shape, axes []int) (outer, red, inner int, contiguous bool) {
	outer, red, inner = 1, 1, 1
	if len(axes) == 0 {
		return 1, 1, s.Size(), true
	}
	lo, hi := axes[0], axes[len(axes)-1]
	if hi-lo+1 != len(axes) {
		return 0, 0, 0, false
	}
	for i, d := range s {
		switch {
		case i < lo:
			outer *= d
		case i <= hi:
			red *= d
		default:
			inner *= d
		}
	}
	return outer, red, inner, true
}

// reduceInto reduces x (shape s) over axes into out. A contiguous run of
// axes is reduced in place; otherwise each output element walks its
// elements. The order of the additions is fixed by the shape alone.
func reduceInto[T Float](k redKind, out, x []T, s Shape, axes []int) {
	outer, red, inner, ok := blocks(s, axes)
	if ok {
		var z T
		if _, f32 := any(z).(float32); f32 {
			reduceSplit(any(&reduceLoop32).(*parallel.Loop[reduceArgs[T]]), k, out, x, outer, red, inner)
		} else {
			reduceSplit(any(&reduceLoop64).(*parallel.Loop[reduceArgs[T]]), k, out, x, outer, red, inner)
		}
		return
	}
	// General case: odometers over the kept and the reduced axes.
	st := s.strides()
	var kept, gone []int
	for i := range s {
		if slices.Contains(axes, i) {
			gone = append(gone, i)
		} else {
			kept = append(kept, i)
		}
	}
	n := 1
	for _, a := range gone {
		n *= s[a]
	}
	vals := make([]float64, n)
	ko := make([]int, len(kept))
	for o := range out {
		base := 0
		for j, a := range kept {
			base += ko[j] * st[a]
		}
		ro := make([]int, len(gone))
		for r := 0; r < n; r++ {
			off := base
			for j, a := range gone {
				off += ro[j] * st[a]
			}
			vals[r] = float64(x[off])
			for j := len(gone) - 1; j >= 0; j-- {
				if ro[j]++; ro[j] < s[gone[j]] {
					break
				}
				ro[j] = 0
			}
		}
		out[o] = T(reduceRow(k, vals))
		for j := len(kept) - 1; j >= 0; j-- {
			if ko[j]++; ko[j] < s[kept[j]] {
				break
			}
			ko[j] = 0
		}
	}
}

// reduceBlocks reduces x as [outer, red, inner] over its middle dimension.
func reduceBlocks[T Float](k redKind, out, x []T, outer, red, inner int) {
	if inner == 1 {
		for o := 0; o < outer; o++ {
			out[o] = T(reduceRow(k, x[o*red:(o+1)*red]))
		}
		return
	}
	for o := 0; o < outer; o++ {
		reduceCols(k, out[o*inner:(o+1)*inner], x[o*red*inner:(o+1)*red*inner], red, inner, 0, inner)
	}
}

// reduceCols reduces the columns c0..c1-1 of x [red, inner] into out
// [inner]. Each column's order of operations depends on red alone, so a
// split of the columns over threads gives the same bits.
func reduceCols[T Float](k redKind, out, x []T, red, inner, c0, c1 int) {
	if k == redSum || k == redMean {
		// Rows added in order, with internal/vec's SIMD adds along inner
		// (binaryRow: one IEEE addition per element, the scalar loop's
		// bits; the bias gradient of [128, 256] took 21 µs scalar).
		dst := out[c0:c1]
		if red == 0 {
			clear(dst)
		} else {
			copy(dst, x[c0:c1])
		}
		for r := 1; r < red; r++ {
			row := x[r*inner+c0 : r*inner+c1]
			if len(dst) < 16 { // narrower than a vector: the call costs more
				for i, v := range row {
					dst[i] += v
				}
				continue
			}
			binaryRow(opAdd, dst, dst, row, 1, 1)
		}
		if k == redMean {
			c := 1 / T(red)
			if red == 0 {
				c = T(math.NaN())
			}
			for i := range dst {
				dst[i] *= c
			}
		}
		return
	}
	for i := c0; i < c1; i++ {
		at := func(r int) float64 { return float64(x[r*inner+i]) }
		acc := at(0)
		if k == redLSE {
			for r := 1; r < red; r++ {
				acc = combine(redMax, acc, at(r))
			}
			if !math.IsInf(acc, 0) && acc == acc {
				var e float64
				for r := 0; r < red; r++ {
					e += math.Exp(at(r) - acc)
				}
				acc += math.Log(e)
			}
		} else {
			for r := 1; r < red; r++ {
				acc = combine(k, acc, at(r))
			}
		}
		out[i] = T(acc)
	}
}

// reduceRow reduces one contiguous row, in float64.
func reduceRow[T Float](k redKind, x []T) float64 {
	switch k {
	case redSum, redMean:
		s := sum(x)
		if k == redMean {
			s /= float64(len(x))
		}
		return s
	case redLSE:
		return logSumExp(x)
	}
	if len(x) == 0 { // an empty product (Infer refuses empty max and min)
		return 1
	}
	acc := float64(x[0])
	for _, v := range x[1:] {
		acc = combine(k, acc, float64(v))
	}
	return acc
}

// combine folds one value into a max, min or product.
func combine(k redKind, acc, v float64) float64 {
	switch k {
	case redMax:
		if v > acc || v != v {
			return v
		}
	case redMin:
		if v < acc || v != v {
			return v
		}
	case redProd:
		return acc * v
	}
	return acc
}

// sum adds in float64 for accuracy in float32. From sumSIMD values on,
// internal/vec's kernel adds the leading whole vectors (float64 lanes,
// then a fixed tree) and two partial sums here the rest; shorter rows keep
// the two partial sums (the finite-difference checks of small tensors see
// the same roundings as before). The order depends on len(x) alone.
func sum[T Float](x []T) float64 {
	if len(x) < sumSIMD {
		return sumGo(x)
	}
	k, s := vec.Sum(simd, x)
	return s + sumGo(x[k:])
}

// sumSIMD is the length from which sum uses the SIMD kernel.
const sumSIMD = 512

// sumGo adds in float64 with two partial sums.
func sumGo[T Float](x []T) float64 {
	var s0, s1 float64
	i := 0
	for ; i+1 < len(x); i += 2 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
	}
	if i < len(x) {
		s0 += float64(x[i])
	}
	return s0 + s1
}

// logSumExp returns log(sum(exp(x))) without overflow (NaN if x holds a
// NaN).
func logSumExp[T Float](x []T) float64 {
	var b expBuf
	return logSumExpBuf(x, &b)
}

// logSumExpBuf is logSumExp with the caller's buffer (a loop over rows
// clears one buffer instead of one per row).
func logSumExpBuf[T Float](x []T, b *expBuf) float64 {
	m := rowMax(x)
	if math.IsInf(m, 0) {
		return infLSE(x, m)
	}
	s := 0.0
	for lo := 0; lo < len(x); lo += expBlock {
		for _, e := range expShift(b, x[lo:min(lo+expBlock, len(x))], m) {
			s += e
		}
	}
	return m + math.Log(s)
}

// infLSE is the log-sum-exp of a row whose maximum m is ±Inf: NaN when
// the row holds a NaN, else m.
func infLSE[T Float](x []T, m float64) float64 {
	if slices.ContainsFunc(x, func(v T) bool { return v != v }) {
		return math.NaN()
	}
	return m
}

// rowMax returns the largest element of x, ignoring NaNs (-Inf when there
// is none): plain comparisons in two chains, without the NaN and signed
// zero rules of the builtin max, which took half of a softmax's time. A
// NaN in x still reaches the softmax ops' results through its exp.
func rowMax[T Float](x []T) float64 {
	m0, m1 := T(math.Inf(-1)), T(math.Inf(-1))
	i := 0
	for ; i+1 < len(x); i += 2 {
		if x[i] > m0 {
			m0 = x[i]
		}
		if x[i+1] > m1 {
			m1 = x[i+1]
		}
	}
	if i < len(x) && x[i] > m0 {
		m0 = x[i]
	}
	return float64(max(m0, m1))
}

// expBlock is the most exponentials the softmax ops take at a time, in an
// expBuf on the stack.
const expBlock = 256

type expBuf [expBlock]float64

// expSIMD tells whether internal/vec has an exp kernel on this machine.
var expSIMD = vec.Exp(simd, make([]float64, 8), make([]float64, 8)) == 8

// expShift writes exp(x[i] - shift) to b[i] for every element of x
// (len(x) <= expBlock) and returns b[:len(x)]: with internal/vec's kernel
// (eight at a time; within 2 ulp of math.Exp, 10 to 12 times as fast
// here), else with math.Exp. The differences
// between the two stay in the last bits of a float64.
func expShift[T Float](b *expBuf, x []T, shift float64) []float64 {
	for i, v := range x {
		b[i] = float64(v) - shift
	}
	return expFirst(b, len(x))
}

// expFirst replaces b[i] by exp(b[i]) for i < n and returns b[:n].
func expFirst(b *expBuf, n int) []float64 {
	if !expSIMD {
		for i := range n {
			b[i] = math.Exp(b[i])
		}
		return b[:n]
	}
	w := (n + 7) &^ 7 // whole vectors: the lanes past n compute exp(0)
	clear(b[n:w])
	vec.Exp(simd, b[:w], b[:w])
	return b[:n]
}

// shortRows is the widest row expRows takes: at least two rows per
// kernel call.
const shortRows = expBlock / 2

// expRows is the exponentials of short rows (c <= shortRows classes each),
// many rows per kernel call: it takes the first rows of x, as many as b
// holds, and writes row r's maximum (rowMax) to m[r] and exp(x[r][j] -
// m[r]) to b[r*c+j], the same values as expShift row by row. A row whose
// maximum is ±Inf gets 1s; the caller takes it apart. It returns the
// number of rows taken.
func expRows[T Float](b *expBuf, m *[expBlock / 2]float64, x []T, c int) int {
	rows := min(len(x)/c, expBlock/c)
	for r := range rows {
		row, o := x[r*c:(r+1)*c], b[r*c:(r+1)*c]
		mr := rowMax(row)
		m[r] = mr
		if math.IsInf(mr, 0) {
			clear(o)
			continue
		}
		for j, v := range row {
			o[j] = float64(v) - mr
		}
	}
	expFirst(b, rows*c)
	return rows
}

// Backward, from ops: the gradient repeated over the reduced axes, times
// 1/n (mean), the share of each maximum (max, min), exp(x - out) (lse).
func (o reduceOp) Backward(b *Builder, in []*Sym, out, g *Sym) ([]*Sym, error) {
	x := in[0]
	axes, err := axesOf(o.axes, x.typ.Shape.Rank())
	if err != nil {
		return nil, err
	}
	keepShape := reducedShape(x.typ.Shape, axes, true)
	gk := b.Reshape(g, keepShape)
	var dx *Sym
	switch o.kind {
	case redSum:
		dx = b.BroadcastTo(gk, x.typ.Shape)
	case redMean:
		n := x.typ.Shape.Size() / max(keepShape.Size(), 1)
		dx = b.BroadcastTo(b.Scale(gk, 1/float64(n)), x.typ.Shape)
	case redMax, redMin:
		hit := b.mask(cmpEQ, x, b.Reshape(out, keepShape))
		share := b.Div(hit, b.Sum(hit, true, axes...))
		dx = b.Mul(share, gk)
	case redLSE:
		dx = b.Mul(b.unary(opExp, b.Sub(x, b.Reshape(out, keepShape))), gk)
	case redProd:
		dx = b.Op(prodGradOp{axes: axes}, x, gk)
	}
	return []*Sym{dx}, b.Err()
}

// prodGradOp is the gradient of Prod: g times the product of the other
// elements of each reduced group (exact with zeros).
type prodGradOp struct{ axes []int }

func (o prodGradOp) String() string { return "ProdGrad" }

func (o prodGradOp) Infer(in []Type) (Type, error) { return floatLike(in[0]) }

func (o prodGradOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	x, g := in[0], in[1]
	xs := x.shape
	// Walk each reduced group through its flat offsets.
	st := xs.strides()
	var kept, gone []int
	for i := range xs {
		if slices.Contains(o.axes, i) {
			gone = append(gone, i)
		} else {
			kept = append(kept, i)
		}
	}
	n := 1
	for _, a := range gone {
		n *= xs[a]
	}
	offs := make([]int, n)
	vals := make([]float64, n)
	groups := x.Len() / max(n, 1)
	ko := make([]int, len(kept))
	for gi := 0; gi < groups; gi++ {
		base := 0
		for j, a := range kept {
			base += ko[j] * st[a]
		}
		ro := make([]int, len(gone))
		for r := 0; r < n; r++ {
			off := base
			for j, a := range gone {
				off += ro[j] * st[a]
			}
			offs[r], vals[r] = off, x.At(off)
			for j := len(gone) - 1; j >= 0; j-- {
				if ro[j]++; ro[j] < xs[gone[j]] {
					break
				}
				ro[j] = 0
			}
		}
		gv := g.At(gi)
		// Exclusive products: prefix times suffix.
		pre := 1.0
		for r := 0; r < n; r++ {
			out.Set(offs[r], pre)
			pre *= vals[r]
		}
		suf := 1.0
		for r := n - 1; r >= 0; r-- {
			out.Set(offs[r], out.At(offs[r])*suf*gv)
			suf *= vals[r]
		}
		for j := len(kept) - 1; j >= 0; j-- {
			if ko[j]++; ko[j] < xs[kept[j]] {
				break
			}
			ko[j] = 0
		}
	}
	return nil
}

func (o prodGradOp) Backward(*Builder, []*Sym, *Sym, *Sym) ([]*Sym, error) {
	return nil, NoSecondOrder("Prod")
}

// varOp is the variance over axes with a correction (0: biased, 1: unbiased).
type varOp struct {
	axes       []int
	correction int
	keep       bool
}

func (o varOp) String() string { return fmt.Sprintf("Var%v(correction %d)", o.axes, o.correction) }

func (o varOp) Infer(in []Type) (Type, error) {
	t, err := reduceOp{kind: redMean, axes: o.axes, keep: o.keep}.Infer(in)
	if err != nil {
		return t, err
	}
	if o.correction < 0 {
		return Type{}, shapeErr("correction %d (want >= 0)", o.correction)
	}
	return t, nil
}

func (o varOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	x := in[0]
	axes, err := axesFast(o.axes, len(x.shape))
	if err != nil {
		return err
	}
	switch out.dtype {
	case Float32:
		variance(out.f32, x.f32, x.shape, axes, o.correction)
	case Float64:
		variance(out.f64, x.f64, x.shape, axes, o.correction)
	}
	return nil
}

// variance computes two-pass variances in float64, group by group.
func variance[T Float](out, x []T, s Shape, axes []int, correction int) {
	outer, red, inner, ok := blocks(s, axes)
	if !ok { // gather each group, then the same arithmetic
		mean := make([]T, len(out))
		reduceInto(redMean, mean, x, s, axes)
		sq := make([]T, len(x))
		keep := reducedShape(s, axes, true)
		l, _ := newLayout(s, s, keep)
		l.walk(func(o, i0, i1, _, n int) {
			for i := 0; i < n; i++ {
				d := float64(x[i0+i*l.inner(0)]) - float64(mean[i1+i*l.inner(1)])
				sq[o+i] = T(d * d)
			}
		})
		reduceInto(redSum, out, sq, s, axes)
		for i := range out {
			out[i] = T(float64(out[i]) / float64(red0(s, axes)-correction))
		}
		return
	}
	den := float64(red - correction)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			var m float64
			for r := 0; r < red; r++ {
				m += float64(x[(o*red+r)*inner+i])
			}
			m /= float64(red)
			var v float64
			for r := 0; r < red; r++ {
				d := float64(x[(o*red+r)*inner+i]) - m
				v += d * d
			}
			out[o*inner+i] = T(v / den)
		}
	}
}

// red0 is the number of elements reduced over axes.
func red0(s Shape, axes []int) int {
	n := 1
	for _, a := range axes {
		n *= s[a]
	}
	return n
}

// Backward: dVar/dx = 2(x - mean)/(n - correction).
func (o varOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	x := in[0]
	axes, err := axesOf(o.axes, x.typ.Shape.Rank())
	if err != nil {
		return nil, err
	}
	n := red0(x.typ.Shape, axes)
	keepShape := reducedShape(x.typ.Shape, axes, true)
	mean := b.Scale(b.Sum(x, true, axes...), 1/float64(n))
	d := b.Sub(x, mean)
	dx := b.Mul(b.Scale(d, 2/float64(n-o.correction)), b.Reshape(g, keepShape))
	return []*Sym{dx}, b.Err()
}
