package graph

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReLUKernels(t *testing.T) {
	in := []float64{-2, -0.5, math.Copysign(0, -1), 0, 1e-300, 3, math.Inf(1), math.Inf(-1), math.NaN()}
	want := []float64{0, 0, 0, 0, 1e-300, 3, math.Inf(1), 0}
	out := make([]float64, len(in))
	relu(out, in)
	for i, w := range want {
		require.Equal(t, w, out[i], "relu(%v)", in[i])
		require.False(t, math.Signbit(out[i]), "relu(%v) is +0 or positive", in[i])
	}
	require.True(t, math.IsNaN(out[8]), "a positive NaN passes")
	g := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	gr := make([]float64, len(in))
	reluGrad(gr, out, g)
	require.Equal(t, []float64{0, 0, 0, 0, 5, 6, 7, 0, 9}, gr)

	in32 := []float32{-1, 0, 2, float32(math.Inf(-1)), 5}
	out32 := make([]float32, len(in32))
	relu(out32, in32)
	require.Equal(t, []float32{0, 0, 2, 0, 5}, out32)
	g32 := make([]float32, len(in32))
	reluGrad(g32, out32, []float32{1, 1, 1, 1, 1})
	require.Equal(t, []float32{0, 0, 1, 0, 1}, g32)
}
