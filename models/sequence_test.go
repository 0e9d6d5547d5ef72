package models

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

func tokens(t *testing.T, v []int, shape ...int) *graph.Tensor {
	t.Helper()
	x, err := graph.FromInts(v, shape...)
	require.NoError(t, err)
	return x
}

// Every sequence module and model, gradient-checked in float64 with open
// batch and sequence dimensions.
func TestSequenceModelsGradCheck(t *testing.T) {
	cases := []struct {
		name  string
		build func(g *graph.Graph) (graph.Feeds, *graph.Node, error)
	}{
		{"layer_norm", func(g *graph.Graph) (graph.Feeds, *graph.Node, error) {
			ln, err := NewLayerNorm(g.Scope("ln"), []int{4}, LayerNormConfig{})
			if err != nil {
				return nil, nil, err
			}
			ln.Gamma.Param().Value().CopyFrom(randTensor(1, 0.5, 1.5, 4))
			ln.Beta.Param().Value().CopyFrom(randTensor(2, -1, 1, 4))
			x := g.Input("x", graph.Batch, graph.Seq, 4)
			return graph.Feeds{x: randTensor(3, -2, 2, 2, 3, 4)}, graph.Sum(graph.Mul(ln.Forward(x), g.Const(randTensor(4, -1, 1, 2, 3, 4)))), nil
		}},
		{"attention/causal+padding", func(g *graph.Graph) (graph.Feeds, *graph.Node, error) {
			m, err := NewMultiHeadAttention(g.Scope("mha"), 4, AttentionConfig{Heads: 2})
			if err != nil {
				return nil, nil, err
			}
			m.InB.Param().Value().CopyFrom(randTensor(5, -0.5, 0.5, 12))
			x := g.Input("x", graph.Batch, graph.Seq, 4)
			pad := g.IntInput("pad", graph.Batch, graph.Seq)
			y := m.SelfAttend(x, pad, true)
			w := g.Const(randTensor(6, -1, 1, 2, 3, 4))
			return graph.Feeds{x: randTensor(7, -1, 1, 2, 3, 4), pad: tokens(t, []int{0, 0, 1, 0, 0, 0}, 2, 3)}, graph.Sum(graph.Mul(y, w)), nil
		}},
		{"attention/cross", func(g *graph.Graph) (graph.Feeds, *graph.Node, error) {
			m, err := NewMultiHeadAttention(g.Scope("mha"), 4, AttentionConfig{Heads: 1})
			if err != nil {
				return nil, nil, err
			}
			q := g.Input("q", graph.Batch, 2, 4)
			kv := g.Input("kv", graph.Batch, graph.Seq, 4)
			y := m.Attend(q, kv, kv, nil, false)
			return graph.Feeds{q: randTensor(8, -1, 1, 2, 2, 4), kv: randTensor(9, -1, 1, 2, 3, 4)}, graph.Sum(graph.Square(y)), nil
		}},
		{"encoder/pre-norm gelu", func(g *graph.Graph) (graph.Feeds, *graph.Node, error) {
			l, err := NewTransformerEncoderLayer(g.Scope("enc"), 4, EncoderLayerConfig{Heads: 2, FF: 6, Activation: GELU, NormFirst: true})
			if err != nil {
				return nil, nil, err
			}
			x := g.Input("x", graph.Batch, graph.Seq, 4)
			return graph.Feeds{x: randTensor(10, -1, 1, 2, 3, 4)}, graph.Sum(graph.Mul(l.Forward(x), g.Const(randTensor(11, -1, 1, 2, 3, 4)))), nil
		}},
		{"transformer classifier", func(g *graph.Graph) (graph.Feeds, *graph.Node, error) {
			m, err := NewTransformerClassifier(g, TransformerConfig{Vocab: 5, Classes: 3, MaxLen: 8, Dim: 4, Heads: 2, Layers: 1})
			if err != nil {
				return nil, nil, err
			}
			x := g.IntInput("tokens", graph.Batch, graph.Seq)
			y := g.Labels("y")
			feeds := graph.Feeds{x: tokens(t, []int{1, 2, 3, 0, 4, 4, 2, 1}, 2, 4), y: tokens(t, []int{2, 0}, 2)}
			return feeds, graph.SoftmaxCrossEntropy(m.Forward(x), y), nil
		}},
		{"matrix factorization", func(g *graph.Graph) (graph.Feeds, *graph.Node, error) {
			m, err := NewMatrixFactorization(g, MFConfig{Users: 4, Items: 5, Factors: 3, GlobalMean: 3})
			if err != nil {
				return nil, nil, err
			}
			m.UserBias.Param().Value().CopyFrom(randTensor(12, -0.5, 0.5, 4))
			x := g.IntInput("x", graph.Batch, 2)
			r := g.Input("r", graph.Batch, 1)
			feeds := graph.Feeds{x: tokens(t, []int{0, 1, 3, 4, 0, 4, 2, 2}, 4, 2), r: randTensor(13, 1, 5, 4, 1)}
			return feeds, graph.MSE(m.Forward(x), r), nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 9})
			require.NoError(t, err)
			feeds, loss, err := tc.build(g)
			require.NoError(t, err)
			require.NoError(t, g.Err())
			res, err := graph.GradCheck(loss, feeds, graph.GradCheckConfig{})
			require.NoError(t, err)
			require.Less(t, res.MaxRelErr, gradTol, res.String())
			n := 0
			for _, p := range g.State() {
				if p.Trainable() {
					n += p.Value().Len()
				}
			}
			require.Equal(t, n, res.Checked, "every trainable element checked")
		})
	}
}

// Padding changes nothing: the classifier's logits for a sequence do not
// depend on how much padding follows it.
func TestTransformerIgnoresPadding(t *testing.T) {
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 2})
	require.NoError(t, err)
	m, err := NewTransformerClassifier(g, TransformerConfig{Vocab: 6, Classes: 2, MaxLen: 8, Dim: 8, Heads: 2})
	require.NoError(t, err)
	x := g.IntInput("tokens", graph.Batch, graph.Seq)
	out := m.Forward(x)
	p, err := g.Compile(nil, out)
	require.NoError(t, err)
	require.NoError(t, p.Run(graph.Eval, false, graph.Feeds{x: tokens(t, []int{3, 1, 4}, 1, 3)}))
	short := p.Output(out).Values()
	require.NoError(t, p.Run(graph.Eval, false, graph.Feeds{x: tokens(t, []int{3, 1, 4, 0, 0, 0}, 1, 6)}))
	long := p.Output(out).Values()
	require.InDeltaSlice(t, short, long, 1e-12)
	require.Equal(t, 2, p.Compiled(), "one program per sequence length")
}
