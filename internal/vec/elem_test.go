package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The elementwise kernels against the scalar operations (with explicit
// conversions: no fusing), every level, lengths 0..70 and 1000, inputs
// with specials; Sum against a float64 sum within rounding, and the same
// bits on every call.
func TestElemKernels(t *testing.T) {
	for l := AVX2; l <= Best(); l++ {
		t.Run(l.String()+"/f32", func(t *testing.T) { testElem[float32](t, l) })
		t.Run(l.String()+"/f64", func(t *testing.T) { testElem[float64](t, l) })
	}
}

func testElem[T Float](t *testing.T, l Level) {
	r := rand.New(rand.NewPCG(5, 6))
	special := []float64{math.NaN(), -math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1e30, -1e-30}
	draw := func(n int) []T {
		x := make([]T, n)
		for i := range x {
			if r.IntN(8) == 0 {
				x[i] = T(special[r.IntN(len(special))])
			} else {
				x[i] = T(r.NormFloat64())
			}
		}
		return x
	}
	bits := func(v T) uint64 {
		if is64[T]() {
			return math.Float64bits(float64(v))
		}
		return uint64(math.Float32bits(float32(v)))
	}
	check := func(name string, got, want []T) {
		t.Helper()
		for i := range want {
			g, w := got[i], want[i]
			if bits(g) != bits(w) && !(g != g && w != w) {
				t.Fatalf("%s: element %d: got %v, want %v", name, i, g, w)
			}
		}
	}
	ops := []func(a, b T) T{
		func(a, b T) T { return a + b }, func(a, b T) T { return a - b },
		func(a, b T) T { return a * b }, func(a, b T) T { return a / b },
	}
	lengths := []int{1000}
	for n := 0; n <= 70; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		x, y, z, want := draw(n), draw(n), make([]T, n), make([]T, n)
		s := draw(1)
		for op, f := range ops {
			for form, xy := range [][2][]T{{x, y}, {x, s}, {s, y}} {
				a, b := xy[0], xy[1]
				for i := range want {
					ai, bi := a[0], b[0]
					if len(a) > 1 {
						ai = a[i]
					}
					if len(b) > 1 {
						bi = b[i]
					}
					want[i] = f(ai, bi)
				}
				k := Binary(l, BinOp(op), z, a, b)
				if n > 1 && k != n-n%lanes[T](l) {
					t.Fatalf("n=%d: Binary did %d", n, k)
				}
				check(fmt.Sprintf("n=%d op=%d form=%d", n, op, form), z[:k], want[:k])
			}
		}
		for i, v := range x {
			want[i] = v
			if math.Signbit(float64(v)) || (v != v && bits(v)>>(8*sizeofT[T]()-1) == 1) {
				want[i] = 0
			}
		}
		k := ReLU(l, z, x)
		check(fmt.Sprintf("n=%d relu", n), z[:k], want[:k])
		for i := range want {
			want[i] = y[i]
			if bits(x[i]) == 0 {
				want[i] = 0
			}
		}
		k = ReLUGrad(l, z, x, y)
		check(fmt.Sprintf("n=%d reluGrad", n), z[:k], want[:k])
		// Sum of finite values: close to the exact sum, and the same twice.
		f := make([]T, n)
		for i := range f {
			f[i] = T(r.NormFloat64())
		}
		k, got := Sum(l, f)
		var exact float64
		for _, v := range f[:k] {
			exact += float64(v)
		}
		if math.Abs(got-exact) > 1e-12*float64(max(k, 1)) {
			t.Fatalf("n=%d: Sum %v, want %v", n, got, exact)
		}
		if _, again := Sum(l, f); math.Float64bits(again) != math.Float64bits(got) {
			t.Fatalf("n=%d: Sum not repeatable", n)
		}
	}
}

func sizeofT[T Float]() int {
	if is64[T]() {
		return 8
	}
	return 4
}
