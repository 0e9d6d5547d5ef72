package data

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitIndices(t *testing.T) {
	tests := []struct {
		n         int
		frac      float64
		wantTrain int
		wantVal   int
	}{
		{10, 0.2, 8, 2},
		{10, 0.25, 7, 3}, // ceil(2.5), as train_test_split
		{2, 0.5, 1, 1},
		{1000, 0.1, 900, 100},
	}
	for _, tt := range tests {
		train, val, err := SplitIndices(tt.n, tt.frac, 3)
		require.NoError(t, err)
		require.Len(t, train, tt.wantTrain)
		require.Len(t, val, tt.wantVal)
		require.True(t, slices.IsSorted(train))
		require.True(t, slices.IsSorted(val))
		all := slices.Concat(train, val)
		slices.Sort(all)
		for i, v := range all {
			require.Equal(t, i, v, "disjoint and covering")
		}
		again, _, err := SplitIndices(tt.n, tt.frac, 3)
		require.NoError(t, err)
		require.Equal(t, train, again)
	}
	a, _, _ := SplitIndices(100, 0.3, 1)
	b, _, _ := SplitIndices(100, 0.3, 2)
	require.NotEqual(t, a, b)

	for _, bad := range []struct {
		n    int
		frac float64
	}{{10, 0}, {10, 1}, {10, -0.1}, {10, math.NaN()}, {1, 0.5}, {3, 0.99}} {
		_, _, err := SplitIndices(bad.n, bad.frac, 1)
		require.ErrorIs(t, err, ErrInvalid, "%+v", bad)
	}
}

func TestSplit(t *testing.T) {
	ds := countingSet(t, 10)
	train, val, err := Split(ds, 0.3, 1)
	require.NoError(t, err)
	require.Equal(t, 7, train.Len())
	require.Equal(t, 3, val.Len())
	require.Equal(t, "count/train", train.Name)
	require.NoError(t, train.Validate())
	// Rows keep their features and labels: feature 0 is 10i, label i % 3.
	for _, part := range []*Dataset{train, val} {
		for r := range part.Len() {
			i := int(part.X.At(2*r)) / 10
			require.Equal(t, i%3, intsOf(t, part.Y)[r])
		}
	}
	_, _, err = Split(ds, 2, 1)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestKFold(t *testing.T) {
	folds, err := KFold(10, 3, 1)
	require.NoError(t, err)
	require.Len(t, folds, 3)
	var sizes []int
	var allVal []int
	for _, f := range folds {
		sizes = append(sizes, len(f.Val))
		require.Len(t, f.Train, 10-len(f.Val))
		require.True(t, slices.IsSorted(f.Val))
		require.True(t, slices.IsSorted(f.Train))
		both := slices.Concat(f.Train, f.Val)
		slices.Sort(both)
		require.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, both)
		allVal = append(allVal, f.Val...)
	}
	require.Equal(t, []int{4, 3, 3}, sizes) // scikit-learn's fold sizes
	slices.Sort(allVal)
	require.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, allVal, "each index validated once")

	again, err := KFold(10, 3, 1)
	require.NoError(t, err)
	require.Equal(t, folds, again)

	for _, bad := range [][2]int{{10, 1}, {10, 11}, {0, 2}} {
		_, err := KFold(bad[0], bad[1], 1)
		require.ErrorIs(t, err, ErrInvalid)
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		scores []float64
		mean   float64
		std    float64
	}{
		{[]float64{1, 2, 3, 4}, 2.5, math.Sqrt(5.0 / 3)}, // numpy.std(ddof=1)
		{[]float64{0.9}, 0.9, 0},
		{[]float64{2, 2, 2}, 2, 0},
	}
	for _, tt := range tests {
		s, err := Summarize(tt.scores)
		require.NoError(t, err)
		require.Equal(t, len(tt.scores), s.N)
		require.InDelta(t, tt.mean, s.Mean, 1e-12)
		require.InDelta(t, tt.std, s.Std, 1e-12)
	}
	s, _ := Summarize([]float64{0.9, 0.95})
	require.Equal(t, "0.9250 ± 0.0354 (2 folds)", s.String())

	_, err := Summarize(nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = Summarize([]float64{1, math.NaN()})
	require.ErrorIs(t, err, ErrInvalid)
}

// Stratified folds keep each class's share in every fold, cover every
// example once as validation, and are seeded.
func TestStratifiedKFold(t *testing.T) {
	labels := make([]int, 90)
	for i := range labels {
		labels[i] = []int{0, 0, 0, 0, 1, 1, 2, 0, 1}[i%9] // 50/30/10 with class 2 rare
	}
	folds, err := StratifiedKFold(labels, 5, 7)
	require.NoError(t, err)
	seen := map[int]int{}
	for _, f := range folds {
		counts := map[int]int{}
		for _, i := range f.Val {
			counts[labels[i]]++
			seen[i]++
		}
		require.Equal(t, 10, counts[0])
		require.Equal(t, 6, counts[1])
		require.Equal(t, 2, counts[2])
		require.Len(t, f.Train, 90-len(f.Val))
	}
	require.Len(t, seen, 90)
	again, _ := StratifiedKFold(labels, 5, 7)
	require.Equal(t, folds, again)
	_, err = StratifiedKFold([]int{0, 0, 0, 1}, 3, 1)
	require.ErrorContains(t, err, "class 1 has 1 examples")
}
