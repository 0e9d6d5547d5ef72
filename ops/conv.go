package ops

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
)

// ConvConfig is the geometry of Conv.
type ConvConfig struct {
	// Stride per dimension; a zero component selects 1.
	Stride HW
	// Padding: zeros added on both sides of each dimension (symmetric).
	Padding HW
}

// Conv is the 2-D cross-correlation of PyTorch's conv2d: x [N, C, H, W],
// w [O, C, kh, kw] (torch's layout), b [O] or nil for no bias; the result
// is [N, O, (H+2ph-kh)/sh+1, (W+2pw-kw)/sw+1]. float32 stride-1
// convolutions with C·kh·kw >= 128 run on direct AVX-512 kernels
// (internal/dconv) where the CPU has them; the others as im2col and
// matrix products (internal/blas) per image or small group of images.
// Scratch is owned by each compiled program; the backward pass computes
// dW (and db) from the saved geometry, and dx only when it is needed.
func Conv(x, w, b *graph.Node, cfg ConvConfig) *graph.Node {
	op := &conv{stride: cfg.Stride.orDefault(Both(1)), pad: cfg.Padding}
	if err := op.check(); err != nil {
		return fail(op.String(), err, x, w, b)
	}
	if b == nil {
		return apply(op, x, w)
	}
	op.bias = true
	return apply(op, x, w, b)
}

// Conv2DConfig configures a Conv2D layer; the zero value is PyTorch's
// nn.Conv2d default (stride 1, no padding, a bias, its initialisation).
type Conv2DConfig struct {
	Stride  HW // a zero component selects 1
	Padding HW
	NoBias  bool
	// Init initialises the weight; nil selects PyTorch's default,
	// kaiming_uniform with a = sqrt(5), i.e. U(±1/sqrt(fan_in)) with
	// fan_in = in·kernel².
	Init graph.Initializer
	// BiasInit initialises the bias; nil selects PyTorch's U(±1/sqrt(fan_in)).
	BiasInit graph.Initializer
}

// Conv2D is a convolution layer with weight <scope>/w [out, in, k, k] and
// bias <scope>/b [out], as torch.nn.Conv2d.
type Conv2D struct {
	w, b *graph.Node
	cfg  ConvConfig
}

// NewConv2D creates the layer's parameters (weight first, then bias, from
// the graph's random stream).
func NewConv2D(s graph.Scope, in, out, kernel int, cfg Conv2DConfig) (*Conv2D, error) {
	g := s.Graph()
	if g == nil {
		return nil, fmt.Errorf("ops: NewConv2D: %w: the scope has no graph", graph.ErrGraph)
	}
	if in <= 0 || out <= 0 || kernel <= 0 {
		return nil, fmt.Errorf("ops: NewConv2D %q: %w", s.Prefix(), configErr("in %d, out %d, kernel %d (want > 0)", in, out, kernel))
	}
	c := &Conv2D{cfg: ConvConfig{Stride: cfg.Stride, Padding: cfg.Padding}}
	op := &conv{stride: cfg.Stride.orDefault(Both(1)), pad: cfg.Padding}
	if err := op.check(); err != nil {
		return nil, fmt.Errorf("ops: NewConv2D %q: %w", s.Prefix(), err)
	}
	init := cfg.Init
	if init == nil {
		init = graph.HeUniform{He: graph.He{A: math.Sqrt(5)}}
	}
	c.w = s.Param("w", []int{out, in, kernel, kernel}, init)
	if !cfg.NoBias && !c.w.Failed() { // a weight too large to create: no bias allocated in vain
		bi := cfg.BiasInit
		if bi == nil {
			bound := 1 / math.Sqrt(float64(in*kernel*kernel))
			bi = graph.Uniform{Low: -bound, High: bound}
		}
		c.b = s.Param("b", []int{out}, bi)
	}
	for _, n := range []*graph.Node{c.w, c.b} {
		if n != nil && n.Failed() {
			return nil, fmt.Errorf("ops: NewConv2D %q: %w", s.Prefix(), g.Err())
		}
	}
	return c, nil
}

// Forward convolves x [N, in, H, W].
func (c *Conv2D) Forward(x *graph.Node) *graph.Node { return Conv(x, c.w, c.b, c.cfg) }

// Weight returns the weight's node.
func (c *Conv2D) Weight() *graph.Node { return c.w }

// Bias returns the bias's node, or nil with NoBias.
func (c *Conv2D) Bias() *graph.Node { return c.b }

// Params returns the weight and, unless NoBias, the bias.
func (c *Conv2D) Params() []*graph.Param {
	if c.b == nil {
		return []*graph.Param{c.w.Param()}
	}
	return []*graph.Param{c.w.Param(), c.b.Param()}
}

// conv is the convolution op. Lower gives each compiled program its own
// instance, and so its own im2col scratch.
type conv struct {
	stride, pad HW
	bias        bool
	group       int           // images per matrix product; 0 selects groupSize's choice
	ws          []convScratch // per worker
	wb          scratch       // the weights with the bias as an extra column
	task        any           // *convFwd[T], reused
	direct      scratch       // dconv's packed weights and bias
	dpad        scratch       // padded images of a small batch (convdirect.go)
	dtask       any           // *directTask, reused
}

func (o *conv) String() string { return fmt.Sprintf("Conv2D(stride %v, pad %v)", o.stride, o.pad) }

func (o *conv) check() error {
	if o.stride[0] <= 0 || o.stride[1] <= 0 {
		return configErr("stride %v (want > 0)", o.stride)
	}
	if o.pad[0] < 0 || o.pad[1] < 0 {
		return configErr("padding %v (want >= 0)", o.pad)
	}
	return nil
}

func (o *conv) Lower(graph.Mode) graph.Op {
	return &conv{stride: o.stride, pad: o.pad, bias: o.bias, group: o.group}
}

func (o *conv) Infer(in []graph.Type) (graph.Type, error) {
	if err := sameFloat(in); err != nil {
		return graph.Type{}, err
	}
	x, w := in[0].Shape, in[1].Shape
	if x.Rank() != 4 || w.Rank() != 4 {
		return graph.Type{}, shapeErr("input %v and weight %v (want [N C H W] and [O C kh kw])", x, w)
	}
	if x[1] != w[1] || x[1] == graph.Batch || x[2] == graph.Batch || x[3] == graph.Batch {
		return graph.Type{}, shapeErr("input %v has %s channels, weight %v has %d", x, dim(x[1]), w, w[1])
	}
	if o.bias && !in[2].Shape.Equal(graph.Shape{w[0]}) {
		return graph.Type{}, shapeErr("bias %v (want [%d])", in[2].Shape, w[0])
	}
	g := newGeom(x[1], x[2], x[3], HW{w[2], w[3]}, o.stride, o.pad)
	if x[2]+2*g.ph < g.kh || x[3]+2*g.pw < g.kw {
		return graph.Type{}, shapeErr("kernel %v is larger than the padded input %v (padding %v)", HW{g.kh, g.kw}, x, o.pad)
	}
	return graph.Type{DType: in[0].DType, Shape: graph.Shape{x[0], w[0], g.oh, g.ow}}, nil
}

func (o *conv) geom(x, w graph.Shape) geom {
	return newGeom(x[1], x[2], x[3], HW{w[2], w[3]}, o.stride, o.pad)
}

func (o *conv) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	switch out.DType() {
	case graph.Float32:
		convForward[float32](o, out, in)
	case graph.Float64:
		convForward[float64](o, out, in)
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

func convForward[T Float](o *conv, out *graph.Tensor, in []*graph.Tensor) {
	xs, ws := in[0].Shape(), in[1].Shape()
	var b []T
	if o.bias {
		b = data[T](in[2])
	}
	convForwardKernel(o, data[T](out), data[T](in[0]), data[T](in[1]), b, xs[0], ws[0], o.geom(xs, ws))
}

// Backward: dx = col2im(Wᵀ·dY), dW = Σₙ dYₙ·colₙᵀ, db = Σ dY over n, h, w
// (a by-product of dW's products: see convGradWKernel).
func (o *conv) Backward(b *graph.Builder, in []*graph.Sym, _, grad *graph.Sym) ([]*graph.Sym, error) {
	xs, ws := in[0].Shape(), in[1].Shape()
	g := o.geom(xs, ws)
	dx, err := b.Apply(&convGradX{g: g, x: xs.Clone(), group: o.group}, grad, in[1])
	if err != nil {
		return nil, err
	}
	gw := &convGradW{g: g, w: ws.Clone(), group: o.group, bias: o.bias}
	dw, err := b.Apply(gw, in[0], grad)
	if err != nil || !o.bias {
		return []*graph.Sym{dx, dw}, err
	}
	db, err := b.Apply(&convGradB{w: gw}, grad, dw)
	return []*graph.Sym{dx, dw, db}, err
}

// convGradX: inputs dY [N, O, oh, ow] and W; output dx [N, C, H, W].
type convGradX struct {
	g      geom
	x      graph.Shape
	group  int           // images per matrix product; 0 selects groupSize's choice
	ws     []convScratch // per worker
	task   any           // *convGradXTask[T], reused
	direct scratch       // dconv's packed weights
	dpad   scratch       // padded images of a small batch (convdirect.go)
	dtask  any           // *directTask, reused
}

func (o *convGradX) String() string { return "Conv2DGradX" }

func (o *convGradX) Infer(in []graph.Type) (graph.Type, error) {
	if err := sameFloat(in); err != nil {
		return graph.Type{}, err
	}
	if s := in[0].Shape; s.Rank() != 4 || s[0] != o.x[0] || s[2] != o.g.oh || s[3] != o.g.ow {
		return graph.Type{}, shapeErr("output gradient %v does not fit input %v", s, o.x)
	}
	return graph.Type{DType: in[0].DType, Shape: o.x.Clone()}, nil
}

func (o *convGradX) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	switch out.DType() {
	case graph.Float32:
		convGradXKernel(o, data[float32](out), data[float32](in[0]), data[float32](in[1]), in[1].Shape()[0])
	case graph.Float64:
		convGradXKernel(o, data[float64](out), data[float64](in[0]), data[float64](in[1]), in[1].Shape()[0])
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

// convGradW: inputs x and dY; output dW [O, C, kh, kw]. With bias it
// also computes db for convGradB, when it can (hasDB).
type convGradW struct {
	g       geom
	w       graph.Shape
	group   int           // images per matrix product; 0 selects one
	bias    bool          // compute db too
	ws      []convScratch // per worker
	parts   scratch       // a partial dW (or dWᵀ, with db as an extra column or row) per chunk of images
	db      scratch
	dbParts scratch // the direct path's partial db per chunk (float64)
	task    any     // *convGradWTask[T], reused
	dtask   any     // *gradWDirect, reused
	hasDB   bool    // the last run left db in db
}

func (o *convGradW) String() string { return "Conv2DGradW" }

func (o *convGradW) Infer(in []graph.Type) (graph.Type, error) {
	if err := sameFloat(in); err != nil {
		return graph.Type{}, err
	}
	return graph.Type{DType: in[0].DType, Shape: o.w.Clone()}, nil
}

func (o *convGradW) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	switch out.DType() {
	case graph.Float32:
		convGradWKernel(o, data[float32](out), data[float32](in[0]), data[float32](in[1]), in[0].Shape()[0])
	case graph.Float64:
		convGradWKernel(o, data[float64](out), data[float64](in[0]), data[float64](in[1]), in[0].Shape()[0])
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

// convGradB: inputs dY [N, O, oh, ow] and dW (for order: it runs after
// w); output db [O], w's by-product, or summed here when w has none. A
// program that wants db but not dW (a frozen weight) still runs w.
type convGradB struct{ w *convGradW }

func (*convGradB) String() string { return "Conv2DGradB" }

func (*convGradB) Infer(in []graph.Type) (graph.Type, error) {
	if in[0].Shape.Rank() != 4 {
		return graph.Type{}, shapeErr("output gradient %v (want rank 4)", in[0].Shape)
	}
	return graph.Type{DType: in[0].DType, Shape: graph.Shape{in[0].Shape[1]}}, nil
}

func (o *convGradB) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	l := layoutOf(in[0].Shape())
	switch out.DType() {
	case graph.Float32:
		convGradBKernel(o, data[float32](out), data[float32](in[0]), l)
	case graph.Float64:
		convGradBKernel(o, data[float64](out), data[float64](in[0]), l)
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

func convGradBKernel[T Float](o *convGradB, db, dy []T, l layout) {
	if o.w != nil && o.w.hasDB {
		copy(db, buf[T](&o.w.db, len(db)))
		return
	}
	sumPlanes(db, dy, l)
}

// sumPlanes sets out[c] = Σ x[·, c, ·], accumulating in float64.
func sumPlanes[T Float](out, x []T, l layout) {
	for c := range out {
		s := 0.0
		for n := 0; n < l.n; n++ {
			s += planeSum(x[(n*l.c+c)*l.s:][:l.s])
		}
		out[c] = T(s)
	}
}
