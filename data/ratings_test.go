package data

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

func TestSyntheticRatings(t *testing.T) {
	ds, err := SyntheticRatings(RatingsConfig{Users: 40, Items: 30, N: 1000, Seed: 3, DType: graph.Float64})
	require.NoError(t, err)
	require.NoError(t, ds.Validate())
	require.Equal(t, graph.Shape{1000, 2}, ds.X.Shape())
	require.Equal(t, graph.Shape{1000, 1}, ds.Y.Shape())
	seen := map[[2]int]bool{}
	x := intsOf(t, ds.X)
	for i := 0; i < 1000; i++ {
		u, it := x[2*i], x[2*i+1]
		require.True(t, u >= 0 && u < 40 && it >= 0 && it < 30)
		require.False(t, seen[[2]int{u, it}], "pairs are distinct")
		seen[[2]int{u, it}] = true
	}
	// Mean near 3.5 and a spread from biases, factors and noise.
	y := f64Of(t, ds.Y)
	var m float64
	for _, v := range y {
		m += v
	}
	m /= float64(len(y))
	require.InDelta(t, 3.5, m, 0.3)
	again, err := SyntheticRatings(RatingsConfig{Users: 40, Items: 30, N: 1000, Seed: 3, DType: graph.Float64})
	require.NoError(t, err)
	require.Equal(t, y, f64Of(t, again.Y), "same seed, same ratings")

	_, err = SyntheticRatings(RatingsConfig{Users: 2, Items: 2, N: 5})
	require.ErrorIs(t, err, ErrInvalid)
}

func TestReadRatings(t *testing.T) {
	csv := "user,item,rating,ts\nbob,Heat,4,1\nann,Alien,5,2\nbob,Alien,3.5,3\n"
	ds, err := ReadRatings(strings.NewReader(csv), "r.csv", RatingsCSVConfig{DType: graph.Float64})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"ann", "bob"}, {"Alien", "Heat"}}, ds.Categories)
	require.Equal(t, []int{1, 1, 0, 0, 1, 0}, intsOf(t, ds.X))
	require.Equal(t, []float64{4, 5, 3.5}, f64Of(t, ds.Y))

	_, err = ReadRatings(strings.NewReader("user,item\nbob,Heat\n"), "r.csv", RatingsCSVConfig{})
	require.ErrorIs(t, err, ErrFormat)
	require.ErrorContains(t, err, `no column "rating"`)
	_, err = ReadRatings(strings.NewReader("user,item,rating\nbob,Heat,NaN\n"), "r.csv", RatingsCSVConfig{})
	require.ErrorContains(t, err, "not a finite number")
}

// Batches of a sequence set are trimmed to their longest sequence.
func TestSequenceBatchesTrimmed(t *testing.T) {
	x, err := graph.FromInts([]int{
		1, 2, 0, 0, 0,
		1, 1, 2, 2, 0,
		2, 0, 0, 0, 0,
	}, 3, 5)
	require.NoError(t, err)
	y, _ := graph.FromInts([]int{0, 1, 0}, 3)
	ds := &Dataset{Name: "seq", X: x, Y: y, Classes: 2, Sequence: true}
	require.NoError(t, ds.Validate())
	b, err := NewBatcher(ds, BatchConfig{Size: 2})
	require.NoError(t, err)
	require.True(t, b.Next())
	bx, _ := b.Batch()
	require.Equal(t, graph.Shape{2, 4}, bx.Shape())
	require.Equal(t, []int{1, 2, 0, 0, 1, 1, 2, 2}, intsOf(t, bx))
	require.True(t, b.Next())
	bx, _ = b.Batch()
	require.Equal(t, graph.Shape{1, 1}, bx.Shape())
	require.Equal(t, []int{2}, intsOf(t, bx))
	require.False(t, b.Next())
	allocs := testing.AllocsPerRun(10, func() {
		for b.Next() {
		}
	})
	require.Zero(t, allocs, "steady-state batches do not allocate")
}

func TestRecall(t *testing.T) {
	ds, err := Recall(RecallConfig{N: 500, Seed: 1})
	require.NoError(t, err)
	require.NoError(t, ds.Validate())
	require.Equal(t, graph.Shape{500, 33}, ds.X.Shape())
	x, y := intsOf(t, ds.X), intsOf(t, ds.Y)
	ones := 0
	for i, l := range y {
		row := x[i*33 : (i+1)*33]
		q, found, n := row[0], false, 0
		for _, tok := range row[1:] {
			if tok == 0 {
				break
			}
			require.True(t, tok >= 1 && tok <= 16)
			found = found || tok == q
			n++
		}
		require.True(t, n >= 16 && n <= 32, "length %d", n)
		for _, tok := range row[1+n:] {
			require.Zero(t, tok, "padding only at the end")
		}
		require.Equal(t, l == 1, found, "row %d: label %d", i, l)
		ones += l
	}
	require.InDelta(t, 250, ones, 40, "balanced labels")
}
