package graph

import (
	"fmt"
	"math"
)

// GradCheckConfig configures GradCheck. Zero values select the defaults.
type GradCheckConfig struct {
	// WRT lists the parameters or inputs to check; empty means every
	// trainable parameter the loss depends on.
	WRT []*Node
	// Mode is the mode the loss is evaluated in (Train by default).
	Mode Mode
	// Eps is the central-difference step (default 1e-6).
	Eps float64
	// Floor bounds the denominator of the relative error from below, so
	// that near-zero gradients are compared absolutely (default 1e-3).
	Floor float64
	// MaxPerTensor checks at most this many elements of each tensor,
	// spread evenly over it (0: all).
	MaxPerTensor int
}

// GradCheckResult reports the worst disagreement GradCheck found.
type GradCheckResult struct {
	MaxRelErr float64 // |analytic - numeric| / max(|analytic|, |numeric|, Floor)
	Where     string  // e.g. "mlp/dense0/w[3]"
	Analytic  float64 // the symbolic gradient there
	Numeric   float64 // the finite-difference estimate there
	Checked   int     // elements compared
}

func (r GradCheckResult) String() string {
	return fmt.Sprintf("max relative error %.3g at %s (analytic %.10g, numeric %.10g; %d elements)",
		r.MaxRelErr, r.Where, r.Analytic, r.Numeric, r.Checked)
}

// GradCheck compares the symbolic gradient of the scalar loss with central
// finite differences, (L(x+eps) - L(x-eps)) / 2eps, element by element. The
// graph must be Float64. Buffers (running statistics) and the random stream
// are restored before every evaluation, so stateful ops (batch norm in
// training mode, dropout) see the same state and masks each time; parameters,
// buffers and the feeds are left as they were.
func GradCheck(loss *Node, feeds Feeds, cfg GradCheckConfig) (GradCheckResult, error) {
	var res GradCheckResult
	if loss == nil || loss.g == nil {
		return res, fmt.Errorf("graph: GradCheck: %w: nil loss", ErrGraph)
	}
	g := loss.g
	if g.dtype != Float64 {
		return res, fmt.Errorf("graph: GradCheck: %w: graph is %v (want float64; finite differences in float32 are too coarse)", ErrDType, g.dtype)
	}
	eps, floor := cfg.Eps, cfg.Floor
	if eps == 0 {
		eps = 1e-6
	}
	if floor == 0 {
		floor = 1e-3
	}
	prog, err := g.CompileWith(CompileOptions{WRT: cfg.WRT}, loss)
	if err != nil {
		return res, err
	}
	// Private copies of the feeds, so inputs can be perturbed.
	local := Feeds{}
	for n, t := range feeds {
		local[n] = t.Clone()
	}
	saved, err := snapshot(g)
	if err != nil {
		return res, err
	}
	defer saved.restore(g)

	if err := prog.Run(cfg.Mode, true, local); err != nil {
		return res, err
	}
	targets := append([]*Node(nil), prog.last.wrt...)
	if len(targets) == 0 {
		return res, fmt.Errorf("graph: GradCheck: %w: the loss depends on none of the nodes to check", ErrGraph)
	}
	analytic := make([]*Tensor, len(targets))
	for i, n := range targets {
		analytic[i] = prog.Grad(n).Clone()
	}
	eval := func() (float64, error) {
		saved.restore(g)
		if err := prog.Run(cfg.Mode, false, local); err != nil {
			return 0, err
		}
		return prog.Loss(), nil
	}
	for i, n := range targets {
		var x *Tensor
		if n.param != nil {
			x = n.param.value
		} else {
			x = local[n]
		}
		total := x.Len()
		stride := 1
		if cfg.MaxPerTensor > 0 && total > cfg.MaxPerTensor {
			stride = (total + cfg.MaxPerTensor - 1) / cfg.MaxPerTensor
		}
		for j := 0; j < total; j += stride {
			orig := x.f64[j]
			x.f64[j] = orig + eps
			lp, err := eval()
			if err != nil {
				x.f64[j] = orig
				return res, err
			}
			x.f64[j] = orig - eps
			lm, err := eval()
			x.f64[j] = orig
			if err != nil {
				return res, err
			}
			num := (lp - lm) / (2 * eps)
			ana := analytic[i].f64[j]
			rel := math.Abs(ana-num) / math.Max(math.Max(math.Abs(ana), math.Abs(num)), floor)
			if math.IsNaN(rel) {
				rel = math.Inf(1)
			}
			res.Checked++
			if rel > res.MaxRelErr || res.Where == "" {
				res.MaxRelErr, res.Analytic, res.Numeric = rel, ana, num
				res.Where = fmt.Sprintf("%s[%d]", nodeLabel(n), j)
			}
		}
	}
	return res, nil
}

func nodeLabel(n *Node) string {
	if n.name != "" {
		return n.name
	}
	return n.String()
}

// stateSnapshot holds buffers and the random stream's state.
type stateSnapshot struct {
	buffers []*Tensor
	rng     []byte
}

func snapshot(g *Graph) (*stateSnapshot, error) {
	s := &stateSnapshot{}
	for _, p := range g.params {
		if !p.trainable {
			s.buffers = append(s.buffers, p.value.Clone())
		}
	}
	var err error
	if s.rng, err = g.RandState(); err != nil {
		return nil, fmt.Errorf("graph: snapshot: %w", err)
	}
	return s, nil
}

func (s *stateSnapshot) restore(g *Graph) {
	i := 0
	for _, p := range g.params {
		if !p.trainable {
			_ = p.value.CopyFrom(s.buffers[i])
			i++
		}
	}
	_ = g.SetRandState(s.rng)
}
