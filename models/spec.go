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
	Kind       string  `json:"kind"`                 // "linear", "softmax", "mlp", "cnn", "transformer" or "mf"
	In         int     `json:"in"`                   // input features (per example, flattened)
	Out        int     `json:"out"`                  // outputs: targets or classes
	Hidden     []int   `json:"hidden,omitempty"`     // mlp: hidden widths
	Activation string  `json:"activation,omitempty"` // mlp: relu (default), tanh, sigmoid, gelu, silu; transformer: relu, gelu
	BatchNorm  bool    `json:"batchnorm,omitempty"`  // mlp, cnn: batch norm after hidden layers
	Dropout    float64 `json:"dropout,omitempty"`    // mlp, cnn, transformer: dropout probability
	Image      []int   `json:"image,omitempty"`      // cnn: [channels, height, width] of an example
	Preset     string  `json:"preset,omitempty"`     // cnn: named architecture
	// Sequences: token ids 0..Vocab-1 (0 pads), sequences up to MaxLen.
	// An mlp with a Vocab reads the one-hot tokens of [N, MaxLen] inputs.
	Vocab  int `json:"vocab,omitempty"`
	MaxLen int `json:"max_len,omitempty"`
	Dim    int `json:"dim,omitempty"`    // transformer: model width
	Heads  int `json:"heads,omitempty"`  // transformer: attention heads
	Layers int `json:"layers,omitempty"` // transformer: encoder layers
	FF     int `json:"ff,omitempty"`     // transformer: feed-forward width (0: 4·Dim)
	// NormFirst: pre-norm encoder layers (post-norm by default).
	NormFirst bool `json:"norm_first,omitempty"`
	// Positions: "learned" (default) or "sinusoidal" position encodings.
	Positions string `json:"positions,omitempty"`
	// mf: user and item counts, latent factors, initial global bias.
	Users      int     `json:"users,omitempty"`
	Items      int     `json:"items,omitempty"`
	Factors    int     `json:"factors,omitempty"`
	GlobalMean float64 `json:"global_mean,omitempty"`
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
		in := s.In
		if s.Vocab > 0 {
			if s.MaxLen <= 0 {
				return nil, fmt.Errorf("models: Build: mlp on tokens: max length %d (want > 0)", s.MaxLen)
			}
			n, err := size(s.MaxLen, s.Vocab)
			if err != nil {
				return nil, fmt.Errorf("models: Build: mlp on tokens: %w", err)
			}
			in = n
		}
		m, err := NewMLP(g, MLPConfig{In: in, Hidden: s.Hidden, Out: s.Out, Activation: Activation(s.Activation),
			BatchNorm: s.BatchNorm, Dropout: s.Dropout})
		if err != nil || s.Vocab == 0 {
			return m, err
		}
		return &Sequential{Layers: []Module{OneHot{Classes: s.Vocab}, Flatten{}, m}}, nil
	case "cnn":
		return newCNNFromSpec(g, s)
	case "transformer":
		if s.Positions != "" && s.Positions != "learned" && s.Positions != "sinusoidal" {
			return nil, fmt.Errorf("models: Build: transformer positions %q (want learned or sinusoidal)", s.Positions)
		}
		return NewTransformerClassifier(g, TransformerConfig{Vocab: s.Vocab, Classes: s.Out, MaxLen: s.MaxLen, Dim: s.Dim,
			Heads: s.Heads, Layers: s.Layers, FF: s.FF, Activation: Activation(s.Activation), Dropout: s.Dropout,
			NormFirst: s.NormFirst, Sinusoidal: s.Positions == "sinusoidal"})
	case "mf":
		return NewMatrixFactorization(g, MFConfig{Users: s.Users, Items: s.Items, Factors: s.Factors, GlobalMean: s.GlobalMean})
	}
	return nil, fmt.Errorf("models: Build: unknown model kind %q (want linear, softmax, mlp, cnn, transformer or mf)", s.Kind)
}
