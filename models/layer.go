package models

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
)

// Module is descent's one notion of a model part, as torch.nn.Module:
// a layer, a block, or a whole model made of modules. Forward adds the
// module's ops on x to x's graph and returns the result; a failure is
// recorded in the graph (graph.Graph.Err, which Compile returns) and a
// failed node comes back, so Forward calls chain like the graph's builders.
// Modules with more inputs (attention's query, key and value; a
// recommender's users and items) have methods of their own beside Forward.
type Module interface {
	Forward(x *graph.Node) *graph.Node
	Params() []*graph.Param
}

// DenseConfig configures a Dense layer. Zero values select PyTorch's
// torch.nn.Linear defaults.
type DenseConfig struct {
	// Init initialises the weight; nil means torch.nn.Linear's
	// kaiming_uniform(a=sqrt(5)), i.e. U(±1/sqrt(in)).
	Init graph.Initializer
	// BiasInit initialises the bias; nil means U(±1/sqrt(in)).
	BiasInit graph.Initializer
	// NoBias drops the bias.
	NoBias bool
}

// Dense is x @ W + b with W [in, out] and b [out].
type Dense struct {
	W, B    *graph.Node // B is nil without a bias
	In, Out int
}

// NewDense creates the parameters s/w and s/b.
func NewDense(s graph.Scope, in, out int, cfg DenseConfig) (*Dense, error) {
	if s.Graph() == nil {
		return nil, fmt.Errorf("models: NewDense: the scope has no graph (use g.Scope(name))")
	}
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("models: NewDense %q: sizes %d -> %d (want positive)", s.Prefix(), in, out)
	}
	init := cfg.Init
	if init == nil {
		init = graph.HeUniform{He: graph.He{A: math.Sqrt(5)}}
	}
	d := &Dense{In: in, Out: out, W: s.Param("w", []int{in, out}, init)}
	if err := s.Graph().Err(); err != nil {
		return nil, err // no bias: a weight too large to create may have a bias too large to allocate
	}
	if !cfg.NoBias {
		binit := cfg.BiasInit
		if binit == nil {
			bound := 1 / math.Sqrt(float64(in))
			binit = graph.Uniform{Low: -bound, High: bound}
		}
		d.B = s.Param("b", []int{out}, binit, graph.WithFans(in, out))
	}
	if err := s.Graph().Err(); err != nil {
		return nil, err
	}
	return d, nil
}

// Forward returns x @ W + b.
func (d *Dense) Forward(x *graph.Node) *graph.Node {
	y := graph.MatMul(x, d.W)
	if d.B != nil {
		y = graph.Add(y, d.B)
	}
	return y
}

// Params returns W and b.
func (d *Dense) Params() []*graph.Param { return params(d.W, d.B) }

func params(nodes ...*graph.Node) []*graph.Param {
	var out []*graph.Param
	for _, n := range nodes {
		if n != nil && n.Param() != nil {
			out = append(out, n.Param())
		}
	}
	return out
}

// Activation is an elementwise nonlinearity layer.
type Activation string

// The activations layers and MLPs accept.
const (
	ReLU     Activation = "relu"
	Tanh     Activation = "tanh"
	Sigmoid  Activation = "sigmoid"
	GELU     Activation = "gelu" // exact (erf) form
	SiLU     Activation = "silu"
	Identity Activation = "identity"
)

// ParseActivation checks a name ("" means ReLU).
func ParseActivation(s string) (Activation, error) {
	switch a := Activation(s); a {
	case "":
		return ReLU, nil
	case ReLU, Tanh, Sigmoid, GELU, SiLU, Identity:
		return a, nil
	}
	return "", fmt.Errorf("models: unknown activation %q (want relu, tanh, sigmoid, gelu, silu or identity)", s)
}

// Forward applies the nonlinearity.
func (a Activation) Forward(x *graph.Node) *graph.Node {
	switch a {
	case Tanh:
		return graph.Tanh(x)
	case Sigmoid:
		return graph.Sigmoid(x)
	case GELU:
		return graph.GELU(x)
	case SiLU:
		return graph.SiLU(x)
	case Identity:
		return x
	}
	return graph.ReLU(x)
}

// Params returns nothing: activations have no parameters.
func (a Activation) Params() []*graph.Param { return nil }

// Flatten reshapes [N, ...] to [N, rest].
type Flatten struct{}

// Forward flattens x.
func (Flatten) Forward(x *graph.Node) *graph.Node { return graph.Flatten(x) }

// Params returns nothing.
func (Flatten) Params() []*graph.Param { return nil }

// Reshape reshapes [N, ...] to [N, Shape...].
type Reshape struct{ Shape []int }

// Forward reshapes x, keeping the batch dimension.
func (r Reshape) Forward(x *graph.Node) *graph.Node {
	return graph.Reshape(x, append([]int{graph.Batch}, r.Shape...)...)
}

// Params returns nothing.
func (Reshape) Params() []*graph.Param { return nil }

// OneHot turns Int ids [N, ...] into one-hot floats [N, ..., Classes].
type OneHot struct{ Classes int }

// Forward encodes x.
func (o OneHot) Forward(x *graph.Node) *graph.Node { return graph.OneHot(x, o.Classes) }

// Params returns nothing.
func (OneHot) Params() []*graph.Param { return nil }
