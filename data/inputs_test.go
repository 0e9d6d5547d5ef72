package data

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

// A dataset's named Inputs travel with its examples: through Subset and
// Split, through shuffled batches, and, per token, trimmed with a sequence
// set's X.
func TestInputsFollowTheirExamples(t *testing.T) {
	ds, err := Recall(RecallConfig{N: 300, MinLen: 3, MaxLen: 20, Seed: 5})
	require.NoError(t, err)
	xs := ints(ds.X)
	n, T := ds.X.Shape()[0], ds.X.Shape()[1]
	id := make([]float64, n)
	copyTok := make([]int, n*T)
	for i := range id {
		id[i] = float64(i)
	}
	copy(copyTok, xs)
	idT, err := graph.FromFloat64(id, n, 1)
	require.NoError(t, err)
	tokT, err := graph.FromInts(copyTok, n, T)
	require.NoError(t, err)
	ds.Inputs = map[string]*graph.Tensor{"id": idT, "tokens": tokT}
	require.NoError(t, ds.Validate())

	tr, _, err := Split(ds, 0.3, 7)
	require.NoError(t, err)
	b, err := NewBatcher(tr, BatchConfig{Size: 16, Shuffle: true, Seed: 9})
	require.NoError(t, err)
	trX := ints(tr.X)
	batches := 0
	for epoch := 0; epoch < 2; epoch++ {
		for b.Next() {
			x, _ := b.Batch()
			in := b.Inputs()
			require.Equal(t, x.Shape(), in["tokens"].Shape(), "per-token inputs are trimmed with X")
			require.Equal(t, ints(x), ints(in["tokens"]))
			for r, j := range b.Indices() {
				// the id input names the original example, whose tokens are X's row
				orig := int(in["id"].At(r))
				require.Equal(t, xs[orig*T:orig*T+x.Shape()[1]], ints(x)[r*x.Shape()[1]:(r+1)*x.Shape()[1]])
				require.Equal(t, trX[j*T:j*T+x.Shape()[1]], xs[orig*T:orig*T+x.Shape()[1]])
			}
			batches++
		}
	}
	require.Equal(t, 2*((tr.Len()+15)/16), batches)
}

func TestInputsValidated(t *testing.T) {
	x, _ := graph.FromFloat64([]float64{1, 2, 3, 4}, 2, 2)
	y, _ := graph.FromInts([]int{0, 1}, 2)
	short, _ := graph.FromFloat64([]float64{1, 2, 3}, 3)
	for name, in := range map[string]map[string]*graph.Tensor{
		"wrong rows": {"w": short},
		"reserved":   {"y": short},
		"nil":        {"w": nil},
	} {
		ds := &Dataset{Name: "t", X: x, Y: y, Classes: 2, Inputs: in}
		err := ds.Validate()
		require.ErrorIs(t, err, ErrFormat, name)
	}
}
