package optimizers

import (
	"math"
	"sync"

	"github.com/descent-ml/descent/graph"
)

// NAdamConfig holds torch.optim.NAdam's hyperparameters. A field left at
// zero takes the default noted (torch's); write Zero() for a zero.
type NAdamConfig struct {
	LR          float64 // learning rate (>= 0); default 2e-3
	Beta1       float64 // decay of the first moment, in [0, 1); default 0.9
	Beta2       float64 // decay of the second moment, in [0, 1); default 0.999
	Eps         float64 // added to sqrt(v/(1-Beta2^t)) (>= 0); default 1e-8
	WeightDecay float64 // >= 0; default 0 (L2 added to the gradient)
	// MomentumDecay is psi in the momentum schedule
	// mu_t = Beta1*(1 - 0.5*0.96^(t*psi)) (>= 0); default 4e-3.
	MomentumDecay float64
	// Decoupled makes the weight decay AdamW-style, p *= 1 - lr*WeightDecay
	// (NAdamW; torch >= 2.1's decoupled_weight_decay).
	Decoupled bool
	// Maximize ascends the objective (torch >= 2.1).
	Maximize bool
}

// NAdamDefaults returns torch.optim.NAdam's defaults.
func NAdamDefaults() NAdamConfig {
	return NAdamConfig{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, MomentumDecay: 4e-3}
}

func (c NAdamConfig) or(d NAdamConfig) NAdamConfig {
	return NAdamConfig{LR: or(c.LR, d.LR), Beta1: or(c.Beta1, d.Beta1), Beta2: or(c.Beta2, d.Beta2), Eps: or(c.Eps, d.Eps),
		WeightDecay: or(c.WeightDecay, d.WeightDecay), MomentumDecay: or(c.MomentumDecay, d.MomentumDecay),
		Decoupled: c.Decoupled || d.Decoupled, Maximize: c.Maximize || d.Maximize}
}

func (c NAdamConfig) validate(v *validator) {
	v.need("LR", c.LR, c.LR >= 0, "lr >= 0")
	v.need("Beta1", c.Beta1, c.Beta1 >= 0 && c.Beta1 < 1, "0 <= beta1 < 1")
	v.need("Beta2", c.Beta2, c.Beta2 >= 0 && c.Beta2 < 1, "0 <= beta2 < 1")
	v.need("Eps", c.Eps, c.Eps >= 0, "eps >= 0")
	v.need("WeightDecay", c.WeightDecay, c.WeightDecay >= 0, "weight_decay >= 0")
	v.need("MomentumDecay", c.MomentumDecay, c.MomentumDecay >= 0, "momentum_decay >= 0")
}

func (c NAdamConfig) lr() float64 { return c.LR }

// NAdam is torch.optim.NAdam, Adam with Nesterov momentum (Dozat 2016,
// "Incorporating Nesterov Momentum into Adam"), with PyTorch >= 2.0's
// formula. Per element, with t the parameter's step count (from 1):
//
//	d = -d                                  if Maximize
//	p = p*(1 - lr*WeightDecay)              if Decoupled
//	d = d + WeightDecay*p                   otherwise
//	mu_t  = Beta1*(1 - 0.5*0.96^(t*MomentumDecay))
//	mu_t1 = Beta1*(1 - 0.5*0.96^((t+1)*MomentumDecay))
//	P_t   = mu_1*mu_2*...*mu_t              (torch's mu_product)
//	m = Beta1*m + (1-Beta1)*d
//	v = Beta2*v + (1-Beta2)*d*d
//	den = sqrt(v/(1-Beta2^t)) + Eps
//	p = p - lr*(1-mu_t)/(1-P_t) * d/den - lr*mu_t1/(1-P_t*mu_t1) * m/den
//
// PyTorch 1.13's default (single-tensor) path computed the last factor's
// denominator as 1 - P_t*mu_t*mu_t1, counting mu_t twice; pytorch/pytorch
// PR #92699 fixed it for 2.0 ("Fix discrepancy between mt vs st impl"), and
// NAdam follows the fix, so it differs from torch 1.13's NAdam from the
// first step on (testdata/nadam_reference.py records both).
//
// P_t is the running product in float64. torch keeps mu_product as a
// 0-dim tensor of the default dtype (float32 unless
// torch.set_default_dtype(torch.float64)), which changes the step factors
// in about the 7th significant digit.
type NAdam struct {
	core[NAdamConfig]
}

// NewNAdam returns an NAdam optimizer; groups give some parameters their
// own hyperparameters (see Group).
func NewNAdam(cfg NAdamConfig, groups ...Group[NAdamConfig]) (*NAdam, error) {
	mu := &muProducts{}
	c, err := newCore("NAdam", "nadam", []string{"exp_avg", "exp_avg_sq"}, []int{0, 1}, NAdamDefaults(), cfg, groups,
		func(s *slot, c *NAdamConfig, lr float64) { nadamUpdate[float32](s, c, lr, mu) },
		func(s *slot, c *NAdamConfig, lr float64) { nadamUpdate[float64](s, c, lr, mu) })
	if err != nil {
		return nil, err
	}
	return &NAdam{c}, nil
}

// muProducts caches P_t = mu_1*...*mu_t per (Beta1, MomentumDecay), built
// by the same sequence of multiplications as torch's running mu_product,
// so a parameter's P_t is a function of its step count alone and State
// needs nothing beyond the step counts.
type muProducts struct {
	mu    sync.Mutex
	cache map[[2]float64][]float64 // index t holds P_t; index 0 holds 1
}

func (m *muProducts) at(beta1, psi float64, t int64) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cache == nil {
		m.cache = map[[2]float64][]float64{}
	}
	k := [2]float64{beta1, psi}
	p := m.cache[k]
	if p == nil {
		p = []float64{1}
	}
	if int64(len(p)) <= t {
		// Grown ahead by doubling (at least 1024 entries), so that steps
		// allocate only when the table doubles: at steps 1024, 3072, ...
		n := max(2*int64(len(p)), t+1, 1024)
		q := make([]float64, len(p), n)
		copy(q, p)
		for int64(len(q)) < n {
			i := float64(len(q))
			q = append(q, q[len(q)-1]*(beta1*(1-0.5*math.Pow(0.96, i*psi))))
		}
		p = q
	}
	m.cache[k] = p
	return p[t]
}

func nadamUpdate[T graph.Float](s *slot, c *NAdamConfig, lr float64, mus *muProducts) {
	t := float64(s.step)
	bc2 := 1 - math.Pow(c.Beta2, t)
	mu := c.Beta1 * (1 - 0.5*math.Pow(0.96, t*c.MomentumDecay))
	muNext := c.Beta1 * (1 - 0.5*math.Pow(0.96, (t+1)*c.MomentumDecay))
	prod := mus.at(c.Beta1, c.MomentumDecay, s.step)
	prodNext := prod * muNext
	p := view[T](s.param.Value())
	g := view[T](s.param.Grad())[:len(p)]
	m, v := buf[T](s, 0, 0)[:len(p)], buf[T](s, 1, 0)[:len(p)]
	wd, decay := T(c.WeightDecay), T(1)
	if c.Decoupled {
		wd, decay = 0, T(1-lr*c.WeightDecay)
	}
	f := nadamFactors[T]{wd: wd, decay: decay, b1: T(c.Beta1), omb1: T(1 - c.Beta1), b2: T(c.Beta2), omb2: T(1 - c.Beta2),
		bc2: T(bc2), eps: T(c.Eps), grad: T(-lr * (1 - mu) / (1 - prod)), mom: T((-lr * muNext) / (1 - prodNext)),
		maximize: c.Maximize}
	if !split(kernArgs[T]{kind: kNAdam, p: p, g: g, b1: m, b2: v, nadam: f}) {
		nadamKernel(p, g, m, v, f)
	}
}

type nadamFactors[T graph.Float] struct {
	wd, decay, b1, omb1, b2, omb2 T
	bc2, eps, grad, mom           T
	maximize                      bool
}

// nadamKernel: Adam's moments; p takes the gradient step grad·d/den and
// the momentum step mom·m/den, den = √(v/bc2) + eps.
func nadamKernel[T graph.Float](p, g, m, v []T, f nadamFactors[T]) {
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
		den := T(math.Sqrt(float64(vi/f.bc2))) + f.eps
		pi += f.grad * d / den
		p[i] = pi + f.mom*mi/den
	}
}
