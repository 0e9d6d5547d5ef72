package optimizers

import (
	"math"

	"github.com/descent-ml/descent/graph"
)

// RAdamConfig holds torch.optim.RAdam's hyperparameters. A field left at
// zero takes the default noted (torch's); write Zero() for a zero.
type RAdamConfig struct {
	LR          float64 // learning rate (>= 0); default 1e-3
	Beta1       float64 // decay of the first moment, in [0, 1); default 0.9
	Beta2       float64 // decay of the second moment, in [0, 1); default 0.999
	Eps         float64 // added to sqrt(v), outside the root (>= 0); default 1e-8
	WeightDecay float64 // >= 0; default 0 (L2 added to the gradient)
	// Decoupled makes the weight decay AdamW-style, p *= 1 - lr*WeightDecay
	// (torch >= 2.1's decoupled_weight_decay; not in PyTorch 1.13).
	Decoupled bool
	// Maximize ascends the objective (torch >= 2.0; not in PyTorch 1.13).
	Maximize bool
}

// RAdamDefaults returns torch.optim.RAdam's defaults.
func RAdamDefaults() RAdamConfig { return RAdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

func (c RAdamConfig) or(d RAdamConfig) RAdamConfig {
	return RAdamConfig{LR: or(c.LR, d.LR), Beta1: or(c.Beta1, d.Beta1), Beta2: or(c.Beta2, d.Beta2), Eps: or(c.Eps, d.Eps),
		WeightDecay: or(c.WeightDecay, d.WeightDecay), Decoupled: c.Decoupled || d.Decoupled, Maximize: c.Maximize || d.Maximize}
}

func (c RAdamConfig) validate(v *validator) {
	v.need("LR", c.LR, c.LR >= 0, "lr >= 0")
	v.need("Beta1", c.Beta1, c.Beta1 >= 0 && c.Beta1 < 1, "0 <= beta1 < 1")
	v.need("Beta2", c.Beta2, c.Beta2 >= 0 && c.Beta2 < 1, "0 <= beta2 < 1")
	v.need("Eps", c.Eps, c.Eps >= 0, "eps >= 0")
	v.need("WeightDecay", c.WeightDecay, c.WeightDecay >= 0, "weight_decay >= 0")
}

func (c RAdamConfig) lr() float64 { return c.LR }

// RAdam is torch.optim.RAdam, rectified Adam (Liu et al. 2020, "On the
// Variance of the Adaptive Learning Rate and Beyond"), as PyTorch 1.13
// computes it. Per element, with t the parameter's step count (from 1):
//
//	d = -d                                  if Maximize
//	p = p*(1 - lr*WeightDecay)              if Decoupled
//	d = d + WeightDecay*p                   otherwise
//	m = Beta1*m + (1-Beta1)*d
//	v = Beta2*v + (1-Beta2)*d*d
//	rho_inf = 2/(1-Beta2) - 1
//	rho_t = rho_inf - 2*t*Beta2^t/(1-Beta2^t)
//	if rho_t > 5:
//	    r = sqrt((rho_t-4)(rho_t-2)rho_inf / ((rho_inf-4)(rho_inf-2)rho_t))
//	    p = p - (m/(1-Beta1^t)) * lr * (sqrt(1-Beta2^t)/(sqrt(v)+Eps)) * r
//	else:
//	    p = p - (m/(1-Beta1^t)) * lr          (SGD with momentum, warming up)
//
// Eps is added to the uncorrected sqrt(v), as PyTorch does (unlike Adam,
// where it is added after the bias correction).
type RAdam struct {
	core[RAdamConfig]
}

// NewRAdam returns a RAdam optimizer; groups give some parameters their
// own hyperparameters (see Group).
func NewRAdam(cfg RAdamConfig, groups ...Group[RAdamConfig]) (*RAdam, error) {
	c, err := newCore("RAdam", "radam", []string{"exp_avg", "exp_avg_sq"}, []int{0, 1}, RAdamDefaults(), cfg, groups,
		radamUpdate[float32], radamUpdate[float64])
	if err != nil {
		return nil, err
	}
	return &RAdam{c}, nil
}

func radamUpdate[T graph.Float](s *slot, c *RAdamConfig, lr float64) {
	t := float64(s.step)
	bc1 := 1 - math.Pow(c.Beta1, t)
	bc2 := 1 - math.Pow(c.Beta2, t)
	rhoInf := 2/(1-c.Beta2) - 1
	rhoT := rhoInf - 2*t*math.Pow(c.Beta2, t)/bc2
	p := view[T](s.param.Value())
	g := view[T](s.param.Grad())[:len(p)]
	m, v := buf[T](s, 0, 0)[:len(p)], buf[T](s, 1, 0)[:len(p)]
	wd, decay := T(c.WeightDecay), T(1)
	if c.Decoupled {
		wd, decay = 0, T(1-lr*c.WeightDecay)
	}
	rect := rhoT > 5
	var r float64
	if rect {
		r = math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
	}
	f := radamFactors[T]{wd: wd, decay: decay, b1: T(c.Beta1), omb1: T(1 - c.Beta1), b2: T(c.Beta2), omb2: T(1 - c.Beta2),
		bc1: T(bc1), lr: T(lr), sq2: T(math.Sqrt(bc2)), r: T(r), eps: T(c.Eps), rect: rect, maximize: c.Maximize}
	if !split(kernArgs[T]{kind: kRAdam, p: p, g: g, b1: m, b2: v, radam: f}) {
		radamKernel(p, g, m, v, f)
	}
}

type radamFactors[T graph.Float] struct {
	wd, decay, b1, omb1, b2, omb2 T
	bc1, lr, sq2, r, eps          T
	rect, maximize                bool
}

// radamKernel: Adam's moments; p takes the rectified adaptive step
// r·lr·m̂/(√v/√bc2 + eps) when the variance is tractable (rect), else the
// momentum step lr·m̂.
func radamKernel[T graph.Float](p, g, m, v []T, f radamFactors[T]) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		d := g[i]
		if f.maximize {
			d = -d
		}
		pi := p[i] * f.decay
		if f.wd != 0 {
			d += f.wd * pi
		}
		mi := m[i]*f.b1 + f.omb1*d
		vi := v[i]*f.b2 + f.omb2*d*d
		m[i], v[i] = mi, vi
		if f.rect {
			p[i] = pi - mi/f.bc1*f.lr*(f.sq2/(T(math.Sqrt(float64(vi)))+f.eps))*f.r
		} else {
			p[i] = pi - mi/f.bc1*f.lr
		}
	}
}
