package optimizers

import (
	"math"

	"github.com/descent-ml/descent/graph"
)

// AdamaxConfig holds torch.optim.Adamax's hyperparameters. A field left at
// zero takes the default noted (torch's); write Zero() for a zero.
type AdamaxConfig struct {
	LR          float64 // learning rate (>= 0); default 2e-3
	Beta1       float64 // decay of the first moment, in [0, 1); default 0.9
	Beta2       float64 // decay of the infinity norm, in [0, 1); default 0.999
	Eps         float64 // added to |d| inside the max (>= 0); default 1e-8
	WeightDecay float64 // L2 penalty added to the gradient (>= 0); default 0
	Maximize    bool    // ascend the objective (negate the gradient first)
}

// AdamaxDefaults returns torch.optim.Adamax's defaults.
func AdamaxDefaults() AdamaxConfig {
	return AdamaxConfig{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

func (c AdamaxConfig) or(d AdamaxConfig) AdamaxConfig {
	return AdamaxConfig{LR: or(c.LR, d.LR), Beta1: or(c.Beta1, d.Beta1), Beta2: or(c.Beta2, d.Beta2), Eps: or(c.Eps, d.Eps),
		WeightDecay: or(c.WeightDecay, d.WeightDecay), Maximize: c.Maximize || d.Maximize}
}

func (c AdamaxConfig) validate(v *validator) {
	v.need("LR", c.LR, c.LR >= 0, "lr >= 0")
	v.need("Beta1", c.Beta1, c.Beta1 >= 0 && c.Beta1 < 1, "0 <= beta1 < 1")
	v.need("Beta2", c.Beta2, c.Beta2 >= 0 && c.Beta2 < 1, "0 <= beta2 < 1")
	v.need("Eps", c.Eps, c.Eps >= 0, "eps >= 0")
	v.need("WeightDecay", c.WeightDecay, c.WeightDecay >= 0, "weight_decay >= 0")
}

func (c AdamaxConfig) lr() float64 { return c.LR }

// Adamax is torch.optim.Adamax, Adam with the infinity norm (Kingma & Ba
// 2015, section 7.1), as PyTorch 1.13 computes it. Per element, with t the
// parameter's step count (from 1):
//
//	d = -d                          if Maximize
//	d = d + WeightDecay*p           if WeightDecay != 0
//	m = Beta1*m + (1-Beta1)*d
//	u = max(Beta2*u, |d| + Eps)     (u starts at 0)
//	p = p - (lr/(1-Beta1^t)) * m/u
type Adamax struct {
	core[AdamaxConfig]
}

// NewAdamax returns an Adamax optimizer; groups give some parameters their
// own hyperparameters (see Group).
func NewAdamax(cfg AdamaxConfig, groups ...Group[AdamaxConfig]) (*Adamax, error) {
	c, err := newCore("Adamax", "adamax", []string{"exp_avg", "exp_inf"}, []int{0, 1}, AdamaxDefaults(), cfg, groups,
		adamaxUpdate[float32], adamaxUpdate[float64])
	if err != nil {
		return nil, err
	}
	return &Adamax{c}, nil
}

func adamaxUpdate[T graph.Float](s *slot, c *AdamaxConfig, lr float64) {
	p := view[T](s.param.Value())
	g := view[T](s.param.Grad())[:len(p)]
	m, u := buf[T](s, 0, 0)[:len(p)], buf[T](s, 1, 0)[:len(p)]
	f := adamaxFactors[T]{clr: T(lr / (1 - math.Pow(c.Beta1, float64(s.step)))), wd: T(c.WeightDecay),
		b1: T(c.Beta1), omb1: T(1 - c.Beta1), b2: T(c.Beta2), eps: T(c.Eps), maximize: c.Maximize}
	if !split(kernArgs[T]{kind: kAdamax, p: p, g: g, b1: m, b2: u, adamax: f}) {
		adamaxKernel(p, g, m, u, f)
	}
}

type adamaxFactors[T graph.Float] struct {
	clr, wd, b1, omb1, b2, eps T
	maximize                   bool
}

// adamaxKernel: m = b1*m + (1-b1)*d; u = max(b2*u, |d| + eps) (a NaN
// wins); p -= clr*m/u, with d the gradient plus weight decay.
func adamaxKernel[T graph.Float](p, g, m, u []T, f adamaxFactors[T]) {
	g, m, u = g[:len(p)], m[:len(p)], u[:len(p)]
	for i := range p {
		d := g[i]
		if f.maximize {
			d = -d
		}
		if f.wd != 0 {
			d += f.wd * p[i]
		}
		mi := m[i]*f.b1 + f.omb1*d
		ui := u[i] * f.b2
		if a := T(math.Abs(float64(d))) + f.eps; a > ui || a != a {
			ui = a
		}
		m[i], u[i] = mi, ui
		p[i] -= f.clr * mi / ui
	}
}
