package data

import (
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

func TestNewDataset(t *testing.T) {
	f32 := func(shape ...int) *graph.Tensor {
		x, err := graph.NewTensor(graph.Float32, shape...)
		require.NoError(t, err)
		return x
	}
	ints := func(v ...int) *graph.Tensor {
		y, err := graph.FromInts(v, len(v))
		require.NoError(t, err)
		return y
	}
	f64 := func(shape ...int) *graph.Tensor {
		x, err := graph.NewTensor(graph.Float64, shape...)
		require.NoError(t, err)
		return x
	}
	tests := []struct {
		name    string
		x, y    *graph.Tensor
		classes int
		wantErr string
	}{
		{"classification", f32(3, 2), ints(0, 1, 2), 3, ""},
		{"regression", f32(3, 1, 28, 28), f32(3, 2), 0, ""},
		{"nil X", nil, ints(0), 1, "nil dataset or tensor"},
		{"rank-1 int X", ints(0, 1), ints(0, 1), 2, "X shape [2]"},
		{"rank-1 X", f32(3), ints(0, 1, 2), 3, "X shape [3]"},
		{"negative classes", f32(3, 2), ints(0, 1, 2), -1, "Classes -1"},
		{"float labels", f32(3, 2), f32(3), 3, "want int [3] labels"},
		{"label count", f32(3, 2), ints(0, 1), 3, "want int [3] labels"},
		{"label range", f32(3, 2), ints(0, 3, 1), 3, "label 3 of example 1 is out of range (want 0..2)"},
		{"regression dtype", f32(3, 2), f64(3, 1), 0, "want float32 [3, k] regression targets"},
		{"regression rank", f32(3, 2), f32(3), 0, "want float32 [3, k] regression targets"},
		{"regression rows", f32(3, 2), f32(2, 1), 0, "want float32 [3, k] regression targets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := NewDataset("d", tt.x, tt.y, tt.classes)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrFormat)
				require.ErrorContains(t, err, "data: Dataset.Validate: ")
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, 3, ds.Len())
		})
	}
}

func TestDatasetSubset(t *testing.T) {
	ds := countingSet(t, 5)
	ds.FeatureNames = []string{"a", "b"}
	require.Equal(t, 2, ds.Features())
	require.Equal(t, 1, ds.Targets())

	sub, err := ds.Subset([]int{4, 0, 4})
	require.NoError(t, err)
	require.Equal(t, []float64{40, 41, 0, 1, 40, 41}, f64Of(t, sub.X))
	require.Equal(t, []int{1, 0, 1}, intsOf(t, sub.Y))
	require.Equal(t, ds.FeatureNames, sub.FeatureNames)
	require.Equal(t, 3, sub.Classes)
	sub.X.Set(0, -1)
	require.Equal(t, 40.0, ds.X.At(8), "Subset copies")

	for _, idx := range [][]int{nil, {5}, {-1}} {
		_, err := ds.Subset(idx)
		require.ErrorIs(t, err, ErrInvalid)
	}

	c := ds.Clone()
	c.X.Set(0, 99)
	c.FeatureNames[0] = "z"
	require.Equal(t, 0.0, ds.X.At(0))
	require.Equal(t, "a", ds.FeatureNames[0])
	require.Nil(t, c.ClassNames)
}

// The typed accessors of a tensor whose dtype the test knows.
func f32Of(t testing.TB, x *graph.Tensor) []float32 {
	t.Helper()
	v, err := x.Float32s()
	require.NoError(t, err)
	return v
}

func f64Of(t testing.TB, x *graph.Tensor) []float64 {
	t.Helper()
	v, err := x.Float64s()
	require.NoError(t, err)
	return v
}

func intsOf(t testing.TB, x *graph.Tensor) []int {
	t.Helper()
	v, err := x.Ints()
	require.NoError(t, err)
	return v
}
