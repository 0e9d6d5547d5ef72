package optimizers_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/optimizers"
)

func nadamCase(name string, c optimizers.NAdamConfig) optimizerCase {
	m := c
	m.Maximize = true
	return optimizerCase{name,
		func() (optimizers.Optimizer, error) { return optimizers.NewNAdam(c) },
		func() (optimizers.Optimizer, error) { return optimizers.NewNAdam(m) }}
}

func lionCase(name string, c optimizers.LionConfig) optimizerCase {
	m := c
	m.Maximize = true
	return optimizerCase{name,
		func() (optimizers.Optimizer, error) { return optimizers.NewLion(c) },
		func() (optimizers.Optimizer, error) { return optimizers.NewLion(m) }}
}

func TestNAdamHandStep(t *testing.T) {
	// lr 0.1, betas (0.9, 0.999), eps 0, momentum decay 0.004; p = 1, g = 0.5.
	// m = 0.05, v = 0.00025, v/(1-0.999) = 0.25, den = 0.5;
	// p = 1 - 0.1*(1-mu1)/(1-mu1) * 0.5/0.5 - 0.1*mu2/(1-mu1*mu2) * 0.05/0.5.
	mu := func(t float64) float64 { return 0.9 * (1 - 0.5*math.Pow(0.96, t*0.004)) }
	p1 := 1 - 0.1 - 0.1*mu(2)/(1-mu(1)*mu(2))*0.1
	runHand(t, []handCase{{
		name: "nadam",
		opt: func() (optimizers.Optimizer, error) {
			return optimizers.NewNAdam(optimizers.NAdamConfig{LR: 0.1, Eps: optimizers.Zero()})
		},
		p0: []float64{1}, grads: [][]float64{{0.5}}, want: [][]float64{{p1}},
	}})
}

func TestLionHandStep(t *testing.T) {
	// lr 0.1, weight decay 0.5, betas (0.9, 0.99); p = [1, -2, 3].
	// step 1, g = [0.5, -1, 0]: p*0.95 = [0.95, -1.9, 2.85]; c = 0.1g = [0.05, -0.1, 0]
	//   -> p = [0.85, -1.8, 2.85] (sign(0) = 0); m = 0.01g = [0.005, -0.01, 0].
	// step 2, g = [-0.01, -1, 0.2]: p*0.95 = [0.8075, -1.71, 2.7075];
	//   c = 0.9m + 0.1g = [0.0035, -0.109, 0.02] -> p = [0.7075, -1.61, 2.6075].
	runHand(t, []handCase{{
		name: "lion",
		opt: func() (optimizers.Optimizer, error) {
			return optimizers.NewLion(optimizers.LionConfig{LR: 0.1, WeightDecay: 0.5})
		},
		p0: []float64{1, -2, 3}, grads: [][]float64{{0.5, -1, 0}, {-0.01, -1, 0.2}},
		want: [][]float64{{0.85, -1.8, 2.85}, {0.7075, -1.61, 2.6075}},
	}})
}

// TestNAdamLionRosenbrock: both reach the minimum (1, 1) of the Rosenbrock
// function from (-1.5, 2) to within 1e-3 (settings found by trying; Lion's
// fixed-size sign steps, and NAdam's fixed-lr iterates, which stall at
// x ~ 0.9956 after 5000 steps, need the lr annealed to land within 1e-3).
func TestNAdamLionRosenbrock(t *testing.T) {
	cases := []struct {
		name  string
		steps int
		new   func() (optimizers.Optimizer, optimizers.Schedule, error)
	}{
		{"nadam", 5000, func() (optimizers.Optimizer, optimizers.Schedule, error) {
			o, err := optimizers.NewNAdam(optimizers.NAdamConfig{LR: 0.02})
			return o, optimizers.Cosine{TMax: 5000}, err
		}},
		{"lion", 5000, func() (optimizers.Optimizer, optimizers.Schedule, error) {
			o, err := optimizers.NewLion(optimizers.LionConfig{LR: 3e-3})
			return o, optimizers.Cosine{TMax: 5000}, err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt, s, err := c.new()
			require.NoError(t, err)
			var sched optimizers.LRScheduler
			if s != nil {
				sched, err = optimizers.NewScheduler(opt.(optimizers.LRGroups), s)
				require.NoError(t, err)
			}
			xy := rosenbrock(t, opt, sched, c.steps)
			require.InDelta(t, 1, xy[0], 1e-3, "x after %d steps", c.steps)
			require.InDelta(t, 1, xy[1], 1e-3, "y after %d steps", c.steps)
		})
	}
}

func TestNAdamLionValidate(t *testing.T) {
	_, err := optimizers.NewNAdam(optimizers.NAdamConfig{MomentumDecay: -1})
	require.EqualError(t, err, "optimizers: NAdam: MomentumDecay = -1 (want momentum_decay >= 0)")
	require.ErrorIs(t, err, optimizers.ErrHyper)
	_, err = optimizers.NewNAdam(optimizers.NAdamConfig{Beta2: 1})
	require.ErrorIs(t, err, optimizers.ErrHyper)
	_, err = optimizers.NewLion(optimizers.LionConfig{Beta1: 1.5})
	require.EqualError(t, err, "optimizers: Lion: Beta1 = 1.5 (want 0 <= beta1 <= 1)")
	_, err = optimizers.NewLion(optimizers.LionConfig{WeightDecay: math.NaN()})
	require.ErrorIs(t, err, optimizers.ErrHyper)
	o, err := optimizers.NewNAdam(optimizers.NAdamConfig{})
	require.NoError(t, err)
	c, _ := o.Config(0)
	require.Equal(t, optimizers.NAdamDefaults(), c, "torch's NAdam defaults")
	l, err := optimizers.NewLion(optimizers.LionConfig{Beta1: optimizers.Zero()})
	require.NoError(t, err)
	lc, _ := l.Config(0)
	require.Equal(t, optimizers.LionConfig{LR: 1e-4, Beta2: 0.99}, lc)
}
