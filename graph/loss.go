package graph

import (
	"fmt"
	"math"
)

// Reduction selects how a loss combines its per-element values, as the
// reduction argument of torch.nn's losses. The zero value is LossMean,
// torch's default.
type Reduction uint8

const (
	LossMean      Reduction = iota // the mean over the elements (weighted mean for weighted class losses)
	LossSum                        // the sum
	LossNone                       // no reduction: one value per element (per example for class losses)
	LossBatchMean                  // KLDiv only: the sum divided by the batch size (dimension 0)
)

func (r Reduction) String() string {
	switch r {
	case LossMean:
		return "mean"
	case LossSum:
		return "sum"
	case LossNone:
		return "none"
	case LossBatchMean:
		return "batchmean"
	}
	return fmt.Sprintf("Reduction(%d)", uint8(r))
}

// reduceLoss applies r to per-element losses.
func reduceLoss(l *Node, r Reduction, fn string) *Node {
	switch r {
	case LossMean:
		return Mean(l)
	case LossSum:
		return Sum(l)
	case LossNone:
		return l
	}
	return failNode(l, fn, fmt.Errorf("%w: reduction %v (want mean, sum or none)", ErrGraph, r))
}

// MSE is the mean squared error over all elements of pred and target, as
// torch.nn.MSELoss() (reduction "mean"); see MSELoss for the others.
func MSE(pred, target *Node) *Node { return Apply(mseOp{}, pred, target) }

// MSELoss is the squared error (pred - target)² with a reduction; pred and
// target broadcast.
func MSELoss(pred, target *Node, r Reduction) *Node {
	return reduceLoss(Square(Sub(pred, target)), r, "MSELoss")
}

// L1 is the absolute error |pred - target| with a reduction (torch.nn.L1Loss).
func L1(pred, target *Node, r Reduction) *Node {
	return reduceLoss(Abs(Sub(pred, target)), r, "L1")
}

// SmoothL1 is torch.nn.SmoothL1Loss: 0.5 d²/beta where |d| < beta, and
// |d| - 0.5 beta elsewhere, d = pred - target (beta > 0; torch's default 1).
func SmoothL1(pred, target *Node, beta float64, r Reduction) *Node {
	if !(beta > 0) || math.IsInf(beta, 0) {
		return failNode(pred, "SmoothL1", fmt.Errorf("%w: beta %v (want > 0)", ErrGraph, beta))
	}
	d := Abs(Sub(pred, target))
	quad := Scale(Square(d), 0.5/beta)
	lin := Shift(d, -0.5*beta)
	return reduceLoss(Where(Less(d, d.g.Scalar(beta)), quad, lin), r, "SmoothL1")
}

// Huber is torch.nn.HuberLoss: 0.5 d² where |d| <= delta, and
// delta (|d| - 0.5 delta) elsewhere (delta > 0; torch's default 1).
func Huber(pred, target *Node, delta float64, r Reduction) *Node {
	if !(delta > 0) || math.IsInf(delta, 0) {
		return failNode(pred, "Huber", fmt.Errorf("%w: delta %v (want > 0)", ErrGraph, delta))
	}
	d := Abs(Sub(pred, target))
	quad := Scale(Square(d), 0.5)
	lin := Scale(Shift(d, -0.5*delta), delta)
	return reduceLoss(Where(LessEqual(d, d.g.Scalar(delta)), quad, lin), r, "Huber")
}

// KLDiv is torch.nn.KLDivLoss(log_target=False): target·(log target -
// input), 0 where target is 0, with input log-probabilities. Use
// LossBatchMean for the mathematical KL divergence per example.
func KLDiv(logInput, target *Node, r Reduction) *Node {
	if target == nil || target.failed || target.g == nil {
		return failNode(target, "KLDiv", fmt.Errorf("%w: nil target", ErrGraph))
	}
	zero := target.g.Scalar(0)
	pos := Greater(target, zero)
	tlogt := Where(pos, Mul(target, Log(Where(pos, target, target.g.Scalar(1)))), zero)
	l := Sub(tlogt, Mul(target, logInput))
	if r == LossBatchMean {
		return Apply(batchMeanOp{}, Sum(l), l)
	}
	return reduceLoss(l, r, "KLDiv")
}

// CosineEmbedding is torch.nn.CosineEmbeddingLoss on rows x1, x2 [N, D]
// and labels y [N] (1 or -1, float): 1 - cos where y = 1, max(0, cos -
// margin) where y = -1.
func CosineEmbedding(x1, x2, y *Node, margin float64, r Reduction) *Node {
	if x1 == nil || x1.failed || x1.g == nil {
		return failNode(x1, "CosineEmbedding", fmt.Errorf("%w: nil input", ErrGraph))
	}
	g := x1.g
	const eps = 1e-12
	dot := Sum(Mul(x1, x2), -1)
	n1 := Shift(Sum(Square(x1), -1), eps)
	n2 := Shift(Sum(Square(x2), -1), eps)
	cos := Div(dot, Sqrt(Mul(n1, n2)))
	pos := Shift(Neg(cos), 1)
	neg := ReLU(Shift(cos, -margin))
	return reduceLoss(Where(Greater(y, g.Scalar(0)), pos, neg), r, "CosineEmbedding")
}

// BCEConfig configures BCEWithLogits.
type BCEConfig struct {
	// PosWeight weights the positive term, broadcast along the last
	// dimension (torch's pos_weight, one per class); nil means 1.
	PosWeight *Node
	// Weight rescales each element's loss (broadcast); nil means 1.
	Weight    *Node
	Reduction Reduction
}

// BCEWithLogits is torch.nn.BCEWithLogitsLoss: binary cross-entropy on
// logits x and targets y in [0, 1], computed stably:
// (1 - y) x + (1 + (p - 1) y) (log(1 + e^-|x|) + max(-x, 0)), p the PosWeight.
func BCEWithLogits(logits, target *Node, cfg BCEConfig) *Node {
	x, y := logits, target
	softplusNeg := Add(Log1p(Exp(Neg(Abs(x)))), ReLU(Neg(x))) // log(1 + e^-x)
	var l *Node
	if cfg.PosWeight != nil {
		coef := Add(Mul(Shift(cfg.PosWeight, -1), y), onesLike(y))
		l = Add(Mul(Sub(onesLike(y), y), x), Mul(coef, softplusNeg))
	} else {
		l = Add(Mul(Sub(onesLike(y), y), x), softplusNeg)
	}
	if cfg.Weight != nil {
		l = Mul(l, cfg.Weight)
	}
	return reduceLoss(l, cfg.Reduction, "BCEWithLogits")
}

func onesLike(x *Node) *Node {
	if x == nil || x.failed || x.g == nil {
		return failNode(x, "OnesLike", fmt.Errorf("%w: nil input", ErrGraph))
	}
	return x.g.Scalar(1)
}

// ClassLossConfig configures CrossEntropy and NLL as torch's
// CrossEntropyLoss and NLLLoss.
type ClassLossConfig struct {
	// Weight [C] rescales each class's loss (nil: all 1). With LossMean the
	// result is the weighted mean, sum(w[y]·l) / sum(w[y]).
	Weight *Node
	// Ignore drops the targets equal to IgnoreIndex from the loss and its
	// normaliser (torch's ignore_index; torch's default -100 ignores
	// nothing valid, as Ignore false does).
	Ignore      bool
	IgnoreIndex int
	// LabelSmoothing in [0, 1] mixes the target with the uniform
	// distribution (CrossEntropy only).
	LabelSmoothing float64
	Reduction      Reduction
}

// CrossEntropy is torch.nn.CrossEntropyLoss with class-index targets:
// logits [N, C] or [N, C, d1, ...] and Int targets [N] or [N, d1, ...],
// with class weights, an ignored index and label smoothing. The plain
// case is SoftmaxCrossEntropy's value, from differentiable ops.
func CrossEntropy(logits, target *Node, cfg ClassLossConfig) *Node {
	if logits == nil || logits.failed || logits.g == nil {
		return failNode(logits, "CrossEntropy", fmt.Errorf("%w: nil logits", ErrGraph))
	}
	if !(cfg.LabelSmoothing >= 0 && cfg.LabelSmoothing <= 1) {
		return failNode(logits, "CrossEntropy", fmt.Errorf("%w: label smoothing %v (want 0..1)", ErrGraph, cfg.LabelSmoothing))
	}
	return classLoss(LogSoftmax(logits, 1), target, cfg, "CrossEntropy")
}

// NLL is torch.nn.NLLLoss: the negative log-likelihood of Int targets
// under log-probabilities logp [N, C] or [N, C, d1, ...].
func NLL(logp, target *Node, cfg ClassLossConfig) *Node {
	if cfg.LabelSmoothing != 0 {
		return failNode(logp, "NLL", fmt.Errorf("%w: label smoothing applies to CrossEntropy only", ErrGraph))
	}
	return classLoss(logp, target, cfg, "NLL")
}

func classLoss(logp, target *Node, cfg ClassLossConfig, fn string) *Node {
	if logp == nil || target == nil || logp.failed || target.failed || logp.g == nil {
		return failNode(logp, fn, fmt.Errorf("%w: nil input", ErrGraph))
	}
	g := logp.g
	ls, ts := logp.typ.Shape, target.typ.Shape
	if target.typ.DType != Int {
		return failNode(logp, fn, dtypeErr("targets are %v (want Int class indices)", target.typ.DType))
	}
	if ls.Rank() < 2 || ts.Rank() != ls.Rank()-1 {
		return failNode(logp, fn, shapeErr("input %v and targets %v (want [N C ...] and [N ...])", ls, ts))
	}
	classes := ls[1]
	safe := target
	valid := g.Scalar(1)
	if cfg.Ignore {
		ignored := Equal(target, g.intScalar(cfg.IgnoreIndex))
		safe = Apply(replaceIntOp{from: cfg.IgnoreIndex, to: 0}, target)
		valid = Sub(g.Scalar(1), Cast(ignored, g.dtype))
	}
	picked := Squeeze(Gather(logp, 1, Unsqueeze(safe, 1)), 1) // logp[i, y_i, ...]
	w := valid
	if cfg.Weight != nil {
		w = Mul(IndexSelect(cfg.Weight, 0, safe), valid)
	}
	nll := Neg(Mul(picked, w))
	norm := func(l *Node) *Node { // the reduction, normalised by the weights
		switch cfg.Reduction {
		case LossMean:
			if cfg.Weight == nil && !cfg.Ignore {
				return Mean(l)
			}
			return Div(Sum(l), Sum(BroadcastTo(w, ts...)))
		case LossSum:
			return Sum(l)
		case LossNone:
			return l
		}
		return failNode(l, fn, fmt.Errorf("%w: reduction %v (want mean, sum or none)", ErrGraph, cfg.Reduction))
	}
	loss := norm(nll)
	if cfg.LabelSmoothing == 0 {
		return loss
	}
	// torch: (1-ε)·nll + ε/C·smooth, smooth = -sum_c w_c logp_c (0 where
	// ignored), normalised like nll.
	all := logp
	if cfg.Weight != nil {
		shape := make([]int, ls.Rank())
		for i := range shape {
			shape[i] = 1
		}
		shape[1] = classes
		all = Mul(logp, Reshape(cfg.Weight, shape...))
	}
	smooth := Mul(Neg(Sum(all, 1)), valid)
	var sl *Node
	switch cfg.Reduction {
	case LossMean:
		if cfg.Weight != nil {
			sl = Div(Sum(smooth), Sum(BroadcastTo(w, ts...)))
		} else {
			sl = Div(Sum(smooth), Sum(BroadcastTo(valid, ts...)))
		}
	default:
		sl = norm(smooth)
	}
	eps := cfg.LabelSmoothing
	return Add(Scale(loss, 1-eps), Scale(sl, eps/float64(classes)))
}

// intScalar adds an Int scalar constant.
func (g *Graph) intScalar(v int) *Node {
	t := mustTensor(Int, Shape{})
	t.ints[0] = v
	return g.add(&Node{kind: kindConst, typ: Type{DType: Int, Shape: Shape{}}, value: t})
}

// replaceIntOp replaces one Int value by another (ignored targets by a
// valid class, whose loss is then masked out).
type replaceIntOp struct{ from, to int }

func (o replaceIntOp) String() string { return fmt.Sprintf("Replace(%d→%d)", o.from, o.to) }

func (o replaceIntOp) Infer(in []Type) (Type, error) {
	if in[0].DType != Int {
		return Type{}, dtypeErr("operand is %v (want Int)", in[0].DType)
	}
	return in[0], nil
}

func (o replaceIntOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	for i, v := range in[0].ints {
		if v == o.from {
			v = o.to
		}
		out.ints[i] = v
	}
	return nil
}

// batchMeanOp divides a summed loss (input 0) by dimension 0 of the
// per-element losses (input 1, read for its shape only).
type batchMeanOp struct{}

func (batchMeanOp) String() string { return "BatchMean" }

func (batchMeanOp) Infer(in []Type) (Type, error) {
	if in[1].Shape.Rank() < 1 {
		return Type{}, shapeErr("batchmean of a scalar loss")
	}
	return floatLike(in[0])
}

func (batchMeanOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	out.Set(0, in[0].At(0)/float64(in[1].shape[0]))
	return nil
}

func (batchMeanOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	return []*Sym{b.Scale(g, 1/float64(in[1].typ.Shape[0])), nil}, b.Err()
}

type mseOp struct{}

func (mseOp) String() string { return "MSE" }

func (mseOp) Infer(in []Type) (Type, error) {
	p, t := in[0], in[1]
	if p.DType != t.DType || !p.DType.IsFloat() {
		return Type{}, dtypeErr("prediction is %v, target %v (want the same float type)", p.DType, t.DType)
	}
	if !p.Shape.Equal(t.Shape) {
		return Type{}, shapeErr("prediction %v and target %v (want equal shapes)", p.Shape, t.Shape)
	}
	return Type{DType: p.DType, Shape: Shape{}}, nil
}

func (mseOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		out.f32[0] = float32(mse(in[0].f32, in[1].f32))
	case Float64:
		out.f64[0] = mse(in[0].f64, in[1].f64)
	default:
		return fmt.Errorf("dtype %v", out.dtype)
	}
	return nil
}

func mse[T Float](p, t []T) float64 {
	var s float64
	for i := range p {
		d := float64(p[i] - t[i])
		s += d * d
	}
	return s / float64(len(p))
}

// Backward: d/dpred = 2 (pred - target) g / n, from ops.
func (mseOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	n := float64(max(in[0].typ.Shape.Size(), 1))
	gp := b.Mul(b.Sub(in[0], in[1]), b.Scale(g, 2/n))
	return []*Sym{gp, b.Neg(gp)}, b.Err()
}

// SoftmaxCrossEntropy is the mean over the batch of -log softmax(logits)[label],
// as torch.nn.CrossEntropyLoss() on logits [N, C] and Int labels [N] in
// 0..C-1, in one fused op (CrossEntropy has the options). It works from the
// log-sum-exp, so logits of ±1000 give a finite loss and gradient. A label
// out of range is a run-time error.
func SoftmaxCrossEntropy(logits, labels *Node) *Node {
	return Apply(crossEntropyOp{}, logits, labels)
}

type crossEntropyOp struct{}

func (crossEntropyOp) String() string { return "SoftmaxCrossEntropy" }

func (crossEntropyOp) Infer(in []Type) (Type, error) {
	l, y := in[0], in[1]
	if !l.DType.IsFloat() || y.DType != Int {
		return Type{}, dtypeErr("logits are %v, labels %v (want float logits and Int labels)", l.DType, y.DType)
	}
	if l.Shape.Rank() != 2 || y.Shape.Rank() != 1 {
		return Type{}, shapeErr("logits %v and labels %v (want [N C] and [N])", l.Shape, y.Shape)
	}
	if _, ok := broadcastDim(l.Shape[0], y.Shape[0]); !ok || (l.Shape[0] != y.Shape[0] && l.Shape[0] != Unknown && y.Shape[0] != Unknown) {
		return Type{}, shapeErr("logits %v and labels %v (want [N C] and [N])", l.Shape, y.Shape)
	}
	return Type{DType: l.DType, Shape: Shape{}}, nil
}

func (crossEntropyOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	c := in[0].shape[1]
	var loss float64
	var err error
	switch out.dtype {
	case Float32:
		loss, err = crossEntropy(in[0].f32, in[1].ints, c)
		out.f32[0] = float32(loss)
	case Float64:
		loss, err = crossEntropy(in[0].f64, in[1].ints, c)
		out.f64[0] = loss
	}
	return err
}

func crossEntropy[T Float](logits []T, labels []int, c int) (float64, error) {
	for r, y := range labels {
		if y < 0 || y >= c {
			return math.NaN(), fmt.Errorf("label %d of row %d is outside 0..%d", y, r, c-1)
		}
	}
	var b expBuf
	var s float64
	if c > shortRows {
		for r, y := range labels {
			row := logits[r*c : (r+1)*c]
			s += logSumExpBuf(row, &b) - float64(row[y])
		}
		return s / float64(len(labels)), nil
	}
	// Short rows: the exponentials of many rows per kernel call, and each
	// row's log-sum-exp as logSumExpBuf's (the same sum, in the same order).
	var m [expBlock / 2]float64
	n := len(labels)
	for r0 := 0; r0 < n; {
		rows := expRows(&b, &m, logits[r0*c:n*c], c)
		for r := range rows {
			row := logits[(r0+r)*c : (r0+r+1)*c]
			var lse float64
			if math.IsInf(m[r], 0) {
				lse = infLSE(row, m[r])
			} else {
				t := 0.0
				for _, e := range b[r*c : (r+1)*c] {
					t += e
				}
				lse = m[r] + math.Log(t)
			}
			s += lse - float64(row[labels[r0+r]])
		}
		r0 += rows
	}
	return s / float64(n), nil
}

func (crossEntropyOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	return []*Sym{b.Op(crossEntropyGradOp{}, in[0], in[1], g), nil}, b.Err()
}

// crossEntropyGradOp: d/dlogits = (softmax(logits) - onehot(label)) / N * g.
type crossEntropyGradOp struct{}

func (crossEntropyGradOp) String() string { return "SoftmaxCrossEntropyGrad" }

func (crossEntropyGradOp) Infer(in []Type) (Type, error) {
	return Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (crossEntropyGradOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	c, n := in[0].shape[1], len(in[1].ints)
	switch out.dtype {
	case Float32:
		k := float64(in[2].f32[0]) / float64(n)
		softmaxSplit(&softmaxLoop32, softmaxArgs[float32]{out: out.f32, x: in[0].f32, labels: in[1].ints, c: c, scale: k, crossEntropyGrad: true}, n, c)
	case Float64:
		k := in[2].f64[0] / float64(n)
		softmaxSplit(&softmaxLoop64, softmaxArgs[float64]{out: out.f64, x: in[0].f64, labels: in[1].ints, c: c, scale: k, crossEntropyGrad: true}, n, c)
	}
	return nil
}

// crossEntropyGrad writes the rows of labels: k = g/N for the whole batch.
//
// A row's gradient is exp(x - m)·(k/s) with m its maximum and s the sum of
// exp(x - m): one exponential per element, no logarithm. Short rows take
// their exponentials many rows per kernel call (expRows); a row whose
// maximum is ±Inf takes exp(x - lse)·k, its NaNs and zeros.
func crossEntropyGrad[T Float](out, logits []T, labels []int, c int, k float64) {
	var b expBuf
	if c <= shortRows {
		var m [expBlock / 2]float64
		n := len(labels)
		for r0 := 0; r0 < n; {
			rows := expRows(&b, &m, logits[r0*c:n*c], c)
			for r := range rows {
				i := (r0 + r) * c
				o, y := out[i:i+c], labels[r0+r]
				if math.IsInf(m[r], 0) {
					lse := infLSE(logits[i:i+c], m[r])
					for j, v := range logits[i : i+c] {
						o[j] = T(math.Exp(float64(v)-lse) * k)
					}
				} else {
					t := 0.0
					e := b[r*c : (r+1)*c]
					for _, v := range e {
						t += v
					}
					q := k / t
					for j, v := range e {
						o[j] = T(v * q)
					}
				}
				o[y] -= T(k)
			}
			r0 += rows
		}
		return
	}
	for r, y := range labels {
		row, o := logits[r*c:(r+1)*c], out[r*c:(r+1)*c]
		lse := logSumExpBuf(row, &b)
		for lo := 0; lo < c; lo += expBlock {
			for i, e := range expShift(&b, row[lo:min(lo+expBlock, c)], lse) {
				o[lo+i] = T(e * k)
			}
		}
		o[y] -= T(k)
	}
}

// Backward of the fused gradient, from ops: with p = softmax(logits),
// d/dlogits = (g/N) p (gg - sum(gg p)) per row and d/dg = sum(gg (p - onehot))/N.
func (crossEntropyGradOp) Backward(b *Builder, in []*Sym, _, gg *Sym) ([]*Sym, error) {
	l, y, g := in[0], in[1], in[2]
	n := float64(l.typ.Shape[0])
	p := b.Op(softmaxOp{axis: -1}, l)
	dl := b.Mul(b.Mul(p, b.Sub(gg, b.Sum(b.Mul(gg, p), true, -1))), b.Scale(g, 1/n))
	onehot := b.Op(oneHotOp{classes: l.typ.Shape[1], dtype: l.typ.DType}, y)
	dg := b.Scale(b.Sum(b.Mul(gg, b.Sub(p, onehot)), false), 1/n)
	return []*Sym{dl, nil, dg}, b.Err()
}
