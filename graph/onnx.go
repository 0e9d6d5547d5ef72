package graph

import "fmt"

// ONNX forms. Package export writes a graph as an ONNX model (opset 17)
// by asking each op of the graph for its ONNX form: an Op that implements
// ONNXOp describes itself to an ONNXEmitter, which package export
// implements. The ops of this package and of package ops have forms; a
// user op gets one by implementing ONNXOp. Only the forward graph is
// exported (as in Eval mode): gradient ops have no form.

// ONNXOp is an Op with an ONNX (opset 17) form. ONNX adds the ONNX nodes
// that compute the op's output from its inputs through e; the last one
// writes out.Name. Value types follow descent's: a float input or output
// is the model's float type (FLOAT or DOUBLE), an Int one is INT64 (masks
// too: a comparison's BOOL is cast to INT64, a condition read as a mask
// is cast to BOOL). Shapes may hold open dimensions (Batch, Seq): the
// form must work for every size (e.Dim gives a size at run time). An
// error is returned to the caller of the export, naming the op.
type ONNXOp interface {
	ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error
}

// ONNXValue is a value of the ONNX graph being written: its name and its
// descent type (the shape as the graph was built, open dimensions
// included).
type ONNXValue struct {
	Name string
	Type Type
}

// ONNXEmitter receives ONNX nodes and constants while a model is written
// (package export implements it). Value names are strings; "" stands for
// an omitted optional input.
type ONNXEmitter interface {
	// Op adds a node of the ONNX operator opType (default domain, opset
	// 17) and returns the name of its one output, a fresh name.
	Op(opType string, in []string, attrs ...ONNXAttr) string
	// OpTo is Op writing its output to out.
	OpTo(opType string, in []string, out string, attrs ...ONNXAttr)
	// Int64s adds an INT64 constant of the given shape (nil: a scalar)
	// and returns its name.
	Int64s(shape []int, v ...int64) string
	// Floats adds a constant of the model's float type.
	Floats(shape []int, v ...float64) string
	// Param returns the name of a parameter's or buffer's value (an
	// initializer holding its current value), for ops that read state
	// they do not take as inputs (batch norm's running statistics).
	Param(p *Param) string
	// Dim returns a 1-D INT64 tensor of one element: the size of the open
	// dimension d (Batch, Seq, Open(k)) at run time.
	Dim(d int) (string, error)
	// DType returns the model's float type.
	DType() DType
}

// ONNXAttrType is the type of an ONNXAttr.
type ONNXAttrType uint8

// The attribute types ops use.
const (
	ONNXAttrInt ONNXAttrType = iota + 1
	ONNXAttrInts
	ONNXAttrFloat
	ONNXAttrString
)

// ONNXAttr is an attribute of an ONNX node; build it with ONNXInt,
// ONNXInts, ONNXFloat or ONNXString.
type ONNXAttr struct {
	Name  string
	Type  ONNXAttrType
	Int   int64
	Ints  []int64
	Float float64
	Str   string
}

// ONNXInt is an INT attribute.
func ONNXInt(name string, v int64) ONNXAttr { return ONNXAttr{Name: name, Type: ONNXAttrInt, Int: v} }

// ONNXInts is an INTS attribute.
func ONNXInts(name string, v ...int64) ONNXAttr {
	return ONNXAttr{Name: name, Type: ONNXAttrInts, Ints: append([]int64{}, v...)}
}

// ONNXFloat is a FLOAT attribute (stored as float32).
func ONNXFloat(name string, v float64) ONNXAttr {
	return ONNXAttr{Name: name, Type: ONNXAttrFloat, Float: v}
}

// ONNXString is a STRING attribute.
func ONNXString(name, v string) ONNXAttr { return ONNXAttr{Name: name, Type: ONNXAttrString, Str: v} }

// ONNX element types (TensorProto.DataType) of descent's values and of
// the masks ONNX comparisons give.
const (
	ONNXFloat32 int64 = 1
	ONNXInt64   int64 = 7
	ONNXBool    int64 = 9
	ONNXFloat64 int64 = 11
)

// ONNXElemType returns the ONNX element type of dt: FLOAT, DOUBLE or
// INT64 (Int).
func ONNXElemType(dt DType) int64 {
	switch dt {
	case Float32:
		return ONNXFloat32
	case Float64:
		return ONNXFloat64
	}
	return ONNXInt64
}

// ints64 converts ints for ONNX attributes and constants.
func ints64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func onnxNames(in []ONNXValue) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = v.Name
	}
	return out
}

// ONNXShape returns a 1-D INT64 tensor holding s at run time: its sizes,
// and those of its open dimensions from e.Dim. An Unknown dimension is an
// error (nothing tells its size).
func ONNXShape(e ONNXEmitter, s Shape) (string, error) {
	if !s.Symbolic() {
		return e.Int64s([]int{len(s)}, ints64(s)...), nil
	}
	var parts []string
	var run []int64
	flush := func() {
		if len(run) > 0 {
			parts = append(parts, e.Int64s([]int{len(run)}, run...))
			run = nil
		}
	}
	for _, d := range s {
		switch {
		case d >= 0:
			run = append(run, int64(d))
		case isOpen(d):
			flush()
			n, err := e.Dim(d)
			if err != nil {
				return "", err
			}
			parts = append(parts, n)
		default:
			return "", shapeErr("shape %v has a dimension whose size is unknown until run time", s)
		}
	}
	flush()
	if len(parts) == 1 {
		return parts[0], nil
	}
	return e.Op("Concat", parts, ONNXInt("axis", 0)), nil
}

// onnxDimOf returns a 1-D INT64 tensor of one element holding dimension a
// of x at run time.
func onnxDimOf(e ONNXEmitter, x ONNXValue, a int) string {
	if d := x.Type.Shape[a]; d >= 0 {
		return e.Int64s([]int{1}, int64(d))
	}
	return e.Op("Shape", []string{x.Name}, ONNXInt("start", int64(a)), ONNXInt("end", int64(a+1)))
}

// onnxFloat returns a scalar constant of the model's float type; ±Inf and
// NaN are kept.
func onnxFloat(e ONNXEmitter, v float64) string { return e.Floats(nil, v) }

// onnxCastMask casts a BOOL tensor to the mask type dt (Int: INT64).
func onnxCastMask(e ONNXEmitter, b, out string, dt DType) {
	e.OpTo("Cast", []string{b}, out, ONNXInt("to", ONNXElemType(dt)))
}

// onnxCond returns cond as BOOL (non-zero: true), for Where.
func onnxCond(e ONNXEmitter, cond string) string {
	return e.Op("Cast", []string{cond}, ONNXInt("to", ONNXBool))
}

// errNoONNX is the error of an op whose parameters have no ONNX form.
func errNoONNX(op Op, why string) error {
	return fmt.Errorf("%v: %s", op, why)
}
