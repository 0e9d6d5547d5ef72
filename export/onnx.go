package export

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/descent-ml/descent/graph"
	pb "github.com/descent-ml/descent/internal/onnxpb"
)

// The ONNX versions every exported model declares: operator set 17 of
// the default domain (ai.onnx) and IR version 8, those of ONNX 1.12.
const (
	Opset     = 17
	IRVersion = 8
)

// Options adjusts an ONNX export. The zero value exports every output
// with a dynamic batch dimension, as torch.onnx.export with dynamic_axes
// on dimension 0 of each input and output.
type Options struct {
	// Inputs are the model's inputs, in order (torch's input_names come
	// from their names). Nil selects the graph inputs the outputs depend
	// on, in the order a walk from the first output's first input reaches
	// them. Listed inputs must include those, and may add unused ones.
	Inputs []*graph.Node
	// OutputNames name the outputs: "output" for a single output and
	// output0, output1, ... for several when nil.
	OutputNames []string
	// Batch, when > 0, fixes the batch dimension (graph.Batch) to this
	// size; 0 leaves it dynamic, named "batch".
	Batch int
	// Name is the ONNX graph's name (default "descent").
	Name string
	// Doc is the model's doc_string.
	Doc string
	// ProducerVersion is written beside the producer name "descent".
	ProducerVersion string
	// Metadata is written as the model's metadata_props, sorted by key.
	Metadata map[string]string
}

// ErrUnsupported is wrapped by the error of an export that meets
// something with no ONNX form.
var ErrUnsupported = errors.New("export: no ONNX form")

// UnsupportedError says which op of the graph has no ONNX form (it does
// not implement graph.ONNXOp); nothing is written.
type UnsupportedError struct {
	Op string // the op's String
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("export: ONNX: op %s has no ONNX form", e.Op)
}

// Unwrap returns ErrUnsupported.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// ONNX writes to w the ONNX model (opset 17, IR version 8) that computes
// outputs from their graph's inputs, with the parameters' and buffers'
// current values as initializers and every op in its Eval form (batch
// norm with its running statistics, dropout the identity). Open
// dimensions of the inputs (graph.Batch, graph.Seq, graph.Open(k)) stay
// dynamic, named "batch", "seq" and "d<k>". Float values have the graph's
// float type (FLOAT or DOUBLE); Int values, inputs included, are INT64.
//
// The model is built in full before anything is written: an op without
// an ONNX form gives an *UnsupportedError and w receives nothing. The
// bytes are deterministic: the same graph, values and options give the
// same file.
func ONNX(w io.Writer, outputs []*graph.Node, opts Options) error {
	b, err := MarshalONNX(outputs, opts)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("export: ONNX: %w", err)
	}
	return nil
}

// MarshalONNX returns the bytes ONNX writes.
func MarshalONNX(outputs []*graph.Node, opts Options) ([]byte, error) {
	m, err := buildModel(outputs, opts)
	if err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("export: ONNX: %w", err)
	}
	return b, nil
}

// buildModel checks the outputs and options, then emits every node the
// outputs depend on.
func buildModel(outputs []*graph.Node, opts Options) (*pb.ModelProto, error) {
	g, err := checkOutputs(outputs)
	if err != nil {
		return nil, err
	}
	if opts.Batch < 0 {
		return nil, fmt.Errorf("export: ONNX: batch %d (want 0 for a dynamic batch, or > 0)", opts.Batch)
	}
	order, reached, err := walk(outputs)
	if err != nil {
		return nil, err
	}
	inputs, err := modelInputs(g, reached, opts.Inputs)
	if err != nil {
		return nil, err
	}
	names, err := outputNames(outputs, opts.OutputNames)
	if err != nil {
		return nil, err
	}
	e := newEmitter(g.DType(), opts.Batch, inputs)
	for _, p := range g.State() {
		e.taken[p.Name()] = true
	}
	for _, n := range inputs {
		e.taken[n.Name()] = true
	}
	for _, name := range names {
		if e.taken[name] {
			return nil, fmt.Errorf("export: ONNX: output name %q is the name of an input, parameter or buffer", name)
		}
		e.taken[name] = true
	}
	// An op node that is an output writes the output's name directly; any
	// other output (an input, a parameter, a node listed twice) is an
	// Identity of its value.
	value := map[*graph.Node]string{}
	for i, n := range outputs {
		if _, done := value[n]; !done && n.Op() != nil {
			value[n] = names[i]
		}
	}
	for _, n := range inputs {
		value[n] = n.Name()
		e.produced[n.Name()] = true
	}
	for _, n := range order {
		if err := e.emit(n, value); err != nil {
			return nil, err
		}
	}
	var outs []*pb.ValueInfoProto
	for i, n := range outputs {
		if value[n] != names[i] {
			e.OpTo("Identity", []string{value[n]}, names[i])
		}
		outs = append(outs, e.valueInfo(names[i], n.Type()))
	}
	if e.err != nil {
		return nil, e.err
	}
	var ins []*pb.ValueInfoProto
	for _, n := range inputs {
		ins = append(ins, e.valueInfo(n.Name(), n.Type()))
	}
	m := &pb.ModelProto{
		IrVersion:       proto.Int64(IRVersion),
		OpsetImport:     []*pb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		ProducerName:    proto.String("descent"),
		ProducerVersion: proto.String(opts.ProducerVersion),
		Graph: &pb.GraphProto{
			Name:        proto.String(orDefault(opts.Name, "descent")),
			Node:        e.nodes,
			Initializer: e.inits,
			Input:       ins,
			Output:      outs,
		},
	}
	if opts.Doc != "" {
		m.DocString = proto.String(opts.Doc)
	}
	keys := make([]string, 0, len(opts.Metadata))
	for k := range opts.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		m.MetadataProps = append(m.MetadataProps, &pb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(opts.Metadata[k])})
	}
	return m, nil
}

// checkOutputs returns the outputs' graph, refusing nil, failed and
// mixed outputs and a graph with a build error.
func checkOutputs(outputs []*graph.Node) (*graph.Graph, error) {
	if len(outputs) == 0 {
		return nil, fmt.Errorf("export: ONNX: no outputs")
	}
	var g *graph.Graph
	for i, n := range outputs {
		switch {
		case n == nil:
			return nil, fmt.Errorf("export: ONNX: output %d is nil", i)
		case n.Graph() != nil && n.Graph().Err() != nil:
			return nil, fmt.Errorf("export: ONNX: the graph failed to build: %w", n.Graph().Err())
		case n.Failed() || n.Graph() == nil:
			return nil, fmt.Errorf("export: ONNX: output %d failed to build", i)
		case g != nil && n.Graph() != g:
			return nil, fmt.Errorf("export: ONNX: %w: outputs 0 and %d come from different graphs", graph.ErrGraph, i)
		}
		g = n.Graph()
	}
	return g, nil
}

// walk returns the nodes the outputs depend on, each after its inputs,
// and the graph inputs among them in the order they are reached.
func walk(outputs []*graph.Node) (order, inputs []*graph.Node, err error) {
	type frame struct {
		n *graph.Node
		i int
	}
	seen := map[*graph.Node]bool{}
	for _, o := range outputs {
		if seen[o] {
			continue
		}
		seen[o] = true
		stack := []frame{{n: o}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.n.Op() == nil && !f.n.IsInput() && f.n.Param() == nil && f.n.ConstValue() == nil {
				return nil, nil, &UnsupportedError{Op: "Grad (a gradient node)"}
			}
			if ins := f.n.Inputs(); f.i < len(ins) {
				c := ins[f.i]
				f.i++
				if !seen[c] {
					seen[c] = true
					stack = append(stack, frame{n: c})
				}
				continue
			}
			if f.n.IsInput() {
				inputs = append(inputs, f.n)
			}
			order = append(order, f.n)
			stack = stack[:len(stack)-1]
		}
	}
	return order, inputs, nil
}

// modelInputs checks Options.Inputs against the inputs the outputs need.
func modelInputs(g *graph.Graph, reached, listed []*graph.Node) ([]*graph.Node, error) {
	if listed == nil {
		return reached, nil
	}
	seen := map[*graph.Node]bool{}
	for i, n := range listed {
		switch {
		case n == nil || !n.IsInput() || n.Graph() != g:
			return nil, fmt.Errorf("export: ONNX: Options.Inputs[%d] is not an input of the outputs' graph", i)
		case seen[n]:
			return nil, fmt.Errorf("export: ONNX: Options.Inputs lists %q twice", n.Name())
		}
		seen[n] = true
	}
	for _, n := range reached {
		if !seen[n] {
			return nil, fmt.Errorf("export: ONNX: the outputs depend on input %q, which Options.Inputs does not list", n.Name())
		}
	}
	return listed, nil
}

// outputNames returns the names of the outputs.
func outputNames(outputs []*graph.Node, names []string) ([]string, error) {
	if names == nil {
		if len(outputs) == 1 {
			return []string{"output"}, nil
		}
		for i := range outputs {
			names = append(names, fmt.Sprintf("output%d", i))
		}
		return names, nil
	}
	if len(names) != len(outputs) {
		return nil, fmt.Errorf("export: ONNX: %d output names for %d outputs", len(names), len(outputs))
	}
	seen := map[string]bool{}
	for _, s := range names {
		if strings.TrimSpace(s) == "" || seen[s] {
			return nil, fmt.Errorf("export: ONNX: output names %q (want distinct, non-empty names)", names)
		}
		seen[s] = true
	}
	return names, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
