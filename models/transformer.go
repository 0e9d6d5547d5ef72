package models

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/ops"
)

// EncoderLayerConfig configures a TransformerEncoderLayer. Zero values
// select torch.nn.TransformerEncoderLayer's defaults where it has them
// (FF 2048, ReLU, eps 1e-5, post-norm); Heads is required. Dropout is 0
// unless set (torch's default is 0.1).
type EncoderLayerConfig struct {
	Heads      int
	FF         int        // width of the feed-forward block (default 2048)
	Activation Activation // ReLU (default) or GELU (exact)
	Eps        float64    // layer norm eps (default 1e-5)
	NormFirst  bool       // pre-norm: x + sa(norm1(x)), x + ff(norm2(x))
	Dropout    float64    // after attention, inside and after the feed-forward block
	Causal     bool       // self-attention hides later positions
}

// TransformerEncoderLayer is torch.nn.TransformerEncoderLayer with
// batch_first=True: self-attention and a feed-forward block
// Linear2(act(Linear1(x))), each with a residual connection and a layer
// norm, after (post-norm) or before (pre-norm) the block.
type TransformerEncoderLayer struct {
	SelfAttn         *MultiHeadAttention
	Linear1, Linear2 *Dense
	Norm1, Norm2     *LayerNorm
	cfg              EncoderLayerConfig
}

// NewTransformerEncoderLayer creates s/self_attn, s/linear1, s/linear2,
// s/norm1 and s/norm2.
func NewTransformerEncoderLayer(s graph.Scope, dim int, cfg EncoderLayerConfig) (*TransformerEncoderLayer, error) {
	if cfg.FF == 0 {
		cfg.FF = 2048
	}
	switch cfg.Activation {
	case "":
		cfg.Activation = ReLU
	case ReLU, GELU:
	default:
		return nil, fmt.Errorf("models: NewTransformerEncoderLayer %q: activation %q (want relu or gelu)", s.Prefix(), cfg.Activation)
	}
	if !(cfg.Dropout >= 0 && cfg.Dropout < 1) {
		return nil, fmt.Errorf("models: NewTransformerEncoderLayer %q: dropout %v (want 0 <= p < 1)", s.Prefix(), cfg.Dropout)
	}
	l := &TransformerEncoderLayer{cfg: cfg}
	var err error
	if l.SelfAttn, err = NewMultiHeadAttention(s.Scope("self_attn"), dim, AttentionConfig{Heads: cfg.Heads, Dropout: cfg.Dropout, Causal: cfg.Causal}); err != nil {
		return nil, err
	}
	if l.Linear1, err = NewDense(s.Scope("linear1"), dim, cfg.FF, DenseConfig{}); err != nil {
		return nil, err
	}
	if l.Linear2, err = NewDense(s.Scope("linear2"), cfg.FF, dim, DenseConfig{}); err != nil {
		return nil, err
	}
	if l.Norm1, err = NewLayerNorm(s.Scope("norm1"), []int{dim}, LayerNormConfig{Eps: cfg.Eps}); err != nil {
		return nil, err
	}
	if l.Norm2, err = NewLayerNorm(s.Scope("norm2"), []int{dim}, LayerNormConfig{Eps: cfg.Eps}); err != nil {
		return nil, err
	}
	return l, nil
}

// Forward runs the layer on x [N, T, E].
func (l *TransformerEncoderLayer) Forward(x *graph.Node) *graph.Node { return l.ForwardMasked(x, nil) }

// ForwardMasked runs the layer with a key padding mask [N, T] (Int, 1 at
// padding), or nil.
func (l *TransformerEncoderLayer) ForwardMasked(x, keyPadding *graph.Node) *graph.Node {
	sa := func(h *graph.Node) *graph.Node {
		return l.dropout(l.SelfAttn.SelfAttend(h, keyPadding, l.cfg.Causal))
	}
	ff := func(h *graph.Node) *graph.Node {
		return l.dropout(l.Linear2.Forward(l.dropout(l.cfg.Activation.Forward(l.Linear1.Forward(h)))))
	}
	if l.cfg.NormFirst {
		x = graph.Add(x, sa(l.Norm1.Forward(x)))
		return graph.Add(x, ff(l.Norm2.Forward(x)))
	}
	x = l.Norm1.Forward(graph.Add(x, sa(x)))
	return l.Norm2.Forward(graph.Add(x, ff(x)))
}

func (l *TransformerEncoderLayer) dropout(x *graph.Node) *graph.Node {
	if l.cfg.Dropout == 0 {
		return x
	}
	return ops.Dropout(x, l.cfg.Dropout)
}

// Params returns the parameters of the attention, the feed-forward block
// and the norms.
func (l *TransformerEncoderLayer) Params() []*graph.Param {
	var out []*graph.Param
	for _, m := range []Module{l.SelfAttn, l.Linear1, l.Linear2, l.Norm1, l.Norm2} {
		out = append(out, m.Params()...)
	}
	return out
}

// Positions adds positional encodings to x [N, T, E] (T <= MaxLen):
// learned (a table s/w [MaxLen, E], N(0, 1) like torch.nn.Embedding) or sinusoidal (Vaswani et
// al. 2017: sin and cos of position/10000^(2i/E), a constant).
type Positions struct {
	W          *graph.Node // the table: a parameter, or a constant when sinusoidal
	MaxLen, E  int
	Sinusoidal bool
}

// NewPositions creates the encodings for sequences up to maxLen long.
func NewPositions(s graph.Scope, maxLen, dim int, sinusoidal bool) (*Positions, error) {
	g := s.Graph()
	if g == nil {
		return nil, fmt.Errorf("models: NewPositions: the scope has no graph (use g.Scope(name))")
	}
	if maxLen <= 0 || dim <= 0 {
		return nil, fmt.Errorf("models: NewPositions %q: %d positions of %d (want positive)", s.Prefix(), maxLen, dim)
	}
	p := &Positions{MaxLen: maxLen, E: dim, Sinusoidal: sinusoidal}
	if !sinusoidal {
		p.W = s.Param("w", []int{maxLen, dim}, graph.Normal{Std: 1})
		return p, g.Err()
	}
	t, err := graph.NewTensor(g.DType(), maxLen, dim)
	if err != nil {
		return nil, err
	}
	for pos := 0; pos < maxLen; pos++ {
		for i := 0; i < dim; i += 2 {
			angle := float64(pos) / math.Pow(10000, float64(i)/float64(dim))
			t.Set(pos*dim+i, math.Sin(angle))
			if i+1 < dim {
				t.Set(pos*dim+i+1, math.Cos(angle))
			}
		}
	}
	p.W = g.Const(t)
	return p, g.Err()
}

// Forward returns x plus the encodings of its positions (dimension 1).
func (p *Positions) Forward(x *graph.Node) *graph.Node {
	return graph.Add(x, graph.IndexSelect(p.W, 0, graph.Arange(x, 1)))
}

// Params returns the learned table (nothing when sinusoidal).
func (p *Positions) Params() []*graph.Param {
	if p.Sinusoidal {
		return nil
	}
	return params(p.W)
}

// TransformerConfig configures a TransformerClassifier.
type TransformerConfig struct {
	Vocab, Classes int // token ids 0..Vocab-1 (Pad among them); output classes
	MaxLen         int // the longest sequence
	Dim, Heads     int // model width (E) and attention heads
	Layers         int // encoder layers (default 2)
	FF             int // feed-forward width (default 4·Dim)
	Activation     Activation
	NormFirst      bool
	Dropout        float64
	Sinusoidal     bool // sinusoidal positions instead of learned ones
	Pad            int  // the padding token id (default 0): masked out of attention and pooling
	Name           string
}

// TransformerClassifier classifies token sequences [N, T] (Int): token
// embeddings plus positions, a stack of encoder layers that do not attend
// to padding, the mean over the non-padding positions, a final layer norm
// and a dense layer to class logits [N, Classes].
type TransformerClassifier struct {
	Tokens    *Embedding
	Positions *Positions
	Layers    []*TransformerEncoderLayer
	Norm      *LayerNorm
	Head      *Dense
	cfg       TransformerConfig
}

// NewTransformerClassifier builds the model under s.
func NewTransformerClassifier(g *graph.Graph, cfg TransformerConfig) (*TransformerClassifier, error) {
	if cfg.Layers == 0 {
		cfg.Layers = 2
	}
	if cfg.FF == 0 {
		cfg.FF = 4 * cfg.Dim
	}
	switch {
	case cfg.Vocab <= 0 || cfg.Classes < 2 || cfg.MaxLen <= 0 || cfg.Dim <= 0 || cfg.Layers < 0:
		return nil, fmt.Errorf("models: NewTransformerClassifier: vocab %d, classes %d, max length %d, dim %d, layers %d (want positive, 2 classes or more)",
			cfg.Vocab, cfg.Classes, cfg.MaxLen, cfg.Dim, cfg.Layers)
	case cfg.Pad < 0 || cfg.Pad >= cfg.Vocab:
		return nil, fmt.Errorf("models: NewTransformerClassifier: pad token %d (want 0..%d)", cfg.Pad, cfg.Vocab-1)
	}
	s := g.Scope(orDefault(cfg.Name, "transformer"))
	m := &TransformerClassifier{cfg: cfg}
	var err error
	if m.Tokens, err = NewEmbedding(s.Scope("tokens"), cfg.Vocab, cfg.Dim, EmbeddingConfig{Padding: true, PaddingIdx: cfg.Pad}); err != nil {
		return nil, err
	}
	if m.Positions, err = NewPositions(s.Scope("positions"), cfg.MaxLen, cfg.Dim, cfg.Sinusoidal); err != nil {
		return nil, err
	}
	for i := 0; i < cfg.Layers; i++ {
		l, err := NewTransformerEncoderLayer(s.Scope(fmt.Sprintf("layer%d", i)), cfg.Dim, EncoderLayerConfig{
			Heads: cfg.Heads, FF: cfg.FF, Activation: cfg.Activation, NormFirst: cfg.NormFirst, Dropout: cfg.Dropout})
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, l)
	}
	if m.Norm, err = NewLayerNorm(s.Scope("norm"), []int{cfg.Dim}, LayerNormConfig{}); err != nil {
		return nil, err
	}
	if m.Head, err = NewDense(s.Scope("head"), cfg.Dim, cfg.Classes, DenseConfig{}); err != nil {
		return nil, err
	}
	return m, nil
}

// Forward maps tokens [N, T] (Int) to logits [N, Classes].
func (m *TransformerClassifier) Forward(tokens *graph.Node) *graph.Node {
	if tokens == nil || tokens.Graph() == nil {
		return graph.Apply(nil)
	}
	g := tokens.Graph()
	pad := graph.Equal(tokens, g.Const(intScalar(m.cfg.Pad)))
	h := graph.Scale(m.Tokens.Forward(tokens), math.Sqrt(float64(m.cfg.Dim)))
	h = m.Positions.Forward(h)
	for _, l := range m.Layers {
		h = l.ForwardMasked(h, pad)
	}
	keep := graph.Unsqueeze(graph.Cast(graph.Equal(pad, g.Const(intScalar(0))), g.DType()), -1) // [N, T, 1]
	pooled := graph.Div(graph.Sum(graph.Mul(h, keep), 1), graph.Sum(keep, 1))
	return m.Head.Forward(m.Norm.Forward(pooled))
}

func intScalar(v int) *graph.Tensor {
	t, _ := graph.FromInts([]int{v})
	return t
}

// Params returns every parameter in creation order.
func (m *TransformerClassifier) Params() []*graph.Param {
	out := append(m.Tokens.Params(), m.Positions.Params()...)
	for _, l := range m.Layers {
		out = append(out, l.Params()...)
	}
	out = append(out, m.Norm.Params()...)
	return append(out, m.Head.Params()...)
}
