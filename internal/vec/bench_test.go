package vec

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkKernels times the kernels alone over 1M elements of each dtype,
// on each level: GB/s counts the bytes each must read and write (e.g. Adam
// reads p, g, m, v and writes p, m, v), copy is the memory-bandwidth
// reference (read + write). Compare ratios within one run.
func BenchmarkKernels(b *testing.B) {
	b.Run("float32", func(b *testing.B) { benchKernels[float32](b) })
	b.Run("float64", func(b *testing.B) { benchKernels[float64](b) })
}

func benchKernels[T Float](b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	bufs := make([][]T, 5)
	for i := range bufs {
		bufs[i] = make([]T, n)
		for j := range bufs[i] {
			bufs[i][j] = T(rng.NormFloat64())
			if i >= 2 {
				bufs[i][j] *= bufs[i][j] // state: non-negative
			}
		}
	}
	p, g, s1, s2, s3 := bufs[0], bufs[1], bufs[2], bufs[3], bufs[4]
	es := int(unsafeSizeof[T]())
	report := func(b *testing.B, arrays int) {
		sec := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(float64(arrays*es*n)/sec/1e9, "GB/s")
	}
	b.Run("copy", func(b *testing.B) {
		dst := make([]T, n)
		for b.Loop() {
			copy(dst, p)
		}
		report(b, 2)
	})
	for _, l := range []Level{AVX2, AVX512} {
		if l > Best() {
			continue
		}
		b.Run(l.String()+"/finite", func(b *testing.B) {
			for b.Loop() {
				AllFinite(l, g)
			}
			report(b, 1)
		})
		b.Run(l.String()+"/sgd", func(b *testing.B) {
			k := SGDFactors[T]{NLR: -1e-9}
			for b.Loop() {
				SGD(l, p, g, k)
			}
			report(b, 3)
		})
		b.Run(l.String()+"/nesterov", func(b *testing.B) {
			k := SGDFactors[T]{Mom: 0.9, Damp1: 1, NLR: -1e-9, Nesterov: true}
			for b.Loop() {
				Momentum(l, p, g, s1, k, false)
			}
			report(b, 5)
		})
		b.Run(l.String()+"/adagrad", func(b *testing.B) {
			k := AdagradFactors[T]{NCLR: -1e-9, Eps: 1e-10}
			for b.Loop() {
				Adagrad(l, p, g, s1, k)
			}
			report(b, 5)
		})
		b.Run(l.String()+"/rmsprop", func(b *testing.B) {
			k := RMSpropFactors[T]{Alpha: 0.99, OmA: 0.01, Eps: 1e-8, NLR: -1e-9}
			for b.Loop() {
				RMSprop(l, p, g, s1, nil, nil, k)
			}
			report(b, 5)
		})
		b.Run(l.String()+"/adam", func(b *testing.B) {
			k := AdamFactors[T]{Decay: 1, B1: 0.9, OmB1: 0.1, B2: 0.999, OmB2: 0.001, NStep: -1e-9, BC2Sqrt: 0.5, Eps: 1e-8}
			for b.Loop() {
				Adam(l, p, g, s1, s2, nil, k)
			}
			report(b, 7)
		})
		b.Run(l.String()+"/amsgrad", func(b *testing.B) {
			k := AdamFactors[T]{Decay: 1, B1: 0.9, OmB1: 0.1, B2: 0.999, OmB2: 0.001, NStep: -1e-9, BC2Sqrt: 0.5, Eps: 1e-8}
			for b.Loop() {
				Adam(l, p, g, s1, s2, s3, k)
			}
			report(b, 9)
		})
	}
}

func unsafeSizeof[T Float]() uintptr {
	if is64[T]() {
		return 8
	}
	return 4
}
