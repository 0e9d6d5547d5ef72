package bench

import (
	"fmt"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/blas"
)

var matmulSizes = []int{64, 128, 256, 512, 1024}

// product is one matrix product: op(A) is m×k, op(B) is k×n.
type product struct {
	name           string
	m, n, k        int
	transA, transB bool
}

// The MLP 784-256-128-10's products at batch 128: the forward pass of the
// first layer, its weight gradient xᵀ·dy and the input gradient dy·Wᵀ of
// the second layer.
var mlpProducts = []product{
	{"fwd_128x784x256", 128, 256, 784, false, false},
	{"dW_784x128x256", 784, 256, 128, true, false},
	{"dX_128x256x128", 128, 256, 128, false, true},
}

func BenchmarkMatMul(b *testing.B) {
	var prods []product
	for _, n := range matmulSizes {
		prods = append(prods, product{fmt.Sprintf("n=%d", n), n, n, n, false, false})
	}
	for _, p := range mlpProducts {
		p.name = "mlp/" + p.name
		prods = append(prods, p)
	}
	for _, way := range []string{"raw", "tensor", "graph"} {
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			for _, p := range prods {
				name := fmt.Sprintf("%s/%s/%s", way, map[graph.DType]string{graph.Float32: "f32", graph.Float64: "f64"}[dt], p.name)
				b.Run(name, func(b *testing.B) {
					if dt == graph.Float32 {
						benchProduct[float32](b, way, dt, p)
					} else {
						benchProduct[float64](b, way, dt, p)
					}
				})
			}
		}
	}
}

func benchProduct[T float32 | float64](b *testing.B, way string, dt graph.DType, p product) {
	ar, ac := p.m, p.k
	if p.transA {
		ar, ac = ac, ar
	}
	br, bc := p.k, p.n
	if p.transB {
		br, bc = bc, br
	}
	a, bm := randFloats[T](1, ar*ac), randFloats[T](2, br*bc)
	flops := 2 * float64(p.m) * float64(p.n) * float64(p.k)
	var run func()
	switch way {
	case "raw":
		c := make([]T, p.m*p.n)
		run = func() { blas.MatMul(p.transA, p.transB, p.m, p.n, p.k, a, bm, c) }
	case "tensor":
		ta := tensor.New(tensor.WithShape(ar, ac), tensor.WithBacking(a))
		tb := tensor.New(tensor.WithShape(br, bc), tensor.WithBacking(bm))
		tc := tensor.New(tensor.Of(ta.Dtype()), tensor.WithShape(p.m, p.n))
		if p.transA { // a transposed view: tensor.MatMul hands it to BLAS as such
			if err := ta.T(); err != nil {
				b.Fatal(err)
			}
		}
		if p.transB {
			if err := tb.T(); err != nil {
				b.Fatal(err)
			}
		}
		run = func() {
			if _, err := tensor.MatMul(ta, tb, tensor.WithReuse(tc)); err != nil {
				b.Fatal(err)
			}
		}
	case "graph":
		g, err := graph.New(graph.Config{DType: dt})
		if err != nil {
			b.Fatal(err)
		}
		if p.transA || p.transB {
			b.Skip("the graph multiplies untransposed inputs; its backward pass uses the transposed products")
		}
		xa := g.Input("a", graph.Batch, p.k)
		xb := g.Input("b", p.k, p.n)
		out := graph.MatMul(xa, xb)
		prog, err := g.Compile(nil, out)
		if err != nil {
			b.Fatal(err)
		}
		ta, _ := fromSlice(a, ar, ac)
		tb, _ := fromSlice(bm, br, bc)
		feeds := graph.Feeds{xa: ta, xb: tb}
		run = func() {
			if err := prog.Run(graph.Eval, false, feeds); err != nil {
				b.Fatal(err)
			}
		}
	}
	run()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	gflops(b, flops)
}

func fromSlice[T float32 | float64](v []T, shape ...int) (*graph.Tensor, error) {
	switch s := any(v).(type) {
	case []float32:
		return graph.FromFloat32(s, shape...)
	default:
		return graph.FromFloat64(any(v).([]float64), shape...)
	}
}
