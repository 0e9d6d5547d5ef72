package data

import (
	"math"
	"slices"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func TestLinear(t *testing.T) {
	ds, err := Linear(graph.Float64)
	require.NoError(t, err)
	require.NoError(t, ds.Validate())
	require.Equal(t, []float64{1, 2, 2, 3, 3, 4, 4, 5}, f64Of(t, ds.X))
	require.Equal(t, []float64{3, 5, 7, 9}, f64Of(t, ds.Y))
	require.Equal(t, graph.Shape{4, 1}, ds.Y.Shape())
	require.Equal(t, 0, ds.Classes)

	ds, err = Linear(0)
	require.NoError(t, err)
	require.Equal(t, graph.Float32, ds.X.DType())
	_, err = Linear(graph.Int)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestNoisyLinear(t *testing.T) {
	cfg := LinearConfig{N: 500, Features: 3, Noise: 0.1, Seed: 7, B: 0.5, DType: graph.Float64}
	ds, w, err := NoisyLinear(cfg)
	require.NoError(t, err)
	require.NoError(t, ds.Validate())
	require.Equal(t, graph.Shape{500, 3}, ds.X.Shape())
	require.Equal(t, graph.Shape{500, 1}, ds.Y.Shape())
	require.Len(t, w, 3)

	// Same seed, same data; another seed, other data.
	again, w2, err := NoisyLinear(cfg)
	require.NoError(t, err)
	require.Equal(t, w, w2)
	require.Equal(t, f64Of(t, ds.X), f64Of(t, again.X))
	require.Equal(t, f64Of(t, ds.Y), f64Of(t, again.Y))
	cfg.Seed = 8
	other, _, err := NoisyLinear(cfg)
	require.NoError(t, err)
	require.NotEqual(t, f64Of(t, ds.X), f64Of(t, other.X))

	// Least squares on [x 1] recovers W and B to within a few noise
	// standard errors (0.1/sqrt(500) ≈ 0.0045).
	a := mat.NewDense(500, 4, nil)
	for i := range 500 {
		for j := range 3 {
			a.Set(i, j, f64Of(t, ds.X)[i*3+j])
		}
		a.Set(i, 3, 1)
	}
	var coef mat.VecDense
	require.NoError(t, coef.SolveVec(a, mat.NewVecDense(500, f64Of(t, ds.Y))))
	for j := range 3 {
		require.InDelta(t, w[j], coef.AtVec(j), 0.03)
	}
	require.InDelta(t, 0.5, coef.AtVec(3), 0.03)
	// The residuals are the noise: their std is Noise = 0.1 (its standard
	// error is 0.1/sqrt(2·500) ≈ 0.003; ±0.015 is 5 of them).
	var fit mat.VecDense
	fit.MulVec(a, &coef)
	ss := 0.0
	for i, y := range f64Of(t, ds.Y) {
		ss += (y - fit.AtVec(i)) * (y - fit.AtVec(i))
	}
	require.InDelta(t, 0.1, math.Sqrt(ss/(500-4)), 0.015, "residual std")

	// Given weights and no noise: y is exact.
	ds, w, err = NoisyLinear(LinearConfig{N: 4, Features: 2, W: []float64{2, -1}, B: 1, DType: graph.Float64})
	require.NoError(t, err)
	require.Equal(t, []float64{2, -1}, w)
	for i := range 4 {
		x := f64Of(t, ds.X)[2*i:]
		require.InDelta(t, 2*x[0]-x[1]+1, f64Of(t, ds.Y)[i], 1e-12)
	}
}

func TestSyntheticErrors(t *testing.T) {
	for _, cfg := range []LinearConfig{
		{N: 0, Features: 1},
		{N: 1, Features: 0},
		{N: 1, Features: 1, Noise: -1},
		{N: 1, Features: 1, Noise: math.NaN()},
		{N: 1, Features: 2, W: []float64{1}},
		{N: 1, Features: 1, DType: graph.Int},
	} {
		_, _, err := NoisyLinear(cfg)
		require.ErrorIs(t, err, ErrInvalid, "%+v", cfg)
	}
	for _, cfg := range []ToyConfig{{N: 1}, {N: 10, Noise: -0.1}, {N: 10, Noise: math.Inf(1)}, {N: 10, DType: graph.Int}} {
		_, err := Moons(cfg)
		require.ErrorIs(t, err, ErrInvalid, "%+v", cfg)
		_, err = Spirals(cfg)
		require.ErrorIs(t, err, ErrInvalid, "%+v", cfg)
	}
}

func TestMoons(t *testing.T) {
	ds, err := Moons(ToyConfig{N: 101, Seed: 3, DType: graph.Float64})
	require.NoError(t, err)
	require.NoError(t, ds.Validate())
	require.Equal(t, graph.Shape{101, 2}, ds.X.Shape())
	require.Equal(t, 2, ds.Classes)
	counts := [2]int{}
	for i, l := range intsOf(t, ds.Y) {
		counts[l]++
		x, y := f64Of(t, ds.X)[2*i], f64Of(t, ds.X)[2*i+1]
		// make_moons without noise: the upper unit half circle, and the lower
		// one centred on (1, 0.5).
		if l == 0 {
			require.InDelta(t, 1, x*x+y*y, 1e-12)
			require.GreaterOrEqual(t, y, -1e-12)
		} else {
			require.InDelta(t, 1, (x-1)*(x-1)+(y-0.5)*(y-0.5), 1e-12)
			require.LessOrEqual(t, y, 0.5+1e-12)
		}
	}
	require.Equal(t, [2]int{50, 51}, counts) // n_samples_out = N/2

	// Shuffled, deterministic, noise added.
	require.False(t, slices.IsSorted(intsOf(t, ds.Y)), "examples are shuffled")
	a, err := Moons(ToyConfig{N: 100, Noise: 0.1, Seed: 3})
	require.NoError(t, err)
	b, err := Moons(ToyConfig{N: 100, Noise: 0.1, Seed: 3})
	require.NoError(t, err)
	require.Equal(t, f32Of(t, a.X), f32Of(t, b.X))
	require.Equal(t, intsOf(t, a.Y), intsOf(t, b.Y))

	// Noise N(0, 0.1²) on each coordinate moves a point off its half
	// circle by its radial part: the residual's rms is about 0.1 (standard
	// error 0.1/sqrt(2·500) ≈ 0.003 per class; 0.098 and 0.104 here).
	noisy, err := Moons(ToyConfig{N: 1000, Noise: 0.1, Seed: 5, DType: graph.Float64})
	require.NoError(t, err)
	xs := f64Of(t, noisy.X)
	var ss [2]float64
	var n [2]int
	for i, l := range intsOf(t, noisy.Y) {
		px, py := xs[2*i], xs[2*i+1]
		r := math.Hypot(px, py) - 1
		if l == 1 {
			r = math.Hypot(px-1, py-0.5) - 1
		}
		ss[l] += r * r
		n[l]++
	}
	for l := range 2 {
		require.InDelta(t, 0.1, math.Sqrt(ss[l]/float64(n[l])), 0.015, "class %d", l)
	}
}

func TestSpirals(t *testing.T) {
	ds, err := Spirals(ToyConfig{N: 200, Seed: 1, DType: graph.Float64})
	require.NoError(t, err)
	require.NoError(t, ds.Validate())
	counts := [2]int{}
	for i, l := range intsOf(t, ds.Y) {
		counts[l]++
		x, y := f64Of(t, ds.X)[2*i], f64Of(t, ds.X)[2*i+1]
		r := math.Hypot(x, y)
		require.True(t, r >= 0.1-1e-12 && r <= 1+1e-12, "radius %v", r)
		// θ = 3π s + cπ with s = (r - 0.1)/0.9.
		s := (r - 0.1) / 0.9
		th := 3*math.Pi*s + float64(l)*math.Pi
		require.InDelta(t, r*math.Cos(th), x, 1e-9)
		require.InDelta(t, r*math.Sin(th), y, 1e-9)
	}
	require.Equal(t, [2]int{100, 100}, counts)

	a, err := Spirals(ToyConfig{N: 50, Noise: 0.05, Seed: 9})
	require.NoError(t, err)
	b, err := Spirals(ToyConfig{N: 50, Noise: 0.05, Seed: 9})
	require.NoError(t, err)
	require.Equal(t, f32Of(t, a.X), f32Of(t, b.X))

	// Noise N(0, 0.1²) on each coordinate: the distance from a point to its
	// own arm (the nearest of 4000 points along it) has an rms of about 0.1
	// (0.102 here; 0 without noise).
	noisy, err := Spirals(ToyConfig{N: 1000, Noise: 0.1, Seed: 5, DType: graph.Float64})
	require.NoError(t, err)
	xs := f64Of(t, noisy.X)
	const k = 4000
	var arms [2][]float64
	for c := range 2 {
		for i := range k + 1 {
			s := float64(i) / k
			r, th := 0.1+0.9*s, 3*math.Pi*s+float64(c)*math.Pi
			arms[c] = append(arms[c], r*math.Cos(th), r*math.Sin(th))
		}
	}
	ss := 0.0
	for i, l := range intsOf(t, noisy.Y) {
		d2 := math.Inf(1)
		for j := 0; j < len(arms[l]); j += 2 {
			dx, dy := xs[2*i]-arms[l][j], xs[2*i+1]-arms[l][j+1]
			d2 = math.Min(d2, dx*dx+dy*dy)
		}
		ss += d2
	}
	require.InDelta(t, 0.1, math.Sqrt(ss/1000), 0.015)
}
