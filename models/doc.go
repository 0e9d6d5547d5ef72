// Package models holds descent's ready-made models: Linear (linear
// regression), SoftmaxRegression, MLP and CNN, all Sequential stacks of
// Layers (Dense, Activation, batch norm, dropout, convolution, pooling).
//
// Each model is built with NewX(g, XConfig) (*X, error), which creates its
// parameters in g under hierarchical names (mlp/dense0/w), and exposes
// Forward(x) (*graph.Node, error) and Params(). Classifiers return logits:
// pair them with graph.SoftmaxCrossEntropy. Dense weights are [in, out],
// applied as x @ W + b.
//
// Defaults follow PyTorch: dense and convolution weights start from
// torch.nn.Linear's / Conv2d's kaiming_uniform(a=sqrt(5)), biases from
// U(±1/sqrt(fan_in)), drawn from the graph's seeded stream.
//
// Errors: invalid configurations are returned by the constructors; shape
// errors in Forward come from the graph (graph.Graph.Err). Nothing panics.
package models
