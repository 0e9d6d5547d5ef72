package optimizers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// TestGroupsNoDecayOnBiases: the usual AdamW setup. With a zero gradient
// Adam's update is zero, so only the decoupled decay moves a parameter:
// the weight shrinks by 1 - lr*wd, the 1-D bias (group 1, no decay) stays.
func TestGroupsNoDecayOnBiases(t *testing.T) {
	cfg := optimizers.AdamWDefaults()
	cfg.LR, cfg.WeightDecay = 0.1, 0.5
	noDecay := cfg
	noDecay.WeightDecay = optimizers.Zero()
	opt, err := optimizers.NewAdamW(cfg, optimizers.Group[optimizers.AdamConfig]{Match: optimizers.OneDim, Config: noDecay})
	require.NoError(t, err)
	require.Equal(t, 2, opt.NumGroups())

	params := model(t, graph.Float64)
	before := clone(params)
	for _, p := range params {
		p.SetGrad(tensor(t, graph.Float64, make([]float64, p.Value().Len()), p.Shape()...))
	}
	require.NoError(t, opt.Step(params))
	for i, v := range values(before[0]) {
		require.Equal(t, v*(1-0.1*0.5), values(params[0])[i])
	}
	require.Equal(t, values(before[1]), values(params[1]))
}

// TestGroupsByName: a group selected by name takes its own lr; the first
// matching group wins; the rest use the main config.
func TestGroupsByName(t *testing.T) {
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1},
		optimizers.Group[optimizers.SGDConfig]{Match: optimizers.ByName("a"), Config: optimizers.SGDConfig{LR: 1}},
		optimizers.Group[optimizers.SGDConfig]{Match: optimizers.ByName("a", "b"), Config: optimizers.SGDConfig{LR: 10}})
	require.NoError(t, err)
	a := param(t, "a", graph.Float64, []float64{0}, 1)
	b := param(t, "b", graph.Float64, []float64{0}, 1)
	c := param(t, "c", graph.Float64, []float64{0}, 1)
	for _, p := range []*graph.Param{a, b, c} {
		p.SetGrad(tensor(t, graph.Float64, []float64{1}, 1))
	}
	require.NoError(t, opt.Step([]*graph.Param{a, b, c}))
	require.Equal(t, []float64{-1, -10, -0.1}, []float64{values(a)[0], values(b)[0], values(c)[0]})

	require.True(t, optimizers.OneDim(a))
	require.False(t, optimizers.OneDim(model(t, graph.Float64)[0]))
}

func TestReset(t *testing.T) {
	c := optimizers.AdamDefaults()
	opt, err := optimizers.NewAdam(c)
	require.NoError(t, err)
	params := model(t, graph.Float64)
	train(t, opt, nil, params, 0, 3)
	require.NoError(t, opt.SetLR(0, 0.5))
	opt.Reset()
	st, err := opt.State()
	require.NoError(t, err)
	require.Empty(t, st.Tensors)
	require.Equal(t, 0.5, opt.LR(0), "Reset keeps the lrs")

	// After Reset the optimizer behaves like a new one (with that lr).
	c.LR = 0.5
	fresh, err := optimizers.NewAdam(c)
	require.NoError(t, err)
	p1, p2 := clone(params), clone(params)
	train(t, opt, nil, p1, 0, 3)
	train(t, fresh, nil, p2, 0, 3)
	requireSameBits(t, p2, p1)
}
