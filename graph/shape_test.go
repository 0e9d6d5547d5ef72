package graph

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Shapes from callers are checked before anything is allocated: a size
// that overflows int or exceeds MaxElements is an ErrShape error.
func TestShapeSizeLimit(t *testing.T) {
	huge := [][]int{
		{1 << 62},
		{784, 4611686018427387904}, // a crafted hidden width of 2^62
		{1 << 31, 1 << 31, 4},      // the product overflows int
		{1 << 32, 1 << 32},         // wraps to exactly 0
		{3, 1 << 62, 5},
		{math.MaxInt, math.MaxInt},
		{MaxElements + 1},
		{1 << 20, 1 << 20, 2},
	}
	for _, s := range huge {
		_, err := NewTensor(Float32, s...)
		require.ErrorIs(t, err, ErrShape, "NewTensor%v", s)
		require.ErrorContains(t, err, "want at most graph.MaxElements per tensor")
		_, err = FromFloat32(nil, s...)
		require.ErrorIs(t, err, ErrShape, "FromFloat32%v", s)

		g, err := New(Config{})
		require.NoError(t, err)
		g.Param("w", s, Zeros())
		require.ErrorIs(t, g.Err(), ErrShape, "Param%v", s)
		g, _ = New(Config{})
		g.Input("x", append([]int{Batch}, s...)...)
		require.ErrorIs(t, g.Err(), ErrShape, "Input%v", s)
		g, _ = New(Config{})
		Reshape(g.Input("x", Batch, 4), append([]int{Batch}, s...)...)
		require.ErrorIs(t, g.Err(), ErrShape, "Reshape%v", s)
	}
	require.NoError(t, validShape(Shape{1 << 20, 1 << 20}, false), "exactly MaxElements is allowed")
	require.NoError(t, validShape(Shape{Batch, 1 << 20, 1 << 20}, true))
}

// A slice of an open dimension has a size only the compiled program knows;
// squeezing it is checked then (it was refused while building, so the
// first token of a sequence could not be taken as a vector).
func TestSqueezeSliceOfOpenDimension(t *testing.T) {
	g, err := New(Config{DType: Float64})
	require.NoError(t, err)
	x := g.Input("x", Batch, Seq, 3)
	first := Squeeze(Slice(x, 1, 0, 1, 1), 1)
	two := Squeeze(Slice(x, 1, 0, 2, 1), 1)
	require.NoError(t, g.Err())
	require.Equal(t, Shape{Batch, 3}, first.Shape())

	prog, err := g.Compile(nil, first)
	require.NoError(t, err)
	xs, err := FromFloat64([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 2, 3)
	require.NoError(t, err)
	require.NoError(t, prog.Run(Eval, false, Feeds{x: xs}))
	require.Equal(t, []float64{1, 2, 3, 7, 8, 9}, prog.Output(first).Values())

	bad, err := g.Compile(nil, two)
	require.NoError(t, err)
	err = bad.Run(Eval, false, Feeds{x: xs})
	require.ErrorIs(t, err, ErrShape, "a squeezed dimension of 2 must be refused when the shape is known")
}
