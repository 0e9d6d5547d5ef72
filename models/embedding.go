package models

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// EmbeddingConfig configures an Embedding. The zero value is
// torch.nn.Embedding's defaults: weights from N(0, 1), no padding index.
type EmbeddingConfig struct {
	// Init initialises the table; nil means N(0, 1).
	Init graph.Initializer
	// Padding makes row PaddingIdx all zeros at creation and keeps it out
	// of the gradient (torch's padding_idx), for the padding token of
	// sequences. (A separate flag: index 0 is a usual padding index.)
	Padding    bool
	PaddingIdx int
}

// Embedding maps Int indices to rows of a table W [Num, Dim]
// (torch.nn.Embedding): the output is the indices' shape + [Dim].
type Embedding struct {
	W        *graph.Node
	Num, Dim int
	padding  int // -1: none
}

// NewEmbedding creates s/w [num, dim].
func NewEmbedding(s graph.Scope, num, dim int, cfg EmbeddingConfig) (*Embedding, error) {
	if s.Graph() == nil {
		return nil, fmt.Errorf("models: NewEmbedding: the scope has no graph (use g.Scope(name))")
	}
	if num <= 0 || dim <= 0 {
		return nil, fmt.Errorf("models: NewEmbedding %q: %d x %d (want positive sizes)", s.Prefix(), num, dim)
	}
	e := &Embedding{Num: num, Dim: dim, padding: -1}
	if cfg.Padding {
		if cfg.PaddingIdx < 0 || cfg.PaddingIdx >= num {
			return nil, fmt.Errorf("models: NewEmbedding %q: padding index %d (want 0..%d)", s.Prefix(), cfg.PaddingIdx, num-1)
		}
		e.padding = cfg.PaddingIdx
	}
	init := cfg.Init
	if init == nil {
		init = graph.Normal{Std: 1}
	}
	e.W = s.Param("w", []int{num, dim}, init)
	if err := s.Graph().Err(); err != nil {
		return nil, err
	}
	if e.padding >= 0 {
		w := e.W.Param().Value()
		for j := 0; j < dim; j++ {
			w.Set(e.padding*dim+j, 0)
		}
	}
	return e, nil
}

// Forward looks up the rows of idx (Int, any shape).
func (e *Embedding) Forward(idx *graph.Node) *graph.Node { return graph.Embedding(e.W, idx, e.padding) }

// Params returns the table.
func (e *Embedding) Params() []*graph.Param { return params(e.W) }
