package graph

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInitDeterministic(t *testing.T) {
	build := func(seed uint64) []*Param {
		g, err := New(Config{DType: Float32, Seed: seed})
		require.NoError(t, err)
		s := g.Scope("mlp")
		s.Scope("dense0").Param("w", []int{20, 30}, HeUniform{})
		s.Scope("dense0").Param("b", []int{30}, Uniform{-0.1, 0.1})
		s.Scope("dense1").Param("w", []int{30, 5}, GlorotNormal{})
		require.NoError(t, g.Err())
		return g.Params()
	}
	a, b, c := build(1), build(1), build(2)
	require.Equal(t, "mlp/dense0/w", a[0].Name())
	for i := range a {
		require.Equal(t, a[i].Value().Values(), b[i].Value().Values(), "same seed, same bits")
		require.NotEqual(t, a[i].Value().Values(), c[i].Value().Values())
	}
}

func TestDefaultFans(t *testing.T) {
	require.Equal(t, Fans{In: 784, Out: 256}, DefaultFans(Shape{784, 256}), "dense [in, out]")
	require.Equal(t, Fans{In: 3 * 25, Out: 16 * 25}, DefaultFans(Shape{16, 3, 5, 5}), "conv [out, in, kh, kw]")
	require.Equal(t, Fans{}, DefaultFans(Shape{7}))
}

// moments returns the mean, standard deviation and largest magnitude.
func moments(v []float64) (mean, std, maxAbs float64) {
	for _, x := range v {
		mean += x
		maxAbs = math.Max(maxAbs, math.Abs(x))
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v))), maxAbs
}

func TestInitFormulas(t *testing.T) {
	const in, out = 300, 200
	n := float64(in * out)
	cases := []struct {
		name       string
		init       Initializer
		std, bound float64 // expected std; bound > 0 for uniform laws
	}{
		// torch.nn.init.xavier_uniform_: a = gain*sqrt(6/(fan_in+fan_out)), std = a/sqrt(3)
		{"GlorotUniform", GlorotUniform{}, math.Sqrt(2.0 / (in + out)), math.Sqrt(6.0 / (in + out))},
		{"GlorotUniform/gain", GlorotUniform{Gain: 2}, 2 * math.Sqrt(2.0/(in+out)), 2 * math.Sqrt(6.0/(in+out))},
		{"GlorotNormal", GlorotNormal{}, math.Sqrt(2.0 / (in + out)), 0},
		// kaiming_uniform_ defaults (a=0, fan_in, leaky_relu): gain sqrt(2), bound sqrt(6/fan_in)
		{"HeUniform", HeUniform{}, math.Sqrt(2.0 / in), math.Sqrt(6.0 / in)},
		// torch.nn.Linear's default: kaiming_uniform_(a=sqrt(5)) = U(±1/sqrt(fan_in))
		{"HeUniform/linear", HeUniform{He{A: math.Sqrt(5)}}, 1 / math.Sqrt(3*in), 1 / math.Sqrt(in)},
		{"HeNormal/fan_out/relu", HeNormal{He{Mode: FanOut, Nonlinearity: "relu"}}, math.Sqrt(2.0 / out), 0},
		{"HeNormal/tanh", HeNormal{He{Nonlinearity: "tanh"}}, 5.0 / 3 / math.Sqrt(in), 0},
		{"Normal", Normal{Mean: 0, Std: 0.02}, 0.02, 0},
		{"Uniform", Uniform{-0.5, 0.5}, 1 / math.Sqrt(12), 0.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := New(Config{DType: Float64, Seed: 11})
			w := g.Param("w", []int{in, out}, tc.init)
			require.NoError(t, g.Err())
			mean, std, maxAbs := moments(w.Param().Value().Values())
			// 60000 draws: the sample std is within ~1% of the true one
			// (relative standard error ~ 1/sqrt(2n) = 0.3%).
			require.InDelta(t, tc.std, std, 0.01*tc.std)
			require.InDelta(t, 0, mean, 5*tc.std/math.Sqrt(n))
			if tc.bound > 0 {
				require.LessOrEqual(t, maxAbs, tc.bound)
				require.Greater(t, maxAbs, 0.99*tc.bound)
			}
		})
	}
	g, _ := New(Config{})
	require.Equal(t, 3.0, g.Param("c", []int{2}, Constant(3)).Param().Value().Values()[1])
	require.Equal(t, 1.0, g.Param("o", []int{2}, Ones()).Param().Value().Values()[0])
	g.Param("h", []int{4, 4}, HeNormal{He{Nonlinearity: "swish"}})
	require.ErrorContains(t, g.Err(), `unknown nonlinearity "swish"`)
}

func TestGain(t *testing.T) {
	for nl, want := range map[string]float64{"linear": 1, "sigmoid": 1, "tanh": 5.0 / 3, "relu": math.Sqrt2, "selu": 0.75} {
		got, err := Gain(nl, 0)
		require.NoError(t, err)
		require.Equal(t, want, got, nl)
	}
	got, _ := Gain("leaky_relu", 0.01)
	require.InDelta(t, math.Sqrt(2/(1+1e-4)), got, 1e-15)
}
