package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Run with GOMAXPROCS=1 for one thread (gonum's Sgemm/Dgemm and ours
// parallelise over GOMAXPROCS; DESCENT_NUM_THREADS also sets ours):
//
//	GOMAXPROCS=1 go test -run '^$' -bench . -count 5 ./internal/gemm

type problem struct {
	name    string
	tA, tB  bool
	m, n, k int
}

func (p problem) dims() (lda, ldb int, la, lb int) {
	lda, ldb = p.k, p.n
	if p.tA {
		lda = p.m
	}
	if p.tB {
		ldb = p.k
	}
	return lda, ldb, p.m * p.k, p.k * p.n
}

func randSlice[T float](n int, rng *rand.Rand) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rng.Float64()*2 - 1)
	}
	return s
}

func tr(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func benchOne[T float](b *testing.B, p problem, useGonum bool) {
	rng := rand.New(rand.NewPCG(1, 1))
	lda, ldb, la, lb := p.dims()
	a, bb, c := randSlice[T](la, rng), randSlice[T](lb, rng), make([]T, p.m*p.n)
	var f func()
	switch a := any(a).(type) {
	case []float32:
		bb, c := any(bb).([]float32), any(c).([]float32)
		if useGonum {
			f = func() {
				gonum.Implementation{}.Sgemm(tr(p.tA), tr(p.tB), p.m, p.n, p.k, 1, a, lda, bb, ldb, 0, c, p.n)
			}
		} else {
			f = func() { Sgemm(p.tA, p.tB, p.m, p.n, p.k, 1, a, lda, bb, ldb, 0, c, p.n) }
		}
	case []float64:
		bb, c := any(bb).([]float64), any(c).([]float64)
		if useGonum {
			f = func() {
				gonum.Implementation{}.Dgemm(tr(p.tA), tr(p.tB), p.m, p.n, p.k, 1, a, lda, bb, ldb, 0, c, p.n)
			}
		} else {
			f = func() { Dgemm(p.tA, p.tB, p.m, p.n, p.k, 1, a, lda, bb, ldb, 0, c, p.n) }
		}
	}
	f()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f()
	}
	b.ReportMetric(2*float64(p.m)*float64(p.n)*float64(p.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

var squareSizes = []int{64, 128, 256, 512, 1024}

func benchSquare[T float](b *testing.B) {
	for _, impl := range []bool{false, true} {
		for _, n := range squareSizes {
			name := fmt.Sprintf("n=%d", n)
			if impl {
				name = "gonum/" + name
			}
			b.Run(name, func(b *testing.B) { benchOne[T](b, problem{m: n, n: n, k: n}, impl) })
		}
	}
}

func BenchmarkSgemm(b *testing.B) { benchSquare[float32](b) }
func BenchmarkDgemm(b *testing.B) { benchSquare[float64](b) }

// BenchmarkMLP runs the float32 products of one training step of descent's
// reference MLP (784-256-128-10, batch 128); step runs all of them in turn.
func BenchmarkMLP(b *testing.B) {
	for _, impl := range []bool{false, true} {
		prefix := ""
		if impl {
			prefix = "gonum/"
		}
		for _, s := range mlpShapes {
			p := problem{name: s.name, tA: s.tA, tB: s.tB, m: s.m, n: s.n, k: s.k}
			b.Run(prefix+s.name, func(b *testing.B) { benchOne[float32](b, p, impl) })
		}
		b.Run(prefix+"step", func(b *testing.B) { benchStep(b, impl) })
	}
}

func benchStep(b *testing.B, useGonum bool) {
	rng := rand.New(rand.NewPCG(1, 1))
	var fs []func()
	flops := 0.0
	for _, s := range mlpShapes {
		p := problem{tA: s.tA, tB: s.tB, m: s.m, n: s.n, k: s.k}
		lda, ldb, la, lb := p.dims()
		a, bb, c := randSlice[float32](la, rng), randSlice[float32](lb, rng), make([]float32, p.m*p.n)
		flops += 2 * float64(p.m) * float64(p.n) * float64(p.k)
		if useGonum {
			fs = append(fs, func() {
				gonum.Implementation{}.Sgemm(tr(p.tA), tr(p.tB), p.m, p.n, p.k, 1, a, lda, bb, ldb, 0, c, p.n)
			})
		} else {
			fs = append(fs, func() { Sgemm(p.tA, p.tB, p.m, p.n, p.k, 1, a, lda, bb, ldb, 0, c, p.n) })
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range fs {
			f()
		}
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
