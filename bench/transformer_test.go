package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
)

// transformerSpec is bench/torch_transformer_step.py's model: 2 encoder
// layers, d_model 64, 4 heads, feed-forward 256, ReLU, post-norm,
// sequences of 32 tokens over a vocabulary of 100, 2 classes.
var transformerSpec = models.Spec{Kind: "transformer", Vocab: 100, MaxLen: 32, Out: 2, Dim: 64, Heads: 4, Layers: 2, FF: 256}

// setupTransformer builds the model and its training program for batches
// of 32 sequences of 32 tokens.
func setupTransformer(b testing.TB) (models.Module, *graph.Program, graph.Feeds) {
	b.Helper()
	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	m, err := models.Build(g, transformerSpec)
	if err != nil {
		b.Fatal(err)
	}
	x := g.IntInput("tokens", graph.Batch, graph.Seq)
	y := g.Labels("y")
	prog, err := g.Compile(graph.SoftmaxCrossEntropy(m.Forward(x), y))
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	tok := make([]int, 32*32)
	for i := range tok {
		tok[i] = 1 + r.IntN(99)
	}
	xt, _ := graph.FromInts(tok, 32, 32)
	return m, prog, graph.Feeds{x: xt, y: labels(b, 4, 32, 2)}
}
