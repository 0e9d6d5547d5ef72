// Package models holds descent's layers and ready-made models, all
// Modules: Forward(x *graph.Node) *graph.Node and Params().
//
// Layers: Dense, Activation (ReLU, Tanh, Sigmoid, GELU, SiLU, Identity),
// Flatten, Reshape, OneHot, Dropout, MaxPool, AvgPool, batch norm and
// convolution (package ops), Embedding (with a padding index), LayerNorm,
// MultiHeadAttention (self- and cross-attention, causal and key-padding
// masks), TransformerEncoderLayer (pre- or post-norm, ReLU or GELU) and
// Positions (learned or sinusoidal), composed with Sequential.
//
// Models: Linear (linear regression), SoftmaxRegression, MLP (batch norm,
// dropout; on token inputs, one-hot), CNN (presets mnist_2c2d from DeepOBS
// and small), TransformerClassifier (an encoder over token sequences,
// mean-pooled over the non-padding positions) and MatrixFactorization (a
// recommender: user and item factors and biases). Spec describes any of
// them in JSON (checkpoints keep it) and Build makes it again.
//
// Each is built with NewX(g, XConfig) (*X, error), which creates its
// parameters in g under hierarchical names (mlp/dense0/w). Classifiers
// return logits: pair them with graph.SoftmaxCrossEntropy or
// graph.CrossEntropy. Dense weights are [in, out], applied as x @ W + b.
// The attention, layer-norm and embedding layers take torch's parameter
// layouts, and replay PyTorch 1.13's modules to golden precision
// (../shared/golden, module_* cases).
//
// A model of your own is any type with Forward and Params: build it from
// graph's ops (see examples/attention and the README's "Write your own
// model").
//
// Defaults follow PyTorch: dense and convolution weights start from
// torch.nn.Linear's / Conv2d's kaiming_uniform(a=sqrt(5)), biases from
// U(±1/sqrt(fan_in)), embeddings from N(0, 1), attention projections from
// xavier_uniform, all drawn from the graph's seeded stream.
//
// Errors: invalid configurations are returned by the constructors; shape
// errors in Forward are recorded in the graph (graph.Graph.Err) and come
// back from Compile. Nothing panics.
package models
