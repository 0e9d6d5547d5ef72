package optimizers

import (
	"math"

	"github.com/descent-ml/descent/graph"
)

// LionConfig holds Lion's hyperparameters. A field left at zero takes the
// default noted (the reference implementation's, google/automl
// lion/lion_pytorch.py); write Zero() for a zero.
type LionConfig struct {
	LR          float64 // learning rate (>= 0); default 1e-4
	Beta1       float64 // interpolation of the update direction, in [0, 1]; default 0.9
	Beta2       float64 // decay of the momentum, in [0, 1]; default 0.99
	WeightDecay float64 // decoupled, scaled by lr: p *= 1 - lr*WeightDecay (>= 0); default 0
	Maximize    bool    // ascend the objective (negate the gradient first)
}

// LionDefaults returns the defaults of the paper's reference implementation.
func LionDefaults() LionConfig { return LionConfig{LR: 1e-4, Beta1: 0.9, Beta2: 0.99} }

func (c LionConfig) or(d LionConfig) LionConfig {
	return LionConfig{LR: or(c.LR, d.LR), Beta1: or(c.Beta1, d.Beta1), Beta2: or(c.Beta2, d.Beta2),
		WeightDecay: or(c.WeightDecay, d.WeightDecay), Maximize: c.Maximize || d.Maximize}
}

func (c LionConfig) validate(v *validator) {
	v.need("LR", c.LR, c.LR >= 0, "lr >= 0")
	v.need("Beta1", c.Beta1, c.Beta1 >= 0 && c.Beta1 <= 1, "0 <= beta1 <= 1")
	v.need("Beta2", c.Beta2, c.Beta2 >= 0 && c.Beta2 <= 1, "0 <= beta2 <= 1")
	v.need("WeightDecay", c.WeightDecay, c.WeightDecay >= 0, "weight_decay >= 0")
}

func (c LionConfig) lr() float64 { return c.LR }

// Lion is the EvoLved Sign Momentum optimizer (Chen et al. 2023, "Symbolic
// Discovery of Optimization Algorithms", arXiv 2302.06675, Program 1), as
// its reference implementation computes it. Per element, with m starting
// at 0:
//
//	d = -d                              if Maximize
//	p = p*(1 - lr*WeightDecay)
//	c = Beta1*m + (1-Beta1)*d
//	p = p - lr*sign(c)                  (sign(0) = 0, as torch.sign)
//	m = Beta2*m + (1-Beta2)*d
//
// There is no bias correction and no eps. The paper suggests a learning
// rate 3-10x smaller than AdamW's and a weight decay 3-10x larger, and
// Beta1 = 0.95, Beta2 = 0.98 for stability. torch has no Lion; its state
// buffer is named exp_avg, as in the reference implementation.
type Lion struct {
	core[LionConfig]
}

// NewLion returns a Lion optimizer; groups give some parameters their own
// hyperparameters (see Group).
func NewLion(cfg LionConfig, groups ...Group[LionConfig]) (*Lion, error) {
	c, err := newCore("Lion", "lion", []string{"exp_avg"}, []int{0}, LionDefaults(), cfg, groups,
		lionUpdate[float32], lionUpdate[float64])
	if err != nil {
		return nil, err
	}
	return &Lion{c}, nil
}

func lionUpdate[T graph.Float](s *slot, c *LionConfig, lr float64) {
	p := view[T](s.param.Value())
	g := view[T](s.param.Grad())[:len(p)]
	m := buf[T](s, 0, 0)[:len(p)]
	f := lionFactors[T]{decay: T(1 - lr*c.WeightDecay), lr: T(lr), b1: T(c.Beta1), omb1: T(1 - c.Beta1),
		b2: T(c.Beta2), omb2: T(1 - c.Beta2), maximize: c.Maximize}
	if !split(kernArgs[T]{kind: kLion, p: p, g: g, b1: m, lion: f}) {
		lionKernel(p, g, m, f)
	}
}

type lionFactors[T graph.Float] struct {
	decay, lr, b1, omb1, b2, omb2 T
	maximize                      bool
}

// lionKernel: p = p*decay - lr*sign(b1*m + (1-b1)*g); m = b2*m + (1-b2)*g.
// The sign's step is lr with u's sign bit (math.Copysign, exact in either
// dtype), taken only when u != 0: a switch on u's sign mispredicted about
// every other element on real gradients and ran at 2 GB/s.
func lionKernel[T graph.Float](p, g, m []T, f lionFactors[T]) {
	g, m = g[:len(p)], m[:len(p)]
	lr := float64(f.lr)
	for i := range p {
		d := g[i]
		if f.maximize {
			d = -d
		}
		pi := p[i] * f.decay
		if u := m[i]*f.b1 + d*f.omb1; u != 0 {
			pi -= T(math.Copysign(lr, float64(u)))
		}
		p[i] = pi
		m[i] = m[i]*f.b2 + d*f.omb2
	}
}
