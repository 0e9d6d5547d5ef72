package export_test

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/export"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

// ortTol is the largest difference allowed between ONNX Runtime's float32
// outputs and descent's: the two sum in different orders (blocked matrix
// products, fused kernels), which moves float32 results by a few ulps.
const ortTol = 1e-5

// The real inputs: MNIST test images, recall sequences, user-item pairs.
var (
	mnistOnce sync.Once
	mnistTest *data.Dataset
	mnistErr  error
)

func mnist(t *testing.T) *data.Dataset {
	t.Helper()
	mnistOnce.Do(func() { _, mnistTest, mnistErr = data.LoadMNIST(data.MNISTConfig{}) })
	require.NoError(t, mnistErr)
	return mnistTest
}

// rows returns rows [lo, hi) of x [N, ...], keeping the first cols
// columns of a two-dimensional x when cols > 0.
func rows(t *testing.T, x *graph.Tensor, lo, hi, cols int) *graph.Tensor {
	t.Helper()
	s := x.Shape()
	w := x.Len() / s[0]
	keep := w
	if cols > 0 {
		keep = cols
	}
	shape := append([]int{hi - lo}, s[1:]...)
	if cols > 0 {
		shape = []int{hi - lo, cols}
	}
	var out *graph.Tensor
	var err error
	switch x.DType() {
	case graph.Float32:
		v, _ := x.Float32s()
		var d []float32
		for r := lo; r < hi; r++ {
			d = append(d, v[r*w:r*w+keep]...)
		}
		out, err = graph.FromFloat32(d, shape...)
	default:
		v, _ := x.Ints()
		var d []int
		for r := lo; r < hi; r++ {
			d = append(d, v[r*w:r*w+keep]...)
		}
		out, err = graph.FromInts(d, shape...)
	}
	require.NoError(t, err)
	return out
}

// onnxCase is one model: how to build it and the two feeds its model is
// run on (different batch sizes; different sequence lengths too for a
// model on sequences with a dynamic length).
type onnxCase struct {
	name  string
	build func(g *graph.Graph) (models.Module, error)
	input func(g *graph.Graph) *graph.Node
	feeds func(t *testing.T) [2]*graph.Tensor
	// fit, when set, trains the model briefly on its data set before the
	// export (trained weights give outputs of the size a user exports:
	// logits of several units); the trainer declares the input "x".
	fit    func(t *testing.T) *data.Dataset
	epochs int
}

func spec(s models.Spec) func(g *graph.Graph) (models.Module, error) {
	return func(g *graph.Graph) (models.Module, error) { return models.Build(g, s) }
}

func pixels(g *graph.Graph) *graph.Node { return g.Input("x", graph.Batch, data.MNISTFeatures) }

// mnistFeeds: 256 test images, then the next 100.
func mnistFeeds(t *testing.T) [2]*graph.Tensor {
	x := mnist(t).X
	return [2]*graph.Tensor{rows(t, x, 0, 256, 0), rows(t, x, 256, 356, 0)}
}

// recallVocab covers Recall's tokens 1..16 and the padding 0.
const recallVocab, recallLen = 17, 33

func recall(t *testing.T) *data.Dataset {
	t.Helper()
	ds, err := data.Recall(data.RecallConfig{N: 400, Seed: 3})
	require.NoError(t, err)
	require.Equal(t, recallLen, ds.X.Shape()[1])
	return ds
}

// seqFeeds: 256 sequences of 33 tokens, then 77 cut to 20 tokens (the
// sequence dimension is dynamic too).
func seqFeeds(t *testing.T) [2]*graph.Tensor {
	x := recall(t).X
	return [2]*graph.Tensor{rows(t, x, 0, 256, 0), rows(t, x, 256, 333, 20)}
}

// fixedSeqFeeds: 256 and 77 sequences of all 33 tokens (an MLP on
// one-hot tokens has a fixed length).
func fixedSeqFeeds(t *testing.T) [2]*graph.Tensor {
	x := recall(t).X
	return [2]*graph.Tensor{rows(t, x, 0, 256, 0), rows(t, x, 256, 333, 0)}
}

const mfUsers, mfItems = 50, 40

func pairFeeds(t *testing.T) [2]*graph.Tensor {
	ds, err := data.SyntheticRatings(data.RatingsConfig{Users: mfUsers, Items: mfItems, N: 400, Seed: 5})
	require.NoError(t, err)
	return [2]*graph.Tensor{rows(t, ds.X, 0, 256, 0), rows(t, ds.X, 256, 356, 0)}
}

func transformer(cfg models.TransformerConfig) func(g *graph.Graph) (models.Module, error) {
	return func(g *graph.Graph) (models.Module, error) { return models.NewTransformerClassifier(g, cfg) }
}

func onnxCases() []onnxCase {
	tokens := func(g *graph.Graph) *graph.Node { return g.IntInput("tokens", graph.Batch, graph.Seq) }
	mlpTokens := func(g *graph.Graph) *graph.Node { return g.IntInput("tokens", graph.Batch, recallLen) }
	ids := func(g *graph.Graph) *graph.Node { return g.IntInput("ids", graph.Batch, 2) }
	mlp := func(act string, bn bool, dropout float64) models.Spec {
		return models.Spec{Kind: "mlp", In: data.MNISTFeatures, Out: 10, Hidden: []int{64, 32}, Activation: act, BatchNorm: bn, Dropout: dropout}
	}
	cnn := func(preset string, bn bool, dropout float64) models.Spec {
		return models.Spec{Kind: "cnn", In: data.MNISTFeatures, Out: 10, Image: []int{1, 28, 28}, Preset: preset, BatchNorm: bn, Dropout: dropout}
	}
	seq := models.TransformerConfig{Vocab: recallVocab, Classes: 2, MaxLen: recallLen, Dim: 32, Heads: 4, Layers: 2}
	preGELU := seq
	preGELU.NormFirst, preGELU.Activation, preGELU.Sinusoidal, preGELU.Dropout = true, models.GELU, true, 0.1
	return []onnxCase{
		{name: "linear", build: spec(models.Spec{Kind: "linear", In: data.MNISTFeatures, Out: 1}), input: pixels, feeds: mnistFeeds},
		{name: "softmax", build: spec(models.Spec{Kind: "softmax", In: data.MNISTFeatures, Out: 10}), input: pixels, feeds: mnistFeeds},
		{name: "mlp_relu_batchnorm_dropout", build: spec(mlp("relu", true, 0.3)), input: pixels, feeds: mnistFeeds},
		{name: "mlp_gelu", build: spec(mlp("gelu", false, 0)), input: pixels, feeds: mnistFeeds},
		{name: "mlp_tanh", build: spec(mlp("tanh", false, 0)), input: pixels, feeds: mnistFeeds},
		{name: "mlp_sigmoid", build: spec(mlp("sigmoid", false, 0)), input: pixels, feeds: mnistFeeds},
		{name: "mlp_silu_batchnorm", build: spec(mlp("silu", true, 0)), input: pixels, feeds: mnistFeeds},
		{name: "cnn_mnist_2c2d", build: spec(cnn("mnist_2c2d", false, 0)), input: pixels, feeds: mnistFeeds},
		{name: "cnn_small", build: spec(cnn("small", false, 0)), input: pixels, feeds: mnistFeeds},
		{name: "cnn_small_batchnorm_dropout", build: spec(cnn("small", true, 0.5)), input: pixels, feeds: mnistFeeds},
		{name: "transformer_postnorm_relu", build: transformer(seq), input: tokens, feeds: seqFeeds},
		{name: "transformer_prenorm_gelu_sinusoidal", build: transformer(preGELU), input: tokens, feeds: seqFeeds},
		{name: "mlp_onehot_tokens", build: spec(models.Spec{Kind: "mlp", Vocab: recallVocab, MaxLen: recallLen, Hidden: []int{32}, Out: 2}), input: mlpTokens, feeds: fixedSeqFeeds},
		{name: "mf", build: spec(models.Spec{Kind: "mf", Users: mfUsers, Items: mfItems, Factors: 8, GlobalMean: 3.5}), input: ids, feeds: pairFeeds},

		{name: "mlp_relu_batchnorm_dropout_trained", build: spec(mlp("relu", true, 0.3)), feeds: mnistFeeds, fit: mnistTrain, epochs: 2},
		{name: "cnn_small_batchnorm_dropout_trained", build: spec(cnn("small", true, 0.5)), feeds: mnistFeeds, fit: mnistTrain, epochs: 1},
		{name: "mf_trained", build: spec(models.Spec{Kind: "mf", Users: mfUsers, Items: mfItems, Factors: 8, GlobalMean: 3.5}), feeds: pairFeeds, fit: pairTrain, epochs: 10},
	}
}

// mnistTrain: 2048 training images (the feeds are test images).
func mnistTrain(t *testing.T) *data.Dataset {
	t.Helper()
	tr, _, err := data.LoadMNIST(data.MNISTConfig{})
	require.NoError(t, err)
	idx := make([]int, 2048)
	for i := range idx {
		idx[i] = i
	}
	ds, err := tr.Subset(idx)
	require.NoError(t, err)
	return ds
}

func pairTrain(t *testing.T) *data.Dataset {
	t.Helper()
	ds, err := data.SyntheticRatings(data.RatingsConfig{Users: mfUsers, Items: mfItems, N: 1500, Seed: 6})
	require.NoError(t, err)
	return ds
}

// perturb gives the state that starts constant (batch-norm and layer-norm
// scales and shifts, running statistics, biases at zero) other values, so
// that a form ignoring it cannot pass.
func perturb(g *graph.Graph) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, p := range g.State() {
		v := p.Value()
		switch {
		case strings.HasSuffix(p.Name(), "running_var"):
			for i := 0; i < v.Len(); i++ {
				v.Set(i, 0.5+1.5*r.Float64())
			}
		case constant(v):
			for i := 0; i < v.Len(); i++ {
				v.Set(i, v.At(i)+0.2*r.NormFloat64())
			}
		}
	}
}

func constant(v *graph.Tensor) bool {
	for i := 1; i < v.Len(); i++ {
		if v.At(i) != v.At(0) {
			return false
		}
	}
	return true
}

// built is a model of a case, its input and output, and the file it
// exported to.
type built struct {
	g       *graph.Graph
	in, out *graph.Node
	path    string
}

func buildCase(t *testing.T, c onnxCase) built {
	t.Helper()
	g, err := graph.New(graph.Config{Seed: 11})
	require.NoError(t, err)
	m, err := c.build(g)
	require.NoError(t, err)
	var x, out *graph.Node
	if c.fit != nil {
		x, out = fit(t, g, m, c.fit(t), c.epochs)
	} else {
		x = c.input(g)
		out = m.Forward(x)
		require.NoError(t, g.Err())
		perturb(g)
	}
	path := filepath.Join(t.TempDir(), c.name+".onnx")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, export.ONNX(f, []*graph.Node{out}, export.Options{}))
	require.NoError(t, f.Close())
	return built{g: g, in: x, out: out, path: path}
}

// fit trains m with Adam and returns the trainer's input and output.
func fit(t *testing.T, g *graph.Graph, m models.Module, ds *data.Dataset, epochs int) (x, out *graph.Node) {
	t.Helper()
	opt, err := optimizers.NewAdam(optimizers.AdamConfig{LR: 2e-3})
	require.NoError(t, err)
	tn, err := train.New(g, m, ds, train.Config{Epochs: epochs, BatchSize: 64, Optimizer: opt, Seed: 1})
	require.NoError(t, err)
	defer tn.Close()
	_, err = tn.Fit(context.Background(), ds, nil)
	require.NoError(t, err)
	return tn.Inputs()["x"], tn.Output()
}

// TestONNXModels exports every built-in model, checks each file with
// onnx.checker (full check), runs it with ONNX Runtime at two batch sizes
// on real inputs and compares with descent's Eval outputs.
func TestONNXModels(t *testing.T) {
	ortDir := onnxTools(t)
	for _, c := range onnxCases() {
		t.Run(c.name, func(t *testing.T) {
			b := buildCase(t, c)
			info := onnxCheck(t, b.path)
			require.Equal(t, export.IRVersion, info.IR)
			require.Equal(t, [][]any{{"", float64(export.Opset)}}, info.Opsets, "opset_import")
			require.Len(t, info.Inputs, 1)
			require.Equal(t, b.in.Name(), info.Inputs[0].Name)
			require.Equal(t, "batch", info.Inputs[0].Dims[0], "the batch dimension is dynamic")
			require.Len(t, info.Outputs, 1)
			require.Equal(t, "batch", info.Outputs[0].Dims[0])

			feeds := c.feeds(t)
			prog, err := b.g.Compile(nil, b.out)
			require.NoError(t, err)
			defer prog.Close()
			var want [2][]float64
			var runs []map[string]*graph.Tensor
			for i, x := range feeds {
				require.NoError(t, prog.Run(graph.Eval, false, graph.Feeds{b.in: x}))
				want[i] = prog.Output(b.out).Values()
				runs = append(runs, map[string]*graph.Tensor{b.in.Name(): x})
			}
			res := ortRun(t, ortDir, b.path, runs)
			for i, r := range res.Runs {
				got := r["output"]
				require.Equal(t, "float32", got.Type)
				require.Equal(t, feeds[i].Shape()[0], got.Dims[0], "run %d: batch", i)
				g := got.values(t)
				require.Len(t, g, len(want[i]))
				worst, size := 0.0, 0.0
				for j := range g {
					worst = math.Max(worst, math.Abs(g[j]-want[i][j]))
					size = math.Max(size, math.Abs(want[i][j]))
				}
				t.Logf("%s: input %v: ONNX Runtime vs descent: max |diff| %.3g over %d outputs (max |output| %.3g)", c.name, feeds[i].Shape(), worst, len(g), size)
				require.LessOrEqual(t, worst, ortTol, "run %d (input %v)", i, feeds[i].Shape())
			}
		})
	}
}
