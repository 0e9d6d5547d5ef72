package ops

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
)

// Dropout zeroes each element of x with probability p in Train mode and
// scales the others by 1/(1-p) (inverted dropout, as torch.nn.Dropout;
// Srivastava et al. 2014). It is the identity in Eval mode, and in both
// modes when p is 0. The mask is drawn from the graph's seeded random
// stream in every training forward pass (32 random bits per element: the
// keep probability is 1-p to within 2⁻³²), so a run is reproducible from
// the graph's seed; the backward pass multiplies by the same mask. p must
// lie in [0, 1).
func Dropout(x *graph.Node, p float64) *graph.Node {
	if !(p >= 0 && p < 1) {
		return fail("Dropout", configErr("p %v (want 0 <= p < 1)", p), x)
	}
	if p == 0 && x != nil {
		return x
	}
	return apply(&dropout{p: p}, x)
}

// dropout is the symbolic op; Lower returns a dropoutTrain per training
// program (it owns the mask), nil (the identity) in Eval mode.
type dropout struct{ p float64 }

func (o *dropout) String() string { return fmt.Sprintf("Dropout(%g)", o.p) }

func (o *dropout) Infer(in []graph.Type) (graph.Type, error) {
	if !in[0].DType.IsFloat() {
		return graph.Type{}, dtypeErr("input is %v (want float32 or float64)", in[0].DType)
	}
	return graph.Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (o *dropout) Forward(*graph.Context, *graph.Tensor, []*graph.Tensor) error {
	return notLowered(o)
}

func (o *dropout) Lower(mode graph.Mode) graph.Op {
	if mode != graph.Train {
		return nil
	}
	return &dropoutTrain{p: o.p}
}

// dropoutTrain saves its mask (0 or 1/(1-p) per element) for the backward op.
type dropoutTrain struct {
	p    float64
	mask scratch
}

func (o *dropoutTrain) String() string { return fmt.Sprintf("DropoutTrain(%g)", o.p) }

func (o *dropoutTrain) Infer(in []graph.Type) (graph.Type, error) {
	return (&dropout{p: o.p}).Infer(in)
}

func (o *dropoutTrain) Forward(ctx *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	if ctx == nil || ctx.Rand == nil {
		return fmt.Errorf("ops: %v: %w: no random stream in the context", o, graph.ErrRun)
	}
	switch out.DType() {
	case graph.Float32:
		dropoutKernel(ctx, o, data[float32](out), data[float32](in[0]))
	case graph.Float64:
		dropoutKernel(ctx, o, data[float64](out), data[float64](in[0]))
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

func dropoutKernel[T Float](ctx *graph.Context, o *dropoutTrain, y, x []T) {
	mask := buf[T](&o.mask, len(x))
	mask = mask[:len(x)]
	y = y[:len(x)]
	scale := T(1 / (1 - o.p))
	// Each 64-bit draw gives two 32-bit uniforms u; an element is kept when
	// u < (1-p)·2³² (the keep probability is exact to 2⁻³²). The
	// comparison is computed without a branch: (u - t) >> 63 is 1 when u < t.
	t := uint64(math.Ldexp(1-o.p, 32))
	i := 0
	for ; i+2 <= len(x); i += 2 {
		r := ctx.Rand.Uint64()
		xs, ms, ys := x[i:i+2:i+2], mask[i:i+2:i+2], y[i:i+2:i+2]
		k0, k1 := T((r&0xffffffff-t)>>63)*scale, T((r>>32-t)>>63)*scale
		ms[0], ys[0] = k0, xs[0]*k0
		ms[1], ys[1] = k1, xs[1]*k1
	}
	if i < len(x) {
		k := T((ctx.Rand.Uint64()&0xffffffff-t)>>63) * scale
		mask[i], y[i] = k, x[i]*k
	}
}

// Backward multiplies the output gradient by the saved mask.
func (o *dropoutTrain) Backward(b *graph.Builder, _ []*graph.Sym, out, grad *graph.Sym) ([]*graph.Sym, error) {
	dx, err := b.Apply(&dropoutGrad{f: o}, grad, out)
	return []*graph.Sym{dx}, err
}

// dropoutGrad: inputs dy and the forward output (for order only).
type dropoutGrad struct{ f *dropoutTrain }

func (o *dropoutGrad) String() string { return fmt.Sprintf("DropoutGrad(%g)", o.f.p) }

func (o *dropoutGrad) Infer(in []graph.Type) (graph.Type, error) {
	return graph.Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}, nil
}

func (o *dropoutGrad) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	switch out.DType() {
	case graph.Float32:
		mulMask(data[float32](out), data[float32](in[0]), buf[float32](&o.f.mask, out.Len()))
	case graph.Float64:
		mulMask(data[float64](out), data[float64](in[0]), buf[float64](&o.f.mask, out.Len()))
	default:
		return dtypeErr("%v", out.DType())
	}
	return nil
}

// Backward: dx = dy·mask is linear in dy, so its gradient is the same op
// on the incoming gradient (and nothing for the forward output).
func (o *dropoutGrad) Backward(b *graph.Builder, in []*graph.Sym, _, gg *graph.Sym) ([]*graph.Sym, error) {
	d, err := b.Apply(&dropoutGrad{f: o.f}, gg, in[1])
	if err != nil {
		return nil, err
	}
	z, err := b.Apply(zeroGrad{}, in[1])
	return []*graph.Sym{d, z}, err
}

func mulMask[T Float](dx, dy, mask []T) {
	mask = mask[:len(dy)]
	for i, v := range dy {
		dx[i] = v * mask[i]
	}
}
