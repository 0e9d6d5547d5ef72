package models

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
)

// LayerNormConfig configures a LayerNorm. The zero value is
// torch.nn.LayerNorm's defaults (eps 1e-5, affine).
type LayerNormConfig struct {
	Eps      float64 // added to the variance (default 1e-5)
	NoAffine bool    // no gamma and beta (torch's elementwise_affine=False)
}

// LayerNorm normalises the last len(Shape) dimensions of its input to mean
// 0 and variance 1 (biased), then scales by Gamma and shifts by Beta, both
// of Shape (torch.nn.LayerNorm; Ba, Kiros & Hinton 2016). It is written
// with graph's ops, so it can be differentiated twice.
type LayerNorm struct {
	Shape       []int
	Gamma, Beta *graph.Node // nil without affine
	Eps         float64
}

// NewLayerNorm creates s/gamma (ones) and s/beta (zeros) of the normalised shape.
func NewLayerNorm(s graph.Scope, shape []int, cfg LayerNormConfig) (*LayerNorm, error) {
	if s.Graph() == nil {
		return nil, fmt.Errorf("models: NewLayerNorm: the scope has no graph (use g.Scope(name))")
	}
	if len(shape) == 0 {
		return nil, fmt.Errorf("models: NewLayerNorm %q: no normalised shape (want the sizes of the last dimensions)", s.Prefix())
	}
	eps := cfg.Eps
	if eps == 0 {
		eps = 1e-5
	}
	if !(eps > 0) || math.IsInf(eps, 0) {
		return nil, fmt.Errorf("models: NewLayerNorm %q: eps %v (want > 0)", s.Prefix(), eps)
	}
	ln := &LayerNorm{Shape: append([]int(nil), shape...), Eps: eps}
	if !cfg.NoAffine {
		ln.Gamma = s.Param("gamma", shape, graph.Ones())
		ln.Beta = s.Param("beta", shape, graph.Zeros())
	}
	if err := s.Graph().Err(); err != nil {
		return nil, err
	}
	return ln, nil
}

// Forward normalises x over its last len(Shape) dimensions.
func (ln *LayerNorm) Forward(x *graph.Node) *graph.Node {
	axes := make([]int, len(ln.Shape))
	for i := range axes {
		axes[i] = i - len(axes)
	}
	mean := graph.MeanKeep(x, axes...)
	inv := graph.Rsqrt(graph.Shift(graph.VarKeep(x, 0, axes...), ln.Eps))
	y := graph.Mul(graph.Sub(x, mean), inv)
	if ln.Gamma != nil {
		y = graph.Add(graph.Mul(y, ln.Gamma), ln.Beta)
	}
	return y
}

// Params returns gamma and beta (none without affine).
func (ln *LayerNorm) Params() []*graph.Param { return params(ln.Gamma, ln.Beta) }
