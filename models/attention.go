package models

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/ops"
)

// AttentionConfig configures a MultiHeadAttention. The zero value but
// Heads is torch.nn.MultiheadAttention's defaults (biases, no dropout).
type AttentionConfig struct {
	Heads   int     // number of heads; must divide the embedding size
	NoBias  bool    // no projection biases (torch's bias=False)
	Dropout float64 // dropout on the attention weights in training
	Causal  bool    // Forward hides later positions (a decoder's self-attention)
}

// MultiHeadAttention is torch.nn.MultiheadAttention with batch_first=True
// (Vaswani et al. 2017): inputs [N, T, E]; the query, key and value
// projections are one matrix In [E, 3E] (the transpose of torch's
// in_proj_weight, query rows first), the output projection Out [E, E].
// Scores are scaled by 1/sqrt(E/Heads). It is written with graph's ops.
type MultiHeadAttention struct {
	In, InB, Out, OutB *graph.Node // InB and OutB are nil without biases
	E, Heads           int
	cfg                AttentionConfig
}

// NewMultiHeadAttention creates s/in/w [E, 3E] (Glorot-uniform over the
// three projections, as torch's xavier_uniform_ on in_proj_weight), s/in/b
// (zeros), s/out/w [E, E] (torch.nn.Linear's default) and s/out/b (zeros).
func NewMultiHeadAttention(s graph.Scope, embed int, cfg AttentionConfig) (*MultiHeadAttention, error) {
	if s.Graph() == nil {
		return nil, fmt.Errorf("models: NewMultiHeadAttention: the scope has no graph (use g.Scope(name))")
	}
	if cfg.Heads <= 0 || embed <= 0 || embed%cfg.Heads != 0 {
		return nil, fmt.Errorf("models: NewMultiHeadAttention %q: embedding %d, %d heads (want positive, heads dividing the embedding)", s.Prefix(), embed, cfg.Heads)
	}
	if !(cfg.Dropout >= 0 && cfg.Dropout < 1) {
		return nil, fmt.Errorf("models: NewMultiHeadAttention %q: dropout %v (want 0 <= p < 1)", s.Prefix(), cfg.Dropout)
	}
	m := &MultiHeadAttention{E: embed, Heads: cfg.Heads, cfg: cfg}
	in := s.Scope("in")
	m.In = in.Param("w", []int{embed, 3 * embed}, graph.GlorotUniform{})
	out, err := NewDense(s.Scope("out"), embed, embed, DenseConfig{NoBias: cfg.NoBias, BiasInit: graph.Zeros()})
	if err != nil {
		return nil, err
	}
	m.Out, m.OutB = out.W, out.B
	if !cfg.NoBias {
		m.InB = in.Param("b", []int{3 * embed}, graph.Zeros())
	}
	if err := s.Graph().Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// Forward is self-attention over x [N, T, E] (causal if configured).
func (m *MultiHeadAttention) Forward(x *graph.Node) *graph.Node {
	return m.Attend(x, x, x, nil, m.cfg.Causal)
}

// SelfAttend is self-attention over x [N, T, E] with an optional key
// padding mask [N, T] (Int, 1 where the position is padding and must not
// be attended to; torch's key_padding_mask).
func (m *MultiHeadAttention) SelfAttend(x, keyPadding *graph.Node, causal bool) *graph.Node {
	return m.Attend(x, x, x, keyPadding, causal)
}

// Attend attends from queries q [N, Tq, E] to keys k and values v
// [N, Tk, E]; keyPadding [N, Tk] (or nil) hides padded keys, causal hides
// keys after each query. The result is [N, Tq, E].
func (m *MultiHeadAttention) Attend(q, k, v, keyPadding *graph.Node, causal bool) *graph.Node {
	e := m.E
	var qp, kp, vp *graph.Node
	if q == k && k == v { // one product for the three projections
		qkv := m.project(q, m.In, m.InB)
		parts := graph.Split(qkv, -1, e, e, e)
		qp, kp, vp = parts[0], parts[1], parts[2]
	} else {
		w := graph.Split(m.In, 1, e, e, e)
		var b []*graph.Node
		if m.InB != nil {
			b = graph.Split(m.InB, 0, e, e, e)
		} else {
			b = make([]*graph.Node, 3)
		}
		qp, kp, vp = m.project(q, w[0], b[0]), m.project(k, w[1], b[1]), m.project(v, w[2], b[2])
	}
	heads := func(x *graph.Node) *graph.Node { // [N, T, E] -> [N, H, T, D]
		return graph.Transpose(graph.Unflatten(x, -1, m.Heads, e/m.Heads), 0, 2, 1, 3)
	}
	qh, kh, vh := heads(qp), heads(kp), heads(vp)
	scores := graph.Scale(graph.MatMulTransB(qh, kh), 1/math.Sqrt(float64(e/m.Heads)))
	if causal {
		scores = graph.MaskedFill(scores, graph.CausalMask(scores), math.Inf(-1))
	}
	if keyPadding != nil {
		scores = graph.MaskedFill(scores, graph.Unsqueeze(graph.Unsqueeze(keyPadding, 1), 1), math.Inf(-1))
	}
	att := graph.Softmax(scores, -1)
	if m.cfg.Dropout > 0 {
		att = ops.Dropout(att, m.cfg.Dropout)
	}
	ctx := graph.FlattenAxes(graph.Transpose(graph.MatMul(att, vh), 0, 2, 1, 3), -2, -1) // [N, Tq, E]
	return m.project(ctx, m.Out, m.OutB)
}

// project is x @ w (+ b), x of any rank.
func (m *MultiHeadAttention) project(x, w, b *graph.Node) *graph.Node {
	y := graph.MatMul(x, w)
	if b != nil {
		y = graph.Add(y, b)
	}
	return y
}

// Params returns In, InB, Out, OutB.
func (m *MultiHeadAttention) Params() []*graph.Param { return params(m.In, m.InB, m.Out, m.OutB) }
