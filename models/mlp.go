package models

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// MLPConfig configures a multilayer perceptron.
type MLPConfig struct {
	In     int   // input features
	Hidden []int // width of each hidden layer
	Out    int   // outputs (classes for a classifier)
	// Activation after each hidden layer (default ReLU).
	Activation Activation
	Name       string // parameter scope, default "mlp"
	Dense      DenseConfig
}

// MLP is dense layers with a nonlinearity between them; the last layer is
// linear (logits or regression outputs). Parameters are named
// mlp/dense<i>/w and mlp/dense<i>/b.
type MLP struct {
	Sequential
	Dense []*Dense
}

// NewMLP builds the layers and their parameters.
func NewMLP(g *graph.Graph, cfg MLPConfig) (*MLP, error) {
	act, err := ParseActivation(string(cfg.Activation))
	if err != nil {
		return nil, fmt.Errorf("models: NewMLP: %w", err)
	}
	if cfg.In <= 0 || cfg.Out <= 0 {
		return nil, fmt.Errorf("models: NewMLP: in %d, out %d (want positive)", cfg.In, cfg.Out)
	}
	s := g.Scope(orDefault(cfg.Name, "mlp"))
	m := &MLP{}
	widths := append(append([]int{cfg.In}, cfg.Hidden...), cfg.Out)
	for i := 0; i+1 < len(widths); i++ {
		d, err := NewDense(s.Scope(fmt.Sprintf("dense%d", i)), widths[i], widths[i+1], cfg.Dense)
		if err != nil {
			return nil, fmt.Errorf("models: NewMLP: layer %d: %w", i, err)
		}
		m.Dense = append(m.Dense, d)
		m.Layers = append(m.Layers, d)
		if i+2 < len(widths) {
			m.Layers = append(m.Layers, act)
		}
	}
	return m, nil
}
