package data

import (
	"math"
	"math/rand/v2"

	"github.com/descent-ml/descent/graph"
)

// newRand returns the package's seeded random stream: PCG, whose state can
// be saved, with the same second word as graph.New.
func newRand(seed uint64) (*rand.Rand, *rand.PCG) {
	src := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	return rand.New(src), src
}

// Linear returns the tutorial's four points on y = x0 + x1:
// X = [[1 2] [2 3] [3 4] [4 5]], Y = [[3] [5] [7] [9]], a regression set.
func Linear(dt graph.DType) (*Dataset, error) {
	dt, err := floatDType("Linear", dt)
	if err != nil {
		return nil, err
	}
	x, err := floatTensor(dt, []float64{1, 2, 2, 3, 3, 4, 4, 5}, 4, 2)
	if err != nil {
		return nil, err
	}
	y, err := floatTensor(dt, []float64{3, 5, 7, 9}, 4, 1)
	if err != nil {
		return nil, err
	}
	return &Dataset{Name: "linear", X: x, Y: y}, nil
}

// LinearConfig configures NoisyLinear.
type LinearConfig struct {
	N        int     // examples, >= 1
	Features int     // >= 1
	Noise    float64 // standard deviation of the Gaussian noise on y, >= 0
	Seed     uint64
	// W are the true weights (len Features); nil draws them from N(0, 1).
	W []float64
	// B is the true bias.
	B float64
	// DType of X and Y: Float32 (the zero value selects it) or Float64.
	DType graph.DType
}

// NoisyLinear returns a regression set y = x·W + B + Noise·ε with x and ε
// standard normal, Y of shape [N, 1], and the weights used. From the seeded
// stream it draws W (when nil), then for each example its features and its
// noise, so a seed gives the same data on every platform.
func NoisyLinear(cfg LinearConfig) (*Dataset, []float64, error) {
	const fn = "NoisyLinear"
	dt, err := floatDType(fn, cfg.DType)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case cfg.N < 1:
		return nil, nil, invalid(fn, "N %d (want >= 1)", cfg.N)
	case cfg.Features < 1:
		return nil, nil, invalid(fn, "Features %d (want >= 1)", cfg.Features)
	case !(cfg.Noise >= 0) || math.IsInf(cfg.Noise, 0):
		return nil, nil, invalid(fn, "Noise %v (want a finite value >= 0)", cfg.Noise)
	case cfg.W != nil && len(cfg.W) != cfg.Features:
		return nil, nil, invalid(fn, "%d weights (want Features = %d)", len(cfg.W), cfg.Features)
	}
	rng, _ := newRand(cfg.Seed)
	w := append([]float64(nil), cfg.W...)
	if cfg.W == nil {
		w = make([]float64, cfg.Features)
		for j := range w {
			w[j] = rng.NormFloat64()
		}
	}
	x := make([]float64, cfg.N*cfg.Features)
	y := make([]float64, cfg.N)
	for i := range cfg.N {
		row := x[i*cfg.Features : (i+1)*cfg.Features]
		s := cfg.B
		for j := range row {
			row[j] = rng.NormFloat64()
			s += row[j] * w[j]
		}
		y[i] = s + cfg.Noise*rng.NormFloat64()
	}
	xt, err := floatTensor(dt, x, cfg.N, cfg.Features)
	if err != nil {
		return nil, nil, err
	}
	yt, err := floatTensor(dt, y, cfg.N, 1)
	if err != nil {
		return nil, nil, err
	}
	return &Dataset{Name: "noisy-linear", X: xt, Y: yt}, w, nil
}

// ToyConfig configures the two-class toy sets Moons and Spirals.
type ToyConfig struct {
	N     int     // examples, >= 2; class 0 gets N/2, class 1 the rest
	Noise float64 // standard deviation of the Gaussian noise on each coordinate, >= 0
	Seed  uint64
	// DType of X: Float32 (the zero value selects it) or Float64.
	DType graph.DType
}

func (c ToyConfig) check(fn string) (graph.DType, error) {
	dt, err := floatDType(fn, c.DType)
	if err != nil {
		return 0, err
	}
	if c.N < 2 {
		return 0, invalid(fn, "N %d (want >= 2)", c.N)
	}
	if !(c.Noise >= 0) || math.IsInf(c.Noise, 0) {
		return 0, invalid(fn, "Noise %v (want a finite value >= 0)", c.Noise)
	}
	return dt, nil
}

// linspace is numpy.linspace(0, stop, n)[i].
func linspace(stop float64, i, n int) float64 {
	if n == 1 {
		return 0
	}
	return stop * float64(i) / float64(n-1)
}

// Moons returns scikit-learn's make_moons: two interleaving half circles,
// 2 features, Int labels. With nOut = N/2 and nIn = N - nOut:
//
//	class 0: (cos t, sin t),             t = linspace(0, π, nOut)
//	class 1: (1 - cos t, 1 - sin t - ½), t = linspace(0, π, nIn)
//
// The examples are then shuffled and N(0, Noise²) added to each coordinate,
// as make_moons(shuffle=True) does (with another random stream, so the
// values differ from scikit-learn's for the same seed).
func Moons(cfg ToyConfig) (*Dataset, error) {
	dt, err := cfg.check("Moons")
	if err != nil {
		return nil, err
	}
	nOut := cfg.N / 2
	nIn := cfg.N - nOut
	x := make([]float64, 0, 2*cfg.N)
	labels := make([]int, 0, cfg.N)
	for i := range nOut {
		t := linspace(math.Pi, i, nOut)
		x = append(x, math.Cos(t), math.Sin(t))
		labels = append(labels, 0)
	}
	for i := range nIn {
		t := linspace(math.Pi, i, nIn)
		x = append(x, 1-math.Cos(t), 1-math.Sin(t)-0.5)
		labels = append(labels, 1)
	}
	return toySet("moons", dt, cfg, x, labels)
}

// Spirals returns two interleaved spirals, 2 features, Int labels. Class c
// has m points, i = 0..m-1, s = i/(m-1):
//
//	r = 0.1 + 0.9 s, θ = 3π s + cπ, point = (r cos θ, r sin θ)
//
// (1.5 turns each, the second arm the first rotated by π). The examples are
// shuffled and N(0, Noise²) added to each coordinate.
func Spirals(cfg ToyConfig) (*Dataset, error) {
	dt, err := cfg.check("Spirals")
	if err != nil {
		return nil, err
	}
	x := make([]float64, 0, 2*cfg.N)
	labels := make([]int, 0, cfg.N)
	for c, m := range []int{cfg.N / 2, cfg.N - cfg.N/2} {
		for i := range m {
			s := linspace(1, i, m)
			r := 0.1 + 0.9*s
			th := 3*math.Pi*s + float64(c)*math.Pi
			x = append(x, r*math.Cos(th), r*math.Sin(th))
			labels = append(labels, c)
		}
	}
	return toySet("spirals", dt, cfg, x, labels)
}

// toySet shuffles the examples, adds noise and builds the dataset.
func toySet(name string, dt graph.DType, cfg ToyConfig, x []float64, labels []int) (*Dataset, error) {
	rng, _ := newRand(cfg.Seed)
	rng.Shuffle(len(labels), func(i, j int) {
		labels[i], labels[j] = labels[j], labels[i]
		x[2*i], x[2*j] = x[2*j], x[2*i]
		x[2*i+1], x[2*j+1] = x[2*j+1], x[2*i+1]
	})
	if cfg.Noise > 0 {
		for i := range x {
			x[i] += cfg.Noise * rng.NormFloat64()
		}
	}
	xt, err := floatTensor(dt, x, len(labels), 2)
	if err != nil {
		return nil, err
	}
	yt, err := graph.FromInts(labels, len(labels))
	if err != nil {
		return nil, err
	}
	return &Dataset{Name: name, X: xt, Y: yt, Classes: 2}, nil
}
