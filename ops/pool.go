package ops

import (
	"fmt"
	"math"

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

func (o *maxPool) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	xs := in[0].Shape()
	g := newGeom(xs[1], xs[2], xs[3], o.cfg.Kernel, o.cfg.Stride, o.cfg.Padding)
	if cap(o.argmax) < out.Len() {
		o.argmax = make([]int32, out.Len())
	}
	o.argmax = o.argmax[:out.Len()]
	planes := xs[0] * xs[1]
	switch out.DType() {
	case graph.Float32:
		maxPoolKernel(data[float32](out), data[float32](in[0]), o.argmax, g, planes)
	case graph.Float64:
		maxPoolKernel(data[float64](out), data[float64](in[0]), o.argmax, g, planes)
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

func maxPoolKernel[T Float](y, x []T, argmax []int32, g geom, planes int) {
	if g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 {
		maxPool2x2(y, x, argmax, g, planes)
		return
	}
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

// maxPool2x2 is maxPoolKernel for the common 2×2 window, stride 2, no
// padding, unrolled (three times faster than the general loops). Starting
// from the window's first element is PyTorch's rule too: it is taken
// unless a later one is greater or NaN.
func maxPool2x2[T Float](y, x []T, argmax []int32, g geom, planes int) {
	P := g.out()
	for p := 0; p < planes; p++ {
		xp := x[p*g.in():][:g.in()]
		yp, ap := y[p*P:][:P], argmax[p*P:][:P]
		for i := 0; i < g.oh; i++ {
			r0 := xp[2*i*g.w:][:2*g.ow]
			r1 := xp[(2*i+1)*g.w:][:len(r0)]
			yr, ar := yp[i*g.ow:][:g.ow], ap[i*g.ow:][:g.ow]
			at0, at1 := int32(2*i*g.w), int32((2*i+1)*g.w)
			for j := range yr {
				k := 2 * j
				best, at := r0[k], at0+int32(k)
				if v := r0[k+1]; v > best || v != v {
					best, at = v, at0+int32(k+1)
				}
				if v := r1[k]; v > best || v != v {
					best, at = v, at1+int32(k)
				}
				if v := r1[k+1]; v > best || v != v {
					best, at = v, at1+int32(k+1)
				}
				yr[j], ar[j] = best, at
			}
		}
	}
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
	plane, P := o.x[2]*o.x[3], in[0].Len()/(o.x[0]*o.x[1])
	switch out.DType() {
	case graph.Float32:
		maxPoolGradKernel(data[float32](out), data[float32](in[0]), o.f.argmax, plane, P)
	case graph.Float64:
		maxPoolGradKernel(data[float64](out), data[float64](in[0]), o.f.argmax, plane, P)
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
		avgPoolKernel(data[float32](out), data[float32](in[0]), g, xs[0]*xs[1], false)
	case graph.Float64:
		avgPoolKernel(data[float64](out), data[float64](in[0]), g, xs[0]*xs[1], false)
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

func (o avgPoolGrad) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	g := newGeom(o.x[1], o.x[2], o.x[3], o.cfg.Kernel, o.cfg.Stride, o.cfg.Padding)
	switch out.DType() {
	case graph.Float32:
		avgPoolKernel(data[float32](in[0]), data[float32](out), g, o.x[0]*o.x[1], true)
	case graph.Float64:
		avgPoolKernel(data[float64](in[0]), data[float64](out), g, o.x[0]*o.x[1], true)
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}
