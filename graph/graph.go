package graph

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// Config configures a Graph.
type Config struct {
	// DType of parameters, inputs and computation: Float32 (the zero value
	// selects it) or Float64.
	DType DType
	// Seed of the graph's random stream, which draws the initial parameters
	// (in creation order) and the dropout masks. The same seed gives
	// bit-identical parameters.
	Seed uint64
	// MaxMemory is the memory budget in bytes for the graph's parameters,
	// buffers and compiled programs, and what callers reserve (the
	// optimizer's state): an allocation past it is a *MemoryError before
	// anything is allocated. 0 means DefaultMemoryFraction of the physical
	// memory; a negative value, no limit.
	MaxMemory int64
}

// Graph holds a model: its inputs, parameters, buffers (non-trainable state
// such as batch-norm running statistics) and the symbolic expressions built
// on them. Expressions are built once, with the batch dimension left open
// (Batch); a Program compiles them to gorgonia for each concrete batch shape.
//
// Builder functions never panic: the first error is kept (see Err), the
// node they return is marked failed, and every later builder given a
// failed node passes the failure on without adding errors of its own.
// A Graph is not safe for concurrent use.
type Graph struct {
	dtype  DType
	seed   uint64
	src    *rand.PCG
	rng    *rand.Rand
	nodes  []*Node
	params []*Param // parameters and buffers, in creation order
	byName map[string]*Node
	mem    *memBudget
	err    error
	// hessians counts Hessian calls, to name the inputs each adds.
	hessians int
	owner    atomic.Pointer[string] // who Claimed the graph (a training loop)
	training atomic.Bool            // a Train-mode or backward run is in progress
}

// Claim marks the graph as stepped by owner (a training loop) until the
// returned release is called. A second claim meanwhile fails with an
// error wrapping ErrBusy that names the first owner: two loops stepping
// one graph's parameters would race. Release is idempotent.
func (g *Graph) Claim(owner string) (release func(), err error) {
	if !g.owner.CompareAndSwap(nil, &owner) {
		return nil, fmt.Errorf("graph: Claim: %w: the graph is already stepped by %s (close it first, or build another graph)", ErrBusy, *g.owner.Load())
	}
	var once sync.Once
	return func() { once.Do(func() { g.owner.Store(nil) }) }, nil
}

// New returns an empty graph.
func New(cfg Config) (*Graph, error) {
	dt := cfg.DType
	if dt == 0 {
		dt = Float32
	}
	if !dt.IsFloat() {
		return nil, fmt.Errorf("graph: New: %w: %v (want float32 or float64)", ErrDType, dt)
	}
	src := rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)
	return &Graph{dtype: dt, seed: cfg.Seed, src: src, rng: rand.New(src), byName: map[string]*Node{}, mem: newBudget(cfg.MaxMemory)}, nil
}

// DType returns the graph's float type.
func (g *Graph) DType() DType { return g.dtype }

// Rand returns the graph's seeded random stream (initialisers, dropout).
func (g *Graph) Rand() *rand.Rand { return g.rng }

// RandState returns the state of the graph's random stream, for checkpoints.
func (g *Graph) RandState() ([]byte, error) { return g.src.MarshalBinary() }

// SetRandState restores a state returned by RandState.
func (g *Graph) SetRandState(b []byte) error {
	if err := g.src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("graph: SetRandState: %w", err)
	}
	return nil
}

// Err returns the first error met while building, or nil.
func (g *Graph) Err() error { return g.err }

// fail records err (the first one wins) and returns a failed node.
func (g *Graph) fail(err error) *Node {
	if g.err == nil {
		g.err = err
	}
	return &Node{g: g, failed: true}
}

// Lookup returns the input, parameter or buffer with the given full name.
func (g *Graph) Lookup(name string) (*Node, bool) {
	n, ok := g.byName[name]
	return n, ok
}

// Params returns the trainable parameters in creation order.
func (g *Graph) Params() []*Param {
	var out []*Param
	for _, p := range g.params {
		if p.trainable {
			out = append(out, p)
		}
	}
	return out
}

// Buffers returns the non-trainable state (running statistics) in creation order.
func (g *Graph) Buffers() []*Param {
	var out []*Param
	for _, p := range g.params {
		if !p.trainable {
			out = append(out, p)
		}
	}
	return out
}

// State returns every parameter and buffer in creation order: what a
// checkpoint stores.
func (g *Graph) State() []*Param { return append([]*Param(nil), g.params...) }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$`)

func (g *Graph) claim(fn, name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("graph: %s: %w: %q (want non-empty segments of letters, digits, '_', '.', '-' joined by '/')", fn, ErrName, name)
	}
	if _, taken := g.byName[name]; taken {
		return fmt.Errorf("graph: %s: %w: %q is already defined", fn, ErrName, name)
	}
	return nil
}

func (g *Graph) add(n *Node) *Node {
	n.g = g
	n.id = len(g.nodes)
	g.nodes = append(g.nodes, n)
	if n.name != "" {
		g.byName[n.name] = n
	}
	return n
}

// Input declares a float input of the graph's dtype. Open dimensions
// (Batch, Seq, Open(k)) take their sizes from each batch fed.
func (g *Graph) Input(name string, shape ...int) *Node {
	return g.input("Input", name, g.dtype, shape)
}

// IntInput declares an Int input: class labels, token or item indices,
// masks (0 or 1).
func (g *Graph) IntInput(name string, shape ...int) *Node {
	return g.input("IntInput", name, Int, shape)
}

// Labels declares an Int input of shape [Batch] holding class indices.
func (g *Graph) Labels(name string) *Node {
	return g.input("Labels", name, Int, []int{Batch})
}

func (g *Graph) input(fn, name string, dt DType, shape []int) *Node {
	if err := g.claim(fn, name); err != nil {
		return g.fail(err)
	}
	s := Shape(shape).Clone()
	if err := validShape(s, true); err != nil {
		return g.fail(fmt.Errorf("graph: %s %q: %w: %v", fn, name, ErrShape, err))
	}
	for _, d := range s {
		if isOpen(d) && openIndex(d) >= maxOpen {
			return g.fail(fmt.Errorf("graph: %s %q: %w: open dimension %s (want Batch, Seq or Open(k) with k < %d)", fn, name, ErrShape, dimName(d), maxOpen-2))
		}
	}
	return g.add(&Node{kind: kindInput, name: name, typ: Type{DType: dt, Shape: s}})
}

// Param creates a trainable parameter of the graph's dtype, initialised now
// from the graph's random stream. Its full name (e.g. "mlp/dense0/w") must
// be unique; it names the parameter in checkpoints and errors.
func (g *Graph) Param(name string, shape []int, init Initializer, opts ...ParamOption) *Node {
	return g.newParam("Param", name, shape, init, true, opts)
}

// Buffer creates non-trainable state (e.g. running statistics): saved in
// checkpoints with the parameters, never given to an optimizer.
func (g *Graph) Buffer(name string, shape []int, init Initializer) *Node {
	return g.newParam("Buffer", name, shape, init, false, nil)
}

func (g *Graph) newParam(fn, name string, shape []int, init Initializer, trainable bool, opts []ParamOption) *Node {
	if err := g.claim(fn, name); err != nil {
		return g.fail(err)
	}
	s := Shape(shape).Clone()
	if err := validShape(s, false); err != nil {
		return g.fail(fmt.Errorf("graph: %s %q: %w: %v", fn, name, ErrShape, err))
	}
	if init == nil {
		return g.fail(fmt.Errorf("graph: %s %q: no initializer", fn, name))
	}
	if err := g.mem.reserve(int64(s.Size())*int64(g.dtype.size()), fmt.Sprintf("%s %q %v", strings.ToLower(fn), name, s)); err != nil {
		return g.fail(err)
	}
	p := &Param{name: name, trainable: trainable, value: mustTensor(g.dtype, s), fans: DefaultFans(s)}
	for _, o := range opts {
		o(p)
	}
	if err := init.Init(p.value, p.fans, g.rng); err != nil {
		return g.fail(fmt.Errorf("graph: %s %q: %w", fn, name, err))
	}
	g.params = append(g.params, p)
	n := g.add(&Node{kind: kindParam, name: name, typ: Type{DType: g.dtype, Shape: s}, param: p})
	p.node = n
	return n
}

// Const adds a constant tensor (copied) to the graph.
func (g *Graph) Const(t *Tensor) *Node {
	if t.DType() != g.dtype && t.DType() != Int {
		return g.fail(fmt.Errorf("graph: Const: %w: %v (want %v)", ErrDType, t.DType(), g.dtype))
	}
	return g.add(&Node{kind: kindConst, typ: Type{DType: t.DType(), Shape: t.Shape().Clone()}, value: t.Clone()})
}

// Scalar adds a scalar constant of the graph's dtype.
func (g *Graph) Scalar(v float64) *Node {
	t := mustTensor(g.dtype, Shape{})
	t.Set(0, v)
	return g.add(&Node{kind: kindConst, typ: Type{DType: g.dtype, Shape: Shape{}}, value: t})
}

// Scope returns a helper that prefixes names with prefix + "/".
func (g *Graph) Scope(prefix string) Scope {
	return Scope{g: g, prefix: strings.TrimSuffix(prefix, "/")}
}

// Scope builds hierarchical names: g.Scope("mlp").Scope("dense0").Param("w", ...)
// creates "mlp/dense0/w".
type Scope struct {
	g      *Graph
	prefix string
}

// Name returns the full name of a child of the scope.
func (s Scope) Name(name string) string {
	if s.prefix == "" {
		return name
	}
	return s.prefix + "/" + name
}

// Scope returns a nested scope.
func (s Scope) Scope(name string) Scope { return Scope{g: s.g, prefix: s.Name(name)} }

// Prefix returns the scope's full prefix.
func (s Scope) Prefix() string { return s.prefix }

// Graph returns the scope's graph.
func (s Scope) Graph() *Graph { return s.g }

// Param creates a parameter named prefix/name.
func (s Scope) Param(name string, shape []int, init Initializer, opts ...ParamOption) *Node {
	if s.g == nil {
		return &Node{failed: true}
	}
	return s.g.Param(s.Name(name), shape, init, opts...)
}

// Buffer creates a buffer named prefix/name.
func (s Scope) Buffer(name string, shape []int, init Initializer) *Node {
	if s.g == nil {
		return &Node{failed: true}
	}
	return s.g.Buffer(s.Name(name), shape, init)
}

// ParamByName returns the parameter or buffer with the given full name.
func (g *Graph) ParamByName(name string) (*Param, error) {
	n, ok := g.byName[name]
	if !ok || n.param == nil {
		return nil, fmt.Errorf("graph: ParamByName: %w: no parameter or buffer %q", ErrName, name)
	}
	return n.param, nil
}
