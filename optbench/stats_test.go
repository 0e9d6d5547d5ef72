package optbench

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWelchP(t *testing.T) {
	// References: scipy.stats.ttest_ind(a, b, equal_var=False), scipy 1.x.
	require.InDelta(t, 0.32726038574240446, welchP([]float64{1, 2, 3, 4, 5}, []float64{2, 3, 4, 5, 6.5}), 1e-10)
	require.InDelta(t, 0.016158207473187677, welchP([]float64{87.1, 87.3, 87.2}, []float64{87.5, 87.6, 87.4, 87.45}), 1e-10)
	require.Equal(t, 1.0, welchP([]float64{1, 1}, []float64{1, 1}))
	require.Equal(t, 0.0, welchP([]float64{1, 1}, []float64{2, 2}))
	require.True(t, math.IsNaN(welchP([]float64{1}, []float64{1, 2})))
}

func TestMeanStdMedian(t *testing.T) {
	m, s := meanStd([]float64{1, 2, 3, 4})
	require.Equal(t, 2.5, m)
	require.InDelta(t, math.Sqrt(1.25), s, 1e-15, "population std (ddof 0), as DeepOBS's np.std")
	require.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	require.Equal(t, 3.0, median([]float64{5, 1, 3}))
	require.True(t, math.IsInf(median([]float64{1, math.Inf(1)}), 1), "numpy: the mean of the middle two")
	require.Equal(t, 2.0, median([]float64{1, 2, math.Inf(1)}))
	st := statsOf([]float64{1, math.NaN(), 3}, []bool{false, true, false})
	require.Equal(t, seedStats{N: 3, Diverged: 1, Mean: 2, Std: 1, Values: []float64{1, 3}}, st)
}

// TestProfiles checks AlgoPerf's scoring on hand-worked cases.
func TestProfiles(t *testing.T) {
	inf := math.Inf(1)
	// Two problems, three contenders: A is fastest everywhere; B twice as
	// slow on problem 1 and 4.5 times on problem 2 (over 4x: infinite); C
	// never reaches the target.
	times := [][]float64{{10, 20, inf}, {2, 9, inf}}
	ratios, taus, rho, scores := profiles(times, 3)
	require.Equal(t, [][]float64{{1, 2, inf}, {1, inf, inf}}, ratios)
	require.Len(t, taus, 100)
	require.Equal(t, 1.0, taus[0])
	require.Equal(t, 4.0, taus[99])
	require.Equal(t, 1.0, scores[0], "ratio 1 everywhere: the whole area")
	require.Equal(t, 0.0, scores[2], "never at the target")
	// B: rho = 0 below tau = 2 and 1/2 from it on. The grid step is 3/99;
	// tau = 2 falls on point 33 exactly, so the trapezoid rule gives
	// 0.5 * (4 - 2) / 3 plus half a step's worth of the jump: (0.5*3/99)/2/3.
	require.InDelta(t, 0.5*2/3+0.25/99, scores[1], 1e-12)
	require.Equal(t, 0.0, rho[1][32])
	require.Equal(t, 0.5, rho[1][33])
	// A time exactly 4 times the best is kept (AlgoPerf cuts > 4x).
	r, _, _, _ := profiles([][]float64{{1, 4}}, 2)
	require.Equal(t, 4.0, r[0][1])
	// No contender reaching a problem's target makes it infinite for all.
	r, _, _, _ = profiles([][]float64{{inf, inf}}, 2)
	require.Equal(t, []float64{inf, inf}, r[0])
}

func TestNumJSON(t *testing.T) {
	for _, v := range []float64{0, -0.0, 1.0 / 3, 87.12873617235233, 1e-300, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1)} {
		b, err := Num(v).MarshalJSON()
		require.NoError(t, err)
		var back Num
		require.NoError(t, back.UnmarshalJSON(b))
		if math.IsNaN(v) {
			require.True(t, math.IsNaN(float64(back)))
			continue
		}
		require.Equal(t, math.Float64bits(v), math.Float64bits(float64(back)), "%v", v)
	}
	var n Num
	require.Error(t, n.UnmarshalJSON([]byte(`"nan"`)))
}
