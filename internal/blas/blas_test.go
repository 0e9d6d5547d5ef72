package blas

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// naive computes op(A) @ op(B) in float64.
func naive(tA, tB bool, m, n, k int, a, b []float64) []float64 {
	at := func(i, p int) float64 {
		if tA {
			return a[p*m+i]
		}
		return a[i*k+p]
	}
	bt := func(p, j int) float64 {
		if tB {
			return b[j*k+p]
		}
		return b[p*n+j]
	}
	c := make([]float64, m*n)
	for i := range m {
		for j := range n {
			for p := range k {
				c[i*n+j] += at(i, p) * bt(p, j)
			}
		}
	}
	return c
}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 65, 63}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, b := make([]float64, m*k), make([]float64, k*n)
		for i := range a {
			a[i] = r.Float64()*2 - 1
		}
		for i := range b {
			b[i] = r.Float64()*2 - 1
		}
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				want := naive(tA, tB, m, n, k, a, b)
				c := make([]float64, m*n)
				MatMul(tA, tB, m, n, k, a, b, c)
				require.InDeltaSlice(t, want, c, 1e-12, "%v %v %v", sz, tA, tB)
				a32, b32, c32 := make([]float32, len(a)), make([]float32, len(b)), make([]float32, m*n)
				for i, v := range a {
					a32[i] = float32(v)
				}
				for i, v := range b {
					b32[i] = float32(v)
				}
				MatMul(tA, tB, m, n, k, a32, b32, c32)
				for i := range c32 {
					require.InDelta(t, want[i], float64(c32[i]), 1e-5*float64(k), "%v %v %v", sz, tA, tB)
				}
			}
		}
	}
	require.NotEmpty(t, Name())
}

func TestPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m, n, k := 40, 70, 300
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(r.Float64()*2 - 1)
	}
	for i := range b {
		b[i] = float32(r.Float64()*2 - 1)
	}
	want := make([]float32, m*n)
	Gemm(true, false, m, n, k, 1, a, m, b, n, 0, want, n)
	var pa, pb Packed[float32]
	pa.PackA(true, m, k, a, m)
	pb.PackB(false, k, n, b, n)
	ca, cb := make([]float32, m*n), make([]float32, m*n)
	GemmPackedA(&pa, false, n, 1, b, n, 0, ca, n)
	GemmPackedB(true, m, 1, a, m, &pb, 0, cb, n)
	require.Equal(t, want, ca, "packed A: the bits of Gemm")
	require.Equal(t, want, cb, "packed B: the bits of Gemm")
}
