package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Fans are the fan-in and fan-out that scale Glorot and He initialisers.
type Fans struct{ In, Out int }

// DefaultFans follows PyTorch's _calculate_fan_in_and_fan_out for descent's
// layouts: a dense weight is [in, out] (the transpose of torch's Linear
// weight, so fan-in is dimension 0); a conv kernel is torch's
// [out, in, kh, kw], with fans multiplied by the receptive field kh*kw.
// Tensors of rank < 2 have no fans (zero); give them WithFans.
func DefaultFans(s Shape) Fans {
	switch {
	case len(s) < 2:
		return Fans{}
	case len(s) == 2:
		return Fans{In: s[0], Out: s[1]}
	}
	rf := 1
	for _, d := range s[2:] {
		rf *= d
	}
	return Fans{In: s[1] * rf, Out: s[0] * rf}
}

// Initializer fills a new parameter from the graph's random stream.
type Initializer interface {
	Init(t *Tensor, f Fans, rng *rand.Rand) error
}

// Zeros initialises to 0.
func Zeros() Initializer { return Constant(0) }

// Ones initialises to 1.
func Ones() Initializer { return Constant(1) }

// Constant initialises every element to its value.
type Constant float64

// Init fills t.
func (c Constant) Init(t *Tensor, _ Fans, _ *rand.Rand) error {
	t.Fill(float64(c))
	return nil
}

// Uniform draws from U(Low, High), as torch.nn.init.uniform_.
type Uniform struct{ Low, High float64 }

// Init fills t.
func (u Uniform) Init(t *Tensor, _ Fans, rng *rand.Rand) error {
	if !(u.Low <= u.High) || math.IsInf(u.Low, 0) || math.IsInf(u.High, 0) {
		return fmt.Errorf("Uniform: bounds [%v, %v] (want finite Low <= High)", u.Low, u.High)
	}
	fillUniform(t, u.Low, u.High, rng)
	return nil
}

// Normal draws from N(Mean, Std²), as torch.nn.init.normal_.
type Normal struct{ Mean, Std float64 }

// Init fills t.
func (n Normal) Init(t *Tensor, _ Fans, rng *rand.Rand) error {
	if !(n.Std >= 0) || math.IsInf(n.Std, 0) || math.IsNaN(n.Mean) || math.IsInf(n.Mean, 0) {
		return fmt.Errorf("Normal: mean %v std %v (want finite values, std >= 0)", n.Mean, n.Std)
	}
	fillNormal(t, n.Mean, n.Std, rng)
	return nil
}

// GlorotUniform is Xavier/Glorot uniform: U(-a, a) with
// a = Gain * sqrt(6 / (fan_in + fan_out)), as torch.nn.init.xavier_uniform_.
// A zero Gain means 1.
type GlorotUniform struct{ Gain float64 }

// Init fills t.
func (x GlorotUniform) Init(t *Tensor, f Fans, rng *rand.Rand) error {
	if err := needFans("GlorotUniform", f); err != nil {
		return err
	}
	a := orOne(x.Gain) * math.Sqrt(6/float64(f.In+f.Out))
	fillUniform(t, -a, a, rng)
	return nil
}

// GlorotNormal is Xavier/Glorot normal: N(0, std²) with
// std = Gain * sqrt(2 / (fan_in + fan_out)), as torch.nn.init.xavier_normal_.
// A zero Gain means 1.
type GlorotNormal struct{ Gain float64 }

// Init fills t.
func (x GlorotNormal) Init(t *Tensor, f Fans, rng *rand.Rand) error {
	if err := needFans("GlorotNormal", f); err != nil {
		return err
	}
	fillNormal(t, 0, orOne(x.Gain)*math.Sqrt(2/float64(f.In+f.Out)), rng)
	return nil
}

// FanMode selects which fan He initialisers divide by.
type FanMode uint8

const (
	// FanIn preserves the variance of activations (the default).
	FanIn FanMode = iota
	// FanOut preserves the variance of gradients.
	FanOut
)

// He is the configuration of Kaiming/He initialisers, with PyTorch's
// defaults as zero values: A = 0, Mode = FanIn, Nonlinearity "" meaning
// "leaky_relu" (so the gain is sqrt(2)).
type He struct {
	A            float64 // negative slope of leaky_relu
	Mode         FanMode
	Nonlinearity string // "linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "conv2d"
}

func (h He) std(name string, f Fans) (float64, error) {
	if err := needFans(name, f); err != nil {
		return 0, err
	}
	nl := h.Nonlinearity
	if nl == "" {
		nl = "leaky_relu"
	}
	gain, err := Gain(nl, h.A)
	if err != nil {
		return 0, err
	}
	fan := f.In
	if h.Mode == FanOut {
		fan = f.Out
	}
	return gain / math.Sqrt(float64(fan)), nil
}

// HeUniform is Kaiming uniform: U(-b, b) with b = gain * sqrt(3 / fan), as
// torch.nn.init.kaiming_uniform_. HeUniform{He{A: math.Sqrt(5)}} is
// torch.nn.Linear's default weight initialisation, U(±1/sqrt(fan_in)).
type HeUniform struct{ He }

// Init fills t.
func (h HeUniform) Init(t *Tensor, f Fans, rng *rand.Rand) error {
	std, err := h.std("HeUniform", f)
	if err != nil {
		return err
	}
	b := math.Sqrt(3) * std
	fillUniform(t, -b, b, rng)
	return nil
}

// HeNormal is Kaiming normal: N(0, (gain/sqrt(fan))²), as
// torch.nn.init.kaiming_normal_.
type HeNormal struct{ He }

// Init fills t.
func (h HeNormal) Init(t *Tensor, f Fans, rng *rand.Rand) error {
	std, err := h.std("HeNormal", f)
	if err != nil {
		return err
	}
	fillNormal(t, 0, std, rng)
	return nil
}

// Gain is torch.nn.init.calculate_gain: the recommended scale for a
// nonlinearity; param is leaky_relu's negative slope.
func Gain(nonlinearity string, param float64) (float64, error) {
	switch nonlinearity {
	case "linear", "conv1d", "conv2d", "conv3d", "sigmoid":
		return 1, nil
	case "tanh":
		return 5.0 / 3, nil
	case "relu":
		return math.Sqrt(2), nil
	case "leaky_relu":
		return math.Sqrt(2 / (1 + param*param)), nil
	case "selu":
		return 0.75, nil
	}
	return 0, fmt.Errorf("Gain: unknown nonlinearity %q (want linear, sigmoid, tanh, relu, leaky_relu, selu)", nonlinearity)
}

func needFans(name string, f Fans) error {
	if f.In <= 0 || f.Out <= 0 {
		return fmt.Errorf("%s: fans %+v: a tensor of rank < 2 has no fans (give WithFans)", name, f)
	}
	return nil
}

func orOne(g float64) float64 {
	if g == 0 {
		return 1
	}
	return g
}

func fillUniform(t *Tensor, lo, hi float64, rng *rand.Rand) {
	for i := range t.Len() {
		t.Set(i, lo+(hi-lo)*rng.Float64())
	}
}

func fillNormal(t *Tensor, mean, std float64, rng *rand.Rand) {
	for i := range t.Len() {
		t.Set(i, mean+std*rng.NormFloat64())
	}
}
