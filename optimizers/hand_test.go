package optimizers_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// handCase runs steps with the given gradients from p0 and compares the
// parameter after each step with values worked out by hand (tolerance
// 1e-15 absolute: only the last bit of the hand arithmetic may differ).
type handCase struct {
	name  string
	opt   func() (optimizers.Optimizer, error)
	p0    []float64
	grads [][]float64
	want  [][]float64
}

func runHand(t *testing.T, cases []handCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
				opt, err := c.opt()
				require.NoError(t, err)
				p := param(t, "p", dt, c.p0, len(c.p0))
				tol := 1e-15
				if dt == graph.Float32 {
					tol = 1e-6
				}
				for k, g := range c.grads {
					p.SetGrad(tensor(t, dt, g, len(g)))
					require.NoError(t, opt.Step([]*graph.Param{p}))
					require.InDeltaSlice(t, c.want[k], values(p), tol, "%v step %d", dt, k+1)
				}
			}
		})
	}
}

func TestSGDHandStep(t *testing.T) {
	runHand(t, []handCase{{
		// lr 0.1, momentum 0.9, dampening 0.5, weight decay 0.1; p = [1, -2], g = [0.5, 1] twice.
		// step 1: d = g + 0.1p = [0.6, 0.8]; buf = d (first step: no dampening) = [0.6, 0.8];
		//         p = p - 0.1 buf = [0.94, -2.08]
		// step 2: d = [0.5+0.094, 1-0.208] = [0.594, 0.792];
		//         buf = 0.9 [0.6, 0.8] + 0.5 [0.594, 0.792] = [0.837, 1.116];
		//         p = [0.94-0.0837, -2.08-0.1116] = [0.8563, -2.1916]
		name: "momentum_dampening_weight_decay",
		opt: func() (optimizers.Optimizer, error) {
			return optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1, Momentum: 0.9, Dampening: 0.5, WeightDecay: 0.1})
		},
		p0: []float64{1, -2}, grads: [][]float64{{0.5, 1}, {0.5, 1}},
		want: [][]float64{{0.94, -2.08}, {0.8563, -2.1916}},
	}, {
		// lr 0.1, Nesterov momentum 0.9; p = 1, g = 1 twice.
		// step 1: buf = 1; d = 1 + 0.9*1 = 1.9; p = 1 - 0.19 = 0.81
		// step 2: buf = 0.9*1 + 1 = 1.9; d = 1 + 0.9*1.9 = 2.71; p = 0.81 - 0.271 = 0.539
		name: "nesterov",
		opt: func() (optimizers.Optimizer, error) {
			return optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true})
		},
		p0: []float64{1}, grads: [][]float64{{1}, {1}}, want: [][]float64{{0.81}, {0.539}},
	}, {
		// lr 0.1, maximize, weight decay 0.5; p = 1, g = 1: d = -1 + 0.5 = -0.5; p = 1 + 0.05 = 1.05
		name: "maximize",
		opt: func() (optimizers.Optimizer, error) {
			return optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1, WeightDecay: 0.5, Maximize: true})
		},
		p0: []float64{1}, grads: [][]float64{{1}}, want: [][]float64{{1.05}},
	}})
}

func TestAdamHandStep(t *testing.T) {
	adam := func(mod func(*optimizers.AdamConfig)) func() (optimizers.Optimizer, error) {
		return func() (optimizers.Optimizer, error) {
			c := optimizers.AdamDefaults()
			c.LR = 0.1
			mod(&c)
			return optimizers.NewAdam(c)
		}
	}
	// lr 0.1, betas (0.9, 0.999), eps 1e-8; p = 1, g = 2:
	// m = 0.1*2 = 0.2, v = 0.001*4 = 0.004; lr/(1-0.9) = 1; sqrt(0.004)/sqrt(0.001) = 2;
	// p = 1 - 1 * 0.2/(2 + 1e-8) = 0.9000000005 (to 10 digits).
	step1 := 1 - 0.2/(2+1e-8)
	// step 2 with g = 0: m = 0.18, v = 0.003996, 1-0.9^2 = 0.19, 1-0.999^2 = 0.001999;
	// p -= (0.1/0.19) * 0.18 / (sqrt(0.003996)/sqrt(0.001999) + 1e-8).
	// AMSGrad keeps vmax = 0.004 (the step-1 v), so sqrt(0.004) replaces sqrt(0.003996).
	plain2 := step1 - (0.1/0.19)*0.18/(math.Sqrt(0.003996)/math.Sqrt(0.001999)+1e-8)
	ams2 := step1 - (0.1/0.19)*0.18/(math.Sqrt(0.004)/math.Sqrt(0.001999)+1e-8)
	runHand(t, []handCase{
		{name: "adam", opt: adam(func(*optimizers.AdamConfig) {}), p0: []float64{1},
			grads: [][]float64{{2}, {0}}, want: [][]float64{{step1}, {plain2}}},
		{name: "amsgrad", opt: adam(func(c *optimizers.AdamConfig) { c.AMSGrad = true }), p0: []float64{1},
			grads: [][]float64{{2}, {0}}, want: [][]float64{{step1}, {ams2}}},
		// Coupled L2, weight decay 0.5: d = 2 + 0.5*1 = 2.5; m = 0.25, v = 0.00625;
		// sqrt(0.00625)/sqrt(0.001) = 2.5; p = 1 - 0.25/(2.5+1e-8) = 0.9000000004.
		{name: "adam_weight_decay", opt: adam(func(c *optimizers.AdamConfig) { c.WeightDecay = 0.5 }), p0: []float64{1},
			grads: [][]float64{{2}}, want: [][]float64{{1 - 0.25/(2.5+1e-8)}}},
		// AdamW, weight decay 0.5: p = 1*(1 - 0.1*0.5) = 0.95, then the plain step: 0.95 - 0.2/(2+1e-8).
		{name: "adamw", opt: func() (optimizers.Optimizer, error) {
			c := optimizers.AdamWDefaults()
			c.LR, c.WeightDecay = 0.1, 0.5
			return optimizers.NewAdamW(c)
		}, p0: []float64{1}, grads: [][]float64{{2}}, want: [][]float64{{0.95 - 0.2/(2+1e-8)}}},
		// maximize: the step goes up: 1 + 0.2/(2+1e-8).
		{name: "maximize", opt: adam(func(c *optimizers.AdamConfig) { c.Maximize = true }), p0: []float64{1},
			grads: [][]float64{{2}}, want: [][]float64{{1 + 0.2/(2+1e-8)}}},
	})
}

func TestRMSpropHandStep(t *testing.T) {
	rms := func(mod func(*optimizers.RMSpropConfig)) func() (optimizers.Optimizer, error) {
		return func() (optimizers.Optimizer, error) {
			c := optimizers.RMSpropDefaults()
			mod(&c)
			return optimizers.NewRMSprop(c)
		}
	}
	// lr 0.01, alpha 0.99, eps 1e-8; p = 1, g = 2:
	// sq = 0.01*4 = 0.04; avg = 0.2 + 1e-8; p = 1 - 0.01*2/avg = 0.9000000005 (about lr/sqrt(1-alpha) = 0.1).
	plain := 1 - 0.02/(0.2+1e-8)
	// centered: ga = 0.01*2 = 0.02; avg = sqrt(0.04 - 0.0004) + 1e-8 = sqrt(0.0396) + 1e-8.
	centered := 1 - 0.02/(math.Sqrt(0.0396)+1e-8)
	// momentum 0.5, two steps g = 2 then 0:
	// step 1: buf = 2/avg1 with avg1 = 0.2+1e-8; p = 1 - 0.01 buf.
	// step 2: sq = 0.99*0.04 = 0.0396; buf = 0.5 buf + 0; p -= 0.01 buf.
	buf1 := 2 / (0.2 + 1e-8)
	m1 := 1 - 0.01*buf1
	m2 := m1 - 0.01*(0.5*buf1)
	runHand(t, []handCase{
		{name: "rmsprop", opt: rms(func(*optimizers.RMSpropConfig) {}), p0: []float64{1}, grads: [][]float64{{2}}, want: [][]float64{{plain}}},
		{name: "centered", opt: rms(func(c *optimizers.RMSpropConfig) { c.Centered = true }), p0: []float64{1}, grads: [][]float64{{2}}, want: [][]float64{{centered}}},
		{name: "momentum", opt: rms(func(c *optimizers.RMSpropConfig) { c.Momentum = 0.5 }), p0: []float64{1},
			grads: [][]float64{{2}, {0}}, want: [][]float64{{m1}, {m2}}},
	})
}

func TestAdagradHandStep(t *testing.T) {
	// lr 0.1, lr_decay 0.5, initial accumulator 1, eps 1e-10; p = 1, g = 3 then 1:
	// step 1: clr = 0.1; sum = 1 + 9 = 10; p = 1 - 0.1*3/(sqrt(10)+1e-10) = 0.905131670...
	// step 2: clr = 0.1/(1 + 1*0.5) = 0.0666...; sum = 11; p -= clr*1/(sqrt(11)+1e-10).
	s1 := 1 - 0.1*3/(math.Sqrt(10)+1e-10)
	s2 := s1 - (0.1/1.5)*1/(math.Sqrt(11)+1e-10)
	runHand(t, []handCase{{
		name: "adagrad",
		opt: func() (optimizers.Optimizer, error) {
			return optimizers.NewAdagrad(optimizers.AdagradConfig{LR: 0.1, LRDecay: 0.5, InitialAccumulatorValue: 1, Eps: 1e-10})
		},
		p0: []float64{1}, grads: [][]float64{{3}, {1}}, want: [][]float64{{s1}, {s2}},
	}})
}
