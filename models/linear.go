package models

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// LinearConfig configures linear regression: y = x @ W + b.
type LinearConfig struct {
	In, Out int    // features in; outputs (targets) out, default 1
	Name    string // parameter scope, default "linear"
	Dense   DenseConfig
}

// Linear is linear regression with any number of inputs and outputs.
type Linear struct {
	Sequential
	Dense *Dense
}

// NewLinear creates linear/w [In, Out] and linear/b [Out].
func NewLinear(g *graph.Graph, cfg LinearConfig) (*Linear, error) {
	if cfg.Out == 0 {
		cfg.Out = 1
	}
	d, err := NewDense(g.Scope(orDefault(cfg.Name, "linear")), cfg.In, cfg.Out, cfg.Dense)
	if err != nil {
		return nil, fmt.Errorf("models: NewLinear: %w", err)
	}
	return &Linear{Sequential: Sequential{Layers: []Module{d}}, Dense: d}, nil
}

// SoftmaxRegressionConfig configures multinomial logistic regression.
type SoftmaxRegressionConfig struct {
	In, Classes int
	Name        string // parameter scope, default "softmax"
	Dense       DenseConfig
}

// SoftmaxRegression maps features to class logits with one dense layer;
// train it with graph.SoftmaxCrossEntropy, read probabilities with graph.Softmax.
type SoftmaxRegression struct {
	Sequential
	Dense *Dense
}

// NewSoftmaxRegression creates softmax/w [In, Classes] and softmax/b [Classes].
func NewSoftmaxRegression(g *graph.Graph, cfg SoftmaxRegressionConfig) (*SoftmaxRegression, error) {
	if cfg.Classes < 2 {
		return nil, fmt.Errorf("models: NewSoftmaxRegression: %d classes (want at least 2)", cfg.Classes)
	}
	d, err := NewDense(g.Scope(orDefault(cfg.Name, "softmax")), cfg.In, cfg.Classes, cfg.Dense)
	if err != nil {
		return nil, fmt.Errorf("models: NewSoftmaxRegression: %w", err)
	}
	return &SoftmaxRegression{Sequential: Sequential{Layers: []Module{d}}, Dense: d}, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
