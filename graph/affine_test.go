package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// scale and shift (internal/vec's kernel, then a loop) give the bits of
// c*v and v+c on every length and on special values.
func TestScaleShiftBits(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1e-40, 3e38}
	for n := range 70 {
		x64 := make([]float64, n)
		for i := range x64 {
			if r.IntN(5) == 0 {
				x64[i] = special[r.IntN(len(special))]
			} else {
				x64[i] = r.NormFloat64()
			}
		}
		x32 := make([]float32, n)
		for i, v := range x64 {
			x32[i] = float32(v)
		}
		for _, c := range []float64{0.125, -3, 0, math.Inf(1)} {
			o64, o32 := make([]float64, n), make([]float32, n)
			scale(o64, x64, c)
			scale(o32, x32, float32(c))
			for i := range n {
				require.Equal(t, math.Float64bits(c*x64[i]), math.Float64bits(o64[i]), "scale %v·%v", c, x64[i])
				require.Equal(t, math.Float32bits(float32(c)*x32[i]), math.Float32bits(o32[i]), "scale %v·%v", c, x32[i])
			}
			shift(o64, x64, c)
			shift(o32, x32, float32(c))
			for i := range n {
				require.Equal(t, math.Float64bits(x64[i]+c), math.Float64bits(o64[i]), "shift %v+%v", x64[i], c)
				require.Equal(t, math.Float32bits(x32[i]+float32(c)), math.Float32bits(o32[i]), "shift %v+%v", x32[i], c)
			}
		}
	}
}
