package ops

import (
	"fmt"
	"math"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Differential tests against gorgonia's own Conv2d and MaxPool2D (v0.9.18),
// forward and backward, in float64, run the way gorgonia users run them: a
// TapeMachine over a graph whose backward pass gorgonia.Grad derived. doc.go
// records the outcome.

// gorgoniaRun builds loss = Σ f(x, ...)·dy in gorgonia and returns y and
// the gradients of x and of the extra inputs.
func gorgoniaRun(t *testing.T, backward bool, x []float64, xs []int, extra [][]float64, extraShapes [][]int,
	dy []float64, f func(x *gorgonia.Node, extra []*gorgonia.Node) (*gorgonia.Node, error)) (y []float64, grads [][]float64) {
	t.Helper()
	eg := gorgonia.NewGraph()
	node := func(name string, v []float64, s []int) *gorgonia.Node {
		val := tensor.New(tensor.WithShape(s...), tensor.WithBacking(append([]float64(nil), v...)))
		return gorgonia.NewTensor(eg, tensor.Float64, len(s), gorgonia.WithShape(s...), gorgonia.WithName(name), gorgonia.WithValue(val))
	}
	xn := node("x", x, xs)
	var en []*gorgonia.Node
	for i, e := range extra {
		en = append(en, node(fmt.Sprintf("e%d", i), e, extraShapes[i]))
	}
	out, err := f(xn, en)
	require.NoError(t, err)
	dyn := node("dy", dy, out.Shape())
	prod, err := gorgonia.HadamardProd(out, dyn)
	require.NoError(t, err)
	loss, err := gorgonia.Sum(prod)
	require.NoError(t, err)
	var gn gorgonia.Nodes
	if backward {
		gn, err = gorgonia.Grad(loss, append([]*gorgonia.Node{xn}, en...)...)
		require.NoError(t, err)
	}
	vm := gorgonia.NewTapeMachine(eg)
	defer vm.Close()
	require.NoError(t, vm.RunAll())
	flat := func(n *gorgonia.Node) []float64 {
		return append([]float64(nil), n.Value().Data().([]float64)...)
	}
	y = flat(out)
	for _, g := range gn {
		grads = append(grads, flat(g))
	}
	return y, grads
}

func TestConvAgreesWithGorgonia(t *testing.T) {
	for _, tc := range convCases {
		if !tc.noBias {
			tc.noBias = true // gorgonia.Conv2d has no bias
		}
		t.Run(tc.name, func(t *testing.T) {
			stride := tc.stride.orDefault(Both(1))
			x := randValues(1, -1, 1, graph.Shape(tc.x).Size())
			w := randValues(2, -1, 1, graph.Shape(tc.w).Size())
			dy := randValues(3, 0.5, 1.5, graph.Shape(tc.outWant).Size())
			gy, gg := gorgoniaRun(t, true, x, tc.x, [][]float64{w}, [][]int{tc.w}, dy,
				func(x *gorgonia.Node, e []*gorgonia.Node) (*gorgonia.Node, error) {
					return gorgonia.Conv2d(x, e[0], tensor.Shape{tc.w[2], tc.w[3]}, tc.pad[:], stride[:], []int{1, 1})
				})
			ny, _ := naiveConv(x, w, nil, tc.x, tc.w, stride, tc.pad)
			ndx, ndw, _ := naiveConvGrad(x, w, dy, tc.x, tc.w, stride, tc.pad)
			// Ours agrees with the naive definition (TestConvMatchesNaive);
			// here gorgonia is held to the same definition.
			requireNear(t, "gorgonia y", ny, gy, 1e-12)
			requireNear(t, "gorgonia dx", ndx, gg[0], 1e-12)
			requireNear(t, "gorgonia dw", ndw, gg[1], 1e-12)

			g := newGraph(t, graph.Float64)
			xi := g.Input("x", tc.x...)
			wp := g.Param("w", tc.w, graph.Zeros())
			wt, _ := graph.FromFloat64(w, tc.w...)
			require.NoError(t, wp.Param().Value().CopyFrom(wt))
			y := Conv(xi, wp, nil, ConvConfig{Stride: stride, Padding: tc.pad})
			dyt, _ := graph.FromFloat64(dy, tc.outWant...)
			loss := graph.Sum(graph.Mul(y, g.Const(dyt)))
			p, err := g.CompileWith(graph.CompileOptions{WRT: []*graph.Node{xi, wp}}, loss, y)
			require.NoError(t, err)
			xt, _ := graph.FromFloat64(x, tc.x...)
			require.NoError(t, p.Run(graph.Train, true, graph.Feeds{xi: xt}))
			requireNear(t, "y vs gorgonia", gy, p.Output(y).Values(), 1e-12)
			requireNear(t, "dx vs gorgonia", gg[0], p.Grad(xi).Values(), 1e-12)
			requireNear(t, "dw vs gorgonia", gg[1], p.Grad(wp).Values(), 1e-12)
		})
	}
}

// gorgoniaMaxPool returns gorgonia's max pooling output and input gradient.
func gorgoniaMaxPool(t *testing.T, backward bool, x []float64, xs []int, cfg PoolConfig, dy []float64) ([]float64, []float64) {
	c, err := cfg.resolve()
	require.NoError(t, err)
	y, g := gorgoniaRun(t, backward, x, xs, nil, nil, dy, func(x *gorgonia.Node, _ []*gorgonia.Node) (*gorgonia.Node, error) {
		return gorgonia.MaxPool2D(x, tensor.Shape{c.Kernel[0], c.Kernel[1]}, c.Padding[:], c.Stride[:])
	})
	if !backward {
		return y, nil
	}
	return y, g[0]
}

// oursMaxPool returns our max pooling output and input gradient.
func oursMaxPool(t *testing.T, x []float64, xs []int, cfg PoolConfig, dy []float64) ([]float64, []float64) {
	g := newGraph(t, graph.Float64)
	xi := g.Input("x", xs...)
	y := MaxPool2D(xi, cfg)
	dyt, err := graph.FromFloat64(dy, y.Shape()...)
	require.NoError(t, err)
	p, err := g.CompileWith(graph.CompileOptions{WRT: []*graph.Node{xi}}, graph.Sum(graph.Mul(y, g.Const(dyt))), y)
	require.NoError(t, err)
	xt, _ := graph.FromFloat64(x, xs...)
	require.NoError(t, p.Run(graph.Train, true, graph.Feeds{xi: xt}))
	return p.Output(y).Values(), p.Grad(xi).Values()
}

func TestMaxPoolAgreesWithGorgonia(t *testing.T) {
	for _, tc := range poolCases {
		t.Run(tc.name, func(t *testing.T) {
			x := randValues(4, -2, 2, graph.Shape(tc.x).Size())
			dy := randValues(5, 0.5, 1.5, graph.Shape(tc.out).Size())
			gy, gdx := gorgoniaMaxPool(t, true, x, tc.x, tc.cfg, dy)
			y, dx := oursMaxPool(t, x, tc.x, tc.cfg, dy)
			requireNear(t, "y", naivePool(x, tc.x, tc.cfg, false), y, 0)
			requireNear(t, "gorgonia y", y, gy, 0)
			requireNear(t, "gorgonia dx", dx, gdx, 0)
		})
	}
	t.Run("ties", func(t *testing.T) {
		x := []float64{2, 2, 1, 1, 2, 2, 1, 1}
		gy, gdx := gorgoniaMaxPool(t, true, x, []int{1, 1, 2, 4}, PoolConfig{Kernel: Both(2)}, []float64{1, 1})
		y, dx := oursMaxPool(t, x, []int{1, 1, 2, 4}, PoolConfig{Kernel: Both(2)}, []float64{1, 1})
		require.Equal(t, y, gy)
		require.Equal(t, []float64{1, 0, 1, 0, 0, 0, 0, 0}, dx, "first maximum, as PyTorch")
		require.Equal(t, dx, gdx)
	})
}

// TestMaxPoolDiffersFromGorgonia pins down where gorgonia's MaxPool2D
// departs from PyTorch's (and ours): it starts each window at -MaxFloat64
// with index -1 and compares with >, so a window of -inf values outputs
// -MaxFloat64 and keeps index -1 (its backward pass then indexes -1 and
// panics on the tape machine's goroutine, killing the process: only its
// forward pass can be run here), and a NaN never wins its window.
func TestMaxPoolDiffersFromGorgonia(t *testing.T) {
	inf := math.Inf(-1)
	t.Run("-inf window", func(t *testing.T) {
		x := []float64{inf, inf, 1, 0, inf, inf, 0, 0}
		gy, _ := gorgoniaMaxPool(t, false, x, []int{1, 1, 2, 4}, PoolConfig{Kernel: Both(2)}, []float64{1, 1})
		y, dx := oursMaxPool(t, x, []int{1, 1, 2, 4}, PoolConfig{Kernel: Both(2)}, []float64{1, 1})
		require.Equal(t, []float64{inf, 1}, y, "ours and PyTorch: -inf")
		require.Equal(t, []float64{-math.MaxFloat64, 1}, gy, "gorgonia: -MaxFloat64")
		require.Equal(t, []float64{1, 0, 1, 0, 0, 0, 0, 0}, dx)
	})
	t.Run("NaN", func(t *testing.T) {
		x := []float64{math.NaN(), 0, 1, 0, 0, 0, 0, 0}
		gy, gdx := gorgoniaMaxPool(t, true, x, []int{1, 1, 2, 4}, PoolConfig{Kernel: Both(2)}, []float64{1, 1})
		y, dx := oursMaxPool(t, x, []int{1, 1, 2, 4}, PoolConfig{Kernel: Both(2)}, []float64{1, 1})
		require.True(t, math.IsNaN(y[0]), "ours and PyTorch: NaN propagates")
		require.Equal(t, []float64{1, 0, 1, 0, 0, 0, 0, 0}, dx)
		require.Equal(t, []float64{0, 1}, gy, "gorgonia: the NaN is skipped")
		require.Equal(t, []float64{0, 1, 1, 0, 0, 0, 0, 0}, gdx)
	})
}

// TestGorgoniaMaxPoolAsymmetricPadding: with an explicit 4-element
// padding (north, south, west, east) gorgonia offsets its windows by the
// south and east padding instead of the north and west, so the windows
// shift. (descent's pooling takes symmetric padding only.)
func TestGorgoniaMaxPoolAsymmetricPadding(t *testing.T) {
	// H = 3, kernel (2, 1), stride 1, one row of padding on top only:
	// the windows cover rows {-1, 0}, {0, 1}, {1, 2} -> [1, 2, 3].
	x := []float64{1, 2, 3}
	y, _ := gorgoniaRun(t, false, x, []int{1, 1, 3, 1}, nil, nil, []float64{1, 1, 1},
		func(x *gorgonia.Node, _ []*gorgonia.Node) (*gorgonia.Node, error) {
			return gorgonia.MaxPool2D(x, tensor.Shape{2, 1}, []int{1, 0, 0, 0}, []int{1, 1})
		})
	require.Equal(t, []float64{2, 3, 3}, y, "gorgonia: windows {0, 1}, {1, 2}, {2}")
}
