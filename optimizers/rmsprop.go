package optimizers

import (
	"math"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/vec"
)

// RMSpropConfig holds torch.optim.RMSprop's hyperparameters. A field left
// at zero takes the default noted (torch's); write Zero() for a zero.
type RMSpropConfig struct {
	LR          float64 // learning rate (>= 0); default 1e-2
	Alpha       float64 // smoothing constant of the averages (>= 0); default 0.99
	Eps         float64 // added to the root, outside it (>= 0); default 1e-8
	WeightDecay float64 // L2 penalty added to the gradient (>= 0); default 0
	Momentum    float64 // momentum factor (>= 0); default 0
	Centered    bool    // divide by an estimate of the variance instead
	Maximize    bool    // ascend the objective (negate the gradient first)
}

// RMSpropDefaults returns torch.optim.RMSprop's defaults.
func RMSpropDefaults() RMSpropConfig {
	return RMSpropConfig{LR: 1e-2, Alpha: 0.99, Eps: 1e-8}
}

func (c RMSpropConfig) or(d RMSpropConfig) RMSpropConfig {
	return RMSpropConfig{LR: or(c.LR, d.LR), Alpha: or(c.Alpha, d.Alpha), Eps: or(c.Eps, d.Eps),
		WeightDecay: or(c.WeightDecay, d.WeightDecay), Momentum: or(c.Momentum, d.Momentum),
		Centered: c.Centered || d.Centered, Maximize: c.Maximize || d.Maximize}
}

func (c RMSpropConfig) validate(v *validator) {
	v.need("LR", c.LR, c.LR >= 0, "lr >= 0")
	v.need("Alpha", c.Alpha, c.Alpha >= 0, "alpha >= 0")
	v.need("Eps", c.Eps, c.Eps >= 0, "eps >= 0")
	v.need("WeightDecay", c.WeightDecay, c.WeightDecay >= 0, "weight_decay >= 0")
	v.need("Momentum", c.Momentum, c.Momentum >= 0, "momentum >= 0")
}

// RMSprop is torch.optim.RMSprop (PyTorch 1.13; Hinton's lecture 6e,
// centered: Graves 2013). Per element, with d the gradient and all
// averages starting at 0:
//
//	d = -d                              if Maximize
//	d = d + WeightDecay*p               if WeightDecay != 0
//	sq = Alpha*sq + (1-Alpha)*d*d
//	ga = Alpha*ga + (1-Alpha)*d         if Centered
//	avg = sqrt(sq - ga*ga) + Eps        if Centered, else sqrt(sq) + Eps
//	buf = Momentum*buf + d/avg; p = p - lr*buf    if Momentum > 0
//	p = p - lr*d/avg                               otherwise
type RMSprop struct {
	core[RMSpropConfig]
}

// NewRMSprop returns an RMSprop optimizer; groups give some parameters
// their own hyperparameters (see Group).
func NewRMSprop(cfg RMSpropConfig, groups ...Group[RMSpropConfig]) (*RMSprop, error) {
	bufs := []string{"square_avg", "momentum_buffer", "grad_avg"}
	c, err := newCore("RMSprop", "rmsprop", bufs, []int{0}, RMSpropDefaults(), cfg, groups, rmspropUpdate[float32], rmspropUpdate[float64])
	if err != nil {
		return nil, err
	}
	return &RMSprop{c}, nil
}

type rmspropFactors[T graph.Float] struct {
	wd, alpha, oma, eps, mom, nlr T
	neg                           bool
}

func rmspropUpdate[T graph.Float](s *slot, c *RMSpropConfig, lr float64) {
	k := rmspropFactors[T]{wd: T(c.WeightDecay), alpha: T(c.Alpha), oma: T(1 - c.Alpha), eps: T(c.Eps),
		mom: T(c.Momentum), nlr: T(-lr), neg: c.Maximize}
	p := view[T](s.param.Value())
	g := view[T](s.param.Grad())
	var b, ga []T
	if c.Momentum > 0 {
		b = buf[T](s, 1, 0)
	}
	if c.Centered {
		ga = buf[T](s, 2, 0)
	}
	rmspropKernel(p, g, buf[T](s, 0, 0), b, ga, k)
}

// rmspropKernel updates p, sq (and b, ga, if not nil) with the SIMD kernel
// of internal/vec, bit-identical to rmspropKernelGo, which does the rest
// (see adamKernel).
func rmspropKernel[T graph.Float](p, g, sq, b, ga []T, k rmspropFactors[T]) {
	if split(kernArgs[T]{kind: kRMSprop, p: p, g: g, b1: sq, b2: b, b3: ga, rms: k}) {
		return
	}
	n := vec.RMSprop(simd, p, g, sq, b, ga, vec.RMSpropFactors[T]{WD: k.wd, Alpha: k.alpha, OmA: k.oma, Eps: k.eps,
		Mom: k.mom, NLR: k.nlr, Neg: k.neg})
	if b != nil {
		b = b[n:]
	}
	if ga != nil {
		ga = ga[n:]
	}
	rmspropKernelGo(p[n:], g[n:], sq[n:], b, ga, k)
}

// rmspropKernelGo is the scalar kernel: the reference for the SIMD ones.
func rmspropKernelGo[T graph.Float](p, g, sq, b, ga []T, k rmspropFactors[T]) {
	g, sq = g[:len(p)], sq[:len(p)]
	if b == nil && ga == nil && !k.neg && k.wd == 0 {
		// The common case, without the branches.
		for i := range p {
			d := g[i]
			si := sq[i]*k.alpha + k.oma*d*d
			sq[i] = si
			p[i] += k.nlr * d / (T(math.Sqrt(float64(si))) + k.eps)
		}
		return
	}
	mom, centered := b != nil, ga != nil
	if mom {
		b = b[:len(p)]
	}
	if centered {
		ga = ga[:len(p)]
	}
	for i := range p {
		d := g[i]
		if k.neg {
			d = -d
		}
		if k.wd != 0 {
			d += k.wd * p[i]
		}
		si := sq[i]*k.alpha + k.oma*d*d
		sq[i] = si
		if centered {
			gi := ga[i]*k.alpha + k.oma*d
			ga[i] = gi
			si += -gi * gi
		}
		avg := T(math.Sqrt(float64(si))) + k.eps
		if mom {
			bi := b[i]*k.mom + d/avg
			b[i] = bi
			p[i] += k.nlr * bi
		} else {
			p[i] += k.nlr * d / avg
		}
	}
}

func (c RMSpropConfig) lr() float64 { return c.LR }
