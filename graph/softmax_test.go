package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The softmax ops' exponentials come from internal/vec's kernel (on
// AVX-512) and their row maximum from rowMax. These tests hold them to the
// straightforward formulas with math.Exp and the builtin max: the same
// values within the last bits of a float64 (so float32 results within one
// unit in the last place), and the same NaN, Inf and zero pattern on rows
// with special values.

// Reference formulas (the code before the kernel).
func refLSE(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

func refSoftmax(x []float64) []float64 {
	lse := refLSE(x)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Exp(v - lse)
	}
	return y
}

func specialRows() [][]float64 {
	inf, nan := math.Inf(1), math.NaN()
	return [][]float64{
		{1, nan, 2}, {nan}, {nan, nan}, {-inf, -inf, -inf}, {-inf}, {inf, 0, 1}, {inf, inf}, {nan, inf, 1},
		{-inf, 0, -inf}, {1000, -1000, 0}, {-1e30, 1e30}, {0}, {3, 3, 3, 3, 3, 3, 3, 3, 3},
	}
}

func randRow(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 8 * r.NormFloat64()
	}
	return x
}

// sameClass reports whether a and b are both NaN, equal infinities, both
// zero, or finite and within rel of each other.
func sameClass(a, b, rel float64) bool {
	switch {
	case math.IsNaN(a) || math.IsNaN(b):
		return math.IsNaN(a) && math.IsNaN(b)
	case math.IsInf(a, 0) || math.IsInf(b, 0) || a == 0 || b == 0:
		return a == b
	}
	return math.Abs(a-b) <= rel*math.Abs(b)
}

func TestSoftmaxRowsMatchMathExp(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var rows [][]float64
	for _, n := range []int{1, 2, 7, 8, 9, 10, 31, 32, 33, 255, 256, 257, 300, 600} {
		rows = append(rows, randRow(r, n))
	}
	rows = append(rows, specialRows()...)
	for _, x := range rows {
		want := refSoftmax(x)
		y := make([]float64, len(x))
		softmaxRow(y, x, false, new(expBuf))
		for i := range y {
			require.True(t, sameClass(y[i], want[i], 1e-14), "softmax of %d: element %d is %v, want %v (row %v)", len(x), i, y[i], want[i], x)
		}
		require.True(t, sameClass(logSumExp(x), refLSE(x), 1e-15) || math.IsNaN(refLSE(x)) && math.IsNaN(logSumExp(x)), "logsumexp of %v", x)

		// float32: at most one unit in the last place from the float64 reference
		x32 := make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
		}
		x64 := make([]float64, len(x))
		for i, v := range x32 {
			x64[i] = float64(v)
		}
		want = refSoftmax(x64)
		y32 := make([]float32, len(x))
		softmaxRow(y32, x32, false, new(expBuf))
		for i, v := range y32 {
			w := float32(want[i])
			ok := sameClass(float64(v), float64(w), 0) || math.Abs(float64(v-w)) <= float64(math.Nextafter32(w, float32(math.Inf(1)))-w)
			require.True(t, ok, "float32 softmax of %d: element %d is %v, want %v", len(x), i, v, w)
		}
	}
}

// The cross entropy and its gradient take short rows many at a time
// (expRows): 60 rows cross the blocks of every width below shortRows.
func TestCrossEntropyGradMatchesMathExp(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range []int{1, 2, 3, 10, 16, 100, 128, 129, 257} {
		const n = 60
		logits := make([]float64, 0, n*c)
		labels := make([]int, n)
		for i := range labels {
			logits = append(logits, randRow(r, c)...)
			labels[i] = r.IntN(c)
		}
		out := make([]float64, n*c)
		const k = 0.3
		crossEntropyGrad(out, logits, labels, c, k)
		for i, y := range labels {
			row := logits[i*c : (i+1)*c]
			lse := refLSE(row)
			for j, v := range row {
				want := math.Exp(v-lse) * k
				if j == y {
					want -= k
				}
				require.InDelta(t, want, out[i*c+j], 1e-15, "c %d row %d element %d", c, i, j)
			}
		}
		// The loss: each row's log-sum-exp as logSumExp's, bit for bit.
		loss, err := crossEntropy(logits, labels, c)
		require.NoError(t, err)
		want := 0.0
		for i, y := range labels {
			want += logSumExp(logits[i*c:(i+1)*c]) - logits[i*c+y]
		}
		require.Equal(t, want/n, loss, "c %d", c)
	}
}

// Rows of special values among ordinary ones, in one block: each row's
// loss term and gradient have the reference's NaNs, infinities and zeros,
// and its values elsewhere.
func TestCrossEntropySpecialRows(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	const c = 3
	rows := [][]float64{{1, 2, 3}, {1, nan, 2}, {nan, nan, nan}, {-inf, -inf, -inf}, {inf, 0, 1}, {inf, inf, 0},
		{nan, inf, 1}, {-inf, 0, -inf}, {1000, -1000, 0}, {-1e30, 1e30, 0}, {3, 3, 3}, {0.5, -0.25, 2}}
	var logits []float64
	labels := make([]int, len(rows))
	for i, x := range rows {
		logits = append(logits, x...)
		labels[i] = i % c
	}
	out := make([]float64, len(logits))
	const k = 0.5
	crossEntropyGrad(out, logits, labels, c, k)
	for i, x := range rows {
		lse := refLSE(x)
		// the loss of this row alone
		loss, err := crossEntropy(x, labels[i:i+1], c)
		require.NoError(t, err)
		require.True(t, sameClass(loss, lse-x[labels[i]], 1e-15), "row %v: loss %v, want %v", x, loss, lse-x[labels[i]])
		for j, v := range x {
			want := math.Exp(v-lse) * k
			if j == labels[i] {
				want -= k
			}
			require.True(t, sameClass(out[i*c+j], want, 1e-14), "row %v element %d: %v, want %v", x, j, out[i*c+j], want)
		}
	}
}

// The rows' path of softmaxGrad against its general loop's formula, bit
// for bit.
func TestSoftmaxGradRows(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const outer, n = 6, 37
	y, g := make([]float32, outer*n), make([]float32, outer*n)
	for i := range y {
		y[i], g[i] = r.Float32(), float32(r.NormFloat64())
	}
	out := make([]float32, outer*n)
	softmaxGrad(out, y, g, outer, n, 1, false)
	for o := range outer {
		var s float32
		for k := range n {
			s += g[o*n+k] * y[o*n+k]
		}
		for k := range n {
			j := o*n + k
			require.Equal(t, math.Float32bits(y[j]*(g[j]-s)), math.Float32bits(out[j]), "row %d element %d", o, k)
		}
	}
}

func TestRowMax(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		x    []float64
		want float64
	}{{nil, -inf}, {[]float64{nan}, -inf}, {[]float64{1, nan, 3, 2}, 3}, {[]float64{-inf, -inf}, -inf}, {[]float64{-1, inf, 5}, inf},
		{[]float64{2, 9, 4, 8, 1}, 9}, {[]float64{5, 4, 3, 2, 1, 0, -1}, 5}, {[]float64{0, 1, 2, 3, 4, 5, 6}, 6}} {
		require.Equal(t, c.want, rowMax(c.x), "%v", c.x)
		x32 := make([]float32, len(c.x))
		for i, v := range c.x {
			x32[i] = float32(v)
		}
		require.Equal(t, c.want, rowMax(x32), "float32 %v", c.x)
	}
}
