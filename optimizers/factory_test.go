package optimizers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/optimizers"
)

func TestNew(t *testing.T) {
	require.Equal(t, []string{"gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "radam", "adamax", "nadam", "lion", "lbfgs"}, optimizers.Names())
	for _, name := range optimizers.Names() {
		opt, err := optimizers.New(name, optimizers.Hyper{})
		require.NoError(t, err, name)
		require.Implements(t, (*optimizers.LRGroups)(nil), opt)
		require.Implements(t, (*optimizers.Stateful)(nil), opt)
	}
	sgd := func(name string, h optimizers.Hyper) optimizers.SGDConfig {
		o, err := optimizers.New(name, h)
		require.NoError(t, err)
		c, ok := o.(*optimizers.SGD).Config(0)
		require.True(t, ok)
		return c
	}
	require.Equal(t, optimizers.SGDConfig{LR: 0.01}, sgd("gd", optimizers.Hyper{}))
	require.Equal(t, optimizers.SGDConfig{LR: 0.01}, sgd("sgd", optimizers.Hyper{}))
	require.Equal(t, optimizers.SGDConfig{LR: 0.01, Momentum: 0.9}, sgd("momentum", optimizers.Hyper{}))
	require.Equal(t, optimizers.SGDConfig{LR: 0.01, Momentum: 0.9, Nesterov: true}, sgd("nesterov", optimizers.Hyper{}))
	require.Equal(t, optimizers.SGDConfig{LR: 0.2, Momentum: 0.5, WeightDecay: 1e-4},
		sgd("SGD", optimizers.Hyper{LR: optimizers.Float(0.2), Momentum: optimizers.Float(0.5), WeightDecay: optimizers.Float(1e-4)}))

	o, err := optimizers.New("adamw", optimizers.Hyper{Beta2: optimizers.Float(0.99)})
	require.NoError(t, err)
	ac, _ := o.(*optimizers.Adam).Config(0)
	want := optimizers.AdamWDefaults()
	want.Beta2 = 0.99
	require.Equal(t, want, ac)
	o, err = optimizers.New("adam", optimizers.Hyper{})
	require.NoError(t, err)
	ac, _ = o.(*optimizers.Adam).Config(0)
	require.Equal(t, optimizers.AdamDefaults(), ac)
	require.Equal(t, optimizers.AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, ac, "torch's Adam defaults")
	require.Equal(t, 0.01, optimizers.AdamWDefaults().WeightDecay, "torch's AdamW default")

	o, err = optimizers.New("rmsprop", optimizers.Hyper{Momentum: optimizers.Float(0.9), Eps: optimizers.Float(1e-6)})
	require.NoError(t, err)
	rc, _ := o.(*optimizers.RMSprop).Config(0)
	require.Equal(t, optimizers.RMSpropConfig{LR: 1e-2, Alpha: 0.99, Eps: 1e-6, Momentum: 0.9}, rc)
	o, err = optimizers.New("adagrad", optimizers.Hyper{LR: optimizers.Float(0.1)})
	require.NoError(t, err)
	gc, _ := o.(*optimizers.Adagrad).Config(0)
	require.Equal(t, optimizers.AdagradConfig{LR: 0.1, Eps: 1e-10}, gc)

	o, err = optimizers.New("nadam", optimizers.Hyper{Beta1: optimizers.Float(0.95)})
	require.NoError(t, err)
	nc, _ := o.(*optimizers.NAdam).Config(0)
	require.Equal(t, optimizers.NAdamConfig{LR: 2e-3, Beta1: 0.95, Beta2: 0.999, Eps: 1e-8, MomentumDecay: 4e-3}, nc)
	o, err = optimizers.New("lion", optimizers.Hyper{WeightDecay: optimizers.Float(0.1)})
	require.NoError(t, err)
	lc, _ := o.(*optimizers.Lion).Config(0)
	require.Equal(t, optimizers.LionConfig{LR: 1e-4, Beta1: 0.9, Beta2: 0.99, WeightDecay: 0.1}, lc)
	o, err = optimizers.New("lbfgs", optimizers.Hyper{LR: optimizers.Float(0.5)})
	require.NoError(t, err)
	bc, _ := o.(*optimizers.LBFGS).Config(0)
	require.Equal(t, 0.5, bc.LR)
	require.Implements(t, (*optimizers.ClosureOptimizer)(nil), o)
	_, err = optimizers.New("lion", optimizers.Hyper{Eps: optimizers.Float(1e-8)})
	require.ErrorIs(t, err, optimizers.ErrHyper, "Lion has no eps")
	_, err = optimizers.New("lbfgs", optimizers.Hyper{Momentum: optimizers.Float(0.9)})
	require.ErrorIs(t, err, optimizers.ErrHyper)
	_, err = optimizers.New("sophia", optimizers.Hyper{})
	require.ErrorIs(t, err, optimizers.ErrUnknown)
	_, err = optimizers.New("sgd", optimizers.Hyper{Beta1: optimizers.Float(0.9)})
	require.ErrorIs(t, err, optimizers.ErrHyper, "a flag the optimizer lacks is an error, not ignored")
	_, err = optimizers.New("gd", optimizers.Hyper{Momentum: optimizers.Float(0.9)})
	require.ErrorIs(t, err, optimizers.ErrHyper)
	_, err = optimizers.New("adagrad", optimizers.Hyper{Momentum: optimizers.Float(0.9)})
	require.ErrorIs(t, err, optimizers.ErrHyper)
	_, err = optimizers.New("nesterov", optimizers.Hyper{Momentum: optimizers.Float(0)})
	require.ErrorIs(t, err, optimizers.ErrHyper)
	_, err = optimizers.New("adam", optimizers.Hyper{Beta1: optimizers.Float(1)})
	require.EqualError(t, err, "optimizers: Adam: Beta1 = 1 (want 0 <= beta1 < 1)")
}
