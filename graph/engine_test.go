package graph

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// opCase builds y from parameters a (and b) of the given shapes.
type opCase struct {
	name   string
	aShape []int
	bShape []int
	lo, hi float64
	f      func(g *Graph, a, b *Node) *Node
	// first: the op's gradient cannot be differentiated again (not checked
	// by TestSecondOrder).
	first bool
}

// engineCases covers every op with a gradient, with broadcast and axis
// variants. Values are drawn in [lo, hi) and kept away from 0 (kinks).
var engineCases = []opCase{
	// Broadcasting.
	{name: "Add/column", aShape: []int{3, 1}, bShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return Add(a, b) }},
	{name: "Add/row-col", aShape: []int{1, 4}, bShape: []int{3, 1}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return Add(a, b) }},
	{name: "Sub/middle", aShape: []int{2, 3, 4}, bShape: []int{2, 1, 4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return Sub(a, b) }},
	{name: "Mul/3d-col", aShape: []int{2, 3, 4}, bShape: []int{3, 1}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return Mul(a, b) }},
	{name: "Div/col", aShape: []int{3, 4}, bShape: []int{3, 1}, lo: 0.5, hi: 2, f: func(g *Graph, a, b *Node) *Node { return Div(a, b) }},
	{name: "Pow", aShape: []int{3, 4}, bShape: []int{4}, lo: 0.5, hi: 2, f: func(g *Graph, a, b *Node) *Node { return Pow(a, b) }},
	{name: "Minimum", aShape: []int{3, 4}, bShape: []int{1, 4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return Minimum(a, b) }},
	{name: "Maximum", aShape: []int{3, 4}, bShape: []int{3, 1}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return Maximum(a, b) }},
	{name: "Shift", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Shift(a, 0.5) }},
	// Elementwise.
	{name: "Abs", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Abs(a) }},
	{name: "Sin", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Sin(a) }},
	{name: "Cos", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Cos(a) }},
	{name: "Erf", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Erf(a) }},
	{name: "Log1p", aShape: []int{3, 4}, lo: 0.1, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Log1p(a) }},
	{name: "Expm1", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Expm1(a) }},
	{name: "Reciprocal", aShape: []int{3, 4}, lo: 0.5, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Reciprocal(a) }},
	{name: "Rsqrt", aShape: []int{3, 4}, lo: 0.5, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Rsqrt(a) }},
	{name: "SiLU", aShape: []int{3, 4}, lo: -3, hi: 3, f: func(g *Graph, a, _ *Node) *Node { return SiLU(a) }},
	{name: "GELU", aShape: []int{3, 4}, lo: -3, hi: 3, f: func(g *Graph, a, _ *Node) *Node { return GELU(a) }},
	{name: "GELUTanh", aShape: []int{3, 4}, lo: -3, hi: 3, f: func(g *Graph, a, _ *Node) *Node { return GELUTanh(a) }},
	{name: "Softplus", aShape: []int{3, 4}, lo: -3, hi: 3, f: func(g *Graph, a, _ *Node) *Node { return Softplus(a, 2, 4) }},
	{name: "LeakyReLU", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return LeakyReLU(a, 0.1) }},
	{name: "ELU", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return ELU(a, 1.5) }},
	{name: "PowScalar", aShape: []int{3, 4}, lo: 0.5, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return PowScalar(a, 2.5) }},
	{name: "Clamp", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Clamp(a, -1, 1) }},
	{name: "Tanh", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Tanh(a) }},
	{name: "Sigmoid", aShape: []int{3, 4}, lo: -3, hi: 3, f: func(g *Graph, a, _ *Node) *Node { return Sigmoid(a) }},
	{name: "Sqrt", aShape: []int{3, 4}, lo: 0.5, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Sqrt(a) }},
	{name: "Square", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Square(a) }},
	{name: "Exp", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Exp(a) }},
	{name: "Log", aShape: []int{3, 4}, lo: 0.5, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Log(a) }},
	// Reductions over axes.
	{name: "Sum/axis0", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Square(Sum(a, 0)) }},
	{name: "SumKeep/axis1", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Mul(a, SumKeep(a, 1)) }},
	{name: "Sum/axes0,2", aShape: []int{2, 3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Square(Sum(a, 0, 2)) }},
	{name: "Mean/axis-1", aShape: []int{2, 3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Square(Mean(a, -1)) }},
	{name: "MeanKeep/broadcast", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Sub(a, MeanKeep(a, 0)) }},
	{name: "Max/axis1", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Max(a, 1) }},
	{name: "MaxKeep/axis0", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Mul(a, MaxKeep(a, 0)) }},
	{name: "Min/all", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Min(a) }},
	{name: "Prod/axis1", aShape: []int{3, 4}, lo: 0.5, hi: 1.5, f: func(g *Graph, a, _ *Node) *Node { return Prod(a, 1) }, first: true},
	{name: "Prod/axes0,2", aShape: []int{2, 3, 2}, lo: 0.5, hi: 1.5, f: func(g *Graph, a, _ *Node) *Node { return Prod(a, 0, 2) }, first: true},
	{name: "LogSumExp/axis1", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return LogSumExp(a, 1) }},
	{name: "LogSumExpKeep/axis0", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Sub(a, LogSumExpKeep(a, 0)) }},
	{name: "Var/biased", aShape: []int{3, 5}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Var(a, 0, 1) }},
	{name: "VarKeep/unbiased", aShape: []int{3, 5}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Mul(a, VarKeep(a, 1, 0)) }},
	{name: "Var/axes0,2", aShape: []int{2, 3, 2}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Var(a, 1, 0, 2) }},
	{name: "Std", aShape: []int{3, 5}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Std(a, 1, -1) }},
	{name: "Softmax/axis0", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Softmax(a, 0) }},
	{name: "Softmax/axis1of3", aShape: []int{2, 3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Softmax(a, 1) }},
	{name: "LogSoftmax/axis0", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return LogSoftmax(a, 0) }},
	{name: "Softmax/last", aShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node { return Softmax(a, -1) }},
	// Layout.
	{name: "Transpose/2d", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Transpose(a) }},
	{name: "Transpose/0213", aShape: []int{2, 3, 4, 2}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Transpose(a, 0, 2, 1, 3) }},
	{name: "Transpose/201", aShape: []int{2, 3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Transpose(a, 2, 0, 1) }},
	{name: "SwapAxes", aShape: []int{2, 3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return SwapAxes(a, -1, -2) }},
	{name: "Concat/axis1", aShape: []int{2, 3}, bShape: []int{2, 2}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return Concat(1, a, b) }},
	{name: "Concat/axis0", aShape: []int{2, 3}, bShape: []int{1, 3}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return Concat(0, a, b, a) }},
	{name: "Stack", aShape: []int{2, 3}, bShape: []int{2, 3}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return Stack(1, a, b) }},
	{name: "Slice/step", aShape: []int{3, 7}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Slice(a, 1, 1, -1, 2) }},
	{name: "Split", aShape: []int{4, 3}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node {
		p := Split(a, 0, 1, 3)
		return Mul(p[0], Sum(p[1], 0))
	}},
	{name: "Pad", aShape: []int{2, 3}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Pad(a, []int{1, 0}, []int{0, 2}, 0.5) }},
	{name: "BroadcastTo", aShape: []int{3, 1}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return BroadcastTo(a, 2, 3, 4) }},
	{name: "Squeeze/Unsqueeze", aShape: []int{3, 1, 2}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Unsqueeze(Squeeze(a, 1), 0) }},
	{name: "Reshape/-1", aShape: []int{2, 3, 2}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node { return Reshape(a, -1, 3) }},
	{name: "Unflatten/FlattenAxes", aShape: []int{2, 6}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node {
		return Mul(FlattenAxes(Transpose(Unflatten(a, -1, 2, -1), 0, 2, 1), 1, 2), Reshape(a, 2, 6))
	}},
	// Products.
	{name: "MatMulTransB", aShape: []int{2, 3, 4}, bShape: []int{2, 5, 4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MatMulTransB(a, b) }},
	{name: "MatMul/batched", aShape: []int{2, 3, 4}, bShape: []int{2, 4, 5}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MatMul(a, b) }},
	{name: "MatMul/broadcast-batch", aShape: []int{2, 1, 3, 4}, bShape: []int{3, 4, 2}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MatMul(a, b) }},
	{name: "MatMul/seq-dense", aShape: []int{2, 3, 4}, bShape: []int{4, 5}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MatMul(a, b) }},
	{name: "MatMul/matrix-batch", aShape: []int{3, 4}, bShape: []int{2, 4, 5}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MatMul(a, b) }},
	{name: "MatMul/vector-matrix", aShape: []int{4}, bShape: []int{4, 3}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MatMul(a, b) }},
	{name: "MatMul/matrix-vector", aShape: []int{3, 4}, bShape: []int{4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MatMul(a, b) }},
	{name: "MatMul/dot", aShape: []int{4}, bShape: []int{4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MatMul(a, b) }},
	{name: "MatMul/attention", aShape: []int{2, 2, 3, 4}, bShape: []int{2, 2, 3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node {
		return MatMul(Softmax(MatMul(a, SwapAxes(b, -1, -2)), -1), b)
	}},
	// Selection.
	{name: "Where", aShape: []int{3, 4}, bShape: []int{1, 4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node {
		return Where(Greater(a, g.Scalar(0)), a, b)
	}},
	{name: "MaskedFill", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node {
		return Mul(MaskedFill(a, Less(a, g.Scalar(0)), -2), a)
	}},
	{name: "IndexSelect/repeats", aShape: []int{5, 3}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node {
		return IndexSelect(a, 0, g.Const(ints(4, 2, 4, 0, 2, 2)))
	}},
	{name: "IndexSelect/axis1-2d", aShape: []int{2, 5, 3}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node {
		return IndexSelect(a, 1, g.Const(ints(1, 1, 3)))
	}},
	{name: "Embedding", aShape: []int{6, 3}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node {
		idx, _ := FromInts([]int{1, 0, 5, 1, 3, 0}, 2, 3)
		return Embedding(a, g.Const(idx), -1)
	}},
	{name: "Gather/axis1", aShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node {
		idx, _ := FromInts([]int{0, 3, 3, 1, 2, 2}, 3, 2)
		return Gather(a, 1, g.Const(idx))
	}},
	{name: "TopK", aShape: []int{3, 5}, lo: -1, hi: 1, f: func(g *Graph, a, _ *Node) *Node {
		v, _ := TopK(a, 2, -1)
		return v
	}},
	// Losses.
	{name: "MSELoss/none", aShape: []int{3, 4}, bShape: []int{4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MSELoss(a, b, LossNone) }},
	{name: "L1/sum", aShape: []int{3, 4}, bShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return L1(a, b, LossSum) }},
	{name: "SmoothL1", aShape: []int{3, 4}, bShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, b *Node) *Node { return SmoothL1(a, b, 0.7, LossMean) }},
	{name: "Huber", aShape: []int{3, 4}, bShape: []int{3, 4}, lo: -2, hi: 2, f: func(g *Graph, a, b *Node) *Node { return Huber(a, b, 0.7, LossMean) }},
	{name: "KLDiv/batchmean", aShape: []int{3, 4}, bShape: []int{3, 4}, lo: 0.05, hi: 1, f: func(g *Graph, a, b *Node) *Node {
		return KLDiv(LogSoftmax(a, -1), Softmax(b, -1), LossBatchMean)
	}},
	{name: "BCEWithLogits/pos-weight", aShape: []int{3, 4}, bShape: []int{4}, lo: -2, hi: 2, f: func(g *Graph, a, b *Node) *Node {
		y := g.Const(randTensor(5, 0, 1, 3, 4))
		return BCEWithLogits(a, y, BCEConfig{PosWeight: Exp(b)})
	}},
	{name: "CosineEmbedding", aShape: []int{3, 4}, bShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node {
		y, _ := FromFloat64([]float64{1, -1, 1}, 3)
		return CosineEmbedding(a, b, g.Const(y), 0.1, LossNone)
	}},
	{name: "CrossEntropy/weights-ignore-smoothing", aShape: []int{5, 4}, bShape: []int{4}, lo: -2, hi: 2, f: func(g *Graph, a, b *Node) *Node {
		return CrossEntropy(a, g.Const(ints(1, 3, 0, 3, 2)), ClassLossConfig{Weight: Exp(b), Ignore: true, IgnoreIndex: 3, LabelSmoothing: 0.2})
	}},
	{name: "CrossEntropy/4d", aShape: []int{2, 3, 2, 2}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node {
		idx, _ := FromInts([]int{0, 1, 2, 2, 1, 0, 0, 2}, 2, 2, 2)
		return CrossEntropy(a, g.Const(idx), ClassLossConfig{Reduction: LossNone})
	}},
	{name: "NLL/sum", aShape: []int{4, 3}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node {
		return NLL(LogSoftmax(a, 1), g.Const(ints(0, 2, 1, 1)), ClassLossConfig{Reduction: LossSum})
	}},
	{name: "SoftmaxCrossEntropy", aShape: []int{4, 3}, lo: -2, hi: 2, f: func(g *Graph, a, _ *Node) *Node {
		return SoftmaxCrossEntropy(a, g.Const(ints(0, 2, 1, 1)))
	}},
	{name: "MSE", aShape: []int{3, 4}, bShape: []int{3, 4}, lo: -1, hi: 1, f: func(g *Graph, a, b *Node) *Node { return MSE(a, b) }},
}

func ints(v ...int) *Tensor {
	t, _ := FromInts(v, len(v))
	return t
}

// buildCase makes a float64 graph with the case's parameters set from a
// fixed seed, and the scalar loss: y itself, or a weighted sum of it.
func buildCase(t *testing.T, i int, tc opCase) (*Graph, *Node, []*Node) {
	g := newGraph64(t)
	a := g.Param("a", tc.aShape, Zeros())
	require.NoError(t, a.Param().Value().CopyFrom(awayFromZero(randTensor(uint64(i), tc.lo, tc.hi, tc.aShape...), 0.05)))
	params := []*Node{a}
	var b *Node
	if tc.bShape != nil {
		b = g.Param("b", tc.bShape, Zeros())
		require.NoError(t, b.Param().Value().CopyFrom(awayFromZero(randTensor(uint64(i+100), tc.lo, tc.hi, tc.bShape...), 0.05)))
		params = append(params, b)
	}
	y := tc.f(g, a, b)
	require.NoError(t, g.Err())
	loss := y
	if y.Shape().Rank() > 0 {
		loss = weighted(g, y)
	}
	require.NoError(t, g.Err())
	return g, loss, params
}

func TestGradCheckEngineOps(t *testing.T) {
	for i, tc := range engineCases {
		t.Run(tc.name, func(t *testing.T) {
			_, loss, params := buildCase(t, i, tc)
			res, err := GradCheck(loss, Feeds{}, GradCheckConfig{WRT: params})
			require.NoError(t, err)
			require.Less(t, res.MaxRelErr, gradTol, res.String())
			require.Positive(t, res.Checked)
		})
	}
}

// TestSecondOrder checks HVP against central differences of gradients,
// H·v ≈ (∇L(θ + εv) - ∇L(θ - εv)) / 2ε, for every op whose gradient is
// differentiable, and that the others say so.
func TestSecondOrder(t *testing.T) {
	for i, tc := range engineCases {
		t.Run(tc.name, func(t *testing.T) {
			g, loss, params := buildCase(t, i, tc)
			vs := make([]*Node, len(params))
			vals := make([]*Tensor, len(params))
			for k, p := range params {
				vs[k] = g.Input(fmt.Sprintf("v%d", k), p.Shape()...)
				vals[k] = randTensor(uint64(50+k), -1, 1, p.Shape()...)
			}
			hv := HVP(loss, params, vs)
			require.NoError(t, g.Err())
			prog, err := g.Compile(nil, hv...)
			require.NoError(t, err)
			feeds := Feeds{}
			for k := range vs {
				feeds[vs[k]] = vals[k]
			}
			err = prog.Run(Train, false, feeds)
			if tc.first {
				require.Error(t, err, "the gradient of %s cannot be differentiated again: compiling its HVP must fail", tc.name)
				require.Contains(t, err.Error(), "cannot be differentiated again")
				return
			}
			require.NoError(t, err)
			grads, err := g.CompileWith(CompileOptions{WRT: params}, loss)
			require.NoError(t, err)
			gradAt := func(sign float64) [][]float64 {
				const eps = 1e-5
				for k, p := range params {
					v := p.Param().Value()
					for j := range v.f64 {
						v.f64[j] += sign * eps * vals[k].f64[j]
					}
				}
				require.NoError(t, grads.Run(Train, true, Feeds{}))
				out := make([][]float64, len(params))
				for k, p := range params {
					out[k] = grads.Grad(p).Values()
				}
				for k, p := range params {
					v := p.Param().Value()
					for j := range v.f64 {
						v.f64[j] -= sign * eps * vals[k].f64[j]
					}
				}
				return out
			}
			plus, minus := gradAt(1), gradAt(-1)
			for k := range params {
				got := prog.Output(hv[k]).Values()
				for j := range got {
					want := (plus[k][j] - minus[k][j]) / 2e-5
					scale := math.Max(math.Max(math.Abs(want), math.Abs(got[j])), 1e-2)
					require.Less(t, math.Abs(got[j]-want)/scale, 1e-5, "param %d [%d]: HVP %.10g, differences %.10g", k, j, got[j], want)
				}
			}
		})
	}
}

// A Grad node's value is the program's backward gradient.
func TestGradNodeMatchesBackward(t *testing.T) {
	g := newGraph64(t)
	x := g.Input("x", Batch, 3)
	w := g.Param("w", []int{3, 2}, GlorotUniform{})
	loss := Sum(Tanh(MatMul(x, w)))
	gw := Grad(loss, w)
	require.NoError(t, g.Err())
	p, err := g.Compile(loss, gw...)
	require.NoError(t, err)
	xs := randTensor(1, -1, 1, 4, 3)
	_, err = p.TrainStep(Feeds{x: xs})
	require.NoError(t, err)
	require.Equal(t, w.Param().Grad().Values(), p.Output(gw[0]).Values())

	// A gradient penalty: loss + |dloss/dw|², trained by gradient descent.
	pen := Add(loss, Sum(Square(gw[0])))
	res, err := GradCheck(pen, Feeds{x: xs}, GradCheckConfig{})
	require.NoError(t, err)
	require.Less(t, res.MaxRelErr, gradTol, res.String())
}

// Third order: d³/dx³ of x⁴ summed is 24x.
func TestThirdOrder(t *testing.T) {
	g := newGraph64(t)
	x := g.Param("x", []int{3}, Zeros())
	require.NoError(t, x.Param().Value().CopyFrom(randTensor(3, -1, 1, 3)))
	y := Sum(PowScalar(x, 4))
	d1 := Grad(y, x)[0]
	d2 := Grad(Sum(d1), x)[0]
	d3 := Grad(Sum(d2), x)[0]
	require.NoError(t, g.Err())
	p, err := g.Compile(nil, d1, d2, d3)
	require.NoError(t, err)
	require.NoError(t, p.Run(Eval, false, Feeds{}))
	for i, v := range x.Param().Value().Values() {
		require.InDelta(t, 4*v*v*v, p.Output(d1).At(i), 1e-12)
		require.InDelta(t, 12*v*v, p.Output(d2).At(i), 1e-12)
		require.InDelta(t, 24*v, p.Output(d3).At(i), 1e-12)
	}
}

// The Hessian of a quadratic form ½xᵀAx + bᵀx is (A + Aᵀ)/2 ... times 2 here:
// Hessian of xᵀAx is A + Aᵀ.
func TestHessianQuadratic(t *testing.T) {
	g := newGraph64(t)
	x := g.Param("x", []int{3}, Zeros())
	a := randTensor(9, -1, 1, 3, 3)
	loss := Sum(Mul(x, MatMul(g.Const(a), x)))
	require.NoError(t, g.Err())
	h, err := Hessian(loss, []*Node{x}, Feeds{}, Eval)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			require.InDelta(t, a.At(i*3+j)+a.At(j*3+i), h.At(i*3+j), 1e-12)
		}
	}
}

// A wrt that y does not depend on gets a zero gradient.
func TestGradUnreachable(t *testing.T) {
	g := newGraph64(t)
	x := g.Param("x", []int{2}, Ones())
	z := g.Param("z", []int{2}, Ones())
	gs := Grad(Sum(Square(x)), x, z)
	require.NoError(t, g.Err())
	p, err := g.Compile(nil, gs...)
	require.NoError(t, err)
	require.NoError(t, p.Run(Eval, false, Feeds{}))
	require.Equal(t, []float64{2, 2}, p.Output(gs[0]).Values())
	require.Equal(t, []float64{0, 0}, p.Output(gs[1]).Values())
}

// Embedding's padding row gets no gradient (torch's padding_idx), the
// other rows the sum over their repeats.
func TestEmbeddingPadding(t *testing.T) {
	g := newGraph64(t)
	table := g.Param("table", []int{4, 2}, Ones())
	idx, _ := FromInts([]int{1, 0, 3, 1, 0}, 5)
	loss := Sum(Embedding(table, g.Const(idx), 0))
	require.NoError(t, g.Err())
	p, err := g.Compile(loss)
	require.NoError(t, err)
	_, err = p.TrainStep(Feeds{})
	require.NoError(t, err)
	require.Equal(t, []float64{0, 0, 2, 2, 0, 0, 1, 1}, table.Param().Grad().Values())
}

// Arange follows an open dimension; CausalMask hides later keys.
func TestArangeCausalMask(t *testing.T) {
	g := newGraph64(t)
	x := g.Input("x", Batch, Seq, 2)
	pos := Arange(x, 1)
	mask := CausalMask(MatMul(x, SwapAxes(x, -1, -2)))
	require.NoError(t, g.Err())
	require.Equal(t, Shape{Seq}, pos.Shape())
	p, err := g.Compile(nil, pos, mask)
	require.NoError(t, err)
	require.NoError(t, p.Run(Eval, false, Feeds{x: randTensor(1, 0, 1, 2, 3, 2)}))
	require.Equal(t, []float64{0, 1, 2}, p.Output(pos).Values())
	require.Equal(t, []float64{0, 1, 1, 0, 0, 1, 0, 0, 0}, p.Output(mask).Values())
	require.NoError(t, p.Run(Eval, false, Feeds{x: randTensor(1, 0, 1, 2, 2, 2)}))
	require.Equal(t, []float64{0, 1}, p.Output(pos).Values())
}
