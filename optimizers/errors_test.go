package optimizers_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

func TestValidation(t *testing.T) {
	adam := func(f func(*optimizers.AdamConfig)) error {
		c := optimizers.AdamDefaults()
		f(&c)
		_, err := optimizers.NewAdam(c)
		return err
	}
	rms := func(f func(*optimizers.RMSpropConfig)) error {
		c := optimizers.RMSpropDefaults()
		f(&c)
		_, err := optimizers.NewRMSprop(c)
		return err
	}
	ada := func(f func(*optimizers.AdagradConfig)) error {
		c := optimizers.AdagradDefaults()
		f(&c)
		_, err := optimizers.NewAdagrad(c)
		return err
	}
	sgd := func(c optimizers.SGDConfig) error {
		_, err := optimizers.NewSGD(c)
		return err
	}
	cases := []struct {
		name  string
		err   error
		field string
		msg   string // the whole message, when given
	}{
		{"sgd_lr_required", sgd(optimizers.SGDConfig{}), "LR", ""},
		{"sgd_lr_negative", sgd(optimizers.SGDConfig{LR: -1}), "LR", ""},
		{"sgd_momentum", sgd(optimizers.SGDConfig{LR: 0.1, Momentum: -0.1}), "Momentum", ""},
		{"sgd_weight_decay", sgd(optimizers.SGDConfig{LR: 0.1, WeightDecay: -1}), "WeightDecay", ""},
		{"sgd_dampening_nan", sgd(optimizers.SGDConfig{LR: 0.1, Dampening: math.NaN()}), "Dampening", ""},
		{"nesterov_no_momentum", sgd(optimizers.SGDConfig{LR: 0.1, Nesterov: true}), "Momentum",
			"optimizers: SGD: Momentum = 0 (want momentum > 0 with Nesterov)"},
		{"nesterov_dampening", sgd(optimizers.SGDConfig{LR: 0.1, Momentum: 0.9, Dampening: 0.1, Nesterov: true}), "Dampening", ""},
		{"adam_lr", adam(func(c *optimizers.AdamConfig) { c.LR = -1e-3 }), "LR", ""},
		{"adam_lr_inf", adam(func(c *optimizers.AdamConfig) { c.LR = math.Inf(1) }), "LR", ""},
		{"adam_beta1", adam(func(c *optimizers.AdamConfig) { c.Beta1 = -0.1 }), "Beta1", ""},
		{"adam_beta2", adam(func(c *optimizers.AdamConfig) { c.Beta2 = 1 }), "Beta2", "optimizers: Adam: Beta2 = 1 (want 0 <= beta2 < 1)"},
		{"adam_eps", adam(func(c *optimizers.AdamConfig) { c.Eps = -1 }), "Eps", ""},
		{"adamw_weight_decay", adam(func(c *optimizers.AdamConfig) { c.Decoupled, c.WeightDecay = true, -0.01 }), "WeightDecay",
			"optimizers: AdamW: WeightDecay = -0.01 (want weight_decay >= 0)"},
		{"rmsprop_alpha", rms(func(c *optimizers.RMSpropConfig) { c.Alpha = -0.5 }), "Alpha", ""},
		{"rmsprop_eps", rms(func(c *optimizers.RMSpropConfig) { c.Eps = math.NaN() }), "Eps", ""},
		{"rmsprop_momentum", rms(func(c *optimizers.RMSpropConfig) { c.Momentum = -1 }), "Momentum", ""},
		{"rmsprop_weight_decay", rms(func(c *optimizers.RMSpropConfig) { c.WeightDecay = -1 }), "WeightDecay", ""},
		{"adagrad_lr_decay", ada(func(c *optimizers.AdagradConfig) { c.LRDecay = -1 }), "LRDecay", ""},
		{"adagrad_initial", ada(func(c *optimizers.AdagradConfig) { c.InitialAccumulatorValue = -1 }), "InitialAccumulatorValue", ""},
		{"adagrad_eps", ada(func(c *optimizers.AdagradConfig) { c.Eps = -1 }), "Eps", ""},
		{"adagrad_lr", ada(func(c *optimizers.AdagradConfig) { c.LR = -1 }), "LR", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.ErrorIs(t, c.err, optimizers.ErrHyper)
			var he *optimizers.HyperError
			require.ErrorAs(t, c.err, &he)
			require.Equal(t, c.field, he.Field)
			if c.msg != "" {
				require.EqualError(t, c.err, c.msg)
			}
		})
	}
	// Edge values torch accepts.
	require.NoError(t, adam(func(c *optimizers.AdamConfig) {
		c.LR, c.Beta1, c.Beta2, c.Eps = optimizers.Zero(), optimizers.Zero(), optimizers.Zero(), optimizers.Zero()
	}))
	require.NoError(t, sgd(optimizers.SGDConfig{LR: 0.1, Momentum: 0.9, Dampening: 2}))

	// Groups are validated too and named in the message.
	c := optimizers.AdamDefaults()
	bad := c
	bad.Beta1 = 1
	_, err := optimizers.NewAdam(c, optimizers.Group[optimizers.AdamConfig]{Match: optimizers.OneDim, Config: bad})
	require.EqualError(t, err, "optimizers: Adam: group 1: Beta1 = 1 (want 0 <= beta1 < 1)")
	_, err = optimizers.NewAdam(c, optimizers.Group[optimizers.AdamConfig]{Config: c})
	require.ErrorIs(t, err, optimizers.ErrHyper)
}

// TestNonFiniteGrad: a NaN or Inf anywhere stops the step before any
// parameter or state changes, and names the parameter.
func TestNonFiniteGrad(t *testing.T) {
	for _, c := range resumeCases {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
				opt, err := c.new()
				require.NoError(t, err)
				ref, err := c.new()
				require.NoError(t, err)
				params := model(t, dt)
				same := model(t, dt)
				train(t, opt, nil, params, 0, 2)
				train(t, ref, nil, same, 0, 2)

				before := clone(params)
				setGrads(t, params, 2)
				params[1].Grad().Set(3, bad) // the second parameter: the first must not move
				err = opt.Step(params)
				require.ErrorIs(t, err, optimizers.ErrNonFiniteGrad)
				var ne *optimizers.NonFiniteGradError
				require.True(t, errors.As(err, &ne))
				require.Equal(t, "layer/b", ne.Param)
				requireSameBits(t, before, params)

				// The state did not advance either: continuing matches a run that never met the bad step.
				train(t, opt, nil, params, 2, 5)
				train(t, ref, nil, same, 2, 5)
				requireSameBits(t, same, params)
			}
		}
	}
}

func TestStepParamErrors(t *testing.T) {
	opt, err := optimizers.NewAdam(optimizers.AdamDefaults())
	require.NoError(t, err)
	params := model(t, graph.Float64)
	setGrads(t, params, 0)
	before := clone(params)

	var pe *optimizers.ParamError
	params[1].SetGrad(tensor(t, graph.Float64, make([]float64, 5), 5))
	require.ErrorAs(t, opt.Step(params), &pe)
	require.Equal(t, "layer/b", pe.Param)
	params[1].SetGrad(tensor(t, graph.Float32, make([]float64, 4), 4))
	require.ErrorIs(t, opt.Step(params), optimizers.ErrParam)

	twin := graph.NewParam("layer/W", params[0].Value().Clone())
	twin.SetGrad(params[0].Grad())
	params[1].SetGrad(nil)
	err = opt.Step([]*graph.Param{params[0], twin})
	require.ErrorAs(t, err, &pe)
	require.Contains(t, pe.Reason, "two parameters")
	require.ErrorIs(t, opt.Step([]*graph.Param{params[0], nil}), optimizers.ErrParam)
	requireSameBits(t, before, params)

	// A parameter without a gradient is skipped, as torch skips grad None.
	require.NoError(t, opt.Step(params))
	require.Equal(t, values(before[1]), values(params[1]))
	require.NotEqual(t, values(before[0]), values(params[0]))
}

func TestLRGroupsErrors(t *testing.T) {
	opt, err := optimizers.NewRMSprop(optimizers.RMSpropDefaults())
	require.NoError(t, err)
	require.Equal(t, 1, opt.NumGroups())
	require.ErrorIs(t, opt.SetLR(1, 0.1), optimizers.ErrGroup)
	require.ErrorIs(t, opt.SetLR(-1, 0.1), optimizers.ErrGroup)
	require.ErrorIs(t, opt.SetLR(0, -0.1), optimizers.ErrHyper)
	require.ErrorIs(t, opt.SetLR(0, math.NaN()), optimizers.ErrHyper)
	require.True(t, math.IsNaN(opt.LR(3)))
	require.NoError(t, opt.SetLR(0, 0))
	require.Equal(t, 0.0, opt.LR(0))
}

// TestFiniteCheckOverflow: finite gradients whose sum overflows are not
// mistaken for non-finite ones (the pre-check's fast path is a plain sum).
func TestFiniteCheckOverflow(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		big := 3e38
		if dt == graph.Float64 {
			big = 1.7e308
		}
		g := make([]float64, 21)
		for i := range g {
			g[i] = big
		}
		p := param(t, "p", dt, make([]float64, len(g)), len(g))
		p.SetGrad(tensor(t, dt, g, len(g)))
		opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 1e-300})
		require.NoError(t, err)
		require.NoError(t, opt.Step([]*graph.Param{p}), dt)
		for i := range g { // a NaN at any position of the unrolled loop is found
			p.Grad().Set(i, math.NaN())
			require.ErrorIs(t, opt.Step([]*graph.Param{p}), optimizers.ErrNonFiniteGrad, "%v at %d", dt, i)
			p.Grad().Set(i, big)
		}
	}
}
