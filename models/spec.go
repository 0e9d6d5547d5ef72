package models

import (
	"encoding/json"
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// Spec describes any of the ready-made models in one JSON-friendly value:
// the CLI builds models from it and checkpoints store it, so that
// `descent eval` can rebuild the model a checkpoint was trained with.
type Spec struct {
	Kind       string  `json:"kind"`                 // "linear", "softmax", "mlp" or "cnn"
	In         int     `json:"in"`                   // input features (per example, flattened)
	Out        int     `json:"out"`                  // outputs: targets or classes
	Hidden     []int   `json:"hidden,omitempty"`     // mlp: hidden widths
	Activation string  `json:"activation,omitempty"` // mlp: relu (default), tanh, sigmoid
	BatchNorm  bool    `json:"batchnorm,omitempty"`  // mlp, cnn: batch norm after hidden layers
	Dropout    float64 `json:"dropout,omitempty"`    // mlp, cnn: dropout probability
	Image      []int   `json:"image,omitempty"`      // cnn: [channels, height, width] of an example
	Preset     string  `json:"preset,omitempty"`     // cnn: named architecture
}

// String returns the spec as JSON.
func (s Spec) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ParseSpec reads a spec written by String.
func ParseSpec(s string) (Spec, error) {
	var sp Spec
	if err := json.Unmarshal([]byte(s), &sp); err != nil {
		return Spec{}, fmt.Errorf("models: ParseSpec: %w", err)
	}
	return sp, nil
}

// Build creates the model a spec describes in g.
func Build(g *graph.Graph, s Spec) (Module, error) {
	switch s.Kind {
	case "linear":
		return NewLinear(g, LinearConfig{In: s.In, Out: s.Out})
	case "softmax":
		return NewSoftmaxRegression(g, SoftmaxRegressionConfig{In: s.In, Classes: s.Out})
	case "mlp":
		return NewMLP(g, MLPConfig{In: s.In, Hidden: s.Hidden, Out: s.Out, Activation: Activation(s.Activation),
			BatchNorm: s.BatchNorm, Dropout: s.Dropout})
	case "cnn":
		return newCNNFromSpec(g, s)
	}
	return nil, fmt.Errorf("models: Build: unknown model kind %q (want linear, softmax, mlp or cnn)", s.Kind)
}
