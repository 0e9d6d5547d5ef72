package ops

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

// TestSplitSameBits runs pooling and batch norm on tensors large enough to
// be split over threads, forward and backward, with 1, 2 and 3 threads,
// and requires bit-identical outputs and gradients (one thread runs the
// unsplit kernels that the other tests check).
func TestSplitSameBits(t *testing.T) {
	defer graph.SetThreads(0)
	cases := []struct {
		name string
		x    []int
		f    func(g *graph.Graph, x *graph.Node) (*graph.Node, []*graph.Node)
		mode graph.Mode
	}{
		{"MaxPool2x2", []int{16, 16, 28, 28}, func(g *graph.Graph, x *graph.Node) (*graph.Node, []*graph.Node) {
			return MaxPool2D(x, PoolConfig{Kernel: Both(2)}), nil
		}, graph.Train},
		{"MaxPool3x3s2", []int{16, 16, 27, 27}, func(g *graph.Graph, x *graph.Node) (*graph.Node, []*graph.Node) {
			return MaxPool2D(x, PoolConfig{Kernel: Both(3), Stride: Both(2)}), nil
		}, graph.Train},
		{"AvgPool2x2", []int{16, 16, 28, 28}, func(g *graph.Graph, x *graph.Node) (*graph.Node, []*graph.Node) {
			return AvgPool2D(x, PoolConfig{Kernel: Both(2)}), nil
		}, graph.Train},
	}
	for _, shape := range [][]int{{512, 300}, {16, 16, 28, 28}} {
		for _, mode := range []graph.Mode{graph.Train, graph.Eval} {
			cases = append(cases, struct {
				name string
				x    []int
				f    func(g *graph.Graph, x *graph.Node) (*graph.Node, []*graph.Node)
				mode graph.Mode
			}{fmt.Sprintf("BatchNorm/%v/%v", mode, shape), shape, func(g *graph.Graph, x *graph.Node) (*graph.Node, []*graph.Node) {
				bn, err := NewBatchNorm(g.Scope("bn"), shape[1], BatchNormConfig{})
				require.NoError(t, err)
				return bn.Forward(x), []*graph.Node{bn.Gamma(), bn.Beta()}
			}, mode})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want [][]float32
			for _, th := range []int{1, 2, 3} {
				require.NoError(t, graph.SetThreads(th))
				g := newGraph(t, graph.Float32)
				x := g.Input("x", tc.x...)
				y, params := tc.f(g, x)
				loss, lw := weighted(g, y)
				require.NoError(t, g.Err())
				p, err := g.CompileWith(graph.CompileOptions{WRT: append([]*graph.Node{x}, params...)}, loss, y)
				require.NoError(t, err)
				feeds := graph.Feeds{x: randTensor(t, graph.Float32, 1, -1, 1, tc.x...), lw: weights(t, graph.Float32, y.Shape()...)}
				require.NoError(t, p.Run(tc.mode, true, feeds))
				got := [][]float32{values(p.Output(y))}
				for _, n := range append([]*graph.Node{x}, params...) {
					got = append(got, values(p.Grad(n)))
				}
				if want == nil {
					want = got
					continue
				}
				for i := range got {
					require.Len(t, got[i], len(want[i]))
					for j := range got[i] {
						if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
							require.Failf(t, "bits differ", "%d threads: result %d, element %d: %v, 1 thread %v", th, i, j, got[i][j], want[i][j])
						}
					}
				}
			}
		})
	}
}

func values(t *graph.Tensor) []float32 {
	v, _ := graph.Floats[float32](t)
	return append([]float32(nil), v...)
}
