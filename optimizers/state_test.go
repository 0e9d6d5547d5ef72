package optimizers_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

type optimizerCase struct {
	name   string
	new    func() (optimizers.Optimizer, error)
	newMax func() (optimizers.Optimizer, error) // the same with Maximize
}

func sgdCase(name string, c optimizers.SGDConfig) optimizerCase {
	m := c
	m.Maximize = true
	return optimizerCase{name,
		func() (optimizers.Optimizer, error) { return optimizers.NewSGD(c) },
		func() (optimizers.Optimizer, error) { return optimizers.NewSGD(m) }}
}

func adamCase(name string, c optimizers.AdamConfig, groups ...optimizers.Group[optimizers.AdamConfig]) optimizerCase {
	m := c
	m.Maximize = true
	mg := append([]optimizers.Group[optimizers.AdamConfig](nil), groups...)
	for i := range mg {
		mg[i].Config.Maximize = true
	}
	return optimizerCase{name,
		func() (optimizers.Optimizer, error) { return optimizers.NewAdam(c, groups...) },
		func() (optimizers.Optimizer, error) { return optimizers.NewAdam(m, mg...) }}
}

func rmspropCase(name string, c optimizers.RMSpropConfig) optimizerCase {
	m := c
	m.Maximize = true
	return optimizerCase{name,
		func() (optimizers.Optimizer, error) { return optimizers.NewRMSprop(c) },
		func() (optimizers.Optimizer, error) { return optimizers.NewRMSprop(m) }}
}

func adagradCase(name string, c optimizers.AdagradConfig) optimizerCase {
	m := c
	m.Maximize = true
	return optimizerCase{name,
		func() (optimizers.Optimizer, error) { return optimizers.NewAdagrad(c) },
		func() (optimizers.Optimizer, error) { return optimizers.NewAdagrad(m) }}
}

func radamCase(name string, c optimizers.RAdamConfig) optimizerCase {
	m := c
	m.Maximize = true
	return optimizerCase{name,
		func() (optimizers.Optimizer, error) { return optimizers.NewRAdam(c) },
		func() (optimizers.Optimizer, error) { return optimizers.NewRAdam(m) }}
}

func adamaxCase(name string, c optimizers.AdamaxConfig) optimizerCase {
	m := c
	m.Maximize = true
	return optimizerCase{name,
		func() (optimizers.Optimizer, error) { return optimizers.NewAdamax(c) },
		func() (optimizers.Optimizer, error) { return optimizers.NewAdamax(m) }}
}

func withAdam(f func(*optimizers.AdamConfig)) optimizers.AdamConfig {
	c := optimizers.AdamDefaults()
	c.LR = 0.01
	f(&c)
	return c
}

// resumeCases cover every optimizer and every kernel branch.
var resumeCases = func() []optimizerCase {
	rms := optimizers.RMSpropDefaults()
	rmsAll := rms
	rmsAll.Centered, rmsAll.Momentum, rmsAll.WeightDecay = true, 0.5, 0.01
	ada := optimizers.AdagradDefaults()
	ada.LR = 0.1
	adaAll := ada
	adaAll.LRDecay, adaAll.InitialAccumulatorValue, adaAll.WeightDecay = 0.01, 0.1, 0.01
	adamw := optimizers.AdamWDefaults()
	adamw.LR = 0.01
	noDecay := adamw
	noDecay.WeightDecay = optimizers.Zero()
	return []optimizerCase{
		sgdCase("sgd", optimizers.SGDConfig{LR: 0.05}),
		sgdCase("sgd_weight_decay", optimizers.SGDConfig{LR: 0.05, WeightDecay: 0.01}),
		sgdCase("momentum_dampening", optimizers.SGDConfig{LR: 0.03, Momentum: 0.9, Dampening: 0.1, WeightDecay: 0.01}),
		sgdCase("nesterov", optimizers.SGDConfig{LR: 0.03, Momentum: 0.9, Nesterov: true}),
		adamCase("adam", withAdam(func(*optimizers.AdamConfig) {})),
		adamCase("adam_amsgrad_weight_decay", withAdam(func(c *optimizers.AdamConfig) { c.AMSGrad, c.WeightDecay = true, 0.01 })),
		adamCase("adamw", adamw),
		adamCase("adamw_groups", adamw, optimizers.Group[optimizers.AdamConfig]{Match: optimizers.OneDim, Config: noDecay}),
		rmspropCase("rmsprop", rms),
		rmspropCase("rmsprop_centered_momentum", rmsAll),
		adagradCase("adagrad", ada),
		adagradCase("adagrad_lr_decay", adaAll),
		nadamCase("nadam", optimizers.NAdamConfig{LR: 0.01}),
		nadamCase("nadam_weight_decay", optimizers.NAdamConfig{LR: 0.01, WeightDecay: 0.01, MomentumDecay: 0.01}),
		nadamCase("nadamw", optimizers.NAdamConfig{LR: 0.01, WeightDecay: 0.01, Decoupled: true}),
		lionCase("lion", optimizers.LionConfig{LR: 1e-3}),
		lionCase("lion_weight_decay", optimizers.LionConfig{LR: 1e-3, WeightDecay: 0.1, Beta1: 0.95, Beta2: 0.98}),
		// RAdam's first five steps (rho_t <= 5) are un-rectified, the later
		// ones rectified: the run cut after step 8 holds both.
		radamCase("radam", optimizers.RAdamConfig{LR: 0.01}),
		radamCase("radam_weight_decay", optimizers.RAdamConfig{LR: 0.01, WeightDecay: 0.01}),
		radamCase("radam_decoupled", optimizers.RAdamConfig{LR: 0.01, WeightDecay: 0.01, Decoupled: true}),
		adamaxCase("adamax", optimizers.AdamaxConfig{LR: 0.01}),
		adamaxCase("adamax_weight_decay", optimizers.AdamaxConfig{LR: 0.01, WeightDecay: 0.01}),
	}
}()

var resumeSchedules = []struct {
	name string
	new  func(optimizers.LRGroups) (optimizers.LRScheduler, error)
}{
	{"warmup_cosine", func(o optimizers.LRGroups) (optimizers.LRScheduler, error) {
		return optimizers.NewScheduler(o, optimizers.Warmup{Steps: 3, Then: optimizers.Cosine{TMax: 10, EtaMin: 1e-4}})
	}},
	{"multistep", func(o optimizers.LRGroups) (optimizers.LRScheduler, error) {
		return optimizers.NewScheduler(o, optimizers.MultiStep{Milestones: []int{4, 9, 9}, Gamma: 0.5})
	}},
	{"plateau", func(o optimizers.LRGroups) (optimizers.LRScheduler, error) {
		c := optimizers.PlateauDefaults()
		c.Factor, c.Patience, c.Cooldown = 0.5, 1, 1
		return optimizers.NewPlateau(o, c)
	}},
}

// jsonRoundTrip stores a State as a checkpoint would: the tensors as
// tensors, the rest as JSON.
func jsonRoundTrip(t *testing.T, st optimizers.State) optimizers.State {
	t.Helper()
	meta, err := json.Marshal(st)
	require.NoError(t, err)
	var back optimizers.State
	require.NoError(t, json.Unmarshal(meta, &back))
	back.Tensors = map[string]*graph.Tensor{}
	for k, v := range st.Tensors {
		back.Tensors[k] = v.Clone()
	}
	return back
}

// TestResumeBitIdentical interrupts a run after 8 of 20 steps, exports the
// optimizer's and the schedule's State (through JSON), loads them into a
// new optimizer, schedule and model (new *Param values with the same
// names), and requires the continued run to match the uninterrupted one
// bit for bit.
func TestResumeBitIdentical(t *testing.T) {
	const total, cut = 20, 8
	for _, c := range resumeCases {
		for _, s := range resumeSchedules {
			for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
				t.Run(c.name+"/"+s.name+"/"+dt.String(), func(t *testing.T) {
					start := func() (optimizers.Optimizer, optimizers.LRScheduler) {
						opt, err := c.new()
						require.NoError(t, err)
						sched, err := s.new(opt.(optimizers.LRGroups))
						require.NoError(t, err)
						return opt, sched
					}
					opt, sched := start()
					want := model(t, dt)
					train(t, opt, sched, want, 0, total)

					opt1, sched1 := start()
					first := model(t, dt)
					train(t, opt1, sched1, first, 0, cut)
					ost, err := opt1.(optimizers.Stateful).State()
					require.NoError(t, err)
					sst, err := sched1.(optimizers.Stateful).State()
					require.NoError(t, err)
					train(t, opt1, sched1, clone(first), cut, cut+3) // later steps must not touch the States taken

					opt2, sched2 := start()
					require.NoError(t, opt2.(optimizers.Stateful).LoadState(jsonRoundTrip(t, ost)))
					require.NoError(t, sched2.(optimizers.Stateful).LoadState(jsonRoundTrip(t, sst)))
					got := clone(first)
					train(t, opt2, sched2, got, cut, total)
					requireSameBits(t, want, got)
					o, g := opt.(optimizers.LRGroups), opt2.(optimizers.LRGroups)
					for i := range o.NumGroups() {
						require.Equal(t, o.LR(i), g.LR(i), "group %d lr", i)
					}
				})
			}
		}
	}
}

func TestLoadStateRejects(t *testing.T) {
	newAdam := func() *optimizers.Adam {
		o, err := optimizers.NewAdam(optimizers.AdamDefaults())
		require.NoError(t, err)
		return o
	}
	o := newAdam()
	params := model(t, graph.Float64)
	train(t, o, nil, params, 0, 2)
	good, err := o.State()
	require.NoError(t, err)
	require.Equal(t, "adam", good.Kind)
	require.Contains(t, good.Tensors, "layer/W/exp_avg")
	require.Contains(t, good.Tensors, "layer/b/exp_avg_sq")
	require.Equal(t, int64(2), good.Ints["layer/W/step"])
	require.Equal(t, 1e-3, good.Floats["lr/0"])

	mutate := func(f func(*optimizers.State)) optimizers.State {
		st := jsonRoundTrip(t, good)
		f(&st)
		return st
	}
	cases := []struct {
		name string
		st   optimizers.State
	}{
		{"kind", mutate(func(s *optimizers.State) { s.Kind = "sgd" })},
		{"missing_lr", mutate(func(s *optimizers.State) { delete(s.Floats, "lr/0") })},
		{"extra_group", mutate(func(s *optimizers.State) { s.Floats["lr/1"] = 0.1 })},
		{"negative_lr", mutate(func(s *optimizers.State) { s.Floats["lr/0"] = -1 })},
		{"bad_step", mutate(func(s *optimizers.State) { s.Ints["layer/W/step"] = 0 })},
		{"bad_int_key", mutate(func(s *optimizers.State) { s.Ints["layer/W"] = 3 })},
		{"unknown_buffer", mutate(func(s *optimizers.State) { s.Tensors["layer/W/momentum_buffer"] = s.Tensors["layer/W/exp_avg"] })},
		{"orphan_tensor", mutate(func(s *optimizers.State) { s.Tensors["other/exp_avg"] = s.Tensors["layer/W/exp_avg"] })},
		{"missing_buffer", mutate(func(s *optimizers.State) { delete(s.Tensors, "layer/W/exp_avg_sq") })},
		{"inconsistent_shapes", mutate(func(s *optimizers.State) { s.Tensors["layer/W/exp_avg"] = s.Tensors["layer/b/exp_avg"] })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o2 := newAdam()
			err := o2.LoadState(c.st)
			require.ErrorIs(t, err, optimizers.ErrState)
			st, err := o2.State() // nothing changed: still empty
			require.NoError(t, err)
			require.Empty(t, st.Ints)
		})
	}

	// A state whose buffers do not fit the parameters is refused by Step,
	// which then updates nothing.
	t.Run("shape_at_step", func(t *testing.T) {
		o2 := newAdam()
		st := jsonRoundTrip(t, good)
		st.Tensors["layer/b/exp_avg"] = tensor(t, graph.Float64, make([]float64, 5), 5)
		st.Tensors["layer/b/exp_avg_sq"] = tensor(t, graph.Float64, make([]float64, 5), 5)
		require.NoError(t, o2.LoadState(st))
		ps := model(t, graph.Float64)
		before := clone(ps)
		setGrads(t, ps, 0)
		err := o2.Step(ps)
		var pe *optimizers.ParamError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "layer/b", pe.Param)
		requireSameBits(t, before, ps)
	})
	t.Run("float32_state_for_float64_params", func(t *testing.T) {
		o32 := newAdam()
		p32 := model(t, graph.Float32)
		train(t, o32, nil, p32, 0, 1)
		st, err := o32.State()
		require.NoError(t, err)
		o2 := newAdam()
		require.NoError(t, o2.LoadState(st))
		ps := model(t, graph.Float64)
		setGrads(t, ps, 0)
		require.True(t, errors.Is(o2.Step(ps), optimizers.ErrParam))
	})
}

func TestScheduleLoadStateRejects(t *testing.T) {
	o, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1})
	require.NoError(t, err)
	s, err := optimizers.NewScheduler(o, optimizers.Exponential{Gamma: 0.5})
	require.NoError(t, err)
	require.NoError(t, s.Step(0))
	st, err := s.State()
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Ints["step"])
	require.Equal(t, 0.1, st.Floats["base_lr/0"])

	bad := jsonRoundTrip(t, st)
	bad.Kind = "plateau"
	require.ErrorIs(t, s.LoadState(bad), optimizers.ErrState)
	bad = jsonRoundTrip(t, st)
	bad.Ints["step"] = -1
	require.ErrorIs(t, s.LoadState(bad), optimizers.ErrState)
	bad = jsonRoundTrip(t, st)
	delete(bad.Floats, "base_lr/0")
	require.ErrorIs(t, s.LoadState(bad), optimizers.ErrState)
	require.Equal(t, 1, s.Steps())

	p, err := optimizers.NewPlateau(o, optimizers.PlateauDefaults())
	require.NoError(t, err)
	pst, err := p.State()
	require.NoError(t, err)
	require.NotContains(t, pst.Floats, "best", "no best before a first metric")
	require.ErrorIs(t, p.LoadState(st), optimizers.ErrState)
}
