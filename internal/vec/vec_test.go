package vec

import (
	"flag"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// levels returns the Levels with kernels on this machine and build.
func levels() []Level {
	var ls []Level
	for l := AVX2; l <= Best(); l++ {
		ls = append(ls, l)
	}
	return ls
}

func TestBest(t *testing.T) {
	t.Logf("best level: %v", Best())
	l, n := bulk[float32](AVX512+1, 100)
	require.Equal(t, Best(), l, "a level above the machine's is clamped")
	switch Best() {
	case AVX512:
		require.Equal(t, 96, n)
	case AVX2:
		require.Equal(t, 96, n)
	default:
		require.Equal(t, 0, n)
	}
	_, n = bulk[float64](Generic, 100)
	require.Equal(t, 0, n)
}

var sqrtAll = flag.Bool("sqrt.all", false, "TestSqrtFloat32: check every float32 bit pattern (about 40 s)")

// TestSqrtFloat32 checks the identity the float32 kernels rely on: the
// scalar kernels compute float32(math.Sqrt(float64(x))), a float64 square
// root rounded to float32, the SIMD ones VSQRTPS, the correctly rounded
// float32 square root. They agree because float64 has more than 2*24+2
// bits (S. A. Figueroa, "When is double rounding innocuous?", SIGNUM
// Newsletter 30(3), 1995). Checked: every denormal, every significand with
// an even and an odd exponent at both ends of the range and in the middle
// (the root's significand depends only on the significand and the
// exponent's parity, and no root of a float32 is denormal or overflows),
// and every 997th bit pattern; with -sqrt.all every one of the 2^32 bit
// patterns (passes on the development machine).
func TestSqrtFloat32(t *testing.T) {
	ls := levels()
	if len(ls) == 0 {
		t.Skip("no SIMD kernels on this machine or build")
	}
	type span struct{ lo, n, stride uint64 }
	spans := []span{
		{0, 1 << 24, 1},         // +0, denormals, exponent 1
		{126 << 23, 2 << 23, 1}, // exponents 126, 127 (around 1)
		{253 << 23, 3 << 23, 1}, // exponents 253, 254, and +Inf, NaNs
		{1 << 31, 1 << 24, 1},   // -0, negative denormals
		{0, 1 << 32 / 997, 997}, // a stride over everything
	}
	if *sqrtAll {
		spans = []span{{0, 1 << 32, 1}}
	}
	const chunk = 1 << 20
	x := make([]float32, chunk)
	root := make([]float64, chunk)
	want := make([]float32, chunk)
	for _, l := range ls {
		checked := 0
		for _, sp := range spans {
			for done := uint64(0); done < sp.n; done += chunk {
				m := int(min(chunk, sp.n-done))
				b := sp.lo + done*sp.stride
				for i := range x[:m] {
					x[i] = math.Float32frombits(uint32(b))
					b += sp.stride
				}
				// Two passes, so that the compiler does not turn
				// float32(math.Sqrt(float64(v))) into a float32 root.
				for i, v := range x[:m] {
					root[i] = math.Sqrt(float64(v))
				}
				for i, r := range root[:m] {
					want[i] = float32(r)
				}
				_, n := bulk[float32](l, m)
				sqrtS(l, &x[0], n)
				for i := range n {
					got, w := x[i], want[i]
					if math.Float32bits(got) != math.Float32bits(w) && !(got != got && w != w) {
						t.Fatalf("%v: sqrt(%#08x) = %#08x (want %#08x)", l, uint32(sp.lo+(done+uint64(i))*sp.stride),
							math.Float32bits(got), math.Float32bits(w))
					}
				}
				checked += n
			}
		}
		t.Logf("%v: %d float32 bit patterns checked", l, checked)
		// bulk returning 0 would check nothing and pass.
		require.Greater(t, checked, 1<<24, "%v: too few bit patterns checked", l)
	}
}

func TestAllFinite(t *testing.T) {
	ls := append([]Level{Generic}, levels()...)
	t.Run("float32", func(t *testing.T) {
		bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0xffc00001)}
		good := []float32{0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1}
		testFinite(t, ls, bad, good)
	})
	t.Run("float64", func(t *testing.T) {
		bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Float64frombits(0xfff0000000000001)}
		good := []float64{0, math.Copysign(0, -1), math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 1}
		testFinite(t, ls, bad, good)
	})
}

func testFinite[T Float](t *testing.T, ls []Level, bad, good []T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ref := func(x []T) bool {
		for _, v := range x {
			if v-v != 0 {
				return false
			}
		}
		return true
	}
	for _, l := range ls {
		for _, size := range []int{0, 1, 7, 8, 15, 16, 17, 31, 63, 64, 65, 127, 255, 256, 257, 1000, 1 << 20} {
			base := make([]T, size+1)
			for i := range base {
				base[i] = good[rng.IntN(len(good))] * T(rng.Float64())
			}
			for _, off := range []int{0, 1} {
				x := base[off : off+size]
				n, ok := AllFinite(l, x)
				_, want := bulk[T](l, size)
				require.Equal(t, want, n, "%v size %d: elements checked", l, size)
				require.Equal(t, ref(x[:n]), ok, "%v size %d: all finite", l, size)
				positions := []int{0, size / 2, size - 1}
				if size <= 300 {
					positions = positions[:0]
					for i := range size {
						positions = append(positions, i)
					}
				}
				for _, i := range positions {
					for _, b := range bad {
						old := x[i]
						x[i] = b
						n, ok := AllFinite(l, x)
						require.Equal(t, ref(x[:n]), ok, "%v size %d off %d: element %d = %v", l, size, off, i, b)
						x[i] = old
					}
				}
			}
		}
	}
}
