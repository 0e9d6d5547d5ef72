package ops

import (
	"fmt"
	"strings"
	"testing"

	"github.com/descent-ml/descent/graph"
)

// Forward + backward through a compiled graph.Program, as in training:
// loss = Σ op(x)·w with fixed weights w, gradients of x and the layer's
// parameters. ../bench/torch_batchnorm.py times the same computations in
// PyTorch ((op(x)*w).sum().backward()).

func shapeName(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func dtypeName(dt graph.DType) string {
	return map[graph.DType]string{graph.Float32: "f32", graph.Float64: "f64"}[dt]
}

// benchStep compiles loss = Σ y·w and times p.Run(mode, true, ...).
func benchStep(b *testing.B, g *graph.Graph, x, y *graph.Node, wrt []*graph.Node, mode graph.Mode, xShape []int) {
	loss, lw := weighted(g, y)
	if err := g.Err(); err != nil {
		b.Fatal(err)
	}
	p, err := g.CompileWith(graph.CompileOptions{WRT: wrt}, loss)
	if err != nil {
		b.Fatal(err)
	}
	outShape := append([]int{xShape[0]}, y.Shape()[1:]...)
	feeds := graph.Feeds{x: randTensor(b, g.DType(), 1, -1, 1, xShape...), lw: weights(b, g.DType(), outShape...)}
	if err := p.Run(mode, true, feeds); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := p.Run(mode, true, feeds); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchNorm(b *testing.B) {
	for _, mode := range []graph.Mode{graph.Train, graph.Eval} {
		for _, shape := range [][]int{{128, 256}, {32, 16, 28, 28}} {
			for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
				b.Run(fmt.Sprintf("%v/%s/%s", mode, shapeName(shape), dtypeName(dt)), func(b *testing.B) {
					g := newGraph(b, dt)
					bn, err := NewBatchNorm(g.Scope("bn"), shape[1], BatchNormConfig{})
					if err != nil {
						b.Fatal(err)
					}
					x := g.Input("x", append([]int{graph.Batch}, shape[1:]...)...)
					benchStep(b, g, x, bn.Forward(x), []*graph.Node{x, bn.Gamma(), bn.Beta()}, mode, shape)
				})
			}
		}
	}
}

func BenchmarkConv2D(b *testing.B) {
	cases := []struct {
		name        string
		x           []int
		out, kernel int
		pad         int
		dx          bool // the input needs a gradient (not the first layer)
	}{
		{"1to32/28x28/k5p2/noDx", []int{128, 1, 28, 28}, 32, 5, 2, false},
		{"32to64/14x14/k5p2", []int{128, 32, 14, 14}, 64, 5, 2, true},
	}
	for _, tc := range cases {
		for _, dt := range []graph.DType{graph.Float32} {
			b.Run(tc.name+"/"+dtypeName(dt), func(b *testing.B) {
				g := newGraph(b, dt)
				c, err := NewConv2D(g.Scope("conv"), tc.x[1], tc.out, tc.kernel, Conv2DConfig{Padding: Both(tc.pad)})
				if err != nil {
					b.Fatal(err)
				}
				x := g.Input("x", append([]int{graph.Batch}, tc.x[1:]...)...)
				wrt := []*graph.Node{c.Weight(), c.Bias()}
				if tc.dx {
					wrt = append(wrt, x)
				}
				y := c.Forward(x)
				// forward 2·N·O·P·K; backward dW as much again, dx too when needed
				flops := 2 * float64(tc.x[0]*tc.out*y.Shape()[2]*y.Shape()[3]*tc.x[1]*tc.kernel*tc.kernel)
				passes := 2.0
				if tc.dx {
					passes = 3
				}
				benchStep(b, g, x, y, wrt, graph.Train, tc.x)
				b.ReportMetric(flops*passes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func BenchmarkMaxPool2D(b *testing.B) {
	g := newGraph(b, graph.Float32)
	x := g.Input("x", graph.Batch, 32, 28, 28)
	benchStep(b, g, x, MaxPool2D(x, PoolConfig{Kernel: Both(2)}), []*graph.Node{x}, graph.Train, []int{128, 32, 28, 28})
}

func BenchmarkDropout(b *testing.B) {
	g := newGraph(b, graph.Float32)
	x := g.Input("x", graph.Batch, 256)
	benchStep(b, g, x, Dropout(x, 0.5), []*graph.Node{x}, graph.Train, []int{128, 256})
}
