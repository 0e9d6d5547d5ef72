package graph

import (
	"fmt"
	"math"
)

// MSE is the mean squared error over all elements of pred and target,
// as torch.nn.MSELoss() (reduction "mean").
func MSE(pred, target *Node) *Node { return Apply(mseOp{}, pred, target) }

// SoftmaxCrossEntropy is the mean over the batch of -log softmax(logits)[label],
// as torch.nn.CrossEntropyLoss() on logits [N, C] and Int labels [N] in
// 0..C-1. It works from the log-sum-exp, so logits of ±1000 give a finite
// loss and gradient. A label out of range is a run-time error.
func SoftmaxCrossEntropy(logits, labels *Node) *Node {
	return Apply(crossEntropyOp{}, logits, labels)
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

func (mseOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	gp, err := b.Apply(mseGradOp{}, in[0], in[1], g)
	if err != nil {
		return nil, err
	}
	gt, err := b.Apply(scaleOp{c: -1}, gp)
	return []*Sym{gp, gt}, err
}

// mseGradOp: d/dpred = 2 (pred - target) / n * g.
type mseGradOp struct{}

func (mseGradOp) String() string { return "MSEGrad" }

func (mseGradOp) Infer(in []Type) (Type, error) {
	return Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (mseGradOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	switch out.dtype {
	case Float32:
		mseGrad(out.f32, in[0].f32, in[1].f32, in[2].f32[0])
	case Float64:
		mseGrad(out.f64, in[0].f64, in[1].f64, in[2].f64[0])
	}
	return nil
}

func mseGrad[T Float](out, p, t []T, g T) {
	c := 2 * g / T(len(p))
	for i := range out {
		out[i] = c * (p[i] - t[i])
	}
}

type crossEntropyOp struct{}

func (crossEntropyOp) String() string { return "SoftmaxCrossEntropy" }

func (crossEntropyOp) Infer(in []Type) (Type, error) {
	l, y := in[0], in[1]
	if !l.DType.IsFloat() || y.DType != Int {
		return Type{}, dtypeErr("logits are %v, labels %v (want float logits and Int labels)", l.DType, y.DType)
	}
	if l.Shape.Rank() != 2 || y.Shape.Rank() != 1 || l.Shape[0] != y.Shape[0] {
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
	var s float64
	for r, y := range labels {
		if y < 0 || y >= c {
			return math.NaN(), fmt.Errorf("label %d of row %d is outside 0..%d", y, r, c-1)
		}
		row := logits[r*c : (r+1)*c]
		s += logSumExp(row) - float64(row[y])
	}
	return s / float64(len(labels)), nil
}

func (crossEntropyOp) Backward(b *Builder, in []*Sym, _, g *Sym) ([]*Sym, error) {
	s, err := b.Apply(crossEntropyGradOp{}, in[0], in[1], g)
	return []*Sym{s, nil}, err
}

// crossEntropyGradOp: d/dlogits = (softmax(logits) - onehot(label)) / N * g.
type crossEntropyGradOp struct{}

func (crossEntropyGradOp) String() string { return "SoftmaxCrossEntropyGrad" }

func (crossEntropyGradOp) Infer(in []Type) (Type, error) {
	return Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (crossEntropyGradOp) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	c := in[0].shape[1]
	switch out.dtype {
	case Float32:
		crossEntropyGrad(out.f32, in[0].f32, in[1].ints, c, float64(in[2].f32[0]))
	case Float64:
		crossEntropyGrad(out.f64, in[0].f64, in[1].ints, c, in[2].f64[0])
	}
	return nil
}

func crossEntropyGrad[T Float](out, logits []T, labels []int, c int, g float64) {
	k := g / float64(len(labels))
	for r, y := range labels {
		row, o := logits[r*c:(r+1)*c], out[r*c:(r+1)*c]
		lse := logSumExp(row)
		for i, v := range row {
			o[i] = T(math.Exp(float64(v)-lse) * k)
		}
		o[y] -= T(k)
	}
}
