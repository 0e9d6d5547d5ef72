package ops

import (
	"fmt"
	"math"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

type convCase struct {
	name    string
	x, w    []int // [N C H W], [O C kh kw]
	stride  HW
	pad     HW
	noBias  bool
	outWant []int
}

var convCases = []convCase{
	{name: "3x3", x: []int{2, 2, 5, 5}, w: []int{3, 2, 3, 3}, outWant: []int{2, 3, 3, 3}},
	{name: "3x3/pad1", x: []int{2, 2, 4, 5}, w: []int{3, 2, 3, 3}, pad: Both(1), outWant: []int{2, 3, 4, 5}},
	{name: "stride2/pad1", x: []int{2, 3, 5, 6}, w: []int{2, 3, 3, 3}, stride: Both(2), pad: Both(1), outWant: []int{2, 2, 3, 3}},
	{name: "rect/stride(2,1)/pad(0,2)", x: []int{1, 2, 6, 4}, w: []int{2, 2, 3, 2}, stride: HW{2, 1}, pad: HW{0, 2}, outWant: []int{1, 2, 2, 7}},
	{name: "1x1", x: []int{2, 3, 3, 2}, w: []int{4, 3, 1, 1}, outWant: []int{2, 4, 3, 2}},
	{name: "1x1/nobias", x: []int{2, 3, 3, 2}, w: []int{4, 3, 1, 1}, noBias: true, outWant: []int{2, 4, 3, 2}},
	{name: "kernel=input+pad", x: []int{1, 1, 2, 2}, w: []int{2, 1, 4, 4}, pad: Both(1), outWant: []int{1, 2, 1, 1}},
	{name: "5x5/pad2/nobias", x: []int{2, 1, 6, 6}, w: []int{2, 1, 5, 5}, pad: Both(2), noBias: true, outWant: []int{2, 2, 6, 6}},
}

// naiveConv is the direct definition of PyTorch's conv2d (cross-correlation).
func naiveConv(x, w, b []float64, xs, ws []int, stride, pad HW) ([]float64, []int) {
	N, C, H, W := xs[0], xs[1], xs[2], xs[3]
	O, kh, kw := ws[0], ws[2], ws[3]
	oh, ow := (H+2*pad[0]-kh)/stride[0]+1, (W+2*pad[1]-kw)/stride[1]+1
	y := make([]float64, N*O*oh*ow)
	for n := 0; n < N; n++ {
		for o := 0; o < O; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					if b != nil {
						s = b[o]
					}
					for c := 0; c < C; c++ {
						for ki := 0; ki < kh; ki++ {
							for kj := 0; kj < kw; kj++ {
								h, v := i*stride[0]-pad[0]+ki, j*stride[1]-pad[1]+kj
								if h >= 0 && h < H && v >= 0 && v < W {
									s += x[((n*C+c)*H+h)*W+v] * w[((o*C+c)*kh+ki)*kw+kj]
								}
							}
						}
					}
					y[((n*O+o)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return y, []int{N, O, oh, ow}
}

// naiveConvGrad is the adjoint of naiveConv: dx, dw, db given dy.
func naiveConvGrad(x, w, dy []float64, xs, ws []int, stride, pad HW) (dx, dw, db []float64) {
	N, C, H, W := xs[0], xs[1], xs[2], xs[3]
	O, kh, kw := ws[0], ws[2], ws[3]
	oh, ow := (H+2*pad[0]-kh)/stride[0]+1, (W+2*pad[1]-kw)/stride[1]+1
	dx, dw, db = make([]float64, len(x)), make([]float64, len(w)), make([]float64, O)
	for n := 0; n < N; n++ {
		for o := 0; o < O; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					g := dy[((n*O+o)*oh+i)*ow+j]
					db[o] += g
					for c := 0; c < C; c++ {
						for ki := 0; ki < kh; ki++ {
							for kj := 0; kj < kw; kj++ {
								h, v := i*stride[0]-pad[0]+ki, j*stride[1]-pad[1]+kj
								if h >= 0 && h < H && v >= 0 && v < W {
									xi, wi := ((n*C+c)*H+h)*W+v, ((o*C+c)*kh+ki)*kw+kj
									dx[xi] += g * w[wi]
									dw[wi] += g * x[xi]
								}
							}
						}
					}
				}
			}
		}
	}
	return dx, dw, db
}

// convGraph builds Σ Conv(x, w, b)·weights with x an input of batch
// dimension and w, b parameters of random values.
func convGraph(t *testing.T, dt graph.DType, tc convCase) (g *graph.Graph, x, w, b, y, loss, lw *graph.Node) {
	g = newGraph(t, dt)
	x = g.Input("x", append([]int{graph.Batch}, tc.x[1:]...)...)
	w = g.Param("w", tc.w, graph.Zeros())
	setRand(t, w, 11, -1, 1)
	if !tc.noBias {
		b = g.Param("b", []int{tc.w[0]}, graph.Zeros())
		setRand(t, b, 12, -1, 1)
	}
	y = Conv(x, w, b, ConvConfig{Stride: tc.stride, Padding: tc.pad})
	loss, lw = weighted(g, y)
	require.NoError(t, g.Err())
	require.Equal(t, graph.Shape(append([]int{graph.Batch}, tc.outWant[1:]...)), y.Shape())
	return
}

func TestConvGradCheck(t *testing.T) {
	for _, tc := range convCases {
		t.Run(tc.name, func(t *testing.T) {
			_, x, w, b, _, loss, lw := convGraph(t, graph.Float64, tc)
			wrt := []*graph.Node{x, w}
			if b != nil {
				wrt = append(wrt, b)
			}
			feeds := graph.Feeds{x: randTensor(t, graph.Float64, 1, -1, 1, tc.x...), lw: weights(t, graph.Float64, tc.outWant...)}
			res, err := graph.GradCheck(loss, feeds, graph.GradCheckConfig{WRT: wrt})
			require.NoError(t, err)
			require.Less(t, res.MaxRelErr, gradTol, res.String())
		})
	}
}

// TestConvMatchesNaive compares forward and backward with the direct
// definition, in float64 (to 1e-12) and float32 (to 1e-4 relative).
func TestConvMatchesNaive(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		tol := map[graph.DType]float64{graph.Float64: 1e-12, graph.Float32: 1e-4}[dt]
		for _, tc := range convCases {
			t.Run(fmt.Sprintf("%v/%s", dt, tc.name), func(t *testing.T) {
				g, x, w, b, y, loss, lw := convGraph(t, dt, tc)
				wrt := []*graph.Node{x, w}
				var bv []float64
				if b != nil {
					wrt = append(wrt, b)
					bv = b.Param().Value().Values()
				}
				p, err := g.CompileWith(graph.CompileOptions{WRT: wrt}, loss, y)
				require.NoError(t, err)
				xt, dy := randTensor(t, dt, 1, -1, 1, tc.x...), weights(t, dt, tc.outWant...)
				require.NoError(t, p.Run(graph.Train, true, graph.Feeds{x: xt, lw: dy}))
				wv := w.Param().Value().Values()
				want, shape := naiveConv(xt.Values(), wv, bv, tc.x, tc.w, tc.stride.orDefault(Both(1)), tc.pad)
				require.Equal(t, graph.Shape(shape), p.Output(y).Shape())
				requireNear(t, "y", want, p.Output(y).Values(), tol)
				dx, dw, db := naiveConvGrad(xt.Values(), wv, dy.Values(), tc.x, tc.w, tc.stride.orDefault(Both(1)), tc.pad)
				requireNear(t, "dx", dx, p.Grad(x).Values(), tol)
				requireNear(t, "dw", dw, p.Grad(w).Values(), tol)
				if b != nil {
					requireNear(t, "db", db, p.Grad(b).Values(), tol)
				}
			})
		}
	}
}

func TestConvOnlyComputesWhatIsNeeded(t *testing.T) {
	// x is data, not a gradient target: no col2im pass (Conv2DGradX) runs.
	g := newGraph(t, graph.Float64)
	c, err := NewConv2D(g.Scope("conv"), 1, 2, 3, Conv2DConfig{Padding: Both(1)})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 1, 4, 4)
	loss := graph.Sum(graph.Square(c.Forward(x)))
	p, err := g.Compile(loss)
	require.NoError(t, err)
	_, err = p.TrainStep(graph.Feeds{x: randTensor(t, graph.Float64, 1, -1, 1, 3, 1, 4, 4)})
	require.NoError(t, err)
	require.NotNil(t, c.Weight().Param().Grad())
	require.NotNil(t, c.Bias().Param().Grad())
	require.Nil(t, p.Grad(x))
}

func TestNewConv2D(t *testing.T) {
	g := newGraph(t, graph.Float64)
	c, err := NewConv2D(g.Scope("net").Scope("conv1"), 3, 8, 5, Conv2DConfig{Stride: Both(2), Padding: Both(2)})
	require.NoError(t, err)
	require.Equal(t, "net/conv1/w", c.Weight().Name())
	require.Equal(t, "net/conv1/b", c.Bias().Name())
	require.Equal(t, graph.Shape{8, 3, 5, 5}, c.Weight().Shape())
	require.Len(t, c.Params(), 2)
	// PyTorch's default: kaiming_uniform(a=√5) gives U(±1/√fan_in) for the
	// weight, and the bias is U(±1/√fan_in); fan_in = 3·5·5.
	bound := 1 / math.Sqrt(75)
	for _, p := range c.Params() {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range p.Value().Values() {
			lo, hi = min(lo, v), max(hi, v)
		}
		require.GreaterOrEqual(t, lo, -bound, p.Name())
		require.LessOrEqual(t, hi, bound, p.Name())
		if p.Value().Len() > 100 {
			require.Greater(t, hi-lo, bound, "spread over the range")
		}
	}
	y := c.Forward(g.Input("x", graph.Batch, 3, 28, 28))
	require.NoError(t, g.Err())
	require.Equal(t, graph.Shape{graph.Batch, 8, 14, 14}, y.Shape())

	nb, err := NewConv2D(g.Scope("conv2"), 8, 4, 1, Conv2DConfig{NoBias: true, Init: graph.Constant(0.5)})
	require.NoError(t, err)
	require.Nil(t, nb.Bias())
	require.Len(t, nb.Params(), 1)
	require.Equal(t, 0.5, nb.Weight().Param().Value().At(0))

	// Bit-identical parameters from the same seed.
	g2 := newGraph(t, graph.Float64)
	c2, err := NewConv2D(g2.Scope("net").Scope("conv1"), 3, 8, 5, Conv2DConfig{})
	require.NoError(t, err)
	require.Equal(t, c.Weight().Param().Value().Values(), c2.Weight().Param().Value().Values())
}

func TestConvErrors(t *testing.T) {
	cases := []struct {
		name string
		x, w []int
		b    []int
		cfg  ConvConfig
		want error
	}{
		{"rank", []int{graph.Batch, 2, 5}, []int{3, 2, 3, 3}, nil, ConvConfig{}, graph.ErrShape},
		{"weight rank", []int{graph.Batch, 2, 5, 5}, []int{3, 2, 3}, nil, ConvConfig{}, graph.ErrShape},
		{"channels", []int{graph.Batch, 2, 5, 5}, []int{3, 4, 3, 3}, nil, ConvConfig{}, graph.ErrShape},
		{"bias", []int{graph.Batch, 2, 5, 5}, []int{3, 2, 3, 3}, []int{4}, ConvConfig{}, graph.ErrShape},
		{"kernel too large", []int{graph.Batch, 2, 2, 2}, []int{3, 2, 3, 3}, nil, ConvConfig{}, graph.ErrShape},
		{"stride", []int{graph.Batch, 2, 5, 5}, []int{3, 2, 3, 3}, nil, ConvConfig{Stride: HW{-1, 1}}, ErrConfig},
		{"padding", []int{graph.Batch, 2, 5, 5}, []int{3, 2, 3, 3}, nil, ConvConfig{Padding: HW{0, -1}}, ErrConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraph(t, graph.Float64)
			x := g.Input("x", tc.x...)
			w := g.Param("w", tc.w, graph.Zeros())
			var b *graph.Node
			if tc.b != nil {
				b = g.Param("b", tc.b, graph.Zeros())
			}
			require.True(t, Conv(x, w, b, tc.cfg).Failed())
			require.ErrorIs(t, g.Err(), tc.want)
		})
	}
	g := newGraph(t, graph.Float64)
	w := g.Param("w", []int{1, 1, 1, 1}, graph.Zeros())
	require.True(t, Conv(nil, w, nil, ConvConfig{}).Failed())
	require.ErrorIs(t, g.Err(), graph.ErrGraph)
	require.True(t, Conv(nil, nil, nil, ConvConfig{}).Failed(), "no graph at all: no panic")

	_, err := NewConv2D(g.Scope("c"), 0, 1, 1, Conv2DConfig{})
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewConv2D(g.Scope("c"), 1, 1, 1, Conv2DConfig{Stride: HW{0, -2}})
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewConv2D(graph.Scope{}, 1, 1, 1, Conv2DConfig{})
	require.ErrorIs(t, err, graph.ErrGraph)
}

func TestConvKernelsDoNotAllocate(t *testing.T) {
	g := geomFor([]int{2, 3, 6, 6}, []int{4, 3, 3, 3}, Both(1), Both(1))
	x := randValues(1, -1, 1, 2*3*36)
	w := randValues(2, -1, 1, 4*3*9)
	b := randValues(4, -1, 1, 4)
	dy := randValues(3, -1, 1, 2*4*36)
	y, dx, dw, db := make([]float64, len(dy)), make([]float64, len(x)), make([]float64, len(w)), make([]float64, len(b))
	xt, _ := graph.FromFloat64(x, 2, 3, 6, 6)
	wt, _ := graph.FromFloat64(w, 4, 3, 3, 3)
	bt, _ := graph.FromFloat64(b, 4)
	yt, _ := graph.FromFloat64(y, 2, 4, 6, 6)
	dyt, _ := graph.FromFloat64(dy, 2, 4, 6, 6)
	dxt, _ := graph.FromFloat64(dx, 2, 3, 6, 6)
	dwt, _ := graph.FromFloat64(dw, 4, 3, 3, 3)
	dbt, _ := graph.FromFloat64(db, 4)
	for _, group := range []int{0, 2} { // one image per product, and groups (gather, scatter)
		f := (&conv{stride: Both(1), pad: Both(1), bias: true, group: group}).Lower(graph.Train)
		gx := &convGradX{g: g, x: graph.Shape{2, 3, 6, 6}, group: group}
		gw := &convGradW{g: g, w: graph.Shape{4, 3, 3, 3}, group: group, bias: true}
		gb := &convGradB{w: gw}
		step := func() {
			require.NoError(t, f.Forward(nil, yt, []*graph.Tensor{xt, wt, bt}))
			require.NoError(t, gx.Forward(nil, dxt, []*graph.Tensor{dyt, wt}))
			require.NoError(t, gw.Forward(nil, dwt, []*graph.Tensor{xt, dyt}))
			require.NoError(t, gb.Forward(nil, dbt, []*graph.Tensor{dyt, dwt}))
		}
		step()
		if allocs := testing.AllocsPerRun(5, step); !raceEnabled {
			require.Zero(t, allocs, "group %d", group)
		}
	}
}

func geomFor(x, w []int, stride, pad HW) geom {
	return newGeom(x[1], x[2], x[3], HW{w[2], w[3]}, stride, pad)
}

// TestConvThreadsSameBits runs the convolution's three kernels with 1, 2
// and 3 threads (images split over workers, dW's fixed chunks; on the
// direct path a small batch's images cut into parts) and requires
// bit-identical outputs: float64 on im2col, float32 on the direct kernels
// where the CPU has them (C·k² = 200 >= directMinK), batches of 37, 3
// and 1.
func TestConvThreadsSameBits(t *testing.T) {
	defer graph.SetThreads(0)
	for _, tc := range []struct {
		dt     graph.DType
		xs, ws []int
	}{
		{graph.Float64, []int{37, 3, 9, 9}, []int{5, 3, 3, 3}},
		{graph.Float32, []int{37, 8, 9, 9}, []int{40, 8, 5, 5}},
		{graph.Float32, []int{3, 8, 9, 9}, []int{40, 8, 5, 5}},
		{graph.Float32, []int{1, 8, 9, 9}, []int{40, 8, 5, 5}},
	} {
		t.Run(fmt.Sprintf("%v/%v", tc.dt, tc.xs), func(t *testing.T) {
			testConvThreadsSameBits(t, tc.dt, tc.xs, tc.ws)
		})
	}
}

// float64sOf returns a float32 or float64 tensor's values as float64 (exact).
func float64sOf(t *testing.T, x *graph.Tensor) []float64 {
	if v, err := x.Float64s(); err == nil {
		return append([]float64(nil), v...)
	}
	v, err := x.Float32s()
	require.NoError(t, err)
	out := make([]float64, len(v))
	for i, f := range v {
		out[i] = float64(f)
	}
	return out
}

func testConvThreadsSameBits(t *testing.T, dt graph.DType, xs, ws []int) {
	g := geomFor(xs, ws, Both(1), Both(2))
	ys := []int{xs[0], ws[0], g.oh, g.ow}
	tensor := func(seed uint64, shape ...int) *graph.Tensor {
		v, err := graph.FromFloat64s(dt, randValues(seed, -1, 1, graph.Shape(shape).Size()), shape...)
		require.NoError(t, err)
		return v
	}
	xt, wt, bt, dyt := tensor(1, xs...), tensor(2, ws...), tensor(4, ws[0]), tensor(3, ys...)
	var want [][]float64
	for _, th := range []int{1, 2, 3} {
		require.NoError(t, graph.SetThreads(th))
		f := (&conv{stride: Both(1), pad: Both(2), bias: true}).Lower(graph.Train)
		gx := &convGradX{g: g, x: graph.Shape(xs)}
		gw := &convGradW{g: g, w: graph.Shape(ws), bias: true}
		gb := &convGradB{w: gw}
		yt, dxt, dwt, dbt := tensor(9, ys...), tensor(9, xs...), tensor(9, ws...), tensor(9, ws[0])
		require.NoError(t, f.Forward(nil, yt, []*graph.Tensor{xt, wt, bt}))
		require.NoError(t, gx.Forward(nil, dxt, []*graph.Tensor{dyt, wt}))
		require.NoError(t, gw.Forward(nil, dwt, []*graph.Tensor{xt, dyt}))
		require.NoError(t, gb.Forward(nil, dbt, []*graph.Tensor{dyt, dwt}))
		var got [][]float64
		for _, out := range []*graph.Tensor{yt, dxt, dwt, dbt} {
			got = append(got, float64sOf(t, out))
		}
		if want == nil {
			want = got
			continue
		}
		for i, name := range []string{"y", "dx", "dw", "db"} {
			require.Equal(t, want[i], got[i], "%s with %d threads", name, th)
		}
	}
}
