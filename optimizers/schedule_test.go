package optimizers_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/optimizers"
)

func TestScheduleClosedForms(t *testing.T) {
	// Values from torch's closed forms (shared/golden/README.md, "Learning-rate
	// schedules") with base lr 1; tolerance 1e-15.
	cases := []struct {
		name string
		s    optimizers.Schedule
		want []float64 // lr of steps k = 0, 1, 2, ...
	}{
		{"constant", optimizers.Constant{}, []float64{1, 1, 1}},
		{"step", optimizers.StepDecay{StepSize: 2, Gamma: 0.5}, []float64{1, 1, 0.5, 0.5, 0.25}},
		{"multistep", optimizers.MultiStep{Milestones: []int{3, 1, 3}, Gamma: 0.1}, []float64{1, 0.1, 0.1, 0.001, 0.001}},
		{"exp", optimizers.Exponential{Gamma: 0.5}, []float64{1, 0.5, 0.25, 0.125}},
		// eta_min + (1-eta_min)(1+cos(pi k/4))/2 with eta_min 0.2: at k = 2, 0.6;
		// at k = 4 (T_max), 0.2; unclamped, k = 6 is back to 0.6 and k = 8 to 1.
		{"cosine", optimizers.Cosine{TMax: 4, EtaMin: 0.2}, []float64{1, 0.2 + 0.8*(1+math.Sqrt2/2)/2, 0.6, 0.2 + 0.8*(1-math.Sqrt2/2)/2, 0.2, 0.2 + 0.8*(1-math.Sqrt2/2)/2, 0.6, 0.2 + 0.8*(1+math.Sqrt2/2)/2, 1}},
		// warm-up over 4 steps: 1/4, 2/4, 3/4, 1, then the step schedule from its step 0.
		{"warmup", optimizers.Warmup{Steps: 4, Then: optimizers.StepDecay{StepSize: 2, Gamma: 0.5}}, []float64{0.25, 0.5, 0.75, 1, 1, 1, 0.5, 0.5}},
		{"warmup_alone", optimizers.Warmup{Steps: 2}, []float64{0.5, 1, 1, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, w := range c.want {
				require.InDelta(t, w, c.s.LR(1, k), 1e-15, "k = %d", k)
			}
		})
	}
}

// TestSchedulerGroups: a schedule acts on every group relative to the
// group's own initial lr, and the first step uses the initial lr.
func TestSchedulerGroups(t *testing.T) {
	noDecay := optimizers.SGDConfig{LR: 0.5}
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1, WeightDecay: 0.01},
		optimizers.Group[optimizers.SGDConfig]{Match: optimizers.OneDim, Config: noDecay})
	require.NoError(t, err)
	s, err := optimizers.NewScheduler(opt, optimizers.StepDecay{StepSize: 1, Gamma: 0.5})
	require.NoError(t, err)
	require.Equal(t, []float64{0.1, 0.5}, []float64{opt.LR(0), opt.LR(1)}, "step 0 uses the initial lrs")
	require.NoError(t, s.Step(0))
	require.Equal(t, []float64{0.05, 0.25}, []float64{opt.LR(0), opt.LR(1)})
	require.NoError(t, s.Step(0))
	require.Equal(t, []float64{0.025, 0.125}, []float64{opt.LR(0), opt.LR(1)})
	require.Equal(t, 2, s.Steps())
	c, ok := opt.Config(1)
	require.True(t, ok)
	require.Equal(t, 0.5, c.LR, "Config keeps the initial lr")

	w, err := optimizers.NewScheduler(opt, optimizers.Warmup{Steps: 4})
	require.NoError(t, err)
	require.InDelta(t, 0.025/4, opt.LR(0), 1e-18, "a warm-up sets step 0's lr when bound")
	require.NoError(t, w.Step(0))
	require.InDelta(t, 0.025/2, opt.LR(0), 1e-18)
}

func TestSchedulerErrors(t *testing.T) {
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1})
	require.NoError(t, err)
	for _, s := range []optimizers.Schedule{
		optimizers.StepDecay{StepSize: 0, Gamma: 0.1},
		optimizers.StepDecay{StepSize: 1, Gamma: 0},
		optimizers.MultiStep{Milestones: []int{0}, Gamma: 0.1},
		optimizers.Exponential{Gamma: math.NaN()},
		optimizers.Cosine{TMax: 0},
		optimizers.Cosine{TMax: 5, EtaMin: -1},
		optimizers.Warmup{Steps: 0},
		optimizers.Warmup{Steps: 2, Then: optimizers.Cosine{}},
	} {
		_, err := optimizers.NewScheduler(opt, s)
		require.ErrorIs(t, err, optimizers.ErrHyper, "%#v", s)
	}
	_, err = optimizers.NewScheduler(nil, optimizers.Constant{})
	require.ErrorIs(t, err, optimizers.ErrSchedule)

	// A schedule whose lr overflows stops with an error and leaves the lr.
	s, err := optimizers.NewScheduler(opt, optimizers.Exponential{Gamma: 1e300})
	require.NoError(t, err)
	require.NoError(t, s.Step(0))
	require.ErrorIs(t, s.Step(0), optimizers.ErrSchedule)
	require.Equal(t, 0.1*1e300, opt.LR(0))
	require.Equal(t, 1, s.Steps())
}

// TestPlateau follows torch's ReduceLROnPlateau step by step.
func TestPlateau(t *testing.T) {
	type step struct {
		metric float64
		lr     float64 // lr after the step
	}
	cases := []struct {
		name  string
		cfg   optimizers.PlateauConfig
		steps []step
	}{{
		// patience 2, cooldown 1, factor 0.5, rel threshold 1e-4, mode min:
		// 10 (best), 9 (best), 9 (bad 1), 9 (bad 2), 9 (bad 3 > 2: lr 0.5, cooldown 1),
		// 9 (bad 1, but cooldown: reset to 0), 9 (1), 9 (2), 9 (3: lr 0.25).
		name: "min_rel_cooldown",
		cfg:  optimizers.PlateauConfig{Factor: 0.5, Patience: 2, Threshold: 1e-4, Cooldown: 1},
		steps: []step{{10, 1}, {9, 1}, {9, 1}, {9, 1}, {9, 0.5}, {9, 0.5}, {9, 0.5}, {9, 0.5}, {9, 0.25},
			// 8.9995 is not better than 9*(1-1e-4) = 8.9991: bad 1; 8 is better.
			{8.9995, 0.25}, {8, 0.25}},
	}, {
		// abs threshold 0.5, patience 0: any step not 0.5 below the best reduces, down to min_lr 0.3.
		name:  "min_abs_min_lr",
		cfg:   optimizers.PlateauConfig{Factor: 0.5, Threshold: 0.5, ThresholdMode: optimizers.AbsThreshold, MinLR: 0.3, Eps: 1e-8},
		steps: []step{{5, 1}, {4.6, 0.5}, {4, 0.5}, {3.9, 0.3}, {3.9, 0.3}},
	}, {
		// mode max: higher is better.
		name:  "max",
		cfg:   optimizers.PlateauConfig{Mode: optimizers.MaxMode, Factor: 0.1, Patience: 1, Threshold: 1e-4},
		steps: []step{{0.5, 1}, {0.6, 1}, {0.6, 1}, {0.55, 0.1}, {0.7, 0.1}},
	}, {
		// a reduction smaller than eps is skipped.
		name:  "eps",
		cfg:   optimizers.PlateauConfig{Factor: 0.5, Eps: 0.6},
		steps: []step{{1, 1}, {1, 1}},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 1})
			require.NoError(t, err)
			p, err := optimizers.NewPlateau(opt, c.cfg)
			require.NoError(t, err)
			for i, s := range c.steps {
				require.NoError(t, p.Step(s.metric))
				require.InDelta(t, s.lr, opt.LR(0), 1e-15, "after step %d (metric %v)", i, s.metric)
			}
		})
	}
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 1})
	require.NoError(t, err)
	p, err := optimizers.NewPlateau(opt, optimizers.PlateauDefaults())
	require.NoError(t, err)
	require.ErrorIs(t, p.Step(math.NaN()), optimizers.ErrSchedule)
	for _, bad := range []optimizers.PlateauConfig{{Factor: 1}, {Factor: -0.1}, {Factor: 0.1, Patience: -1}, {Factor: 0.1, MinLR: -1}, {Factor: 0.1, Threshold: math.Inf(1)}} {
		_, err := optimizers.NewPlateau(opt, bad)
		require.ErrorIs(t, err, optimizers.ErrHyper, "%+v", bad)
	}
}

func TestParseSchedule(t *testing.T) {
	plateau := func(f float64, p int) *optimizers.PlateauConfig {
		c := optimizers.PlateauDefaults()
		c.Factor, c.Patience = f, p
		return &c
	}
	cases := []struct {
		spec string
		want optimizers.ScheduleSpec
		str  string
	}{
		{"", optimizers.ScheduleSpec{Schedule: optimizers.Constant{}}, "constant"},
		{"constant", optimizers.ScheduleSpec{Schedule: optimizers.Constant{}}, "constant"},
		{"step:30:0.1", optimizers.ScheduleSpec{Schedule: optimizers.StepDecay{StepSize: 30, Gamma: 0.1}}, "step:30:0.1"},
		{"step:30", optimizers.ScheduleSpec{Schedule: optimizers.StepDecay{StepSize: 30, Gamma: 0.1}}, "step:30:0.1"},
		{"multistep:30,60:0.5", optimizers.ScheduleSpec{Schedule: optimizers.MultiStep{Milestones: []int{30, 60}, Gamma: 0.5}}, "multistep:30,60:0.5"},
		{"multistep:30", optimizers.ScheduleSpec{Schedule: optimizers.MultiStep{Milestones: []int{30}, Gamma: 0.1}}, "multistep:30:0.1"},
		{"exp:0.95", optimizers.ScheduleSpec{Schedule: optimizers.Exponential{Gamma: 0.95}}, "exp:0.95"},
		{"cosine:50", optimizers.ScheduleSpec{Schedule: optimizers.Cosine{TMax: 50}}, "cosine:50:0"},
		{"cosine:50:1e-5", optimizers.ScheduleSpec{Schedule: optimizers.Cosine{TMax: 50, EtaMin: 1e-5}}, "cosine:50:1e-05"},
		{"warmup:5", optimizers.ScheduleSpec{Schedule: optimizers.Warmup{Steps: 5, Then: optimizers.Constant{}}}, "warmup:5,constant"},
		{"warmup:5,cosine:50", optimizers.ScheduleSpec{Schedule: optimizers.Warmup{Steps: 5, Then: optimizers.Cosine{TMax: 50}}}, "warmup:5,cosine:50:0"},
		{"warmup:5+multistep:30,60:0.1", optimizers.ScheduleSpec{Schedule: optimizers.Warmup{Steps: 5, Then: optimizers.MultiStep{Milestones: []int{30, 60}, Gamma: 0.1}}}, "warmup:5,multistep:30,60:0.1"},
		// String writes large values with an exponent sign, which must not split the spec.
		{"exp:1e21", optimizers.ScheduleSpec{Schedule: optimizers.Exponential{Gamma: 1e21}}, "exp:1e+21"},
		{"exp:1E+21", optimizers.ScheduleSpec{Schedule: optimizers.Exponential{Gamma: 1e21}}, "exp:1e+21"},
		{"warmup:2+step:3:2.5e+30", optimizers.ScheduleSpec{Schedule: optimizers.Warmup{Steps: 2, Then: optimizers.StepDecay{StepSize: 3, Gamma: 2.5e30}}}, "warmup:2,step:3:2.5e+30"},
		{"warmup:2,multistep:1,4:.5e+22", optimizers.ScheduleSpec{Schedule: optimizers.Warmup{Steps: 2, Then: optimizers.MultiStep{Milestones: []int{1, 4}, Gamma: 5e21}}}, "warmup:2,multistep:1,4:5e+21"},
		{"cosine:5:1e+22", optimizers.ScheduleSpec{Schedule: optimizers.Cosine{TMax: 5, EtaMin: 1e22}}, "cosine:5:1e+22"},
		{"plateau", optimizers.ScheduleSpec{Plateau: plateau(0.1, 10)}, "plateau:0.1:10"},
		{"plateau:0.5", optimizers.ScheduleSpec{Plateau: plateau(0.5, 10)}, "plateau:0.5:10"},
		{"plateau:0.5:3", optimizers.ScheduleSpec{Plateau: plateau(0.5, 3)}, "plateau:0.5:3"},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			got, err := optimizers.ParseSchedule(c.spec)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
			require.Equal(t, c.str, got.String())
			again, err := optimizers.ParseSchedule(got.String())
			require.NoError(t, err, "String() must parse back")
			require.Equal(t, got.String(), again.String())
			opt, err := optimizers.NewAdam(optimizers.AdamDefaults())
			require.NoError(t, err)
			s, err := got.Bind(opt)
			require.NoError(t, err)
			require.NoError(t, s.Step(1))
		})
	}
	bad := []struct {
		spec string
		want error
	}{
		{"linear:5", optimizers.ErrUnknown},
		{"step", optimizers.ErrSchedule},
		{"step:x:0.1", optimizers.ErrSchedule},
		{"step:0:0.1", optimizers.ErrHyper},
		{"exp", optimizers.ErrSchedule},
		{"exp:-1", optimizers.ErrHyper},
		{"cosine:50:0:1", optimizers.ErrSchedule},
		{"multistep:a,b", optimizers.ErrSchedule},
		{"cosine:50,exp:0.9", optimizers.ErrSchedule},
		{"exp:0.9,warmup:5", optimizers.ErrSchedule},
		{"warmup:5,plateau", optimizers.ErrSchedule},
		{"warmup:0,cosine:5", optimizers.ErrHyper},
		{"plateau:1", optimizers.ErrHyper},
		{"warmup:5+cosine+exp:0.9", optimizers.ErrSchedule}, // "cosine" ends in e: the '+' splits
	}
	for _, c := range bad {
		_, err := optimizers.ParseSchedule(c.spec)
		require.ErrorIs(t, err, c.want, "%q", c.spec)
	}
	_, err := optimizers.ScheduleSpec{}.Bind(nil)
	require.ErrorIs(t, err, optimizers.ErrSchedule)
}
