package models

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/ops"
)

// MLPConfig configures a multilayer perceptron.
type MLPConfig struct {
	In     int   // input features
	Hidden []int // width of each hidden layer
	Out    int   // outputs (classes for a classifier)
	// Activation after each hidden layer (default ReLU).
	Activation Activation
	// BatchNorm inserts batch normalisation between each hidden dense
	// layer and its activation (torch's Linear, BatchNorm1d, ReLU order).
	BatchNorm bool
	BNConfig  ops.BatchNormConfig
	// Dropout, if > 0, adds dropout with this probability after each
	// hidden activation.
	Dropout float64
	Name    string // parameter scope, default "mlp"
	Dense   DenseConfig
}

// MLP is dense layers with a nonlinearity between them; the last layer is
// linear (logits or regression outputs). Parameters are named
// mlp/dense<i>/w and mlp/dense<i>/b, batch norm's mlp/bn<i>/gamma, beta,
// running_mean and running_var.
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
	if !(cfg.Dropout >= 0 && cfg.Dropout < 1) {
		return nil, fmt.Errorf("models: NewMLP: dropout %v (want 0 <= p < 1)", cfg.Dropout)
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
		if i+2 == len(widths) {
			break // the output layer
		}
		if cfg.BatchNorm {
			bn, err := ops.NewBatchNorm(s.Scope(fmt.Sprintf("bn%d", i)), widths[i+1], cfg.BNConfig)
			if err != nil {
				return nil, fmt.Errorf("models: NewMLP: %w", err)
			}
			m.Layers = append(m.Layers, bn)
		}
		m.Layers = append(m.Layers, act)
		if cfg.Dropout > 0 {
			m.Layers = append(m.Layers, Dropout{P: cfg.Dropout})
		}
	}
	return m, nil
}
