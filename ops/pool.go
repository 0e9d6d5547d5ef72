package ops

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/descent-ml/descent/graph"
)

// PoolConfig is the window of MaxPool2D and AvgPool2D, as PyTorch's
// max_pool2d and avg_pool2d with ceil_mode false.
type PoolConfig struct {
	// Kernel is the window size; required.
	Kernel HW
	// Stride per dimension; a zero component selects the kernel's (PyTorch's default).
	Stride HW
	// Padding on both sides of each dimension, at most half the kernel:
	// -inf for max pooling, zeros for average pooling.
	Padding HW
}

func (c PoolConfig) resolve() (PoolConfig, error) {
	c.Stride = c.Stride.orDefault(c.Kernel)
	for i := range 2 {
		switch {
		case c.Kernel[i] <= 0:
			return c, configErr("kernel %v (want > 0)", c.Kernel)
		case c.Stride[i] <= 0:
			return c, configErr("stride %v (want > 0)", c.Stride)
		case c.Padding[i] < 0 || 2*c.Padding[i] > c.Kernel[i]:
			return c, configErr("padding %v with kernel %v (want 0 <= padding <= kernel/2)", c.Padding, c.Kernel)
		}
	}
	return c, nil
}

// MaxPool2D takes the maximum over each window of x [N, C, H, W]. Its
// gradient goes to the first maximum of each window (PyTorch's choice on
// ties); a NaN in a window wins, as in PyTorch.
func MaxPool2D(x *graph.Node, cfg PoolConfig) *graph.Node {
	c, err := cfg.resolve()
	if err != nil {
		return fail("MaxPool2D", err, x)
	}
	return apply(&maxPool{cfg: c}, x)
}

// AvgPool2D averages each window of x [N, C, H, W], counting the padding
// (PyTorch's count_include_pad=True): every window divides by kh·kw.
func AvgPool2D(x *graph.Node, cfg PoolConfig) *graph.Node {
	c, err := cfg.resolve()
	if err != nil {
		return fail("AvgPool2D", err, x)
	}
	return apply(avgPool{cfg: c}, x)
}

// poolInfer checks x and returns the output type and geometry.
func poolInfer(cfg PoolConfig, in []graph.Type) (graph.Type, geom, error) {
	if err := sameFloat(in); err != nil {
		return graph.Type{}, geom{}, err
	}
	x := in[0].Shape
	if x.Rank() != 4 {
		return graph.Type{}, geom{}, shapeErr("input %v (want [N C H W])", x)
	}
	if x[2]+2*cfg.Padding[0] < cfg.Kernel[0] || x[3]+2*cfg.Padding[1] < cfg.Kernel[1] {
		return graph.Type{}, geom{}, shapeErr("kernel %v is larger than the padded input %v (padding %v)", cfg.Kernel, x, cfg.Padding)
	}
	g := newGeom(x[1], x[2], x[3], cfg.Kernel, cfg.Stride, cfg.Padding)
	return graph.Type{DType: in[0].DType, Shape: graph.Shape{x[0], x[1], g.oh, g.ow}}, g, nil
}

// window returns the rows [h0, h1) and columns [w0, w1) of the input that
// output pixel (i, j) covers, clipped to the image.
func (g geom) window(i, j int) (h0, h1, w0, w1 int) {
	h0, w0 = i*g.sh-g.ph, j*g.sw-g.pw
	h1, w1 = min(h0+g.kh, g.h), min(w0+g.kw, g.w)
	return max(h0, 0), h1, max(w0, 0), w1
}

// maxPool saves the argmax of every window for its backward op; Lower
// gives each compiled program its own instance.
type maxPool struct {
	cfg    PoolConfig
	argmax []int32 // index in the input plane, per output element
	pos    []uint8 // 2×2 windows (is2x2): the argmax's place in its window, 0 to 3
}

func (o *maxPool) String() string {
	return fmt.Sprintf("MaxPool2D(kernel %v, stride %v, pad %v)", o.cfg.Kernel, o.cfg.Stride, o.cfg.Padding)
}

func (o *maxPool) Lower(graph.Mode) graph.Op { return &maxPool{cfg: o.cfg} }

func (o *maxPool) Infer(in []graph.Type) (graph.Type, error) {
	t, g, err := poolInfer(o.cfg, in)
	if err == nil && g.in() > math.MaxInt32 {
		err = shapeErr("input %v: planes over 2³¹ elements", in[0].Shape)
	}
	return t, err
}

// is2x2 reports whether g is the common 2×2 window, stride 2, no padding,
// which has its own kernels.
func (g geom) is2x2() bool {
	return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0
}

func (o *maxPool) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	xs := in[0].Shape()
	g := newGeom(xs[1], xs[2], xs[3], o.cfg.Kernel, o.cfg.Stride, o.cfg.Padding)
	planes := xs[0] * xs[1]
	if g.is2x2() {
		if cap(o.pos) < out.Len() {
			o.pos = make([]uint8, out.Len())
		}
		o.pos = o.pos[:out.Len()]
		switch out.DType() {
		case graph.Float32:
			planeSplit(&planeLoop32, planeArgs[float32]{op: planeMax2x2, y: data[float32](out), x: data[float32](in[0]), pos: o.pos, g: g}, planes)
		case graph.Float64:
			planeSplit(&planeLoop64, planeArgs[float64]{op: planeMax2x2, y: data[float64](out), x: data[float64](in[0]), pos: o.pos, g: g}, planes)
		default:
			return dtypeErr("%v", out.DType())
		}
		return nil
	}
	if cap(o.argmax) < out.Len() {
		o.argmax = make([]int32, out.Len())
	}
	o.argmax = o.argmax[:out.Len()]
	switch out.DType() {
	case graph.Float32:
		planeSplit(&planeLoop32, planeArgs[float32]{op: planeMax, y: data[float32](out), x: data[float32](in[0]), argmax: o.argmax, g: g}, planes)
	case graph.Float64:
		planeSplit(&planeLoop64, planeArgs[float64]{op: planeMax, y: data[float64](out), x: data[float64](in[0]), argmax: o.argmax, g: g}, planes)
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

func maxPoolKernel[T Float](y, x []T, argmax []int32, g geom, planes int) {
	P := g.out()
	for p := 0; p < planes; p++ {
		xp := x[p*g.in():][:g.in()]
		yp, ap := y[p*P:][:P], argmax[p*P:][:P]
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				h0, h1, w0, w1 := g.window(i, j)
				best, at := T(math.Inf(-1)), h0*g.w+w0
				for h := h0; h < h1; h++ {
					row := xp[h*g.w:]
					for w := w0; w < w1; w++ {
						if v := row[w]; v > best || v != v {
							best, at = v, h*g.w+w
						}
					}
				}
				yp[i*g.ow+j], ap[i*g.ow+j] = best, int32(at)
			}
		}
	}
}

// maxPool2x2 is maxPoolKernel for 2×2 windows, stride 2, no padding,
// without branches: on random data (and after a ReLU, with its ties at
// 0) the comparisons go either way, and the branches of the general
// loops were mispredicted often enough to make max pooling a tenth of a
// CNN's training step. It runs a tournament, the winner of each row's
// pair, then of the two rows, the later value winning only when greater:
// the first maximum, as in the general loops and PyTorch. Each plane
// takes the first of three paths that accepts it:
//
//   - maxPool2xBits (maxPool2xBits64), for planes of non-negative values,
//     as after a ReLU: integer compares on the bits, conditional moves
//     (measured 20% faster than the next path);
//   - maxPool2xRow, row by row: float compares as SETcc; NaNs, which win
//     in the general loops (the last one), are not tested per
//     comparison: a sum of the windows flags a row that may have one (or
//     ±Inf of both signs);
//   - maxPool2xRowNaN for such a row: the general rule.
//
// After a plane that the first path refuses, the rest of the call skips
// it. pos gets the winner's place in its window: 2·row + column.
func maxPool2x2[T Float](y, x []T, pos []uint8, g geom, planes int) {
	P := g.out()
	var z T
	bits := unsafe.Sizeof(z) == 8 || littleEndian()
	for p := 0; p < planes; p++ {
		xp := x[p*g.in():][:g.in()]
		yp, ap := y[p*P:][:P], pos[p*P:][:P]
		if bits {
			if unsafe.Sizeof(z) == 4 {
				bits = maxPool2xBits(asBits[T, uint32](yp), ap, asBits[T, uint32](xp), g)
			} else {
				bits = maxPool2xBits64(asBits[T, uint64](yp), ap, asBits[T, uint64](xp), g)
			}
			if bits {
				continue
			}
		}
		for i := 0; i < g.oh; i++ {
			r0 := xp[2*i*g.w:][:2*g.ow]
			r1 := xp[(2*i+1)*g.w:][:len(r0)]
			yr, ar := yp[i*g.ow:][:g.ow], ap[i*g.ow:][:g.ow]
			if !maxPool2xRow(yr, ar, r0, r1) {
				maxPool2xRowNaN(yr, ar, r0, r1)
			}
		}
	}
}

// maxPool2xBits is maxPool2xRow for a plane x of non-negative float32
// values, on their bits: they order as unsigned integers as the floats
// do (no sign; the exponent above the mantissa), so the selects become
// conditional moves, and a window's row is one 8-byte load (on a
// little-endian machine). It reports false, y and pos then partly
// written, if a value has its sign bit set (negative, -0 or a NaN with
// the sign) or is a NaN (above the bits of +Inf).
func maxPool2xBits(y []uint32, pos []uint8, x []uint32, g geom) bool {
	n := g.oh * g.ow
	if n == 0 {
		return true
	}
	_, _, _ = y[n-1], pos[n-1], x[(2*g.oh-1)*g.w+2*g.ow-1] // the bounds of the loop's accesses
	py, pp, px := unsafe.Pointer(unsafe.SliceData(y)), unsafe.Pointer(unsafe.SliceData(pos)), unsafe.Pointer(unsafe.SliceData(x))
	row := uintptr(g.w) * 4
	var or uint64
	var mx uint32
	k := uintptr(0) // output index
	for i := range uintptr(g.oh) {
		p0 := unsafe.Add(px, 2*i*row)
		for j := range uintptr(g.ow) {
			w0, w1 := *(*uint64)(unsafe.Add(p0, 8*j)), *(*uint64)(unsafe.Add(p0, 8*j+row))
			or |= w0 | w1
			a, b, c, d := uint32(w0), uint32(w0>>32), uint32(w1), uint32(w1>>32) // little-endian
			top, q := a, 0
			if b > a {
				top, q = b, 1
			}
			bottom, q1 := c, 2
			if d > c {
				bottom, q1 = d, 3
			}
			if bottom > top {
				top, q = bottom, q1
			}
			mx = max(mx, top)
			*(*uint32)(unsafe.Add(py, 4*k)), *(*uint8)(unsafe.Add(pp, k)) = top, uint8(q)
			k++
		}
	}
	return or&(1<<31|1<<63) == 0 && mx <= 0x7f800000
}

// maxPool2xBits64 is maxPool2xBits for float64.
func maxPool2xBits64(y []uint64, pos []uint8, x []uint64, g geom) bool {
	var or, mx uint64
	for i := 0; i < g.oh; i++ {
		r0 := x[2*i*g.w:][:2*g.ow]
		r1 := x[(2*i+1)*g.w:][:len(r0)]
		yr, ar := y[i*g.ow:][:g.ow], pos[i*g.ow:][:g.ow]
		for j := range yr {
			a, b, c, d := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
			or |= (a | b) | (c | d)
			top, q := a, 0
			if b > a {
				top, q = b, 1
			}
			bottom, q1 := c, 2
			if d > c {
				bottom, q1 = d, 3
			}
			if bottom > top {
				top, q = bottom, q1
			}
			mx = max(mx, top)
			yr[j], ar[j] = top, uint8(q)
		}
	}
	return or&(1<<63) == 0 && mx <= 0x7ff0000000000000
}

// maxPool2xRow pools one row of windows from input rows r0 and r1 (len
// 2·len(y)), ignoring NaNs; it reports false if the row may hold one.
func maxPool2xRow[T Float](y []T, pos []uint8, r0, r1 []T) bool {
	n := len(y)
	if n == 0 {
		return true
	}
	_, _, _ = pos[n-1], r0[2*n-1], r1[2*n-1] // the bounds of the loop's accesses
	var z T
	sz := unsafe.Sizeof(z)
	r0p, r1p := unsafe.Pointer(unsafe.SliceData(r0)), unsafe.Pointer(unsafe.SliceData(r1))
	py, pp := unsafe.Pointer(unsafe.SliceData(y)), unsafe.Pointer(unsafe.SliceData(pos))
	var sum T
	for j := range uintptr(n) {
		p0, p1 := unsafe.Add(r0p, 2*j*sz), unsafe.Add(r1p, 2*j*sz)
		a, b := *(*T)(p0), *(*T)(unsafe.Add(p0, sz))
		c, d := *(*T)(p1), *(*T)(unsafe.Add(p1, sz))
		sum += (a + b) + (c + d)
		c0, c1 := b2i(b > a), b2i(d > c)
		top, bottom := *(*T)(unsafe.Add(p0, uintptr(c0)*sz)), *(*T)(unsafe.Add(p1, uintptr(c1)*sz))
		r := b2i(bottom > top)
		*(*uint8)(unsafe.Add(pp, j)) = uint8(r<<1 | c0 ^ ((c0 ^ c1) & -r)) // c1 if the bottom row wins
		*(*T)(unsafe.Add(py, j*sz)) = [2]T{top, bottom}[r]
	}
	return sum == sum
}

// maxPool2xRowNaN is maxPool2xRow with NaNs winning.
func maxPool2xRowNaN[T Float](y []T, pos []uint8, r0, r1 []T) {
	r1 = r1[:len(r0)]
	for j := range y {
		k := 2 * j
		c0 := wins(r0[k], r0[k+1])
		c1 := wins(r1[k], r1[k+1])
		top, bottom := r0[k+c0], r1[k+c1]
		r := wins(top, bottom)
		pos[j] = uint8(r<<1 | c0 ^ ((c0 ^ c1) & -r))
		y[j] = [2]T{top, bottom}[r]
	}
}

// wins returns 1 when b displaces a earlier in its window (b > a or b is
// NaN), else 0, as a SETcc rather than a branch.
func wins[T Float](a, b T) int {
	return b2i(b > a) | b2i(b != b)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Backward routes each output gradient to its window's argmax.
func (o *maxPool) Backward(b *graph.Builder, in []*graph.Sym, out, grad *graph.Sym) ([]*graph.Sym, error) {
	dx, err := b.Apply(&maxPoolGrad{f: o, x: in[0].Shape().Clone()}, grad, out)
	return []*graph.Sym{dx}, err
}

// maxPoolGrad: inputs dY and the forward output (for order only).
type maxPoolGrad struct {
	f *maxPool
	x graph.Shape
}

func (o *maxPoolGrad) String() string { return "MaxPool2DGrad" }

func (o *maxPoolGrad) Infer(in []graph.Type) (graph.Type, error) {
	return graph.Type{DType: in[0].DType, Shape: o.x.Clone()}, nil
}

func (o *maxPoolGrad) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	xs, cfg := o.x, o.f.cfg
	g := newGeom(xs[1], xs[2], xs[3], cfg.Kernel, cfg.Stride, cfg.Padding)
	op := planeMaxGrad
	if g.is2x2() {
		op = planeMax2x2Grad
	}
	switch out.DType() {
	case graph.Float32:
		planeSplit(&planeLoop32, planeArgs[float32]{op: op, y: data[float32](in[0]), x: data[float32](out), pos: o.f.pos, argmax: o.f.argmax, g: g}, xs[0]*xs[1])
	case graph.Float64:
		planeSplit(&planeLoop64, planeArgs[float64]{op: op, y: data[float64](in[0]), x: data[float64](out), pos: o.f.pos, argmax: o.f.argmax, g: g}, xs[0]*xs[1])
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

func maxPoolGradKernel[T Float](dx, dy []T, argmax []int32, plane, P int) {
	clear(dx)
	for p := 0; p*P < len(dy); p++ {
		dxp := dx[p*plane:][:plane]
		for i, v := range dy[p*P:][:P] {
			dxp[argmax[p*P+i]] += v
		}
	}
}

// maxPool2x2Grad is maxPoolGradKernel for maxPool2x2, on the bits of the
// values: it writes each window whole, the gradient at pos and +0
// elsewhere (masks, no branches), so dx needs no clearing first except
// the last row and column of odd sizes, which no window covers. row
// writes one row of windows (maxPool2x2GradRow, or
// maxPool2x2GradRow32).
func maxPool2x2Grad[U uint32 | uint64](dx, dy []U, pos []uint8, g geom, planes int, row func(d0, d1, dy []U, pos []uint8)) {
	P := g.out()
	for p := 0; p < planes; p++ {
		dxp := dx[p*g.in():][:g.in()]
		dyp, ap := dy[p*P:][:P], pos[p*P:][:P]
		for i := 0; i < g.oh; i++ {
			d0 := dxp[2*i*g.w:][:g.w]
			d1 := dxp[(2*i+1)*g.w:][:g.w]
			row(d0, d1, dyp[i*g.ow:][:g.ow], ap[i*g.ow:][:g.ow])
			if g.w > 2*g.ow {
				d0[g.w-1], d1[g.w-1] = 0, 0
			}
		}
		clear(dxp[2*g.oh*g.w:])
	}
}

// maxPool2x2GradRow writes the windows of one row: input rows d0 and d1
// (at least 2·len(dy) values), gradients dy, argmax places pos.
func maxPool2x2GradRow[U uint32 | uint64](d0, d1, dy []U, pos []uint8) {
	d0, d1, pos = d0[:2*len(dy)], d1[:2*len(dy)], pos[:len(dy)]
	for j, v := range dy {
		q, k := pos[j], 2*j
		d0[k] = v & -U(b2i(q == 0))
		d0[k+1] = v & -U(b2i(q == 1))
		d1[k] = v & -U(b2i(q == 2))
		d1[k+1] = v & -U(b2i(q == 3))
	}
}

// maxPool2x2GradRow32 is maxPool2x2GradRow for float32 on a
// little-endian machine, with a window's row as one uint64 (column 0 in
// its low half): the gradient shifted into its column, masked to its row.
// Two stores per window instead of four.
func maxPool2x2GradRow32(d0, d1, dy []uint32, pos []uint8) {
	w0, w1 := asPairs(d0)[:len(dy)], asPairs(d1)[:len(dy)]
	pos = pos[:len(dy)]
	for j, v := range dy {
		q := uint64(pos[j])
		w := uint64(v) << ((q & 1) * 32)
		bottom := -(q >> 1)
		w0[j], w1[j] = w&^bottom, w&bottom
	}
}

// asPairs views s as uint64 pairs (its length rounded down to even).
func asPairs(s []uint32) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(s))), len(s)/2)
}

// littleEndian reports whether the machine stores the low byte first.
func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// avgPool needs no state: its backward spreads each gradient evenly.
type avgPool struct{ cfg PoolConfig }

func (o avgPool) String() string {
	return fmt.Sprintf("AvgPool2D(kernel %v, stride %v, pad %v)", o.cfg.Kernel, o.cfg.Stride, o.cfg.Padding)
}

func (o avgPool) Infer(in []graph.Type) (graph.Type, error) {
	t, _, err := poolInfer(o.cfg, in)
	return t, err
}

func (o avgPool) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	xs := in[0].Shape()
	g := newGeom(xs[1], xs[2], xs[3], o.cfg.Kernel, o.cfg.Stride, o.cfg.Padding)
	switch out.DType() {
	case graph.Float32:
		planeSplit(&planeLoop32, planeArgs[float32]{op: planeAvg, y: data[float32](out), x: data[float32](in[0]), g: g}, xs[0]*xs[1])
	case graph.Float64:
		planeSplit(&planeLoop64, planeArgs[float64]{op: planeAvg, y: data[float64](out), x: data[float64](in[0]), g: g}, xs[0]*xs[1])
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

// avgPoolKernel averages x into y, or (backward) spreads y into x.
func avgPoolKernel[T Float](y, x []T, g geom, planes int, backward bool) {
	P := g.out()
	inv := T(1 / float64(g.kh*g.kw))
	if backward {
		clear(x)
	}
	for p := 0; p < planes; p++ {
		xp, yp := x[p*g.in():][:g.in()], y[p*P:][:P]
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				h0, h1, w0, w1 := g.window(i, j)
				if backward {
					v := yp[i*g.ow+j] * inv
					for h := h0; h < h1; h++ {
						row := xp[h*g.w:][w0:w1]
						for k := range row {
							row[k] += v
						}
					}
					continue
				}
				var s T
				for h := h0; h < h1; h++ {
					for _, v := range xp[h*g.w:][w0:w1] {
						s += v
					}
				}
				yp[i*g.ow+j] = s * inv
			}
		}
	}
}

func (o avgPool) Backward(b *graph.Builder, in []*graph.Sym, _, grad *graph.Sym) ([]*graph.Sym, error) {
	dx, err := b.Apply(avgPoolGrad{cfg: o.cfg, x: in[0].Shape().Clone()}, grad)
	return []*graph.Sym{dx}, err
}

// avgPoolGrad: input dY; output dx of the pooled input's shape.
type avgPoolGrad struct {
	cfg PoolConfig
	x   graph.Shape
}

func (o avgPoolGrad) String() string { return "AvgPool2DGrad" }

func (o avgPoolGrad) Infer(in []graph.Type) (graph.Type, error) {
	return graph.Type{DType: in[0].DType, Shape: o.x.Clone()}, nil
}

// Backward: the gradient of average pooling is linear in dY, and its
// adjoint is average pooling again.
func (o avgPoolGrad) Backward(b *graph.Builder, _ []*graph.Sym, _, gg *graph.Sym) ([]*graph.Sym, error) {
	d, err := b.Apply(avgPool{cfg: o.cfg}, gg)
	return []*graph.Sym{d}, err
}

func (o avgPoolGrad) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	g := newGeom(o.x[1], o.x[2], o.x[3], o.cfg.Kernel, o.cfg.Stride, o.cfg.Padding)
	switch out.DType() {
	case graph.Float32:
		planeSplit(&planeLoop32, planeArgs[float32]{op: planeAvgGrad, y: data[float32](in[0]), x: data[float32](out), g: g}, o.x[0]*o.x[1])
	case graph.Float64:
		planeSplit(&planeLoop64, planeArgs[float64]{op: planeAvgGrad, y: data[float64](in[0]), x: data[float64](out), g: g}, o.x[0]*o.x[1])
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}
