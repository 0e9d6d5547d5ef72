package ops

import (
	"fmt"
	"math"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

var poolCases = []struct {
	name string
	x    []int
	cfg  PoolConfig
	out  []int
}{
	{"2x2", []int{2, 3, 4, 6}, PoolConfig{Kernel: Both(2)}, []int{2, 3, 2, 3}},
	{"2x2/odd input", []int{1, 2, 5, 5}, PoolConfig{Kernel: Both(2)}, []int{1, 2, 2, 2}},
	{"3x3/stride2/pad1", []int{2, 2, 5, 6}, PoolConfig{Kernel: Both(3), Stride: Both(2), Padding: Both(1)}, []int{2, 2, 3, 3}},
	{"3x3/stride1/overlap", []int{1, 2, 4, 4}, PoolConfig{Kernel: Both(3), Stride: Both(1)}, []int{1, 2, 2, 2}},
	{"rect(2,3)/pad(1,1)", []int{2, 1, 4, 5}, PoolConfig{Kernel: HW{2, 3}, Padding: HW{1, 1}}, []int{2, 1, 3, 2}},
}

// naivePool is the definition of PyTorch's max_pool2d / avg_pool2d
// (count_include_pad=True, ceil_mode=False).
func naivePool(x []float64, xs []int, cfg PoolConfig, avg bool) []float64 {
	c, _ := cfg.resolve()
	N, C, H, W := xs[0], xs[1], xs[2], xs[3]
	oh := (H+2*c.Padding[0]-c.Kernel[0])/c.Stride[0] + 1
	ow := (W+2*c.Padding[1]-c.Kernel[1])/c.Stride[1] + 1
	var y []float64
	for p := 0; p < N*C; p++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				best, sum := math.Inf(-1), 0.0
				for ki := 0; ki < c.Kernel[0]; ki++ {
					for kj := 0; kj < c.Kernel[1]; kj++ {
						h, w := i*c.Stride[0]-c.Padding[0]+ki, j*c.Stride[1]-c.Padding[1]+kj
						if h >= 0 && h < H && w >= 0 && w < W {
							v := x[(p*H+h)*W+w]
							best, sum = math.Max(best, v), sum+v
						}
					}
				}
				if avg {
					y = append(y, sum/float64(c.Kernel[0]*c.Kernel[1]))
				} else {
					y = append(y, best)
				}
			}
		}
	}
	return y
}

// distinct returns a permutation of spread values: no ties, so max
// pooling is differentiable at the point and finite differences apply.
func distinct(t *testing.T, dt graph.DType, shape ...int) *graph.Tensor {
	n := graph.Shape(shape).Size()
	v := make([]float64, n)
	for i := range v {
		v[i] = float64((i*7919)%n)/float64(n)*4 - 2
	}
	x, err := graph.FromFloat64s(dt, v, shape...)
	require.NoError(t, err)
	return x
}

func TestPoolGradCheck(t *testing.T) {
	for _, kind := range []string{"max", "avg"} {
		for _, tc := range poolCases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				g := newGraph(t, graph.Float64)
				x := g.Input("x", append([]int{graph.Batch}, tc.x[1:]...)...)
				var y *graph.Node
				if kind == "max" {
					y = MaxPool2D(x, tc.cfg)
				} else {
					y = AvgPool2D(x, tc.cfg)
				}
				loss, lw := weighted(g, y)
				require.NoError(t, g.Err())
				require.Equal(t, graph.Shape(append([]int{graph.Batch}, tc.out[1:]...)), y.Shape())
				feeds := graph.Feeds{x: distinct(t, graph.Float64, tc.x...), lw: weights(t, graph.Float64, tc.out...)}
				res, err := graph.GradCheck(loss, feeds, graph.GradCheckConfig{WRT: []*graph.Node{x}})
				require.NoError(t, err)
				require.Less(t, res.MaxRelErr, gradTol, res.String())
			})
		}
	}
}

func TestPoolMatchesNaive(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		for _, kind := range []string{"max", "avg"} {
			for _, tc := range poolCases {
				t.Run(fmt.Sprintf("%v/%s/%s", dt, kind, tc.name), func(t *testing.T) {
					g := newGraph(t, dt)
					x := g.Input("x", tc.x...)
					y := MaxPool2D(x, tc.cfg)
					if kind == "avg" {
						y = AvgPool2D(x, tc.cfg)
					}
					p, err := g.Compile(nil, y)
					require.NoError(t, err)
					xt := randTensor(t, dt, 3, -2, 2, tc.x...)
					_, err = p.Evaluate(graph.Feeds{x: xt})
					require.NoError(t, err)
					requireNear(t, "y", naivePool(xt.Values(), tc.x, tc.cfg, kind == "avg"), p.Output(y).Values(), 1e-6)
				})
			}
		}
	}
}

// TestMaxPoolTiesAndNaN: the gradient of a tied window goes to its first
// maximum, a NaN wins its window, and -inf values still pick an element
// (PyTorch's CPU kernel behaves the same way).
func TestMaxPoolTiesAndNaN(t *testing.T) {
	g := newGraph(t, graph.Float64)
	x := g.Input("x", 1, 1, 2, 6)
	y := MaxPool2D(x, PoolConfig{Kernel: Both(2)})
	loss := graph.Sum(y)
	p, err := g.CompileWith(graph.CompileOptions{WRT: []*graph.Node{x}}, loss, y)
	require.NoError(t, err)
	inf, nan := math.Inf(-1), math.NaN()
	xt, _ := graph.FromFloat64([]float64{
		1, 3, nan, 0, inf, inf,
		3, 3, 5, nan, inf, inf,
	}, 1, 1, 2, 6)
	require.NoError(t, p.Run(graph.Train, true, graph.Feeds{x: xt}))
	out := p.Output(y).Values()
	require.Equal(t, 3.0, out[0])
	require.True(t, math.IsNaN(out[1]))
	require.Equal(t, inf, out[2])
	require.Equal(t, []float64{
		0, 1, 0, 0, 1, 0,
		0, 0, 0, 1, 0, 0,
	}, p.Grad(x).Values(), "first max of a tie; the last NaN; the first of an all -inf window")
}

// TestMaxPoolPaddingIsMinusInfinity: a window overlapping the padding
// takes the maximum of its real elements even when all are negative.
func TestMaxPoolPaddingIsMinusInfinity(t *testing.T) {
	g := newGraph(t, graph.Float64)
	x := g.Input("x", 1, 1, 2, 2)
	y := MaxPool2D(x, PoolConfig{Kernel: Both(2), Stride: Both(1), Padding: Both(1)})
	a := AvgPool2D(x, PoolConfig{Kernel: Both(2), Stride: Both(1), Padding: Both(1)})
	p, err := g.Compile(nil, y, a)
	require.NoError(t, err)
	xt, _ := graph.FromFloat64([]float64{-1, -2, -3, -4}, 1, 1, 2, 2)
	_, err = p.Evaluate(graph.Feeds{x: xt})
	require.NoError(t, err)
	require.Equal(t, []float64{-1, -1, -2, -1, -1, -2, -3, -3, -4}, p.Output(y).Values())
	// count_include_pad: the corner window holds one real value and divides by 4.
	require.Equal(t, []float64{-0.25, -0.75, -0.5, -1, -2.5, -1.5, -0.75, -1.75, -1}, p.Output(a).Values())
}

func TestPoolErrors(t *testing.T) {
	cases := []struct {
		name string
		x    []int
		cfg  PoolConfig
		want error
	}{
		{"no kernel", []int{graph.Batch, 1, 4, 4}, PoolConfig{}, ErrConfig},
		{"negative stride", []int{graph.Batch, 1, 4, 4}, PoolConfig{Kernel: Both(2), Stride: HW{1, -1}}, ErrConfig},
		{"padding over half the kernel", []int{graph.Batch, 1, 4, 4}, PoolConfig{Kernel: Both(3), Padding: Both(2)}, ErrConfig},
		{"negative padding", []int{graph.Batch, 1, 4, 4}, PoolConfig{Kernel: Both(3), Padding: HW{-1, 0}}, ErrConfig},
		{"rank", []int{graph.Batch, 4, 4}, PoolConfig{Kernel: Both(2)}, graph.ErrShape},
		{"kernel larger than input", []int{graph.Batch, 1, 2, 4}, PoolConfig{Kernel: Both(3)}, graph.ErrShape},
	}
	for _, tc := range cases {
		for _, f := range []func(*graph.Node, PoolConfig) *graph.Node{MaxPool2D, AvgPool2D} {
			g := newGraph(t, graph.Float64)
			require.True(t, f(g.Input("x", tc.x...), tc.cfg).Failed(), tc.name)
			require.ErrorIs(t, g.Err(), tc.want, tc.name)
		}
	}
	g := newGraph(t, graph.Float64)
	require.True(t, MaxPool2D(g.Labels("y"), PoolConfig{Kernel: Both(1)}).Failed())
	require.ErrorIs(t, g.Err(), graph.ErrDType)
	require.True(t, MaxPool2D(nil, PoolConfig{Kernel: Both(1)}).Failed(), "nil input: no panic")
	require.True(t, AvgPool2D(nil, PoolConfig{}).Failed())
}

// TestMaxPool2x2FastPath: the branch-free 2×2 kernels pick the same
// values and indices as the general loops, ties (±0 included), ±Inf and
// NaNs (of either sign) included, and route the same gradients, on even
// and odd sizes, in float32 and float64.
func TestMaxPool2x2FastPath(t *testing.T) {
	for _, hw := range [][2]int{{5, 7}, {4, 6}, {6, 5}, {2, 2}, {3, 3}, {8, 30}} {
		t.Run(fmt.Sprintf("%dx%d", hw[0], hw[1]), func(t *testing.T) {
			for _, data := range []poolData{nonNegative, signed, special} {
				testMaxPool2x2[float64](t, hw[0], hw[1], data)
				testMaxPool2x2[float32](t, hw[0], hw[1], data)
			}
		})
	}
}

// poolData selects the inputs of testMaxPool2x2, and so the paths of
// maxPool2x2 they take: integers in [0, 3) and +Inf (maxPool2xBits, as
// after a ReLU), in [-2, 3) with -0 (maxPool2xRow), and with NaNs of both
// signs and ±Inf too (maxPool2xRowNaN for most rows).
type poolData int

const (
	nonNegative poolData = iota
	signed
	special
)

func testMaxPool2x2[T Float](t *testing.T, h, w int, data poolData) {
	g := newGeom(3, h, w, Both(2), Both(2), Both(0))
	require.True(t, g.is2x2())
	planes := 2 * 3
	x := make([]T, planes*g.in())
	for i, v := range randValues(1, -2, 3, len(x)) {
		x[i] = T(math.Floor(v)) // many ties
		switch {
		case data == nonNegative:
			x[i] = max(x[i], 0)
			if i%11 == 0 {
				x[i] = T(math.Inf(1))
			}
		case i%7 == 0:
			x[i] = T(math.Copysign(0, -1))
		case data == signed:
		case i%17 == 0:
			x[i] = T(math.NaN())
		case i%19 == 0:
			x[i] = T(math.Copysign(math.NaN(), -1))
		case i%13 == 0:
			x[i] = T(math.Inf(-1))
		case i%23 == 0:
			x[i] = T(math.Inf(1)) // with -Inf in a row: a NaN sum, the rows' exact path
		}
	}
	if data == nonNegative && littleEndian() {
		y, pos := make([]T, g.out()), make([]uint8, g.out())
		var ok bool
		if _, f32 := any(x).([]float32); f32 {
			ok = maxPool2xBits(asBits[T, uint32](y), pos, asBits[T, uint32](x[:g.in()]), g)
		} else {
			ok = maxPool2xBits64(asBits[T, uint64](y), pos, asBits[T, uint64](x[:g.in()]), g)
		}
		require.True(t, ok, "the bits path takes non-negative planes")
	}
	P := g.out()
	y1, y2 := make([]T, planes*P), make([]T, planes*P)
	pos, a2 := make([]uint8, len(y1)), make([]int32, len(y2))
	maxPool2x2(y1, x, pos, g, planes)
	maxPoolKernel(y2, x, a2, g, planes) // the general loops
	for p := 0; p < planes; p++ {
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				k := p*P + i*g.ow + j
				at := (2*i+int(pos[k]>>1))*g.w + 2*j + int(pos[k]&1)
				require.Equal(t, a2[k], int32(at), "argmax %d", k)
				require.True(t, y1[k] == y2[k] || (y1[k] != y1[k] && y2[k] != y2[k]), "y[%d]: %v vs %v", k, y1[k], y2[k])
			}
		}
	}
	dy := make([]T, len(y1))
	for i, v := range randValues(2, -1, 1, len(dy)) {
		dy[i] = T(v)
	}
	dy[0], dy[len(dy)-1] = T(math.Inf(1)), T(math.NaN()) // routed, not spread
	dx1, dx2 := make([]T, planes*g.in()), make([]T, planes*g.in())
	for i := range dx1 {
		dx1[i] = 7 // overwritten, not accumulated into
	}
	maxPoolGradKernel(dx2, dy, a2, g.in(), P)
	check := func(name string) {
		for i := range dx1 {
			require.True(t, dx1[i] == dx2[i] || (dx1[i] != dx1[i] && dx2[i] != dx2[i]), "%s: dx[%d]: %v vs %v", name, i, dx1[i], dx2[i])
			dx1[i] = 7 // overwritten, not accumulated into
		}
	}
	if _, ok := any(dx1).([]float32); ok {
		dx, dyb := asBits[T, uint32](dx1), asBits[T, uint32](dy)
		maxPool2x2Grad(dx, dyb, pos, g, planes, maxPool2x2GradRow[uint32])
		check("generic rows")
		if littleEndian() {
			maxPool2x2Grad(dx, dyb, pos, g, planes, maxPool2x2GradRow32)
			check("uint64 pairs")
		}
		return
	}
	maxPool2x2Grad(asBits[T, uint64](dx1), asBits[T, uint64](dy), pos, g, planes, maxPool2x2GradRow[uint64])
	check("generic rows")
}
