package optbench

import (
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/optimizers"
)

// configOf returns a built-in optimizer's resolved config.
func configOf(t *testing.T, o optimizers.Optimizer) any {
	t.Helper()
	var c any
	var ok bool
	switch x := o.(type) {
	case *optimizers.SGD:
		c, ok = x.Config(0)
	case *optimizers.Adam:
		c, ok = x.Config(0)
	case *optimizers.NAdam:
		c, ok = x.Config(0)
	case *optimizers.RAdam:
		c, ok = x.Config(0)
	case *optimizers.Adamax:
		c, ok = x.Config(0)
	case *optimizers.Lion:
		c, ok = x.Config(0)
	case *optimizers.RMSprop:
		c, ok = x.Config(0)
	case *optimizers.Adagrad:
		c, ok = x.Config(0)
	case *optimizers.LBFGS:
		c, ok = x.Config(0)
	default:
		t.Fatalf("unknown optimizer type %T", o)
	}
	require.True(t, ok)
	return c
}

// TestBuiltinDefaultsAreTorchs: every built-in's defaults build the
// optimizers package's defaults (torch's; the SGD family's lr is descent's
// 0.01, momentum and nesterov 0.9 as optimizers.New).
func TestBuiltinDefaultsAreTorchs(t *testing.T) {
	reg := testRegistry(t)
	want := map[string]any{
		"sgd":      optimizers.SGDConfig{LR: 0.01},
		"momentum": optimizers.SGDConfig{LR: 0.01, Momentum: 0.9},
		"nesterov": optimizers.SGDConfig{LR: 0.01, Momentum: 0.9, Nesterov: true},
		"adam":     optimizers.AdamDefaults(),
		"adamw":    optimizers.AdamWDefaults(),
		"nadam":    optimizers.NAdamDefaults(),
		"radam":    optimizers.RAdamDefaults(),
		"adamax":   optimizers.AdamaxDefaults(),
		"lion":     optimizers.LionDefaults(),
		"rmsprop":  optimizers.RMSpropDefaults(),
		"adagrad":  optimizers.AdagradDefaults(),
		"lbfgs":    optimizers.LBFGSDefaults(),
	}
	require.ElementsMatch(t, sortedKeys(want), reg.Optimizers())
	for _, name := range reg.Optimizers() {
		o, _ := reg.Optimizer(name)
		h, err := o.Resolve(nil)
		require.NoError(t, err)
		opt, err := o.Build(h)
		require.NoError(t, err)
		require.Equal(t, want[name], configOf(t, opt), name)
	}
}

// TestEveryHyperparameterReaches: setting any hyperparameter of any
// built-in to another valid value changes the optimizer it builds, so
// every one is reachable from the CLI (--set) and sweep files.
func TestEveryHyperparameterReaches(t *testing.T) {
	reg := testRegistry(t)
	for _, name := range reg.Optimizers() {
		o, _ := reg.Optimizer(name)
		for _, p := range o.Params {
			v := p.Default*0.5 + 0.25
			switch {
			case p.Kind == Flag:
				v = 1 - p.Default
			case p.Kind == Integer:
				v = p.Default + 3
			case name == "nesterov" && p.Name == "dampening":
				continue // must be 0 with Nesterov (torch's rule)
			}
			extra := Setting{}
			if name == "sgd" && p.Name == "nesterov" {
				extra["momentum"] = 0.5 // Nesterov needs momentum
			}
			base, err := o.Resolve(extra)
			require.NoError(t, err)
			b, err := o.Build(base)
			require.NoError(t, err)
			set := extra.Clone()
			set[p.Name] = v
			h, err := o.Resolve(set)
			require.NoError(t, err, "%s.%s=%v", name, p.Name, v)
			opt, err := o.Build(h)
			require.NoError(t, err)
			require.False(t, reflect.DeepEqual(configOf(t, b), configOf(t, opt)), "%s.%s=%v changes nothing", name, p.Name, v)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	reg := testRegistry(t)
	adam, _ := reg.Optimizer("adam")
	lbfgs, _ := reg.Optimizer("lbfgs")
	for _, c := range []struct {
		o    Optimizer
		set  Setting
		want string
	}{
		{adam, Setting{"momentum": 0.9}, `optimizer adam has no hyperparameter "momentum" (it has lr, beta1, beta2, eps, weight_decay, amsgrad)`},
		{adam, Setting{"amsgrad": 2}, "amsgrad = 2 (want 0 or 1)"},
		{adam, Setting{"lr": math.NaN()}, "want a finite value"},
		{adam, Setting{"beta1": 1}, "Beta1 = 1 (want 0 <= beta1 < 1)"},
		{lbfgs, Setting{"max_iter": 2.5}, "max_iter = 2.5 (want a whole number)"},
		{lbfgs, Setting{"max_iter": 0}, "max_iter and history_size must be >= 1"},
	} {
		_, err := c.o.Resolve(c.set)
		require.ErrorContains(t, err, c.want)
	}
	err := EmptyRegistry().AddOptimizer(Optimizer{Name: "x", Params: []Param{{Name: "lr"}}, Space: []Range{{Param: "mu", Scale: Log, Min: 1, Max: 2}},
		Build: func(Setting) (optimizers.Optimizer, error) { return optimizers.NewSGD(optimizers.SGDConfig{LR: 1}) }})
	require.ErrorContains(t, err, `search space names "mu"`)
}

func TestRangeAt(t *testing.T) {
	for _, c := range []struct {
		r       Range
		u, want float64
	}{
		{Range{Scale: Linear, Min: 1, Max: 3}, 0.5, 2},
		{Range{Scale: Log, Min: 1e-4, Max: 1e-2}, 0.5, 1e-3},
		{Range{Scale: Log, Min: 1e-4, Max: 1e-2}, 0, 1e-4},
		{Range{Scale: OneMinusLog, Min: 1e-2, Max: 1e-1}, 0, 0.99},
		{Range{Scale: OneMinusLog, Min: 1e-2, Max: 1e-1}, 1, 0.9},
		{Range{Scale: Discrete, Values: []float64{1e-8, 1e-5, 1e-3}}, 0.34, 1e-5},
		{Range{Scale: Discrete, Values: []float64{1e-8, 1e-5, 1e-3}}, 0.999, 1e-3},
	} {
		require.InEpsilon(t, c.want, c.r.at(c.u), 1e-12, "%+v at %v", c.r, c.u)
	}
	require.Error(t, Range{Param: "lr", Scale: Log, Min: 0, Max: 1}.validate())
	require.Error(t, Range{Param: "lr", Scale: "cubic", Min: 1, Max: 2}.validate())
	require.Error(t, Range{Param: "lr", Scale: Discrete}.validate())
}

// TestHalton: points in [0, 1), deterministic, different per seed, and
// spread: no two points share a coordinate (the digits are permuted, not
// drawn).
func TestHalton(t *testing.T) {
	a := haltonPoints(15, 3, 1)
	require.Equal(t, a, haltonPoints(15, 3, 1))
	require.NotEqual(t, a, haltonPoints(15, 3, 2))
	for d := 0; d < 3; d++ {
		seen := map[float64]bool{}
		for _, p := range a {
			require.True(t, p[d] >= 0 && p[d] < 1)
			require.False(t, seen[p[d]])
			seen[p[d]] = true
		}
	}
	require.Equal(t, []int{983, 991}, largePrimes(2), "AlgoPerf's bases: the largest primes below 1000 but 997")
	// Many points fill each dimension evenly: a quarter of them in each quarter (±10%).
	many := haltonPoints(4000, 2, 7)
	for d := 0; d < 2; d++ {
		var q [4]int
		for _, p := range many {
			q[int(p[d]*4)]++
		}
		for _, n := range q {
			require.InDelta(t, 1000, n, 100)
		}
	}
}
