package golden_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/golden"
	"github.com/descent-ml/descent/models"
)

// moduleCase is section D of the golden README: one forward and backward
// pass of a torch.nn module with recorded parameters, the loss being
// sum(output * upstream_grad).
type moduleCase struct {
	Kind         string                  `json:"kind"`
	Module       string                  `json:"module"`
	DType        string                  `json:"dtype"`
	Config       moduleConfig            `json:"config"`
	Params       arrays                  `json:"params"`
	Inputs       map[string]golden.Array `json:"inputs"`
	Output       golden.Array            `json:"output"`
	UpstreamGrad golden.Array            `json:"upstream_grad"`
	Grads        map[string]golden.Array `json:"grads"`
}

// arrays is a map of named tensors; an empty JSON array stands for none
// (a module without parameters, as some recorders write it).
type arrays map[string]golden.Array

func (a *arrays) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "[]" {
		*a = arrays{}
		return nil
	}
	var m map[string]golden.Array
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*a = m
	return nil
}

// moduleConfig holds every config key of the README's module table.
type moduleConfig struct {
	NormalizedShape []int       `json:"normalized_shape"`
	Eps             float64     `json:"eps"`
	Affine          golden.Bool `json:"elementwise_affine"`
	NumEmbeddings   int         `json:"num_embeddings"`
	EmbeddingDim    int         `json:"embedding_dim"`
	PaddingIdx      *int        `json:"padding_idx"`
	EmbedDim        int         `json:"embed_dim"`
	NumHeads        int         `json:"num_heads"`
	Causal          golden.Bool `json:"causal"`
	DModel          int         `json:"d_model"`
	NHead           int         `json:"nhead"`
	DimFeedforward  int         `json:"dim_feedforward"`
	Activation      string      `json:"activation"`
	LayerNormEps    float64     `json:"layer_norm_eps"`
	NormFirst       golden.Bool `json:"norm_first"`
}

// binding ties a torch parameter name to a descent parameter; linear
// weights are stored transposed in descent ([in, out]).
type binding struct {
	p         *graph.Param
	transpose bool
}

func TestGoldenModules(t *testing.T) {
	r := golden.Open(t, "module_")
	for _, f := range r.Files {
		r.Run(t, f, replayModule)
	}
}

// TestGoldenModuleVariants replays module cases recorded from PyTorch by
// testdata/record_modules.py: configurations the shared folder does not
// hold, so that the replay is checked on more than the cases it was
// written against.
func TestGoldenModuleVariants(t *testing.T) {
	files, err := golden.Files("testdata/modules", "module_")
	require.NoError(t, err)
	require.Len(t, files, 8)
	for _, f := range files {
		t.Run(golden.Name(f), func(t *testing.T) { replayModule(t, f) })
	}
}

func replayModule(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var c moduleCase
	require.NoError(t, json.Unmarshal(raw, &c))
	require.Equal(t, "module", c.Kind)
	dt, err := golden.DType(c.DType)
	require.NoError(t, err)
	tol := golden.Tol(c.DType)
	g, err := graph.New(graph.Config{DType: dt, Seed: 1})
	require.NoError(t, err)

	var in *graph.Node
	var out *graph.Node
	bind := map[string]binding{}
	cfg := c.Config
	switch c.Module {
	case "layer_norm":
		in = g.Input("x", c.Inputs["x"].Shape...)
		ln, err := models.NewLayerNorm(g.Scope("ln"), cfg.NormalizedShape, models.LayerNormConfig{Eps: cfg.Eps, NoAffine: !bool(cfg.Affine)})
		require.NoError(t, err)
		if ln.Gamma != nil {
			bind["weight"], bind["bias"] = binding{p: ln.Gamma.Param()}, binding{p: ln.Beta.Param()}
		}
		out = ln.Forward(in)
	case "embedding":
		in = g.IntInput("indices", c.Inputs["indices"].Shape...)
		ec := models.EmbeddingConfig{}
		if cfg.PaddingIdx != nil {
			ec.Padding, ec.PaddingIdx = true, *cfg.PaddingIdx
		}
		e, err := models.NewEmbedding(g.Scope("emb"), cfg.NumEmbeddings, cfg.EmbeddingDim, ec)
		require.NoError(t, err)
		bind["weight"] = binding{p: e.W.Param()}
		out = e.Forward(in)
	case "multihead_attention":
		in = g.Input("x", c.Inputs["x"].Shape...)
		m, err := models.NewMultiHeadAttention(g.Scope("mha"), cfg.EmbedDim, models.AttentionConfig{Heads: cfg.NumHeads})
		require.NoError(t, err)
		bindAttention(bind, "", m)
		out = m.SelfAttend(in, nil, bool(cfg.Causal))
	case "transformer_encoder_layer":
		in = g.Input("x", c.Inputs["x"].Shape...)
		l, err := models.NewTransformerEncoderLayer(g.Scope("enc"), cfg.DModel, models.EncoderLayerConfig{
			Heads: cfg.NHead, FF: cfg.DimFeedforward, Activation: models.Activation(cfg.Activation),
			Eps: cfg.LayerNormEps, NormFirst: bool(cfg.NormFirst), Causal: bool(cfg.Causal)})
		require.NoError(t, err)
		bindAttention(bind, "self_attn.", l.SelfAttn)
		bind["linear1.weight"], bind["linear1.bias"] = binding{p: l.Linear1.W.Param(), transpose: true}, binding{p: l.Linear1.B.Param()}
		bind["linear2.weight"], bind["linear2.bias"] = binding{p: l.Linear2.W.Param(), transpose: true}, binding{p: l.Linear2.B.Param()}
		bind["norm1.weight"], bind["norm1.bias"] = binding{p: l.Norm1.Gamma.Param()}, binding{p: l.Norm1.Beta.Param()}
		bind["norm2.weight"], bind["norm2.bias"] = binding{p: l.Norm2.Gamma.Param()}, binding{p: l.Norm2.Beta.Param()}
		out = l.Forward(in)
	default:
		golden.Unsupported(t, fmt.Sprintf("module %q", c.Module))
	}
	require.NoError(t, g.Err())
	require.Equal(t, len(c.Params), len(bind), "parameters: the case has %v", keys(c.Params))
	for name, a := range c.Params {
		b, ok := bind[name]
		require.True(t, ok, "no descent parameter for torch's %q", name)
		v, err := a.Tensor(dt)
		require.NoError(t, err)
		if b.transpose {
			v = transpose2(t, v)
		}
		require.NoError(t, b.p.Value().CopyFrom(v), name)
	}

	up := g.Input("upstream", c.UpstreamGrad.Shape...)
	loss := graph.Sum(graph.Mul(out, up))
	wrt := []*graph.Node{}
	for _, b := range bind {
		wrt = append(wrt, b.p.Node())
	}
	if _, ok := c.Grads["x"]; ok {
		wrt = append(wrt, in)
	}
	prog, err := g.CompileWith(graph.CompileOptions{WRT: wrt}, loss, out)
	require.NoError(t, err)
	inT, err := c.Inputs[inputName(c)].Tensor(inputDType(c, dt))
	require.NoError(t, err)
	upT, err := c.UpstreamGrad.Tensor(dt)
	require.NoError(t, err)
	require.NoError(t, prog.Run(graph.Train, true, graph.Feeds{in: inT, up: upT}))

	require.Equal(t, graph.Shape(c.Output.Shape), prog.Output(out).Shape(), "output shape")
	require.NoError(t, golden.Compare("output", prog.Output(out).Values(), c.Output.Data, tol))
	for name, want := range c.Grads {
		var got *graph.Tensor
		if name == "x" {
			got = prog.Grad(in)
		} else {
			b := bind[name]
			got = prog.Grad(b.p.Node())
			if got != nil && b.transpose {
				got = transpose2(t, got)
			}
		}
		require.NotNil(t, got, "no gradient for %q", name)
		require.NoError(t, golden.Compare("grad "+name, got.Values(), want.Data, tol))
	}
}

func bindAttention(bind map[string]binding, prefix string, m *models.MultiHeadAttention) {
	bind[prefix+"in_proj_weight"] = binding{p: m.In.Param(), transpose: true}
	bind[prefix+"in_proj_bias"] = binding{p: m.InB.Param()}
	bind[prefix+"out_proj.weight"] = binding{p: m.Out.Param(), transpose: true}
	bind[prefix+"out_proj.bias"] = binding{p: m.OutB.Param()}
}

func inputName(c moduleCase) string {
	if _, ok := c.Inputs["indices"]; ok {
		return "indices"
	}
	return "x"
}

func inputDType(c moduleCase, dt graph.DType) graph.DType {
	if inputName(c) == "indices" {
		return graph.Int
	}
	return dt
}

// transpose2 returns the transpose of a matrix.
func transpose2(t *testing.T, m *graph.Tensor) *graph.Tensor {
	s := m.Shape()
	require.Len(t, s, 2)
	out, err := graph.NewTensor(m.DType(), s[1], s[0])
	require.NoError(t, err)
	for i := 0; i < s[0]; i++ {
		for j := 0; j < s[1]; j++ {
			out.Set(j*s[0]+i, m.At(i*s[1]+j))
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
