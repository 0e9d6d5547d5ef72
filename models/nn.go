package models

import (
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/ops"
)

// The layers of package ops (ops.BatchNorm, ops.Conv2D) are Layers as they
// are; these wrap ops' functions.
var (
	_ Module = (*ops.BatchNorm)(nil)
	_ Module = (*ops.Conv2D)(nil)
)

// Dropout zeroes activations with probability P in training (see ops.Dropout).
type Dropout struct{ P float64 }

// Forward adds dropout.
func (d Dropout) Forward(x *graph.Node) *graph.Node { return ops.Dropout(x, d.P) }

// Params returns nothing.
func (Dropout) Params() []*graph.Param { return nil }

// MaxPool takes the maximum over windows of [N, C, H, W] (see ops.MaxPool2D).
type MaxPool struct{ ops.PoolConfig }

// Forward adds max pooling.
func (p MaxPool) Forward(x *graph.Node) *graph.Node { return ops.MaxPool2D(x, p.PoolConfig) }

// Params returns nothing.
func (MaxPool) Params() []*graph.Param { return nil }

// AvgPool averages windows of [N, C, H, W] (see ops.AvgPool2D).
type AvgPool struct{ ops.PoolConfig }

// Forward adds average pooling.
func (p AvgPool) Forward(x *graph.Node) *graph.Node { return ops.AvgPool2D(x, p.PoolConfig) }

// Params returns nothing.
func (AvgPool) Params() []*graph.Param { return nil }
