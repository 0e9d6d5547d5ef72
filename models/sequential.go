package models

import (
	"github.com/descent-ml/descent/graph"
)

// Sequential applies modules in order, as torch.nn.Sequential.
type Sequential struct {
	Layers []Module
}

// NewSequential returns a model applying layers in order.
func NewSequential(layers ...Module) *Sequential { return &Sequential{Layers: layers} }

// Forward applies every layer to x.
func (m *Sequential) Forward(x *graph.Node) *graph.Node {
	for _, l := range m.Layers {
		x = l.Forward(x)
	}
	return x
}

// Params returns the trainable parameters of every layer, in order.
func (m *Sequential) Params() []*graph.Param {
	var out []*graph.Param
	for _, l := range m.Layers {
		out = append(out, l.Params()...)
	}
	return out
}
