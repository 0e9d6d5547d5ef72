package optimizers

import (
	"math"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/vec"
)

// AdamConfig holds the hyperparameters of torch.optim.Adam and AdamW. A
// field left at zero takes the default noted (torch's: AdamConfig{LR: 0.01}
// is torch.optim.Adam(lr=0.01)); write Zero() for a zero.
type AdamConfig struct {
	LR          float64 // learning rate (>= 0); default 1e-3
	Beta1       float64 // decay of the first moment, in [0, 1); default 0.9
	Beta2       float64 // decay of the second moment, in [0, 1); default 0.999
	Eps         float64 // added to the denominator, outside the root (>= 0); default 1e-8
	WeightDecay float64 // >= 0; default 0 for Adam (L2), 0.01 for AdamW (decoupled)
	AMSGrad     bool    // use the running maximum of the second moment
	Maximize    bool    // ascend the objective (negate the gradient first)
	// Decoupled makes the weight decay AdamW's: p *= 1 - lr*WeightDecay
	// before the update, which then uses the raw gradient, instead of
	// adding WeightDecay*p to the gradient. NewAdamW sets it.
	Decoupled bool
}

// AdamDefaults returns torch.optim.Adam's defaults.
func AdamDefaults() AdamConfig {
	return AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// AdamWDefaults returns torch.optim.AdamW's defaults (weight decay 0.01).
func AdamWDefaults() AdamConfig {
	c := AdamDefaults()
	c.WeightDecay, c.Decoupled = 0.01, true
	return c
}

func (c AdamConfig) or(d AdamConfig) AdamConfig {
	return AdamConfig{LR: or(c.LR, d.LR), Beta1: or(c.Beta1, d.Beta1), Beta2: or(c.Beta2, d.Beta2), Eps: or(c.Eps, d.Eps),
		WeightDecay: or(c.WeightDecay, d.WeightDecay), AMSGrad: c.AMSGrad || d.AMSGrad, Maximize: c.Maximize || d.Maximize,
		Decoupled: c.Decoupled || d.Decoupled}
}

func (c AdamConfig) validate(v *validator) {
	v.need("LR", c.LR, c.LR >= 0, "lr >= 0")
	v.need("Beta1", c.Beta1, c.Beta1 >= 0 && c.Beta1 < 1, "0 <= beta1 < 1")
	v.need("Beta2", c.Beta2, c.Beta2 >= 0 && c.Beta2 < 1, "0 <= beta2 < 1")
	v.need("Eps", c.Eps, c.Eps >= 0, "eps >= 0")
	v.need("WeightDecay", c.WeightDecay, c.WeightDecay >= 0, "weight_decay >= 0")
}

// Adam is torch.optim.Adam and, with Decoupled set, torch.optim.AdamW
// (PyTorch 1.13; Kingma & Ba 2015, Loshchilov & Hutter 2019; AMSGrad:
// Reddi et al. 2018). One kernel; per element, with t the parameter's step
// count (from 1) and d its gradient:
//
//	d = -d                                    if Maximize
//	p = p*(1 - lr*WeightDecay)                if Decoupled
//	d = d + WeightDecay*p                     otherwise
//	m = Beta1*m + (1-Beta1)*d
//	v = Beta2*v + (1-Beta2)*d*d
//	vmax = max(vmax, v)                       if AMSGrad (then v below is vmax)
//	p = p - (lr/(1-Beta1^t)) * m / (sqrt(v)/sqrt(1-Beta2^t) + Eps)
type Adam struct {
	core[AdamConfig]
}

// NewAdam returns an Adam optimizer (AdamW if cfg.Decoupled); groups give
// some parameters their own hyperparameters (see Group).
func NewAdam(cfg AdamConfig, groups ...Group[AdamConfig]) (*Adam, error) {
	title, kind := "Adam", "adam"
	if cfg.Decoupled {
		title, kind = "AdamW", "adamw"
	}
	bufs := []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
	def := AdamDefaults()
	if cfg.Decoupled {
		def = AdamWDefaults()
	}
	c, err := newCore(title, kind, bufs, []int{0, 1}, def, cfg, groups, adamUpdate[float32], adamUpdate[float64])
	if err != nil {
		return nil, err
	}
	return &Adam{c}, nil
}

// NewAdamW returns an AdamW optimizer: NewAdam with Decoupled set in cfg
// and in every group. Start from AdamWDefaults.
func NewAdamW(cfg AdamConfig, groups ...Group[AdamConfig]) (*Adam, error) {
	cfg.Decoupled = true
	gs := make([]Group[AdamConfig], len(groups))
	for i, g := range groups {
		g.Config.Decoupled = true
		gs[i] = g
	}
	return NewAdam(cfg, gs...)
}

// adamFactors are the scalar factors of one Adam update: computed in
// float64, rounded to T. decay is 1 (exact: p*1 == p) unless decoupled;
// wd is 0 when decoupled.
type adamFactors[T graph.Float] struct {
	wd, decay, b1, omb1, b2, omb2, nstep, bc2sqrt, eps T
	neg                                                bool
}

func adamUpdate[T graph.Float](s *slot, c *AdamConfig, lr float64) {
	t := float64(s.step)
	bc1 := 1 - math.Pow(c.Beta1, t)
	bc2 := 1 - math.Pow(c.Beta2, t)
	k := adamFactors[T]{
		wd: T(c.WeightDecay), decay: 1,
		b1: T(c.Beta1), omb1: T(1 - c.Beta1), b2: T(c.Beta2), omb2: T(1 - c.Beta2),
		nstep: T(-(lr / bc1)), bc2sqrt: T(math.Sqrt(bc2)), eps: T(c.Eps), neg: c.Maximize,
	}
	if c.Decoupled {
		k.wd, k.decay = 0, T(1-lr*c.WeightDecay)
	}
	p := view[T](s.param.Value())
	g := view[T](s.param.Grad())
	m, v := buf[T](s, 0, 0), buf[T](s, 1, 0)
	if c.AMSGrad {
		adamKernel(p, g, m, v, buf[T](s, 2, 0), k)
	} else {
		adamKernel(p, g, m, v, nil, k)
	}
}

// adamKernel updates p, m, v (and vmax, if not nil) with the SIMD kernel
// of internal/vec, bit-identical to adamKernelGo, which does the elements
// past the last whole vector (or all, without SIMD).
func adamKernel[T graph.Float](p, g, m, v, vmax []T, k adamFactors[T]) {
	if split(kernArgs[T]{kind: kAdam, p: p, g: g, b1: m, b2: v, b3: vmax, adam: k}) {
		return
	}
	n := vec.Adam(simd, p, g, m, v, vmax, vec.AdamFactors[T]{WD: k.wd, Decay: k.decay, B1: k.b1, OmB1: k.omb1,
		B2: k.b2, OmB2: k.omb2, NStep: k.nstep, BC2Sqrt: k.bc2sqrt, Eps: k.eps, Neg: k.neg})
	if vmax != nil {
		vmax = vmax[n:]
	}
	adamKernelGo(p[n:], g[n:], m[n:], v[n:], vmax, k)
}

// adamKernelGo is the scalar kernel: the reference for the SIMD ones.
func adamKernelGo[T graph.Float](p, g, m, v, vmax []T, k adamFactors[T]) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	if vmax == nil && !k.neg && k.wd == 0 {
		// Adam and AdamW without options, free of branches.
		for i := range p {
			d := g[i]
			mi := m[i]*k.b1 + k.omb1*d
			vi := v[i]*k.b2 + k.omb2*d*d
			m[i], v[i] = mi, vi
			p[i] = p[i]*k.decay + k.nstep*mi/(T(math.Sqrt(float64(vi)))/k.bc2sqrt+k.eps)
		}
		return
	}
	ams := vmax != nil
	if ams {
		vmax = vmax[:len(p)]
	}
	for i := range p {
		d := g[i]
		if k.neg {
			d = -d
		}
		pi := p[i] * k.decay
		if k.wd != 0 {
			d += k.wd * pi
		}
		mi := m[i]*k.b1 + k.omb1*d
		vi := v[i]*k.b2 + k.omb2*d*d
		m[i], v[i] = mi, vi
		if ams {
			vi = max(vmax[i], vi)
			vmax[i] = vi
		}
		p[i] = pi + k.nstep*mi/(T(math.Sqrt(float64(vi)))/k.bc2sqrt+k.eps)
	}
}

func (c AdamConfig) lr() float64 { return c.LR }
