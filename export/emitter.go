package export

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/descent-ml/descent/graph"
	pb "github.com/descent-ml/descent/internal/onnxpb"
)

// emitter builds the ONNX graph: it implements graph.ONNXEmitter for the
// ops' forms and adds the graph's own nodes (inputs, parameters,
// constants). The first error of a form is kept in err.
type emitter struct {
	dt       graph.DType
	batch    int // > 0: the fixed batch size
	inputs   []*graph.Node
	nodes    []*pb.NodeProto
	inits    []*pb.TensorProto
	taken    map[string]bool // every name in use or reserved
	produced map[string]bool // the values written so far
	params   map[*graph.Param]string
	consts   map[string]string // constant key -> name
	dims     map[int]string    // open dimension -> its size at run time
	seq      int
	err      error
}

var _ graph.ONNXEmitter = (*emitter)(nil)

func newEmitter(dt graph.DType, batch int, inputs []*graph.Node) *emitter {
	return &emitter{dt: dt, batch: batch, inputs: inputs, taken: map[string]bool{}, produced: map[string]bool{},
		params: map[*graph.Param]string{}, consts: map[string]string{}, dims: map[int]string{}}
}

func (e *emitter) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// fresh returns an unused name built from hint.
func (e *emitter) fresh(hint string) string {
	for {
		name := fmt.Sprintf("%s_%d", hint, e.seq)
		e.seq++
		if !e.taken[name] {
			e.taken[name] = true
			return name
		}
	}
}

// hint is the leading identifier of an op's String ("MatMul(A,Bᵀ)": "MatMul").
func hint(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	if end >= 0 {
		s = s[:end]
	}
	if s == "" {
		return "value"
	}
	return s
}

// emit adds the node n: an initializer for a parameter, buffer or
// constant, the op's form for an op node (inputs are there already).
func (e *emitter) emit(n *graph.Node, value map[*graph.Node]string) error {
	switch {
	case n.IsInput():
		return nil
	case n.Param() != nil:
		value[n] = e.Param(n.Param())
		return e.err
	case n.ConstValue() != nil:
		value[n] = e.tensor("const", n.ConstValue())
		return e.err
	}
	op := n.Op()
	form, ok := op.(graph.ONNXOp)
	if !ok {
		return &UnsupportedError{Op: op.String()}
	}
	in := make([]graph.ONNXValue, len(n.Inputs()))
	for i, x := range n.Inputs() {
		in[i] = graph.ONNXValue{Name: value[x], Type: x.Type()}
	}
	out, ok := value[n]
	if !ok {
		out = e.fresh(hint(op.String()))
		value[n] = out
	}
	if err := e.callForm(form, in, graph.ONNXValue{Name: out, Type: n.Type()}); err != nil {
		return fmt.Errorf("export: ONNX: op %v: %w", op, err)
	}
	if e.err != nil {
		return fmt.Errorf("export: ONNX: op %v: %w", op, e.err)
	}
	if !e.produced[out] {
		return fmt.Errorf("export: ONNX: op %v: its ONNX form does not write its output %q", op, out)
	}
	return nil
}

// callForm runs a form, recovering a panic of a user's form.
func (e *emitter) callForm(form graph.ONNXOp, in []graph.ONNXValue, out graph.ONNXValue) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("its ONNX form panicked: %v", r)
		}
	}()
	return form.ONNX(e, in, out)
}

// Op implements graph.ONNXEmitter.
func (e *emitter) Op(opType string, in []string, attrs ...graph.ONNXAttr) string {
	out := e.fresh(opType)
	e.OpTo(opType, in, out, attrs...)
	return out
}

// OpTo implements graph.ONNXEmitter.
func (e *emitter) OpTo(opType string, in []string, out string, attrs ...graph.ONNXAttr) {
	if e.err != nil {
		return
	}
	switch {
	case opType == "":
		e.fail(fmt.Errorf("a node with no op type"))
		return
	case out == "" || e.produced[out]:
		e.fail(fmt.Errorf("%s writes %q, which is empty or written already", opType, out))
		return
	}
	for _, x := range in {
		if x != "" && !e.produced[x] {
			e.fail(fmt.Errorf("%s reads %q, which no earlier node writes", opType, x))
			return
		}
	}
	e.taken[out] = true
	node := &pb.NodeProto{Name: proto.String(out), OpType: proto.String(opType), Input: append([]string{}, in...), Output: []string{out}}
	for _, a := range attrs {
		pa, err := attribute(a)
		if err != nil {
			e.fail(fmt.Errorf("%s: %w", opType, err))
			return
		}
		node.Attribute = append(node.Attribute, pa)
	}
	e.nodes = append(e.nodes, node)
	e.produced[out] = true
}

func attribute(a graph.ONNXAttr) (*pb.AttributeProto, error) {
	if a.Name == "" {
		return nil, fmt.Errorf("an attribute with no name")
	}
	p := &pb.AttributeProto{Name: proto.String(a.Name)}
	switch a.Type {
	case graph.ONNXAttrInt:
		p.Type, p.I = pb.AttributeProto_INT.Enum(), proto.Int64(a.Int)
	case graph.ONNXAttrInts:
		p.Type, p.Ints = pb.AttributeProto_INTS.Enum(), append([]int64{}, a.Ints...)
	case graph.ONNXAttrFloat:
		p.Type, p.F = pb.AttributeProto_FLOAT.Enum(), proto.Float32(float32(a.Float))
	case graph.ONNXAttrString:
		p.Type, p.S = pb.AttributeProto_STRING.Enum(), []byte(a.Str)
	default:
		return nil, fmt.Errorf("attribute %q has type %d (want ONNXAttrInt, ONNXAttrInts, ONNXAttrFloat or ONNXAttrString)", a.Name, a.Type)
	}
	return p, nil
}

// Int64s implements graph.ONNXEmitter.
func (e *emitter) Int64s(shape []int, v ...int64) string {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	return e.constant(graph.Int, shape, raw, fmt.Sprint(v))
}

// Floats implements graph.ONNXEmitter.
func (e *emitter) Floats(shape []int, v ...float64) string {
	return e.constant(e.dt, shape, floatBytes(e.dt, v), fmt.Sprint(v))
}

func floatBytes(dt graph.DType, v []float64) []byte {
	if dt == graph.Float32 {
		raw := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(x)))
		}
		return raw
	}
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(x))
	}
	return raw
}

// constant adds (once) an initializer for an emitter constant.
func (e *emitter) constant(dt graph.DType, shape []int, raw []byte, vals string) string {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if len(raw) != n*elemSize(dt) {
		e.fail(fmt.Errorf("a constant of shape %v with %d values", shape, len(raw)/elemSize(dt)))
		return ""
	}
	key := fmt.Sprintf("%v%v%s", dt, shape, vals)
	if name, ok := e.consts[key]; ok {
		return name
	}
	name := e.fresh("const")
	e.addInit(name, dt, shape, raw)
	e.consts[key] = name
	return name
}

func elemSize(dt graph.DType) int {
	if dt == graph.Float32 {
		return 4
	}
	return 8
}

func (e *emitter) addInit(name string, dt graph.DType, shape []int, raw []byte) {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	e.inits = append(e.inits, &pb.TensorProto{Name: proto.String(name), Dims: dims,
		DataType: proto.Int32(int32(graph.ONNXElemType(dt))), RawData: raw})
	e.produced[name] = true
}

// tensor adds a tensor's value as an initializer named by hint.
func (e *emitter) tensor(hintName string, t *graph.Tensor) string {
	name := e.fresh(hintName)
	e.addInit(name, t.DType(), t.Shape(), tensorBytes(t))
	return name
}

// tensorBytes encodes t little-endian, Int as int64.
func tensorBytes(t *graph.Tensor) []byte {
	switch t.DType() {
	case graph.Float32:
		v, _ := t.Float32s()
		raw := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		return raw
	case graph.Float64:
		v, _ := t.Float64s()
		raw := make([]byte, 8*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(x))
		}
		return raw
	}
	v, _ := t.Ints()
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(int64(x)))
	}
	return raw
}

// Param implements graph.ONNXEmitter: the parameter's initializer, named
// as the parameter, added on first use.
func (e *emitter) Param(p *graph.Param) string {
	if p == nil {
		e.fail(fmt.Errorf("a nil parameter"))
		return ""
	}
	if name, ok := e.params[p]; ok {
		return name
	}
	name := p.Name()
	e.taken[name] = true
	e.addInit(name, p.DType(), p.Shape(), tensorBytes(p.Value()))
	e.params[p] = name
	return name
}

// Dim implements graph.ONNXEmitter: the size of an open dimension, read
// with Shape from the first model input that has it (a constant when
// the batch is fixed).
func (e *emitter) Dim(d int) (string, error) {
	if d == graph.Batch && e.batch > 0 {
		return e.Int64s([]int{1}, int64(e.batch)), nil
	}
	if name, ok := e.dims[d]; ok {
		return name, nil
	}
	for _, in := range e.inputs {
		for i, s := range in.Shape() {
			if s == d {
				name := e.fresh(dimName(d) + "_size")
				e.OpTo("Shape", []string{in.Name()}, name, graph.ONNXInt("start", int64(i)), graph.ONNXInt("end", int64(i+1)))
				e.dims[d] = name
				return name, nil
			}
		}
	}
	return "", fmt.Errorf("the open dimension %s is in no input of the model", dimName(d))
}

// DType implements graph.ONNXEmitter.
func (e *emitter) DType() graph.DType { return e.dt }

// dimName names an open dimension in the model's input and output shapes.
func dimName(d int) string {
	switch d {
	case graph.Batch:
		return "batch"
	case graph.Seq:
		return "seq"
	}
	return fmt.Sprintf("d%d", -4-d) // graph.Open(k) is -4-k
}

// valueInfo describes a model input or output of type t.
func (e *emitter) valueInfo(name string, t graph.Type) *pb.ValueInfoProto {
	shape := &pb.TensorShapeProto{Dim: []*pb.TensorShapeProto_Dimension{}}
	for _, d := range t.Shape {
		dim := &pb.TensorShapeProto_Dimension{}
		switch {
		case d >= 0:
			dim.Value = &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
		case d == graph.Batch && e.batch > 0:
			dim.Value = &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(e.batch)}
		case d != graph.Unknown:
			dim.Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: dimName(d)}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &pb.ValueInfoProto{Name: proto.String(name), Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{
		TensorType: &pb.TypeProto_Tensor{ElemType: proto.Int32(int32(graph.ONNXElemType(t.DType))), Shape: shape}}}}
}
