package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The row kernels against scalar references written as ops/channel.go's
// loops (with explicit conversions, so that no compiler fuses a*b+c), on
// every level this machine has, for widths with and without tails, row
// counts with and without a remainder of the groups of four, and inputs
// with NaN, ±Inf, ±0 and huge values. A NaN matches any NaN.

func TestRowKernels(t *testing.T) {
	for l := AVX2; l <= Best(); l++ {
		t.Run(l.String()+"/f32", func(t *testing.T) { testRowKernels[float32](t, l) })
		t.Run(l.String()+"/f64", func(t *testing.T) { testRowKernels[float64](t, l) })
	}
}

func testRowKernels[T Float](t *testing.T, l Level) {
	r := rand.New(rand.NewPCG(3, 9))
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1e30, -1e-30}
	draw := func(n int) []T {
		x := make([]T, n)
		for i := range x {
			if r.IntN(50) == 0 {
				x[i] = T(special[r.IntN(len(special))])
			} else {
				x[i] = T(r.NormFloat64() * 3)
			}
		}
		return x
	}
	same := func(name string, got, want []T) {
		t.Helper()
		for i := range want {
			g, w := float64(got[i]), float64(want[i])
			if g != w && !(g != g && w != w) || math.Signbit(g) != math.Signbit(w) && g == g {
				t.Fatalf("%s: element %d: got %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	for _, c := range []int{0, 7, 16, 33, 64, 256, 300} {
		for _, rows := range []int{1, 3, 4, 9, 64} {
			name := fmt.Sprintf("C=%d/rows=%d", c, rows)
			ld := c + 5
			x, dy, mu := draw(rows*ld), draw(rows*ld), draw(c)
			want, got := make([]T, c), make([]T, c)
			// ColSums, ColSqDev, ColDots against the grouped scalar sums.
			terms := map[string]func(x, dy, mu T) T{
				"sums":  func(x, _, _ T) T { return x },
				"sqdev": func(x, _, mu T) T { d := T(x - mu); return T(d * d) },
				"dots":  func(x, dy, mu T) T { return T(dy * T(x-mu)) },
			}
			for kind, f := range terms {
				for j := range want {
					var acc T
					n := 0
					term := func(row int) T { return f(x[row*ld+j], dy[row*ld+j], mu[j]) }
					for ; n+4 <= rows; n += 4 {
						acc += T(T(term(n)+term(n+1)) + T(term(n+2)+term(n+3)))
					}
					for ; n < rows; n++ {
						acc += term(n)
					}
					want[j] = acc
				}
				var k int
				switch kind {
				case "sums":
					k = ColSums(l, got, x, ld, rows)
				case "sqdev":
					k = ColSqDev(l, got, x, mu, ld, rows)
				case "dots":
					k = ColDots(l, got, dy, x, mu, ld, rows)
				}
				if k != c-c%lanes[T](l) {
					t.Fatalf("%s %s: did %d columns", name, kind, k)
				}
				same(name+" "+kind, got[:k], want[:k])
			}
			if rows > 1 {
				continue
			}
			s, tt, a, b, kk := draw(c), draw(c), draw(c), draw(c), draw(c)
			for j := range want {
				want[j] = T(T(x[j]*s[j]) + tt[j])
			}
			k := RowAffine(l, got, x, s, tt)
			same(name+" affine", got[:k], want[:k])
			for j := range want {
				want[j] = T(x[j] * a[j])
			}
			k = RowScale(l, got, x, a)
			same(name+" scale", got[:k], want[:k])
			for j := range want {
				want[j] = T(T(T(a[j]*dy[j])+T(b[j]*T(x[j]-mu[j]))) + kk[j])
			}
			k = RowBNDx(l, got, dy, x, mu, a, b, kk)
			same(name+" bndx", got[:k], want[:k])
		}
	}
}
