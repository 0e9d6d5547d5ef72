package export_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/export"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/ops"
)

// opCase is one output of TestONNXOps, built from x [N, T, 4].
type opCase struct {
	name string
	f    func(x *graph.Node) *graph.Node
}

func opCases(g *graph.Graph, img *graph.Node) []opCase {
	pos := func(x *graph.Node) *graph.Node { return graph.Shift(graph.Abs(x), 0.1) }
	idx, err := graph.FromInts([]int{3, 0, 2}, 3)
	if err != nil {
		panic(err)
	}
	sel := g.Const(idx)
	return []opCase{
		{"add_sub_mul_div", func(x *graph.Node) *graph.Node {
			return graph.Div(graph.Mul(graph.Sub(x, graph.Scale(x, 0.5)), graph.Add(x, x)), pos(x))
		}},
		{"pow", func(x *graph.Node) *graph.Node { return graph.Pow(pos(x), x) }},
		{"minimum_maximum", func(x *graph.Node) *graph.Node {
			return graph.Add(graph.Minimum(x, graph.Tanh(x)), graph.Maximum(x, graph.Sin(x)))
		}},
		{"exp_log", func(x *graph.Node) *graph.Node { return graph.Add(graph.Exp(x), graph.Log(pos(x))) }},
		{"square_sqrt_rsqrt", func(x *graph.Node) *graph.Node {
			return graph.Add(graph.Square(x), graph.Add(graph.Sqrt(pos(x)), graph.Rsqrt(pos(x))))
		}},
		{"abs_sign_neg", func(x *graph.Node) *graph.Node { return graph.Add(graph.Abs(x), graph.Neg(graph.Sign(x))) }},
		{"sin_cos", func(x *graph.Node) *graph.Node { return graph.Sub(graph.Sin(x), graph.Cos(x)) }},
		{"erf", graph.Erf},
		{"log1p_expm1", func(x *graph.Node) *graph.Node { return graph.Add(graph.Log1p(pos(x)), graph.Expm1(x)) }},
		{"reciprocal", func(x *graph.Node) *graph.Node { return graph.Reciprocal(graph.Shift(pos(x), 1)) }},
		{"silu", graph.SiLU},
		{"gelu", graph.GELU},
		{"gelu_tanh", graph.GELUTanh},
		{"sigmoid", graph.Sigmoid},
		{"softplus", func(x *graph.Node) *graph.Node { return graph.Softplus(x, 2, 1) }},
		{"softplus_default", func(x *graph.Node) *graph.Node { return graph.Softplus(x, 1, 20) }},
		{"leaky_relu", func(x *graph.Node) *graph.Node { return graph.LeakyReLU(x, 0.1) }},
		{"elu", func(x *graph.Node) *graph.Node { return graph.ELU(x, 1.5) }},
		{"pow_scalar", func(x *graph.Node) *graph.Node { return graph.PowScalar(x, 3) }},
		{"clamp", func(x *graph.Node) *graph.Node { return graph.Clamp(x, -0.5, 1) }},
		{"clamp_upper", func(x *graph.Node) *graph.Node { return graph.Clamp(x, math.Inf(-1), 0.3) }},
		{"sum_all", func(x *graph.Node) *graph.Node { return graph.Sum(x) }},
		{"mean_keep", func(x *graph.Node) *graph.Node { return graph.MeanKeep(x, -1) }},
		{"max_seq", func(x *graph.Node) *graph.Node { return graph.Max(x, 1) }},
		{"min_keep", func(x *graph.Node) *graph.Node { return graph.MinKeep(x, 0, 2) }},
		{"prod", func(x *graph.Node) *graph.Node { return graph.Prod(x, 2) }},
		{"logsumexp", func(x *graph.Node) *graph.Node { return graph.LogSumExp(x, 1, 2) }},
		{"var_biased", func(x *graph.Node) *graph.Node { return graph.VarKeep(x, 0, -1) }},
		{"var_unbiased_static", func(x *graph.Node) *graph.Node { return graph.Var(x, 1, 2) }},
		{"var_unbiased_open", func(x *graph.Node) *graph.Node { return graph.Var(x, 1, 1) }},
		{"std", func(x *graph.Node) *graph.Node { return graph.Std(x, 1, 0, 1) }},
		{"softmax_seq", func(x *graph.Node) *graph.Node { return graph.Softmax(x, 1) }},
		{"log_softmax", func(x *graph.Node) *graph.Node { return graph.LogSoftmax(x, -1) }},
		{"transpose", func(x *graph.Node) *graph.Node { return graph.Transpose(x) }},
		{"swap_axes", func(x *graph.Node) *graph.Node { return graph.SwapAxes(x, 0, 2) }},
		{"broadcast_to", func(x *graph.Node) *graph.Node {
			return graph.BroadcastTo(graph.SumKeep(x, 2), graph.Batch, graph.Seq, 4)
		}},
		{"concat", func(x *graph.Node) *graph.Node { return graph.Concat(2, x, graph.Square(x)) }},
		{"stack", func(x *graph.Node) *graph.Node { return graph.Stack(1, x, graph.Neg(x)) }},
		{"slice_step", func(x *graph.Node) *graph.Node { return graph.Slice(x, 2, 1, 4, 2) }},
		{"slice_negative", func(x *graph.Node) *graph.Node { return graph.Slice(x, 1, -3, 100, 1) }},
		{"split", func(x *graph.Node) *graph.Node {
			p := graph.Split(x, -1, 1, 3)
			return graph.Mul(p[0], graph.SumKeep(p[1], -1))
		}},
		{"pad", func(x *graph.Node) *graph.Node { return graph.Pad(x, []int{0, 1, 2}, []int{0, 2, 1}, 0.5) }},
		{"reshape_open", func(x *graph.Node) *graph.Node { return graph.Reshape(x, graph.Batch, graph.Seq, 2, 2) }},
		{"reshape_infer", func(x *graph.Node) *graph.Node { return graph.Reshape(x, graph.Batch, -1) }},
		{"flatten_unflatten", func(x *graph.Node) *graph.Node {
			return graph.Unflatten(graph.FlattenAxes(x, 1, 2), 1, -1, 2)
		}},
		{"squeeze_unsqueeze", func(x *graph.Node) *graph.Node {
			return graph.Squeeze(graph.Unsqueeze(graph.Unsqueeze(x, 1), -1), 1)
		}},
		{"flatten", graph.Flatten},
		{"index_select", func(x *graph.Node) *graph.Node { return graph.IndexSelect(x, 2, sel) }},
		{"gather", func(x *graph.Node) *graph.Node {
			return graph.Gather(x, 2, graph.Unsqueeze(graph.Argmax(x, 2), -1))
		}},
		{"one_hot", func(x *graph.Node) *graph.Node { return graph.OneHot(graph.Argmin(x, -1), 4) }},
		{"argmax", func(x *graph.Node) *graph.Node { return graph.Argmax(x, 1) }},
		{"compare", func(x *graph.Node) *graph.Node {
			s := graph.Sin(x)
			return graph.Concat(2, graph.Greater(x, s), graph.GreaterEqual(x, s), graph.Less(x, s), graph.LessEqual(x, s),
				graph.Equal(x, x), graph.NotEqual(x, s))
		}},
		{"cast_to_int", func(x *graph.Node) *graph.Node { return graph.Cast(graph.Scale(x, 3), graph.Int) }},
		{"where_float_cond", func(x *graph.Node) *graph.Node {
			c := graph.Cast(graph.Greater(x, graph.Cos(x)), g.DType())
			return graph.Where(c, x, graph.Scale(x, -2))
		}},
		{"causal_masked_attention", func(x *graph.Node) *graph.Node {
			s := graph.MatMulTransB(x, x)
			return graph.Softmax(graph.MaskedFill(s, graph.CausalMask(s), math.Inf(-1)), -1)
		}},
		{"batched_matmul", func(x *graph.Node) *graph.Node { return graph.MatMul(graph.SwapAxes(x, 1, 2), x) }},
		{"matmul_vector", func(x *graph.Node) *graph.Node { return graph.MatMul(x, sumVector(g)) }},
		{"conv_avgpool", func(*graph.Node) *graph.Node {
			w := g.Scope("conv").Param("w", []int{3, 2, 3, 3}, graph.Normal{Std: 0.5})
			b := g.Scope("conv").Param("b", []int{3}, graph.Normal{Std: 0.5})
			c := ops.Conv(img, w, b, ops.ConvConfig{Stride: ops.HW{1, 2}, Padding: ops.Both(1)})
			return ops.AvgPool2D(c, ops.PoolConfig{Kernel: ops.Both(2), Stride: ops.Both(1), Padding: ops.Both(1)})
		}},
		{"maxpool_padded", func(*graph.Node) *graph.Node {
			return ops.MaxPool2D(img, ops.PoolConfig{Kernel: ops.HW{3, 2}, Stride: ops.HW{1, 2}, Padding: ops.HW{1, 1}})
		}},
		{"batchnorm_4d", func(*graph.Node) *graph.Node {
			bn, err := ops.NewBatchNorm(g.Scope("bn2d"), 2, ops.BatchNormConfig{})
			if err != nil {
				panic(err)
			}
			return bn.Forward(img)
		}},
		{"batchnorm_no_affine", func(x *graph.Node) *graph.Node {
			bn, err := ops.NewBatchNorm(g.Scope("bn"), 4, ops.BatchNormConfig{NoAffine: true, Eps: 1e-3})
			if err != nil {
				panic(err)
			}
			return bn.Forward(graph.Reshape(x, -1, 4)) // [N·T, 4]
		}},
	}
}

func sumVector(g *graph.Graph) *graph.Node {
	t, err := graph.FromFloat64s(g.DType(), []float64{1, -2, 0.5, 3}, 4)
	if err != nil {
		panic(err)
	}
	return g.Const(t)
}

// TestONNXOps exports one model with an output per op form of packages
// graph and ops (the forms the built-in models do not all reach:
// reductions, Var with an open dimension, Pad, Slice with a step,
// reshapes of two open dimensions, comparisons, casts, ...), on x
// [batch, seq, 4], and runs it at two batch sizes and sequence lengths.
func TestONNXOps(t *testing.T) {
	g, err := graph.New(graph.Config{Seed: 3})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, graph.Seq, 4)
	img := g.Input("img", graph.Batch, 2, 5, 6)
	var outs []*graph.Node
	var names []string
	for _, c := range opCases(g, img) {
		n := c.f(x)
		require.NoError(t, g.Err(), c.name)
		outs = append(outs, n)
		names = append(names, c.name)
	}
	perturb(g)
	b, err := export.MarshalONNX(outs, export.Options{OutputNames: names, Inputs: []*graph.Node{x, img}})
	require.NoError(t, err)
	ortDir := onnxTools(t)
	path := filepath.Join(t.TempDir(), "ops.onnx")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	info := onnxCheck(t, path)
	require.Equal(t, [][]any{{"", float64(export.Opset)}}, info.Opsets)
	t.Logf("ONNX operators: %v", info.Ops)

	r := rand.New(rand.NewPCG(1, 2))
	uniform := func(shape ...int) *graph.Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(4*r.Float64() - 2)
		}
		ft, err := graph.FromFloat32(v, shape...)
		require.NoError(t, err)
		return ft
	}
	var feeds, imgs []*graph.Tensor
	for _, s := range [][2]int{{5, 6}, {2, 9}} {
		feeds = append(feeds, uniform(s[0], s[1], 4))
		imgs = append(imgs, uniform(s[0], 2, 5, 6))
	}
	prog, err := g.Compile(nil, outs...)
	require.NoError(t, err)
	defer prog.Close()
	var runs []map[string]*graph.Tensor
	for i, f := range feeds {
		runs = append(runs, map[string]*graph.Tensor{"x": f, "img": imgs[i]})
	}
	res := ortRun(t, ortDir, path, runs)
	for i, f := range feeds {
		require.NoError(t, prog.Run(graph.Eval, false, graph.Feeds{x: f, img: imgs[i]}))
		for j, n := range outs {
			want := prog.Output(n).Values()
			o := res.Runs[i][names[j]]
			require.Equal(t, append([]int{}, prog.Output(n).Shape()...), append([]int{}, o.Dims...), "%s: input %v: shape", names[j], f.Shape())
			got := o.values(t)
			for k := range want {
				tol := ortTol * math.Max(1, math.Abs(want[k])) // exp, pow and prod reach tens
				if math.IsInf(want[k], 0) {
					require.Equal(t, want[k], got[k], "%s[%d]", names[j], k)
					continue
				}
				require.InDelta(t, want[k], got[k], tol, "%s[%d] (input %v)", names[j], k, f.Shape())
			}
		}
	}
}
