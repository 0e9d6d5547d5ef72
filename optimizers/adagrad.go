package optimizers

import (
	"math"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/vec"
)

// AdagradConfig holds torch.optim.Adagrad's hyperparameters. A field left
// at zero takes the default noted (torch's); write Zero() for a zero.
type AdagradConfig struct {
	LR                      float64 // learning rate (>= 0); default 1e-2
	LRDecay                 float64 // lr decay per step (>= 0); default 0
	WeightDecay             float64 // L2 penalty added to the gradient (>= 0); default 0
	InitialAccumulatorValue float64 // start of the sum of squares (>= 0); default 0
	Eps                     float64 // added to the root, outside it (>= 0); default 1e-10
	Maximize                bool    // ascend the objective (negate the gradient first)
}

// AdagradDefaults returns torch.optim.Adagrad's defaults.
func AdagradDefaults() AdagradConfig { return AdagradConfig{LR: 1e-2, Eps: 1e-10} }

func (c AdagradConfig) or(d AdagradConfig) AdagradConfig {
	return AdagradConfig{LR: or(c.LR, d.LR), LRDecay: or(c.LRDecay, d.LRDecay), WeightDecay: or(c.WeightDecay, d.WeightDecay),
		InitialAccumulatorValue: or(c.InitialAccumulatorValue, d.InitialAccumulatorValue), Eps: or(c.Eps, d.Eps),
		Maximize: c.Maximize || d.Maximize}
}

func (c AdagradConfig) validate(v *validator) {
	v.need("LR", c.LR, c.LR >= 0, "lr >= 0")
	v.need("LRDecay", c.LRDecay, c.LRDecay >= 0, "lr_decay >= 0")
	v.need("WeightDecay", c.WeightDecay, c.WeightDecay >= 0, "weight_decay >= 0")
	v.need("InitialAccumulatorValue", c.InitialAccumulatorValue, c.InitialAccumulatorValue >= 0, "initial_accumulator_value >= 0")
	v.need("Eps", c.Eps, c.Eps >= 0, "eps >= 0")
}

// Adagrad is torch.optim.Adagrad (PyTorch 1.13; Duchi et al. 2011). Per
// element, with t the parameter's step count (from 1) and d its gradient:
//
//	d = -d                          if Maximize
//	d = d + WeightDecay*p           if WeightDecay != 0
//	clr = lr / (1 + (t-1)*LRDecay)
//	sum = sum + d*d                 (sum starts at InitialAccumulatorValue)
//	p = p - clr*d/(sqrt(sum) + Eps)
type Adagrad struct {
	core[AdagradConfig]
}

// NewAdagrad returns an Adagrad optimizer; groups give some parameters
// their own hyperparameters (see Group).
func NewAdagrad(cfg AdagradConfig, groups ...Group[AdagradConfig]) (*Adagrad, error) {
	c, err := newCore("Adagrad", "adagrad", []string{"sum"}, []int{0}, AdagradDefaults(), cfg, groups, adagradUpdate[float32], adagradUpdate[float64])
	if err != nil {
		return nil, err
	}
	return &Adagrad{c}, nil
}

type adagradFactors[T graph.Float] struct {
	wd, nclr, eps T
	neg           bool
}

func adagradUpdate[T graph.Float](s *slot, c *AdagradConfig, lr float64) {
	clr := lr / (1 + float64(s.step-1)*c.LRDecay)
	k := adagradFactors[T]{wd: T(c.WeightDecay), nclr: T(-clr), eps: T(c.Eps), neg: c.Maximize}
	adagradKernel(view[T](s.param.Value()), view[T](s.param.Grad()), buf[T](s, 0, c.InitialAccumulatorValue), k)
}

// adagradKernel updates p and sum with the SIMD kernel of internal/vec,
// bit-identical to adagradKernelGo, which does the rest (see adamKernel).
func adagradKernel[T graph.Float](p, g, sum []T, k adagradFactors[T]) {
	if split(kernArgs[T]{kind: kAdagrad, p: p, g: g, b1: sum, ada: k}) {
		return
	}
	n := vec.Adagrad(simd, p, g, sum, vec.AdagradFactors[T]{WD: k.wd, NCLR: k.nclr, Eps: k.eps, Neg: k.neg})
	adagradKernelGo(p[n:], g[n:], sum[n:], k)
}

// adagradKernelGo is the scalar kernel: the reference for the SIMD ones.
func adagradKernelGo[T graph.Float](p, g, sum []T, k adagradFactors[T]) {
	g, sum = g[:len(p)], sum[:len(p)]
	if !k.neg && k.wd == 0 {
		for i := range p {
			d := g[i]
			si := sum[i] + d*d
			sum[i] = si
			p[i] += k.nclr * d / (T(math.Sqrt(float64(si))) + k.eps)
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
		si := sum[i] + d*d
		sum[i] = si
		p[i] += k.nclr * d / (T(math.Sqrt(float64(si))) + k.eps)
	}
}

func (c AdagradConfig) lr() float64 { return c.LR }
