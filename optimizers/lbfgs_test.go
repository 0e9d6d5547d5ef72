package optimizers_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

func newLBFGS(t *testing.T, c optimizers.LBFGSConfig) *optimizers.LBFGS {
	t.Helper()
	o, err := optimizers.NewLBFGS(c)
	require.NoError(t, err)
	return o
}

// TestLBFGSRosenbrock: with the strong-Wolfe line search L-BFGS reaches
// the minimum (1, 1) from (-1.5, 2) to 1e-4 within 5 steps of 20
// iterations, in both dtypes (it stops at 0.99998 on the default
// tolerance_change, as torch does in the recording), float32 to 1e-3.
func TestLBFGSRosenbrock(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			o := newLBFGS(t, optimizers.LBFGSConfig{LineSearch: optimizers.StrongWolfe})
			p := param(t, "xy", dt, []float64{-1.5, 2}, 2)
			calls := 0
			closure := closureFor(t, p, rosenbrockGrad, &calls)
			for k := 0; k < 5; k++ {
				_, err := o.StepClosure([]*graph.Param{p}, closure)
				require.NoError(t, err)
			}
			tol := 1e-4
			if dt == graph.Float32 {
				tol = 1e-3
			}
			require.InDeltaSlice(t, []float64{1, 1}, values(p), tol)
		})
	}
}

func TestLBFGSNeedsClosure(t *testing.T) {
	o := newLBFGS(t, optimizers.LBFGSConfig{})
	p := param(t, "x", graph.Float64, []float64{1}, 1)
	require.ErrorIs(t, o.Step([]*graph.Param{p}), optimizers.ErrNeedsClosure)
	_, err := o.StepClosure([]*graph.Param{p}, nil)
	require.ErrorIs(t, err, optimizers.ErrNeedsClosure)
}

func TestLBFGSValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  optimizers.LBFGSConfig
		want string
	}{
		{optimizers.LBFGSConfig{MaxIter: -1}, "optimizers: LBFGS: MaxIter = -1 (want max_iter >= 1)"},
		{optimizers.LBFGSConfig{HistorySize: -3}, "optimizers: LBFGS: HistorySize = -3 (want history_size >= 1)"},
		{optimizers.LBFGSConfig{LR: -1}, "optimizers: LBFGS: LR = -1 (want lr >= 0)"},
		{optimizers.LBFGSConfig{ToleranceGrad: math.Inf(1)}, "optimizers: LBFGS: ToleranceGrad = +Inf (want tolerance_grad >= 0)"},
		{optimizers.LBFGSConfig{LineSearch: 7}, "optimizers: LBFGS: LineSearch = 7 (want NoLineSearch or StrongWolfe)"},
	} {
		_, err := optimizers.NewLBFGS(c.cfg)
		require.EqualError(t, err, c.want)
		require.ErrorIs(t, err, optimizers.ErrHyper)
	}
	o := newLBFGS(t, optimizers.LBFGSConfig{MaxIter: 8, ToleranceGrad: optimizers.Zero()})
	c, ok := o.Config(0)
	require.True(t, ok)
	require.Equal(t, optimizers.LBFGSConfig{LR: 1, MaxIter: 8, MaxEval: 10, ToleranceChange: 1e-9, HistorySize: 100}, c)
}

// TestLBFGSFailedStepChangesNothing: a closure error, or a NaN gradient,
// met in the middle of a step leaves the parameters and the state as
// before it; continuing gives bit for bit the run that never failed.
func TestLBFGSFailedStepChangesNothing(t *testing.T) {
	for _, fail := range []string{"error", "nan"} {
		t.Run(fail, func(t *testing.T) {
			cfg := optimizers.LBFGSConfig{LineSearch: optimizers.StrongWolfe, HistorySize: 3, MaxIter: 5}
			run := func(failAt int) []float64 {
				o := newLBFGS(t, cfg)
				p := param(t, "xy", graph.Float64, []float64{-1.2, 1}, 2)
				calls := 0
				good := closureFor(t, p, rosenbrockGrad, &calls)
				bad := func() (float64, error) {
					if calls == failAt {
						calls++
						if fail == "nan" {
							p.SetGrad(tensor(t, graph.Float64, []float64{math.NaN(), 0}, 2))
							return 1, nil
						}
						return 0, errors.New("boom")
					}
					return good()
				}
				for k := 0; k < 4; k++ {
					before := append([]float64(nil), values(p)...)
					_, err := o.StepClosure([]*graph.Param{p}, bad)
					if err != nil {
						require.Equal(t, before, values(p), "a failed step restores the parameters")
						if fail == "nan" {
							require.ErrorIs(t, err, optimizers.ErrNonFiniteGrad)
						}
						_, err = o.StepClosure([]*graph.Param{p}, bad) // retry: the same step
						require.NoError(t, err)
					}
				}
				return values(p)
			}
			require.Equal(t, run(-1), run(7), "a failure in the 2nd step's line search")
		})
	}
}

// TestLBFGSResume: the State after 2 steps, loaded into a new LBFGS (via
// JSON), continues bit-identically to the uninterrupted run; a rerun is
// bit-identical.
func TestLBFGSResume(t *testing.T) {
	for _, ls := range []optimizers.LineSearch{optimizers.NoLineSearch, optimizers.StrongWolfe} {
		cfg := optimizers.LBFGSConfig{LR: 0.05, MaxIter: 6, HistorySize: 3, LineSearch: ls}
		if ls == optimizers.StrongWolfe {
			cfg.LR = 1
		}
		steps := func(o *optimizers.LBFGS, p *graph.Param, n int) {
			calls := 0
			for k := 0; k < n; k++ {
				_, err := o.StepClosure([]*graph.Param{p}, closureFor(t, p, rosenbrockGrad, &calls))
				require.NoError(t, err)
			}
		}
		full := param(t, "xy", graph.Float64, []float64{-1.5, 2}, 2)
		steps(newLBFGS(t, cfg), full, 5)
		again := param(t, "xy", graph.Float64, []float64{-1.5, 2}, 2)
		steps(newLBFGS(t, cfg), again, 5)
		requireSameBits(t, []*graph.Param{full}, []*graph.Param{again})

		first := newLBFGS(t, cfg)
		p := param(t, "xy", graph.Float64, []float64{-1.5, 2}, 2)
		steps(first, p, 2)
		st, err := first.State()
		require.NoError(t, err)
		require.Greater(t, st.Ints["n_iter"], int64(2), "iterations in 2 steps")
		second := newLBFGS(t, cfg)
		require.NoError(t, second.LoadState(jsonRoundTrip(t, st)))
		steps(second, p, 3)
		requireSameBits(t, []*graph.Param{full}, []*graph.Param{p})
	}
}

func TestLBFGSParamsMustNotChange(t *testing.T) {
	o := newLBFGS(t, optimizers.LBFGSConfig{MaxIter: 2})
	p := param(t, "xy", graph.Float64, []float64{-1.5, 2}, 2)
	calls := 0
	_, err := o.StepClosure([]*graph.Param{p}, closureFor(t, p, rosenbrockGrad, &calls))
	require.NoError(t, err)
	q := param(t, "other", graph.Float64, []float64{0, 0, 0}, 3)
	_, err = o.StepClosure([]*graph.Param{q}, closureFor(t, q, func([]float64) (float64, []float64) { return 0, []float64{1, 1, 1} }, &calls))
	require.ErrorIs(t, err, optimizers.ErrParam)
	st, err := o.State()
	require.NoError(t, err)
	other := newLBFGS(t, optimizers.LBFGSConfig{MaxIter: 2})
	require.NoError(t, other.LoadState(st))
	_, err = other.StepClosure([]*graph.Param{q}, closureFor(t, q, func([]float64) (float64, []float64) { return 0, []float64{1, 1, 1} }, &calls))
	require.ErrorIs(t, err, optimizers.ErrParam, "a state of 2 elements for 3 parameters")
	st.Kind = "adam"
	require.ErrorIs(t, other.LoadState(st), optimizers.ErrState)
}
