package optimizers_test

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// benchN is the number of float32 parameters one benchmarked step updates.
const benchN = 1 << 20

// BenchmarkStep times one optimizer step over 1M float32 parameters (one
// tensor). GB/s counts the bytes the update must read and write (e.g. Adam
// reads p, g, m, v and writes p, m, v: 7*4 bytes per parameter); the copy
// sub-benchmark is the memory-bandwidth reference, a plain copy of 1M
// float32 (read 4 + write 4 bytes per element), and precheck times the
// NaN/Inf scan of the gradients that every Step includes. Compare ratios
// within one run. Steady state must allocate nothing.
func BenchmarkStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]float32, benchN)
	grads := make([]float32, benchN)
	for i := range values {
		values[i] = float32(rng.NormFloat64())
		grads[i] = float32(rng.NormFloat64())
	}
	b.Run("copy", func(b *testing.B) {
		dst := make([]float32, benchN)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			copy(dst, values)
		}
		report(b, 2*4)
	})
	// The NaN/Inf pre-check every Step runs over the gradients before
	// updating anything (included in every optimizer's time; reads 4 bytes
	// per parameter).
	b.Run("precheck", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !optimizers.AllFiniteForTest(grads) {
				b.Fatal("not finite")
			}
		}
		report(b, 4)
	})
	cases := []struct {
		name  string
		bytes int // per parameter, read + write
		new   func() (optimizers.Optimizer, error)
	}{
		{"sgd", 3 * 4, func() (optimizers.Optimizer, error) { return optimizers.NewSGD(optimizers.SGDConfig{LR: 1e-3}) }},
		{"momentum", 5 * 4, func() (optimizers.Optimizer, error) {
			return optimizers.New("momentum", optimizers.Hyper{LR: optimizers.Float(1e-3)})
		}},
		{"nesterov", 5 * 4, func() (optimizers.Optimizer, error) {
			return optimizers.New("nesterov", optimizers.Hyper{LR: optimizers.Float(1e-3)})
		}},
		{"adagrad", 5 * 4, func() (optimizers.Optimizer, error) { return optimizers.NewAdagrad(optimizers.AdagradDefaults()) }},
		{"rmsprop", 5 * 4, func() (optimizers.Optimizer, error) { return optimizers.NewRMSprop(optimizers.RMSpropDefaults()) }},
		{"adam", 7 * 4, func() (optimizers.Optimizer, error) { return optimizers.NewAdam(optimizers.AdamDefaults()) }},
		{"adamw", 7 * 4, func() (optimizers.Optimizer, error) { return optimizers.NewAdamW(optimizers.AdamWDefaults()) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			v, err := graph.FromFloat32(append([]float32(nil), values...), benchN)
			if err != nil {
				b.Fatal(err)
			}
			g, err := graph.FromFloat32(grads, benchN)
			if err != nil {
				b.Fatal(err)
			}
			p := graph.NewParam("w", v)
			p.SetGrad(g)
			params := []*graph.Param{p}
			opt, err := c.new()
			if err != nil {
				b.Fatal(err)
			}
			if err := opt.Step(params); err != nil { // creates the state
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := opt.Step(params); err != nil {
					b.Fatal(err)
				}
			}
			report(b, c.bytes)
		})
	}
}

func report(b *testing.B, bytesPerParam int) {
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(bytesPerParam*benchN)/sec/1e9, "GB/s")
}
