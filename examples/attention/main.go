// Command attention writes a model the way a researcher would, from
// descent's primitives: an attention block (query, keys, values, a masked
// softmax), a custom op with its own gradient (Squareplus), and a custom
// loss (the focal loss), trained on the recall task: is the first token
// repeated among the 8-16 tokens after it?
package main

import (
	"context"
	"fmt"
	"log"
	"math"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

const (
	vocab  = 16 + 1 // tokens 1..16, 0 pads
	maxLen = 16 + 1 // the query and up to 16 tokens
	dim    = 32
	hidden = 64
)

func main() {
	trainSet, err := data.Recall(data.RecallConfig{N: 8000, Vocab: 16, MinLen: 8, MaxLen: 16, Seed: 1})
	check(err)
	testSet, err := data.Recall(data.RecallConfig{N: 2000, Vocab: 16, MinLen: 8, MaxLen: 16, Seed: 2})
	check(err)

	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: 1})
	check(err)
	net := newRecallNet(g)
	adam, err := optimizers.NewAdam(optimizers.AdamConfig{LR: 3e-3})
	check(err)
	t, err := train.New(g, net, trainSet, train.Config{
		Epochs: 8, BatchSize: 32, Seed: 1, Optimizer: adam,
		Loss: func(logits *graph.Node, in train.Inputs) *graph.Node { return focalLoss(logits, in["y"], 2) },
	})
	check(err)
	defer t.Close()
	hist, err := t.Fit(context.Background(), trainSet, testSet)
	check(err)
	for _, e := range hist.Epochs {
		fmt.Printf("epoch %2d  focal loss %.4f  test accuracy %.1f%%\n", e.Epoch, e.TrainLoss, 100*e.ValAccuracy)
	}
}

// recallNet: token and position embeddings, one attention head in which
// the first token queries the others, and a feed-forward head with the
// Squareplus activation.
type recallNet struct {
	tokens, positions *graph.Node // [vocab, dim], [maxLen, dim]
	wq, wk, wv, wo    *graph.Node // [dim, dim]
	w1, b1, w2, b2    *graph.Node // [dim, hidden], [hidden], [hidden, 2], [2]
	params            []*graph.Param
}

func newRecallNet(g *graph.Graph) *recallNet {
	s := g.Scope("recall")
	glorot := graph.GlorotUniform{}
	n := &recallNet{
		tokens:    s.Param("tokens", []int{vocab, dim}, graph.Normal{Std: 1}),
		positions: s.Param("positions", []int{maxLen, dim}, graph.Normal{Std: 1}),
		wq:        s.Param("wq", []int{dim, dim}, glorot),
		wk:        s.Param("wk", []int{dim, dim}, glorot),
		wv:        s.Param("wv", []int{dim, dim}, glorot),
		wo:        s.Param("wo", []int{dim, dim}, glorot),
		w1:        s.Param("w1", []int{dim, hidden}, glorot),
		b1:        s.Param("b1", []int{hidden}, graph.Zeros()),
		w2:        s.Param("w2", []int{hidden, 2}, glorot),
		b2:        s.Param("b2", []int{2}, graph.Zeros()),
	}
	n.params = g.Params()
	return n
}

// Forward maps tokens [N, T] (Int, 0 = padding) to logits [N, 2].
func (n *recallNet) Forward(tokens *graph.Node) *graph.Node {
	g := tokens.Graph()
	zero := g.Const(must(graph.FromInts([]int{0})))
	// Embeddings: [N, T, dim].
	h := graph.Add(graph.Embedding(n.tokens, tokens, 0), graph.IndexSelect(n.positions, 0, graph.Arange(tokens, 1)))
	query := graph.Slice(h, 1, 0, 1, 1)                            // [N, 1, dim]: the first token
	rest := graph.Slice(h, 1, 1, maxLen, 1)                        // [N, T-1, dim]: the tokens searched
	pad := graph.Equal(graph.Slice(tokens, 1, 1, maxLen, 1), zero) // [N, T-1], 1 at padding

	// Attention: softmax(q kᵀ / √dim) v, padding masked out.
	q := graph.MatMul(query, n.wq)
	k := graph.MatMul(rest, n.wk)
	v := graph.MatMul(rest, n.wv)
	scores := graph.Scale(graph.MatMul(q, graph.SwapAxes(k, 1, 2)), 1/math.Sqrt(dim)) // [N, 1, T-1]
	scores = graph.MaskedFill(scores, graph.Unsqueeze(pad, 1), math.Inf(-1))
	att := graph.MatMul(graph.Softmax(scores, -1), v)                // [N, 1, dim]
	z := graph.Squeeze(graph.Add(query, graph.MatMul(att, n.wo)), 1) // [N, dim], residual

	a := graph.Apply(squareplus{B: 4}, graph.Add(graph.MatMul(z, n.w1), n.b1)) // the custom op
	return graph.Add(graph.MatMul(a, n.w2), n.b2)
}

// Params returns the trainable parameters.
func (n *recallNet) Params() []*graph.Param { return n.params }

// focalLoss is Lin et al.'s focal loss, mean over the batch of
// -(1-p)^gamma · log p for the probability p of the true class: written
// from primitives, differentiated by descent.
func focalLoss(logits, labels *graph.Node, gamma float64) *graph.Node {
	logp := graph.LogSoftmax(logits, 1)
	lp := graph.Squeeze(graph.Gather(logp, 1, graph.Unsqueeze(labels, 1)), 1) // log p of the label, [N]
	weight := graph.PowScalar(graph.Shift(graph.Neg(graph.Exp(lp)), 1), gamma)
	return graph.Neg(graph.Mean(graph.Mul(weight, lp)))
}

// squareplus is a custom op: Squareplus(x) = (x + √(x² + B)) / 2, a smooth
// ReLU (So, 2021). Infer checks the input and gives the output type,
// Forward computes it, Backward builds its gradient from other ops, so it
// can itself be differentiated (HVP, gradient penalties).
type squareplus struct{ B float64 }

func (o squareplus) String() string { return fmt.Sprintf("Squareplus(%g)", o.B) }

func (o squareplus) Infer(in []graph.Type) (graph.Type, error) {
	if len(in) != 1 || !in[0].DType.IsFloat() {
		return graph.Type{}, fmt.Errorf("want one float input, got %v", in)
	}
	return in[0], nil
}

func (o squareplus) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	if x, err := in[0].Float32s(); err == nil {
		y, _ := out.Float32s()
		for i, v := range x {
			y[i] = float32((float64(v) + math.Sqrt(float64(v)*float64(v)+o.B)) / 2)
		}
		return nil
	}
	x, err := in[0].Float64s()
	if err != nil {
		return err
	}
	y, _ := out.Float64s()
	for i, v := range x {
		y[i] = (v + math.Sqrt(v*v+o.B)) / 2
	}
	return nil
}

// Backward: d/dx = (1 + x/√(x² + B)) / 2, times the output's gradient.
func (o squareplus) Backward(b *graph.Builder, in []*graph.Sym, _, grad *graph.Sym) ([]*graph.Sym, error) {
	x := in[0]
	d := b.Scale(b.Shift(b.Div(x, b.Sqrt(b.Shift(b.Square(x), o.B))), 1), 0.5)
	return []*graph.Sym{b.Mul(d, grad)}, b.Err()
}

func must[T any](v T, err error) T {
	check(err)
	return v
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
