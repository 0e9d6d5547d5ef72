package optimizers

import (
	"math"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/vec"
)

// SGDConfig holds torch.optim.SGD's hyperparameters. Every field but LR
// has PyTorch's default as its zero value; in a Group, a field left at
// zero takes the main config's value (write Zero() for a zero).
type SGDConfig struct {
	// LR is the learning rate. Required: torch.optim.SGD has no default
	// (Zero() sets a learning rate of 0).
	LR float64
	// Momentum is the momentum factor (>= 0; 0 disables momentum).
	Momentum float64
	// Dampening scales the gradient added to the momentum buffer by
	// 1-Dampening, from the second step on. Must be 0 with Nesterov.
	Dampening float64
	// WeightDecay is an L2 penalty (>= 0) added to the gradient:
	// d = grad + WeightDecay*param.
	WeightDecay float64
	// Nesterov uses Nesterov momentum (needs Momentum > 0, Dampening 0).
	Nesterov bool
	// Maximize ascends the objective instead (negates the gradient first).
	Maximize bool
}

func (c SGDConfig) or(d SGDConfig) SGDConfig {
	return SGDConfig{LR: or(c.LR, d.LR), Momentum: or(c.Momentum, d.Momentum), Dampening: or(c.Dampening, d.Dampening),
		WeightDecay: or(c.WeightDecay, d.WeightDecay), Nesterov: c.Nesterov || d.Nesterov, Maximize: c.Maximize || d.Maximize}
}

func (c SGDConfig) validate(v *validator) {
	v.need("LR", c.LR, c.LR >= 0, "lr >= 0; SGD has no default learning rate, set LR")
	v.need("Momentum", c.Momentum, c.Momentum >= 0, "momentum >= 0")
	v.need("Dampening", c.Dampening, true, "a finite dampening")
	v.need("WeightDecay", c.WeightDecay, c.WeightDecay >= 0, "weight_decay >= 0")
	if c.Nesterov {
		v.need("Momentum", c.Momentum, c.Momentum > 0, "momentum > 0 with Nesterov")
		v.need("Dampening", c.Dampening, c.Dampening == 0, "dampening = 0 with Nesterov")
	}
}

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum, weight decay and maximisation: torch.optim.SGD (PyTorch 1.13),
// one kernel for every variant. Per element, with d the gradient:
//
//	d = -d                                  if Maximize
//	d = d + WeightDecay*p                   if WeightDecay != 0
//	buf = d                                 first step (no dampening)
//	buf = Momentum*buf + (1-Dampening)*d    later steps  } if Momentum != 0
//	d = d + Momentum*buf  if Nesterov, else d = buf       }
//	p = p - lr*d
type SGD struct {
	core[SGDConfig]
}

// NewSGD returns an SGD optimizer; groups give some parameters their own
// hyperparameters (see Group).
func NewSGD(cfg SGDConfig, groups ...Group[SGDConfig]) (*SGD, error) {
	c, err := newCore("SGD", "sgd", []string{"momentum_buffer"}, nil, SGDConfig{LR: math.NaN()}, cfg, groups, sgdUpdate[float32], sgdUpdate[float64])
	if err != nil {
		return nil, err
	}
	return &SGD{c}, nil
}

// sgdFactors are the scalar factors of one SGD update, rounded to T.
type sgdFactors[T graph.Float] struct {
	wd, mom, damp1, nlr T
	neg, nesterov       bool
}

func sgdUpdate[T graph.Float](s *slot, c *SGDConfig, lr float64) {
	p := view[T](s.param.Value())
	g := view[T](s.param.Grad())
	k := sgdFactors[T]{wd: T(c.WeightDecay), mom: T(c.Momentum), damp1: T(1 - c.Dampening), nlr: T(-lr),
		neg: c.Maximize, nesterov: c.Nesterov}
	switch {
	case c.Momentum == 0:
		sgdPlain(p, g, k)
	case s.bufs[0] == nil:
		sgdMomentum(p, g, buf[T](s, 0, 0), k, true)
	default:
		sgdMomentum(p, g, buf[T](s, 0, 0), k, false)
	}
}

// sgdPlain updates p with the SIMD kernel of internal/vec, bit-identical
// to sgdPlainGo, which does the rest (see adamKernel).
func sgdPlain[T graph.Float](p, g []T, k sgdFactors[T]) {
	if split(kernArgs[T]{kind: kSGD, p: p, g: g, sgd: k}) {
		return
	}
	n := vec.SGD(simd, p, g, k.vecFactors())
	sgdPlainGo(p[n:], g[n:], k)
}

// sgdMomentum updates p and b with the SIMD kernel of internal/vec,
// bit-identical to sgdMomentumGo, which does the rest (see adamKernel).
func sgdMomentum[T graph.Float](p, g, b []T, k sgdFactors[T], first bool) {
	if split(kernArgs[T]{kind: kMomentum, p: p, g: g, b1: b, sgd: k, first: first}) {
		return
	}
	n := vec.Momentum(simd, p, g, b, k.vecFactors(), first)
	sgdMomentumGo(p[n:], g[n:], b[n:], k, first)
}

func (k sgdFactors[T]) vecFactors() vec.SGDFactors[T] {
	return vec.SGDFactors[T]{WD: k.wd, Mom: k.mom, Damp1: k.damp1, NLR: k.nlr, Neg: k.neg, Nesterov: k.nesterov}
}

// sgdPlainGo is the scalar kernel: the reference for the SIMD ones.
func sgdPlainGo[T graph.Float](p, g []T, k sgdFactors[T]) {
	g = g[:len(p)]
	if !k.neg && k.wd == 0 {
		for i := range p {
			p[i] += k.nlr * g[i]
		}
		return
	}
	for i := range p {
		d := g[i]
		if k.neg {
			d = -d
		}
		if k.wd != 0 {
			d += k.wd * p[i]
		}
		p[i] += k.nlr * d
	}
}

// sgdMomentumGo is the scalar kernel: the reference for the SIMD ones.
func sgdMomentumGo[T graph.Float](p, g, b []T, k sgdFactors[T], first bool) {
	g, b = g[:len(p)], b[:len(p)]
	if !first && !k.neg && k.wd == 0 {
		// The steady state without options, free of branches.
		if k.nesterov {
			for i := range p {
				d := g[i]
				bi := b[i]*k.mom + k.damp1*d
				b[i] = bi
				p[i] += k.nlr * (d + k.mom*bi)
			}
			return
		}
		for i := range p {
			bi := b[i]*k.mom + k.damp1*g[i]
			b[i] = bi
			p[i] += k.nlr * bi
		}
		return
	}
	for i := range p {
		d := g[i]
		if k.neg {
			d = -d
		}
		if k.wd != 0 {
			d += k.wd * p[i]
		}
		if first {
			b[i] = d
		} else {
			b[i] = b[i]*k.mom + k.damp1*d
		}
		if k.nesterov {
			d += k.mom * b[i]
		} else {
			d = b[i]
		}
		p[i] += k.nlr * d
	}
}

func (c SGDConfig) lr() float64 { return c.LR }
