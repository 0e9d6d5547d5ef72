package models

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// Model is what training needs of a model: a forward pass from a batch of
// inputs to outputs (logits for classifiers, predictions for regression)
// and its trainable parameters.
type Model interface {
	Forward(x *graph.Node) (*graph.Node, error)
	Params() []*graph.Param
}

// Sequential applies layers in order, as torch.nn.Sequential.
type Sequential struct {
	Layers []Layer
}

// NewSequential returns a model applying layers in order.
func NewSequential(layers ...Layer) *Sequential { return &Sequential{Layers: layers} }

// Forward applies every layer to x.
func (m *Sequential) Forward(x *graph.Node) (*graph.Node, error) {
	if x == nil || x.Graph() == nil {
		return nil, fmt.Errorf("models: Forward: nil input")
	}
	for _, l := range m.Layers {
		x = l.Apply(x)
	}
	if err := x.Graph().Err(); err != nil {
		return nil, err
	}
	return x, nil
}

// Params returns the trainable parameters of every layer, in order.
func (m *Sequential) Params() []*graph.Param {
	var out []*graph.Param
	for _, l := range m.Layers {
		out = append(out, l.Params()...)
	}
	return out
}
