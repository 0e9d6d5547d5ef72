package data

import (
	"math"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

func regressionSet(t *testing.T, dt graph.DType, x []float64, rows, cols int) *Dataset {
	t.Helper()
	xt, err := floatTensor(dt, x, rows, cols)
	require.NoError(t, err)
	yt, err := graph.NewTensor(dt, rows, 1)
	require.NoError(t, err)
	ds, err := NewDataset("set", xt, yt, 0)
	require.NoError(t, err)
	return ds
}

func TestStandardizer(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			// Columns: mean 2 std sqrt(2/3); a constant 5; mean 20 std 10·sqrt(2/3).
			train := regressionSet(t, dt, []float64{1, 5, 10, 2, 5, 20, 3, 5, 30}, 3, 3)
			test := regressionSet(t, dt, []float64{4, 7, 20}, 1, 3)
			before := train.X.Values()

			var s Standardizer
			require.NoError(t, s.Fit(train))
			sd := math.Sqrt(2.0 / 3)
			require.InDeltaSlice(t, []float64{2, 5, 20}, s.Mean, 1e-12)
			require.InDeltaSlice(t, []float64{sd, 1, 10 * sd}, s.Scale, 1e-12)

			tr, err := s.Apply(train)
			require.NoError(t, err)
			require.Equal(t, before, train.X.Values(), "Apply must not modify its input")
			got := tr.X.Values()
			// Each standardised column has mean 0 and population variance 1,
			// except the constant column, which is 0 (not NaN).
			for j := range 3 {
				var m, v float64
				for i := range 3 {
					m += got[i*3+j] / 3
				}
				for i := range 3 {
					v += (got[i*3+j] - m) * (got[i*3+j] - m) / 3
				}
				require.InDelta(t, 0, m, 1e-6, "column %d mean", j)
				if j == 1 {
					require.Equal(t, []float64{0, 0, 0}, []float64{got[1], got[4], got[7]})
				} else {
					require.InDelta(t, 1, v, 1e-6, "column %d variance", j)
				}
			}

			// The test set uses the training statistics.
			te, err := s.Apply(test)
			require.NoError(t, err)
			require.InDeltaSlice(t, []float64{2 / sd, 2, 0}, te.X.Values(), 1e-6)
			require.Equal(t, dt, te.X.DType())
		})
	}
}

func TestStandardizerErrors(t *testing.T) {
	var s Standardizer
	ds := regressionSet(t, graph.Float64, []float64{1, 2, 3, 4}, 2, 2)
	_, err := s.Apply(ds)
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "not fitted")

	require.ErrorIs(t, s.Fit(nil), ErrInvalid)
	require.NoError(t, s.Fit(ds))
	other := regressionSet(t, graph.Float64, []float64{1, 2, 3}, 1, 3)
	_, err = s.Apply(other)
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "has 3 features (want 2, as fitted)")
}
