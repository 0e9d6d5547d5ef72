package ops

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
)

// BatchNormConfig configures a BatchNorm layer. The zero value is
// PyTorch's default (eps 1e-5, momentum 0.1, affine).
type BatchNormConfig struct {
	// Eps is added to the variance inside the square root; 0 selects 1e-5.
	Eps float64
	// Momentum is the weight of the new batch statistic in the running
	// averages, as in PyTorch (running = (1-m)·running + m·batch; the
	// opposite of Keras' convention); 0 selects 0.1. It must lie in [0, 1].
	Momentum float64
	// ZeroMomentum sets the momentum to exactly 0: training normalises with
	// batch statistics but the running statistics never change. Momentum
	// must then be left 0.
	ZeroMomentum bool
	// NoAffine drops gamma and beta (PyTorch's affine=False): y = x̂.
	NoAffine bool
}

// BatchNorm is batch normalisation (Ioffe & Szegedy 2015) over the
// channels (dimension 1) of inputs [N, C] or [N, C, H, W], as PyTorch's
// BatchNorm1d and BatchNorm2d. In Train mode it normalises with the batch
// mean and biased variance over all dimensions but 1 and updates the
// running statistics with the unbiased variance; in Eval mode it uses the
// running statistics and updates nothing.
//
// The running statistics are buffers of the graph: they belong to the
// model, are shared by every program compiled from it (any mode, any batch
// size) and are saved in checkpoints. Two BatchNorm layers never share
// state.
type BatchNorm struct {
	g        *graph.Graph
	name     string
	channels int
	eps      float64
	momentum float64
	gamma    *graph.Node // nil with NoAffine
	beta     *graph.Node
	mean     *graph.Node // buffer
	variance *graph.Node // buffer
}

// NewBatchNorm creates the layer's parameters <scope>/gamma (ones) and
// <scope>/beta (zeros), unless NoAffine, and its buffers
// <scope>/running_mean (zeros) and <scope>/running_var (ones).
func NewBatchNorm(s graph.Scope, channels int, cfg BatchNormConfig) (*BatchNorm, error) {
	g := s.Graph()
	if g == nil {
		return nil, fmt.Errorf("ops: NewBatchNorm: %w: the scope has no graph", graph.ErrGraph)
	}
	if channels <= 0 {
		return nil, fmt.Errorf("ops: NewBatchNorm %q: %w", s.Prefix(), configErr("%d channels (want > 0)", channels))
	}
	eps, mom := cfg.Eps, cfg.Momentum
	if eps == 0 {
		eps = 1e-5
	}
	if !(eps > 0) || math.IsInf(eps, 0) {
		return nil, fmt.Errorf("ops: NewBatchNorm %q: %w", s.Prefix(), configErr("eps %v (want finite and > 0)", cfg.Eps))
	}
	switch {
	case cfg.ZeroMomentum && mom != 0:
		return nil, fmt.Errorf("ops: NewBatchNorm %q: %w", s.Prefix(), configErr("momentum %v with ZeroMomentum (want Momentum left 0)", mom))
	case cfg.ZeroMomentum:
	case mom == 0:
		mom = 0.1
	case !(mom >= 0 && mom <= 1):
		return nil, fmt.Errorf("ops: NewBatchNorm %q: %w", s.Prefix(), configErr("momentum %v (want 0 <= momentum <= 1)", mom))
	}
	bn := &BatchNorm{g: g, name: s.Prefix(), channels: channels, eps: eps, momentum: mom}
	if !cfg.NoAffine {
		bn.gamma = s.Param("gamma", []int{channels}, graph.Ones())
		bn.beta = s.Param("beta", []int{channels}, graph.Zeros())
	}
	bn.mean = s.Buffer("running_mean", []int{channels}, graph.Zeros())
	bn.variance = s.Buffer("running_var", []int{channels}, graph.Ones())
	for _, n := range []*graph.Node{bn.gamma, bn.beta, bn.mean, bn.variance} {
		if n != nil && n.Failed() {
			return nil, fmt.Errorf("ops: NewBatchNorm %q: %w", s.Prefix(), g.Err())
		}
	}
	return bn, nil
}

// Forward normalises x, [N, C] or [N, C, H, W] with C the layer's channels.
// A bad input is recorded in the graph (see graph.Graph.Err) and a failed
// node is returned. A batch with one value per channel (N·H·W = 1) is
// refused in Train mode, as PyTorch does, when the program is compiled for
// that batch size: Run returns the error and nothing runs.
func (bn *BatchNorm) Forward(x *graph.Node) *graph.Node {
	op := &batchNormOp{bn: bn}
	switch {
	case x == nil:
		return fail(op.String(), fmt.Errorf("%w: nil input", graph.ErrGraph), bn.mean)
	case !x.Failed() && x.Graph() != bn.g:
		return fail(op.String(), fmt.Errorf("%w: the input comes from another graph than the layer", graph.ErrGraph), bn.mean)
	case bn.gamma == nil:
		return graph.Apply(op, x)
	}
	return graph.Apply(op, x, bn.gamma, bn.beta)
}

// Params returns the trainable parameters, gamma and beta (none with NoAffine).
func (bn *BatchNorm) Params() []*graph.Param {
	if bn.gamma == nil {
		return nil
	}
	return []*graph.Param{bn.gamma.Param(), bn.beta.Param()}
}

// Buffers returns the running mean and variance.
func (bn *BatchNorm) Buffers() []*graph.Param {
	return []*graph.Param{bn.mean.Param(), bn.variance.Param()}
}

// Gamma returns the scale parameter's node, or nil with NoAffine.
func (bn *BatchNorm) Gamma() *graph.Node { return bn.gamma }

// Beta returns the shift parameter's node, or nil with NoAffine.
func (bn *BatchNorm) Beta() *graph.Node { return bn.beta }

// RunningMean returns the running mean [C] (shared with the graph:
// Clone it to keep a copy).
func (bn *BatchNorm) RunningMean() *graph.Tensor { return bn.mean.Param().Value() }

// RunningVar returns the running (unbiased) variance [C] (shared with the
// graph: Clone it to keep a copy).
func (bn *BatchNorm) RunningVar() *graph.Tensor { return bn.variance.Param().Value() }

// Channels returns C.
func (bn *BatchNorm) Channels() int { return bn.channels }

// Eps returns the epsilon added to the variance.
func (bn *BatchNorm) Eps() float64 { return bn.eps }

// Momentum returns the weight of a new batch statistic in the running averages.
func (bn *BatchNorm) Momentum() float64 { return bn.momentum }

// batchNormOp is the op of the symbolic graph; Lower turns it into a
// bnForward for each compiled program.
type batchNormOp struct{ bn *BatchNorm }

func (o *batchNormOp) String() string { return fmt.Sprintf("BatchNorm(%s)", o.bn.name) }

func (o *batchNormOp) Infer(in []graph.Type) (graph.Type, error) {
	return o.bn.infer(in, false)
}

func (o *batchNormOp) Forward(*graph.Context, *graph.Tensor, []*graph.Tensor) error {
	return notLowered(o)
}

// Lower returns a fresh instance for one compiled program: it saves its
// batch statistics for the backward ops of that program.
func (o *batchNormOp) Lower(mode graph.Mode) graph.Op {
	c := o.bn.channels
	return &bnForward{bn: o.bn, train: mode == graph.Train, mean: make([]float64, c), invstd: make([]float64, c)}
}

// infer validates x (and gamma, beta); train adds PyTorch's check that a
// channel has more than one value.
func (bn *BatchNorm) infer(in []graph.Type, train bool) (graph.Type, error) {
	if err := sameFloat(in); err != nil {
		return graph.Type{}, err
	}
	x := in[0].Shape
	if r := x.Rank(); r != 2 && r != 4 {
		return graph.Type{}, shapeErr("input %v has rank %d (want [N C] or [N C H W])", x, r)
	}
	if x[1] != bn.channels {
		return graph.Type{}, shapeErr("input %v has %s channels (want %d)", x, dim(x[1]), bn.channels)
	}
	if in[0].DType != bn.g.DType() {
		return graph.Type{}, dtypeErr("input is %v (want the layer's %v)", in[0].DType, bn.g.DType())
	}
	for _, t := range in[1:] {
		if !t.Shape.Equal(graph.Shape{bn.channels}) {
			return graph.Type{}, shapeErr("gamma/beta %v (want [%d])", t.Shape, bn.channels)
		}
	}
	if train && !x.Symbolic() && x.Size()/bn.channels <= 1 {
		return graph.Type{}, shapeErr("input %v: expected more than 1 value per channel when training", x)
	}
	return graph.Type{DType: in[0].DType, Shape: x.Clone()}, nil
}

// layout views a [N, C, ...] tensor as [N, C, S].
type layout struct{ n, c, s int }

func layoutOf(s graph.Shape) layout {
	l := layout{n: s[0], c: s[1], s: 1}
	for _, d := range s[2:] {
		l.s *= d
	}
	return l
}

// count is the number of values per channel.
func (l layout) count() int { return l.n * l.s }

// bnForward runs batch norm in one compiled program. In Train mode it
// computes and saves the batch mean and 1/sqrt(var+eps) and updates the
// running statistics; in Eval mode it saves the running ones. The backward
// ops of the same program read what it saved: they take its output as an
// input, so they always run after it.
type bnForward struct {
	bn     *BatchNorm
	train  bool
	mean   []float64 // [C] statistics used by the last Forward
	invstd []float64 // [C]
	acc    []float64 // [C] scratch
	coef   scratch   // [2C] per-channel coefficients in T
}

func (o *bnForward) String() string {
	if o.train {
		return fmt.Sprintf("BatchNormTrain(%s)", o.bn.name)
	}
	return fmt.Sprintf("BatchNormEval(%s)", o.bn.name)
}

func (o *bnForward) Infer(in []graph.Type) (graph.Type, error) { return o.bn.infer(in, o.train) }

func (o *bnForward) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	var gamma, beta *graph.Tensor
	if len(in) == 3 {
		gamma, beta = in[1], in[2]
	}
	l := layoutOf(in[0].Shape())
	switch out.DType() {
	case graph.Float32:
		bnForwardKernel(o, l, data[float32](out), data[float32](in[0]), data[float32](gamma), data[float32](beta))
	case graph.Float64:
		bnForwardKernel(o, l, data[float64](out), data[float64](in[0]), data[float64](gamma), data[float64](beta))
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

func bnForwardKernel[T Float](o *bnForward, l layout, y, x, gamma, beta []T) {
	bn := o.bn
	rm, rv := data[T](bn.RunningMean()), data[T](bn.RunningVar())
	if o.train {
		m := float64(l.count())
		tmp := buf[T](&o.coef, 2*l.c)
		chanSplit(chanArgs[T]{op: chanSums, l: l, out: o.mean, x: x, tmp: tmp})
		for c := range o.mean {
			o.mean[c] /= m
		}
		variance := grow(&o.acc, l.c)
		chanSplit(chanArgs[T]{op: chanSqDev, l: l, out: variance, x: x, mean: o.mean, tmp: tmp})
		mom := bn.momentum
		for c, v := range variance {
			v /= m
			o.invstd[c] = 1 / math.Sqrt(v+bn.eps)
			rm[c] = T((1-mom)*float64(rm[c]) + mom*o.mean[c])
			rv[c] = T((1-mom)*float64(rv[c]) + mom*v*m/(m-1))
		}
	} else {
		for c := range o.mean {
			o.mean[c] = float64(rm[c])
			o.invstd[c] = 1 / math.Sqrt(float64(rv[c])+bn.eps)
		}
	}
	// y = x·a + (beta - mean·a) with a = gamma·invstd, as PyTorch.
	k := buf[T](&o.coef, 2*l.c)
	sc, sh := k[:l.c], k[l.c:]
	for c := range sc {
		g, b := 1.0, 0.0
		if gamma != nil {
			g, b = float64(gamma[c]), float64(beta[c])
		}
		a := g * o.invstd[c]
		sc[c], sh[c] = T(a), T(b-o.mean[c]*a)
	}
	chanSplit(chanArgs[T]{op: chanNorm, l: l, y: y, x: x, sc: sc, sh: sh})
}

// Backward: with x̂ = (x - mean)·invstd and g = dy·gamma, in Train mode
// dx = (g - mean(g) - x̂·mean(g·x̂))·invstd, in Eval mode dx = g·invstd;
// in both dgamma = Σ dy·x̂ and dbeta = Σ dy (sums and means per channel).
// bnReduce computes the two sums in one pass over x and dy; bnGradX the
// input gradient in a second pass, and only when it is needed.
func (o *bnForward) Backward(b *graph.Builder, in []*graph.Sym, out, grad *graph.Sym) ([]*graph.Sym, error) {
	x := in[0]
	var gamma []*graph.Sym
	if len(in) == 3 {
		gamma = in[1:2]
	}
	red, err := b.Apply(&bnReduce{f: o}, x, grad, out)
	if err != nil {
		return nil, err
	}
	var dx *graph.Sym
	if o.train {
		dx, err = b.Apply(&bnGradX{f: o}, append([]*graph.Sym{grad, x, red}, gamma...)...)
	} else {
		dx, err = b.Apply(&bnGradX{f: o}, append([]*graph.Sym{grad, out}, gamma...)...)
	}
	if err != nil || len(in) == 1 {
		return []*graph.Sym{dx}, err
	}
	dgamma, err := b.Apply(rowOf{name: "BatchNormGradGamma", row: 1}, red)
	if err != nil {
		return nil, err
	}
	dbeta, err := b.Apply(rowOf{name: "BatchNormGradBeta", row: 0}, red)
	return []*graph.Sym{dx, dgamma, dbeta}, err
}

// bnReduce: inputs x, dy and the forward output (for order only); output
// [2, C]: row 0 Σ dy, row 1 Σ dy·x̂ per channel.
type bnReduce struct {
	f   *bnForward
	acc []float64
	tmp scratch // [2C] in T
}

func (o *bnReduce) String() string { return fmt.Sprintf("BatchNormGradReduce(%s)", o.f.bn.name) }

func (o *bnReduce) Infer(in []graph.Type) (graph.Type, error) {
	if err := sameFloat(in); err != nil {
		return graph.Type{}, err
	}
	if !in[0].Shape.Equal(in[1].Shape) {
		return graph.Type{}, shapeErr("x %v and dy %v differ", in[0].Shape, in[1].Shape)
	}
	return graph.Type{DType: in[0].DType, Shape: graph.Shape{2, o.f.bn.channels}}, nil
}

func (o *bnReduce) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	l := layoutOf(in[0].Shape())
	acc := grow(&o.acc, 2*l.c)
	switch out.DType() {
	case graph.Float32:
		bnReduceKernel(o, acc, data[float32](out), data[float32](in[0]), data[float32](in[1]), l)
	case graph.Float64:
		bnReduceKernel(o, acc, data[float64](out), data[float64](in[0]), data[float64](in[1]), l)
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

func bnReduceKernel[T Float](o *bnReduce, acc []float64, out, x, dy []T, l layout) {
	f := o.f
	sdy, sdyx := acc[:l.c], acc[l.c:]
	tmp := buf[T](&o.tmp, 2*l.c)
	chanSplit(chanArgs[T]{op: chanSums, l: l, out: sdy, x: dy, tmp: tmp})
	chanSplit(chanArgs[T]{op: chanDots, l: l, out: sdyx, dy: dy, x: x, mean: f.mean, tmp: tmp})
	for c := range sdy {
		out[c] = T(sdy[c])
		out[l.c+c] = T(sdyx[c] * f.invstd[c])
	}
}

// bnGradX: Train inputs dy, x, the [2, C] sums and gamma (if affine);
// Eval inputs dy, the forward output (for order only) and gamma.
type bnGradX struct {
	f    *bnForward
	coef scratch
}

func (o *bnGradX) String() string { return fmt.Sprintf("BatchNormGradX(%s)", o.f.bn.name) }

func (o *bnGradX) Infer(in []graph.Type) (graph.Type, error) {
	if err := sameFloat(in); err != nil {
		return graph.Type{}, err
	}
	if !in[0].Shape.Equal(in[1].Shape) {
		return graph.Type{}, shapeErr("dy %v and %v differ", in[0].Shape, in[1].Shape)
	}
	return graph.Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (o *bnGradX) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	switch out.DType() {
	case graph.Float32:
		bnGradXKernel[float32](o, out, in)
	case graph.Float64:
		bnGradXKernel[float64](o, out, in)
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

func bnGradXKernel[T Float](o *bnGradX, out *graph.Tensor, in []*graph.Tensor) {
	f := o.f
	l := layoutOf(out.Shape())
	dx, dy := data[T](out), data[T](in[0])
	var gamma []T
	if (f.train && len(in) == 4) || (!f.train && len(in) == 3) {
		gamma = data[T](in[len(in)-1])
	}
	k := buf[T](&o.coef, 4*l.c)
	a, mu, bb, cc := k[:l.c], k[l.c:2*l.c], k[2*l.c:3*l.c], k[3*l.c:]
	for c := range a {
		g := 1.0
		if gamma != nil {
			g = float64(gamma[c])
		}
		a[c] = T(g * f.invstd[c])
	}
	if !f.train {
		chanSplit(chanArgs[T]{op: chanScale, l: l, y: dx, dy: dy, a: a})
		return
	}
	// dx = a·dy + b·(x - mean) + c with a = gamma·invstd,
	// b = -a·invstd·Σ(dy·x̂)/m, c = -a·Σdy/m.
	x, red := data[T](in[1]), data[T](in[2])
	m := float64(l.count())
	for c := range a {
		ac := float64(a[c])
		mu[c] = T(f.mean[c])
		bb[c] = T(-ac * f.invstd[c] * float64(red[l.c+c]) / m)
		cc[c] = T(-ac * float64(red[c]) / m)
	}
	chanSplit(chanArgs[T]{op: chanDx, l: l, y: dx, dy: dy, x: x, mu: mu, a: a, b: bb, k: cc})
}

// rowOf copies one row of a [2, C] tensor.
type rowOf struct {
	name string
	row  int
}

func (o rowOf) String() string { return o.name }

func (o rowOf) Infer(in []graph.Type) (graph.Type, error) {
	if in[0].Shape.Rank() != 2 || o.row >= in[0].Shape[0] {
		return graph.Type{}, shapeErr("input %v has no row %d", in[0].Shape, o.row)
	}
	return graph.Type{DType: in[0].DType, Shape: graph.Shape{in[0].Shape[1]}}, nil
}

func (o rowOf) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	c := out.Len()
	switch out.DType() {
	case graph.Float32:
		copy(data[float32](out), data[float32](in[0])[o.row*c:])
	case graph.Float64:
		copy(data[float64](out), data[float64](in[0])[o.row*c:])
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}
