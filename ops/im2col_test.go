package ops

import (
	"fmt"
	"math"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

// im2colGeoms exercise the fast paths of im2col and col2im: stride 1
// (block copies and the shifted sums of addRows5/addRows3/addRows, kw of
// 1 to 7) and strided widths, padding 0 to 3 and asymmetric, rows of 1 to
// 70 values (every size class of copyBlock in float32 and float64), 1×1
// kernels, one and several channels.
var im2colGeoms = []struct {
	c, h, w             int
	kernel, stride, pad HW
}{
	{1, 28, 28, Both(5), Both(1), Both(2)}, // MNIST's first layer
	{3, 14, 14, Both(5), Both(1), Both(2)},
	{2, 7, 9, Both(3), Both(1), Both(1)},
	{2, 7, 9, Both(3), Both(1), Both(0)},
	{2, 6, 5, Both(3), Both(2), Both(1)},
	{1, 9, 8, HW{3, 2}, HW{2, 1}, HW{0, 2}},
	{2, 5, 6, HW{2, 3}, HW{1, 2}, HW{1, 0}},
	{3, 4, 5, Both(1), Both(1), Both(0)}, // identity
	{2, 5, 5, Both(1), Both(2), Both(0)},
	{2, 5, 5, Both(1), Both(1), Both(1)},
	{1, 3, 3, Both(3), Both(1), Both(0)}, // one output pixel
	{1, 2, 2, Both(4), Both(1), Both(1)}, // kernel = padded input
	{2, 6, 6, Both(7), Both(1), Both(3)},
	{2, 6, 9, Both(5), Both(1), Both(0)}, // the right edge of addRows5 inside the image
	{1, 7, 12, Both(5), Both(1), Both(1)},
	{1, 5, 13, Both(7), Both(1), Both(1)},
	{1, 4, 9, HW{1, 4}, Both(1), HW{0, 1}},
	{1, 5, 11, HW{2, 5}, Both(1), HW{1, 3}}, // ow = 13: addRows5 on odd rows
	{2, 3, 70, Both(3), Both(1), Both(1)},   // long rows (memmove)
	{2, 3, 20, Both(3), Both(1), Both(1)},
	{1, 6, 4, Both(2), Both(1), Both(0)}, // ow = 3, addRows only
	{1, 6, 1, HW{3, 1}, Both(1), HW{1, 0}},
}

// naiveIm2col and naiveCol2im are the definitions, element by element.
func naiveIm2col(x []float64, g geom) []float64 {
	col := make([]float64, g.k()*g.out())
	for c := range g.c {
		for ki := range g.kh {
			for kj := range g.kw {
				r := (c*g.kh+ki)*g.kw + kj
				for i := range g.oh {
					for j := range g.ow {
						h, w := i*g.sh-g.ph+ki, j*g.sw-g.pw+kj
						if h >= 0 && h < g.h && w >= 0 && w < g.w {
							col[r*g.out()+i*g.ow+j] = x[(c*g.h+h)*g.w+w]
						}
					}
				}
			}
		}
	}
	return col
}

func naiveCol2im(col []float64, g geom) []float64 {
	x := make([]float64, g.c*g.in())
	for c := range g.c {
		for ki := range g.kh {
			for kj := range g.kw {
				r := (c*g.kh+ki)*g.kw + kj
				for i := range g.oh {
					for j := range g.ow {
						h, w := i*g.sh-g.ph+ki, j*g.sw-g.pw+kj
						if h >= 0 && h < g.h && w >= 0 && w < g.w {
							x[(c*g.h+h)*g.w+w] += col[r*g.out()+i*g.ow+j]
						}
					}
				}
			}
		}
	}
	return x
}

func TestIm2colMatchesDefinition(t *testing.T) {
	for _, tc := range im2colGeoms {
		g := newGeom(tc.c, tc.h, tc.w, tc.kernel, tc.stride, tc.pad)
		name := fmt.Sprintf("c%d/%dx%d/k%v/s%v/p%v", tc.c, tc.h, tc.w, tc.kernel, tc.stride, tc.pad)
		t.Run(name, func(t *testing.T) {
			testIm2col[float64](t, g)
			testIm2col[float32](t, g)
		})
	}
}

// testIm2col runs im2col and col2im twice (the padded plane is reused:
// its border must stay zero) into columns of stride ld = 2·P + 3 at
// offset P + 1, as for the second image of a group, with NaN elsewhere:
// nothing outside the image's columns may be written, and col2im must
// overwrite x, not add to it. The values are integers, so float32 sums
// are exact.
func testIm2col[T Float](t *testing.T, g geom) {
	P := g.out()
	ld, off := 2*P+3, P+1
	var pb padBuf
	var acc scratch
	for run := range 2 {
		x := make([]float64, g.c*g.in())
		for i, v := range randValues(uint64(run+1), -8, 8, len(x)) {
			x[i] = math.Round(v)
		}
		xt := make([]T, len(x))
		for i, v := range x {
			xt[i] = T(v)
		}
		col := make([]T, (g.k()-1)*ld+off+P)
		for i := range col {
			col[i] = T(math.NaN())
		}
		im2col(col[off:], ld, xt, g, padPlane[T](&pb, g))
		want := naiveIm2col(x, g)
		for r := range g.k() {
			for j := range P {
				require.Equal(t, want[r*P+j], float64(col[off+r*ld+j]), "run %d: col[%d, %d]", run, r, j)
			}
			if r < g.k()-1 {
				for j := P; j < ld; j++ {
					require.True(t, math.IsNaN(float64(col[off+r*ld+j])), "run %d: col[%d, %d] written", run, r, j)
				}
			}
		}

		cv := make([]float64, g.k()*P)
		for i, v := range randValues(uint64(run+7), -8, 8, len(cv)) {
			cv[i] = math.Round(v)
		}
		for r := range g.k() {
			for j := range P {
				col[off+r*ld+j] = T(cv[r*P+j])
			}
		}
		dx := make([]T, len(x))
		for i := range dx {
			dx[i] = T(math.NaN())
		}
		var a []T
		if g.padded() > 0 {
			a = buf[T](&acc, g.padded())
		}
		col2im(dx, col[off:], ld, g, a)
		for i, v := range naiveCol2im(cv, g) {
			require.Equal(t, v, float64(dx[i]), "run %d: dx[%d]", run, i)
		}
	}
}

// convKernels runs the four kernels of a convolution directly, with a
// fixed number of images per group (db is nil without bias).
func convKernels[T Float](xs, ws []int, stride, pad HW, group int, x, w, b, dy []T) (y, dx, dw, db []T) {
	g := newGeom(xs[1], xs[2], xs[3], HW{ws[2], ws[3]}, stride, pad)
	N, O := xs[0], ws[0]
	y, dx, dw = make([]T, N*O*g.out()), make([]T, len(x)), make([]T, len(w))
	for i := range dx {
		dx[i] = T(math.NaN()) // overwritten
	}
	f := &conv{stride: stride, pad: pad, bias: b != nil, group: group}
	convForwardKernel(f, y, x, w, b, N, O, g)
	convGradXKernel(&convGradX{g: g, x: graph.Shape(xs), group: group}, dx, dy, w, O)
	gw := &convGradW{g: g, w: graph.Shape(ws), group: group, bias: b != nil}
	convGradWKernel(gw, dw, x, dy, N)
	if b != nil {
		db = make([]T, O)
		convGradBKernel(&convGradB{w: gw}, db, dy, layout{n: N, c: O, s: g.out()})
	}
	return y, dx, dw, db
}

// TestConvGroups: the kernels agree with the direct definition for any
// number of images per matrix product, batches of one image and batches
// that the group does not divide included, with and without bias, on the
// geometries of TestIm2colMatchesDefinition.
func TestConvGroups(t *testing.T) {
	for _, tc := range im2colGeoms {
		for _, n := range []int{1, 5} {
			for _, group := range []int{0, 1, 2, 3, 5, 8} {
				name := fmt.Sprintf("c%d/%dx%d/k%v/s%v/p%v/n%d/group%d", tc.c, tc.h, tc.w, tc.kernel, tc.stride, tc.pad, n, group)
				t.Run(name, func(t *testing.T) {
					xs, ws := []int{n, tc.c, tc.h, tc.w}, []int{3, tc.c, tc.kernel[0], tc.kernel[1]}
					g := newGeom(tc.c, tc.h, tc.w, tc.kernel, tc.stride, tc.pad)
					require.False(t, forwardTransposed(g.k(), 3, g.out()))
					testConvGroups[float64](t, xs, ws, tc.stride, tc.pad, group, 1e-12)
					testConvGroups[float32](t, xs, ws, tc.stride, tc.pad, group, 1e-4)
				})
			}
		}
	}
}

// TestConvForwardTransposed: the forward product as Yᵀ = colᵀ·Wᵀ
// (forwardTransposed: deep products, many output channels).
func TestConvForwardTransposed(t *testing.T) {
	xs, ws := []int{3, 12, 9, 9}, []int{64, 12, 5, 5}
	g := newGeom(12, 9, 9, Both(5), Both(1), Both(2))
	require.True(t, forwardTransposed(g.k(), 64, g.out()))
	require.True(t, forwardTransposed(800, 64, 196), "MNIST's second layer")
	require.False(t, forwardTransposed(26, 32, 784), "MNIST's first layer")
	for _, group := range []int{0, 1, 2} {
		t.Run(fmt.Sprintf("group%d", group), func(t *testing.T) {
			testConvGroups[float64](t, xs, ws, Both(1), Both(2), group, 1e-12)
			testConvGroups[float32](t, xs, ws, Both(1), Both(2), group, 1e-4)
		})
	}
}

func testConvGroups[T Float](t *testing.T, xs, ws []int, stride, pad HW, group int, tol float64) {
	g := newGeom(xs[1], xs[2], xs[3], HW{ws[2], ws[3]}, stride, pad)
	x := randValues(1, -1, 1, graph.Shape(xs).Size())
	w := randValues(2, -1, 1, graph.Shape(ws).Size())
	b := randValues(3, -1, 1, ws[0])
	dy := randValues(4, -1, 1, xs[0]*ws[0]*g.out())
	for _, bias := range []bool{true, false} {
		var bb []float64
		if bias {
			bb = b
		}
		y, dx, dw, db := convKernels(xs, ws, stride, pad, group, conv64[T](x), conv64[T](w), conv64[T](bb), conv64[T](dy))
		wantY, _ := naiveConv(x, w, bb, xs, ws, stride, pad)
		wantDx, wantDw, wantDb := naiveConvGrad(x, w, dy, xs, ws, stride, pad)
		requireNear(t, fmt.Sprintf("y (bias %v)", bias), wantY, to64(y), tol)
		requireNear(t, "dx", wantDx, to64(dx), tol)
		requireNear(t, "dw", wantDw, to64(dw), tol)
		if bias {
			requireNear(t, "db", wantDb, to64(db), tol)
		}
	}
}

func conv64[T Float](v []float64) []T {
	if v == nil {
		return nil
	}
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

func to64[T Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestGroupSize(t *testing.T) {
	mnist1 := newGeom(1, 28, 28, Both(5), Both(1), Both(2)) // P = 784
	mnist2 := newGeom(32, 14, 14, Both(5), Both(1), Both(2))
	small := newGeom(64, 7, 7, Both(3), Both(1), Both(1)) // P = 49
	require.Equal(t, 1, groupSize[float32](mnist1, 128, 0))
	require.Equal(t, 2, groupSize[float32](mnist2, 128, 0))
	require.Equal(t, 6, groupSize[float32](small, 128, 0))
	require.Equal(t, 1, groupSize[float32](small, 1, 0), "batch 1")
	require.Equal(t, 3, groupSize[float32](small, 3, 0), "at most the batch")
	require.Equal(t, 1, groupSize[float32](newGeom(1024, 7, 7, Both(3), Both(1), Both(1)), 128, 0), "column matrix over groupBytes")
	require.Equal(t, 1, groupSize[float64](mnist2, 128, 0), "column matrix over groupBytes")
	require.Equal(t, 5, groupSize[float64](mnist2, 128, 5), "fixed")
	require.Equal(t, 4, groupSize[float64](mnist2, 4, 5), "fixed, at most the batch")
}
