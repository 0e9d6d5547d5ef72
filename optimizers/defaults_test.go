package optimizers_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// Regression: AdamConfig{LR: 0.01} used to mean betas 0, 0 and eps 0 (a
// zero field was a zero value), not torch.optim.Adam(lr=0.01). Now a
// config holding only the learning rate must resolve to torch's defaults
// and step bit for bit like the full default config; Zero() still gives a
// zero.
func TestOnlyLRMeansTorchDefaults(t *testing.T) {
	cases := []struct {
		name      string
		onlyLR    func() (optimizers.Optimizer, error)
		full      func() (optimizers.Optimizer, error)
		resolved  func(optimizers.Optimizer) any
		wantFull  any
		zeroField func() (optimizers.Optimizer, error) // one field set to Zero()
		zeroValue func(optimizers.Optimizer) float64
	}{
		{
			name:   "adam",
			onlyLR: func() (optimizers.Optimizer, error) { return optimizers.NewAdam(optimizers.AdamConfig{LR: 0.01}) },
			full: func() (optimizers.Optimizer, error) {
				return optimizers.NewAdam(optimizers.AdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
			},
			resolved: func(o optimizers.Optimizer) any { c, _ := o.(*optimizers.Adam).Config(0); return c },
			wantFull: optimizers.AdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			zeroField: func() (optimizers.Optimizer, error) {
				return optimizers.NewAdam(optimizers.AdamConfig{LR: 0.01, Beta1: optimizers.Zero()})
			},
			zeroValue: func(o optimizers.Optimizer) float64 { c, _ := o.(*optimizers.Adam).Config(0); return c.Beta1 },
		},
		{
			name:   "adamw",
			onlyLR: func() (optimizers.Optimizer, error) { return optimizers.NewAdamW(optimizers.AdamConfig{LR: 0.01}) },
			full: func() (optimizers.Optimizer, error) {
				return optimizers.NewAdamW(optimizers.AdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01})
			},
			resolved: func(o optimizers.Optimizer) any { c, _ := o.(*optimizers.Adam).Config(0); return c },
			wantFull: optimizers.AdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Decoupled: true},
			zeroField: func() (optimizers.Optimizer, error) {
				return optimizers.NewAdamW(optimizers.AdamConfig{LR: 0.01, WeightDecay: optimizers.Zero()})
			},
			zeroValue: func(o optimizers.Optimizer) float64 { c, _ := o.(*optimizers.Adam).Config(0); return c.WeightDecay },
		},
		{
			name:   "rmsprop",
			onlyLR: func() (optimizers.Optimizer, error) { return optimizers.NewRMSprop(optimizers.RMSpropConfig{LR: 0.01}) },
			full: func() (optimizers.Optimizer, error) {
				return optimizers.NewRMSprop(optimizers.RMSpropConfig{LR: 0.01, Alpha: 0.99, Eps: 1e-8})
			},
			resolved: func(o optimizers.Optimizer) any { c, _ := o.(*optimizers.RMSprop).Config(0); return c },
			wantFull: optimizers.RMSpropConfig{LR: 0.01, Alpha: 0.99, Eps: 1e-8},
			zeroField: func() (optimizers.Optimizer, error) {
				return optimizers.NewRMSprop(optimizers.RMSpropConfig{LR: 0.01, Eps: optimizers.Zero()})
			},
			zeroValue: func(o optimizers.Optimizer) float64 { c, _ := o.(*optimizers.RMSprop).Config(0); return c.Eps },
		},
		{
			name:   "adagrad",
			onlyLR: func() (optimizers.Optimizer, error) { return optimizers.NewAdagrad(optimizers.AdagradConfig{LR: 0.1}) },
			full: func() (optimizers.Optimizer, error) {
				return optimizers.NewAdagrad(optimizers.AdagradConfig{LR: 0.1, Eps: 1e-10})
			},
			resolved: func(o optimizers.Optimizer) any { c, _ := o.(*optimizers.Adagrad).Config(0); return c },
			wantFull: optimizers.AdagradConfig{LR: 0.1, Eps: 1e-10},
			zeroField: func() (optimizers.Optimizer, error) {
				return optimizers.NewAdagrad(optimizers.AdagradConfig{LR: 0.1, Eps: optimizers.Zero()})
			},
			zeroValue: func(o optimizers.Optimizer) float64 { c, _ := o.(*optimizers.Adagrad).Config(0); return c.Eps },
		},
		{
			name:   "radam",
			onlyLR: func() (optimizers.Optimizer, error) { return optimizers.NewRAdam(optimizers.RAdamConfig{LR: 0.01}) },
			full: func() (optimizers.Optimizer, error) {
				return optimizers.NewRAdam(optimizers.RAdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
			},
			resolved: func(o optimizers.Optimizer) any { c, _ := o.(*optimizers.RAdam).Config(0); return c },
			wantFull: optimizers.RAdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			zeroField: func() (optimizers.Optimizer, error) {
				return optimizers.NewRAdam(optimizers.RAdamConfig{LR: 0.01, Beta1: optimizers.Zero()})
			},
			zeroValue: func(o optimizers.Optimizer) float64 { c, _ := o.(*optimizers.RAdam).Config(0); return c.Beta1 },
		},
		{
			name:   "adamax",
			onlyLR: func() (optimizers.Optimizer, error) { return optimizers.NewAdamax(optimizers.AdamaxConfig{LR: 0.01}) },
			full: func() (optimizers.Optimizer, error) {
				return optimizers.NewAdamax(optimizers.AdamaxConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
			},
			resolved: func(o optimizers.Optimizer) any { c, _ := o.(*optimizers.Adamax).Config(0); return c },
			wantFull: optimizers.AdamaxConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			zeroField: func() (optimizers.Optimizer, error) {
				return optimizers.NewAdamax(optimizers.AdamaxConfig{LR: 0.01, Beta2: optimizers.Zero()})
			},
			zeroValue: func(o optimizers.Optimizer) float64 { c, _ := o.(*optimizers.Adamax).Config(0); return c.Beta2 },
		},
		{
			name:   "sgd",
			onlyLR: func() (optimizers.Optimizer, error) { return optimizers.NewSGD(optimizers.SGDConfig{LR: 0.01}) },
			full: func() (optimizers.Optimizer, error) { // torch.optim.SGD's defaults, spelled out
				return optimizers.NewSGD(optimizers.SGDConfig{LR: 0.01, Momentum: optimizers.Zero(), Dampening: optimizers.Zero(),
					WeightDecay: optimizers.Zero(), Nesterov: false, Maximize: false})
			},
			resolved: func(o optimizers.Optimizer) any { c, _ := o.(*optimizers.SGD).Config(0); return c },
			wantFull: optimizers.SGDConfig{LR: 0.01},
			zeroField: func() (optimizers.Optimizer, error) {
				return optimizers.NewSGD(optimizers.SGDConfig{LR: optimizers.Zero()})
			},
			zeroValue: func(o optimizers.Optimizer) float64 { c, _ := o.(*optimizers.SGD).Config(0); return c.LR },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := c.onlyLR()
			require.NoError(t, err)
			b, err := c.full()
			require.NoError(t, err)
			require.Equal(t, c.wantFull, c.resolved(a), "resolved config of the LR-only construction")
			pa, pb := model(t, graph.Float64), model(t, graph.Float64)
			for k := range 5 {
				setGrads(t, pa, k)
				setGrads(t, pb, k)
				require.NoError(t, a.Step(pa))
				require.NoError(t, b.Step(pb))
			}
			for i := range pa {
				require.Equal(t, values(pb[i]), values(pa[i]), "%s: LR-only and full-default configs must step alike", c.name)
			}
			z, err := c.zeroField()
			require.NoError(t, err, "a deliberate zero is valid")
			v := c.zeroValue(z)
			require.Equal(t, 0.0, v)
			require.False(t, math.Signbit(v), "Zero() resolves to +0")
		})
	}
}

// An SGD config without a learning rate is an error naming the field
// (torch.optim.SGD requires lr), not a silent lr of 0.
func TestSGDNeedsLR(t *testing.T) {
	_, err := optimizers.NewSGD(optimizers.SGDConfig{Momentum: 0.9})
	var he *optimizers.HyperError
	require.ErrorAs(t, err, &he)
	require.Equal(t, "LR", he.Field)
}

// A group's unset fields take the main config's values (torch param
// groups inherit the optimizer's defaults), not torch's global defaults.
func TestGroupInheritsMainConfig(t *testing.T) {
	opt, err := optimizers.NewAdam(optimizers.AdamConfig{LR: 0.01, Beta1: 0.5, WeightDecay: 0.1},
		optimizers.Group[optimizers.AdamConfig]{Match: optimizers.OneDim, Config: optimizers.AdamConfig{LR: 0.1, WeightDecay: optimizers.Zero()}})
	require.NoError(t, err)
	g, ok := opt.Config(1)
	require.True(t, ok)
	require.Equal(t, optimizers.AdamConfig{LR: 0.1, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8}, g)
}
