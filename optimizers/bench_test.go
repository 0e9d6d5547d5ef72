package optimizers_test

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// benchN is the number of parameters one benchmarked step updates.
const benchN = 1 << 20

// BenchmarkStep times one optimizer step over 1M float32 parameters (one
// tensor). GB/s counts the bytes the update must read and write (e.g. Adam
// reads p, g, m, v and writes p, m, v: 7*4 bytes per parameter); the copy
// sub-benchmark is the memory-bandwidth reference, a plain copy of 1M
// float32 (read 4 + write 4 bytes per element), and precheck times the
// NaN/Inf scan of the gradients that every Step includes. Compare ratios
// within one run. Steady state must allocate nothing. The threads metric
// is the thread count the timed loop ran with.
//
// The loops count to b.N rather than use b.Loop: with -cpu 1,2 the testing
// package runs each benchmark once, at the list's last GOMAXPROCS, before
// it sets GOMAXPROCS for the first entry (golang/go#49980), and a b.Loop
// benchmark measures in that run, so its "1 thread" result was taken at 2
// threads (momentum: 62 GB/s, against 34 in the runs after). A b.N loop
// only sizes itself there (TestBenchmarkStepThreads).
func BenchmarkStep(b *testing.B) { benchStep[float32](b) }

// BenchmarkStepFloat64 is BenchmarkStep over 1M float64 parameters (twice
// the bytes; Adam reads and writes 7*8 bytes per parameter).
func BenchmarkStepFloat64(b *testing.B) { benchStep[float64](b) }

func benchStep[T graph.Float](b *testing.B) {
	es := int(unsafe.Sizeof(T(0)))
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]T, benchN)
	grads := make([]T, benchN)
	for i := range values {
		values[i] = T(rng.NormFloat64())
		grads[i] = T(rng.NormFloat64())
	}
	b.Run("copy", func(b *testing.B) {
		dst := make([]T, benchN)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			copy(dst, values)
		}
		report(b, 2*es)
	})
	// The NaN/Inf pre-check every Step runs over the gradients before
	// updating anything (included in every optimizer's time; reads one
	// element per parameter).
	b.Run("precheck", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if !optimizers.AllFiniteForTest(grads) {
				b.Fatal("not finite")
			}
		}
		report(b, es)
	})
	cases := []struct {
		name   string
		arrays int // read + written per parameter (p, g, state)
		new    func() (optimizers.Optimizer, error)
	}{
		{"sgd", 3, func() (optimizers.Optimizer, error) { return optimizers.NewSGD(optimizers.SGDConfig{LR: 1e-3}) }},
		{"momentum", 5, func() (optimizers.Optimizer, error) {
			return optimizers.New("momentum", optimizers.Hyper{LR: optimizers.Float(1e-3)})
		}},
		{"nesterov", 5, func() (optimizers.Optimizer, error) {
			return optimizers.New("nesterov", optimizers.Hyper{LR: optimizers.Float(1e-3)})
		}},
		{"adagrad", 5, func() (optimizers.Optimizer, error) { return optimizers.NewAdagrad(optimizers.AdagradDefaults()) }},
		{"rmsprop", 5, func() (optimizers.Optimizer, error) { return optimizers.NewRMSprop(optimizers.RMSpropDefaults()) }},
		{"adam", 7, func() (optimizers.Optimizer, error) { return optimizers.NewAdam(optimizers.AdamDefaults()) }},
		{"adamw", 7, func() (optimizers.Optimizer, error) { return optimizers.NewAdamW(optimizers.AdamWDefaults()) }},
		{"radam", 7, func() (optimizers.Optimizer, error) { return optimizers.New("radam", optimizers.Hyper{}) }},
		{"adamax", 7, func() (optimizers.Optimizer, error) { return optimizers.New("adamax", optimizers.Hyper{}) }},
		{"nadam", 7, func() (optimizers.Optimizer, error) { return optimizers.New("nadam", optimizers.Hyper{}) }},
		{"lion", 5, func() (optimizers.Optimizer, error) { return optimizers.New("lion", optimizers.Hyper{}) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			v, g, err := tensors(append([]T(nil), values...), grads)
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
			for range b.N {
				if err := opt.Step(params); err != nil {
					b.Fatal(err)
				}
			}
			report(b, c.arrays*es)
		})
	}
}

// tensors returns v and g as 1-D tensors, sharing their memory.
func tensors[T graph.Float](v, g []T) (*graph.Tensor, *graph.Tensor, error) {
	var tv, tg *graph.Tensor
	var err1, err2 error
	switch v := any(v).(type) {
	case []float32:
		tv, err1 = graph.FromFloat32(v, len(v))
		tg, err2 = graph.FromFloat32(any(g).([]float32), len(g))
	case []float64:
		tv, err1 = graph.FromFloat64(v, len(v))
		tg, err2 = graph.FromFloat64(any(g).([]float64), len(g))
	}
	if err1 != nil {
		return nil, nil, err1
	}
	return tv, tg, err2
}

func report(b *testing.B, bytesPerParam int) {
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(bytesPerParam*benchN)/sec/1e9, "GB/s")
	b.ReportMetric(float64(graph.Threads()), "threads")
}
