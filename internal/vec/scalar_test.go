package vec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Scale and Shift give the scalar products and sums bit for bit, process
// the whole vectors, and allocate nothing (their scalar stays on the
// stack).
func TestScaleShift(t *testing.T) {
	for l := AVX2; l <= Best(); l++ {
		t.Run(l.String()+"/f32", func(t *testing.T) { testScaleShift[float32](t, l) })
		t.Run(l.String()+"/f64", func(t *testing.T) { testScaleShift[float64](t, l) })
	}
}

func testScaleShift[T Float](t *testing.T, l Level) {
	r := rand.New(rand.NewPCG(15, 16))
	bits := func(v T) uint64 {
		if is64[T]() {
			return math.Float64bits(float64(v))
		}
		return uint64(math.Float32bits(float32(v)))
	}
	for n := range 70 {
		x, z := make([]T, n), make([]T, n)
		for i := range x {
			x[i] = T(r.NormFloat64())
			if i%9 == 4 {
				x[i] = T(math.NaN())
			}
		}
		_, want := bulk[T](l, n)
		c := T(-0.37)
		k := Scale(l, z, x, c)
		require.Equal(t, want, k)
		for i := range k {
			require.Equal(t, bits(c*x[i]), bits(z[i]), "scale, n %d, element %d", n, i)
		}
		k = Shift(l, z, x, c)
		require.Equal(t, want, k)
		for i := range k {
			require.Equal(t, bits(x[i]+c), bits(z[i]), "shift, n %d, element %d", n, i)
		}
	}
	x, z := make([]T, 100), make([]T, 100)
	require.Zero(t, testing.AllocsPerRun(20, func() { Scale(l, z, x, 2); Shift(l, z, x, 2) }))
}
