package vec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// ulps returns how many float64s lie between a and b.
func ulps(a, b float64) float64 {
	d := int64(math.Float64bits(a)) - int64(math.Float64bits(b))
	return math.Abs(float64(d))
}

// TestExp1Accuracy sweeps Exp1 over the whole range where exp is finite
// and not zero, plus random points near 0 (softmax's inputs are x - max,
// mostly in [-20, 0]), against math.Exp.
func TestExp1Accuracy(t *testing.T) {
	worst, at := 0.0, 0.0
	check := func(x float64) {
		want := math.Exp(x)
		if want < 0x1p-1022 { // math.Exp is exact to the last bit only for normal results
			return
		}
		if u := ulps(Exp1(x), want); u > worst {
			worst, at = u, x
		}
	}
	const n = 1 << 21
	for i := range n {
		check(-745 + float64(i)*(1454.0/n))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		check(-20 * r.Float64())
	}
	t.Logf("worst %v ulp at x = %v", worst, at)
	require.LessOrEqual(t, worst, 2.0, "at x = %v", at)
}

func TestExp1Specials(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{0, 1}, {math.Copysign(0, -1), 1}, {1, math.E}, {math.Inf(1), math.Inf(1)}, {math.Inf(-1), 0},
		{709.8, math.Inf(1)}, {1e300, math.Inf(1)}, {-746, 0}, {-1e300, 0},
	} {
		got := Exp1(c.x)
		if c.x == 1 {
			require.LessOrEqual(t, ulps(got, c.want), 1.0, "exp(%v)", c.x)
			continue
		}
		require.Equal(t, c.want, got, "exp(%v)", c.x)
	}
	require.True(t, math.IsNaN(Exp1(math.NaN())))
	require.Equal(t, math.Float64bits(math.Exp(709.7)), math.Float64bits(math.Exp(709.7))) // finite near the top
	require.False(t, math.IsInf(Exp1(709.7), 0))
	require.Greater(t, Exp1(-744), 0.0, "a denormal result")
}

// TestExpKernel: the AVX-512 kernel gives Exp1's bits, on random inputs,
// the specials, the denormal range and the edges of the clamp, for
// lengths 0 to 40, in place and not.
func TestExpKernel(t *testing.T) {
	if Best() < AVX512 {
		require.Zero(t, Exp(AVX512, make([]float64, 16), make([]float64, 16)), "no kernel below AVX512")
		t.Skip("no AVX-512 here")
	}
	r := rand.New(rand.NewPCG(3, 4))
	special := []float64{math.NaN(), -math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1),
		-746, -745.2, -744, -708.5, 709.78, 709.79, 710, 711, 1e300, -1e300, 0.5 * math.Ln2, -0.5 * math.Ln2}
	for n := range 41 {
		x := make([]float64, n)
		for i := range x {
			switch r.IntN(4) {
			case 0:
				x[i] = special[r.IntN(len(special))]
			case 1:
				x[i] = -740 + 1450*r.Float64()
			default:
				x[i] = -30 * r.Float64()
			}
		}
		y := make([]float64, n)
		k := Exp(AVX512, y, x)
		require.Equal(t, n&^7, k)
		for i := range k {
			want := Exp1(x[i])
			require.Equal(t, math.Float64bits(want), math.Float64bits(y[i]), "exp(%v) = %v, Exp1 %v", x[i], y[i], want)
		}
		in := append([]float64(nil), x...)
		require.Equal(t, k, Exp(AVX512, in, in))
		for i := range k {
			require.Equal(t, math.Float64bits(y[i]), math.Float64bits(in[i]), "in place: exp(%v)", x[i])
		}
		require.Zero(t, Exp(AVX2, y, x), "AVX2 has no kernel")
	}
}

func BenchmarkExp(b *testing.B) {
	x := make([]float64, 1024)
	for i := range x {
		x[i] = -float64(i%97) * 0.173
	}
	y := make([]float64, len(x))
	b.Run("kernel", func(b *testing.B) {
		if Best() < AVX512 {
			b.Skip("no AVX-512")
		}
		for b.Loop() {
			Exp(AVX512, y, x)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/exp")
	})
	b.Run("Exp1", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				y[i] = Exp1(v)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/exp")
	})
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				y[i] = math.Exp(v)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/exp")
	})
}
