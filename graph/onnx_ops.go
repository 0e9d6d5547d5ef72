package graph

import (
	"fmt"
	"math"
	"slices"
)

// The ONNX forms of this package's ops (see ONNXOp). Gradient ops
// (unaryGradOp, softmaxGradOp, ...) and losses have none: an export holds
// the forward graph only.

var (
	_ ONNXOp = binaryOp{}
	_ ONNXOp = scaleOp{}
	_ ONNXOp = shiftOp{}
	_ ONNXOp = unaryOp{}
	_ ONNXOp = reduceOp{}
	_ ONNXOp = varOp{}
	_ ONNXOp = softmaxOp{}
	_ ONNXOp = transposeOp{}
	_ ONNXOp = expandOp{}
	_ ONNXOp = concatOp{}
	_ ONNXOp = sliceOp{}
	_ ONNXOp = padOp{}
	_ ONNXOp = reshapeOp{}
	_ ONNXOp = indexSelectOp{}
	_ ONNXOp = gatherOp{}
	_ ONNXOp = oneHotOp{}
	_ ONNXOp = arangeOp{}
	_ ONNXOp = compareOp{}
	_ ONNXOp = whereOp{}
	_ ONNXOp = castOp{}
	_ ONNXOp = matMulOp{}
	_ ONNXOp = argOp{}
)

var binONNX = [...]string{"Add", "Sub", "Mul", "Div", "Pow", "Min", "Max"}

// ONNX: the operator of the same name (Minimum and Maximum are Min and Max).
func (o binaryOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	e.OpTo(binONNX[o.kind], onnxNames(in), out.Name)
	return nil
}

// ONNX: Mul by a constant.
func (o scaleOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	e.OpTo("Mul", []string{in[0].Name, onnxFloat(e, o.c)}, out.Name)
	return nil
}

// ONNX: Add a constant.
func (o shiftOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	e.OpTo("Add", []string{in[0].Name, onnxFloat(e, o.c)}, out.Name)
	return nil
}

// unaryONNX maps the elementwise functions that are one ONNX operator.
var unaryONNX = map[unaryKind]string{
	opReLU: "Relu", opTanh: "Tanh", opSigmoid: "Sigmoid", opExp: "Exp", opLog: "Log", opSqrt: "Sqrt",
	opAbs: "Abs", opSign: "Sign", opSin: "Sin", opCos: "Cos", opErf: "Erf", opRecip: "Reciprocal",
}

// ONNX: the operator of the same name, or a composition of operators
// (GELU, Gelu being opset 20, is 0.5·x·(1 + Erf(x/√2)), as
// torch.onnx.export writes it for opset 17).
func (o unaryOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	x := in[0].Name
	c := func(v float64) string { return onnxFloat(e, v) }
	if op, ok := unaryONNX[o.kind]; ok {
		e.OpTo(op, []string{x}, out.Name)
		return nil
	}
	switch o.kind {
	case opSquare:
		e.OpTo("Mul", []string{x, x}, out.Name)
	case opLog1p:
		e.OpTo("Log", []string{e.Op("Add", []string{x, c(1)})}, out.Name)
	case opExpm1:
		e.OpTo("Sub", []string{e.Op("Exp", []string{x}), c(1)}, out.Name)
	case opRsqrt:
		e.OpTo("Reciprocal", []string{e.Op("Sqrt", []string{x})}, out.Name)
	case opSiLU:
		e.OpTo("Mul", []string{x, e.Op("Sigmoid", []string{x})}, out.Name)
	case opGELU:
		erf := e.Op("Erf", []string{e.Op("Div", []string{x, c(sqrt2)})})
		y := e.Op("Mul", []string{x, e.Op("Add", []string{erf, c(1)})})
		e.OpTo("Mul", []string{y, c(0.5)}, out.Name)
	case opGELUTanh: // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))
		x3 := e.Op("Mul", []string{e.Op("Mul", []string{x, x}), x})
		inner := e.Op("Add", []string{x, e.Op("Mul", []string{x3, c(geluC)})})
		t := e.Op("Tanh", []string{e.Op("Mul", []string{inner, c(geluK)})})
		y := e.Op("Mul", []string{x, e.Op("Add", []string{t, c(1)})})
		e.OpTo("Mul", []string{y, c(0.5)}, out.Name)
	case opSoftplus: // x where βx > threshold, else Softplus(βx)/β
		bx := x
		if o.a != 1 {
			bx = e.Op("Mul", []string{x, c(o.a)})
		}
		sp := e.Op("Softplus", []string{bx})
		if o.a != 1 {
			sp = e.Op("Div", []string{sp, c(o.a)})
		}
		e.OpTo("Where", []string{e.Op("Greater", []string{bx, c(o.b)}), x, sp}, out.Name)
	case opLeakyReLU:
		e.OpTo("LeakyRelu", []string{x}, out.Name, ONNXFloat("alpha", o.a))
	case opELU:
		e.OpTo("Elu", []string{x}, out.Name, ONNXFloat("alpha", o.a))
	case opPowC:
		e.OpTo("Pow", []string{x, c(o.a)}, out.Name)
	case opClamp: // Clip; an infinite bound is no bound
		lo, hi := "", ""
		if !math.IsInf(o.a, -1) {
			lo = c(o.a)
		}
		if !math.IsInf(o.b, 1) {
			hi = c(o.b)
		}
		e.OpTo("Clip", []string{x, lo, hi}, out.Name)
	case opStep:
		onnxCastMask(e, e.Op("Greater", []string{x, c(0)}), out.Name, out.Type.DType)
	case opInRange:
		ge := e.Op("GreaterOrEqual", []string{x, c(o.a)})
		le := e.Op("LessOrEqual", []string{x, c(o.b)})
		onnxCastMask(e, e.Op("And", []string{ge, le}), out.Name, out.Type.DType)
	default:
		return errNoONNX(o, "no ONNX form")
	}
	return nil
}

var redONNX = [...]string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceLogSumExp"}

// ONNX: the Reduce operator of the same kind over the op's axes (all when
// none); ReduceSum takes them as an input, the others (in opset 17) as an
// attribute.
func (o reduceOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	axes := o.axes
	if len(axes) > 0 {
		var err error
		if axes, err = axesOf(o.axes, in[0].Type.Shape.Rank()); err != nil {
			return err
		}
	}
	onnxReduce(e, o.kind, in[0].Name, axes, o.keep, out.Name)
	return nil
}

// onnxReduce adds the reduction k of x over axes (none: all) writing out.
func onnxReduce(e ONNXEmitter, k redKind, x string, axes []int, keep bool, out string) {
	keepdims := ONNXInt("keepdims", 0)
	if keep {
		keepdims = ONNXInt("keepdims", 1)
	}
	switch {
	case k == redSum && len(axes) > 0:
		e.OpTo("ReduceSum", []string{x, e.Int64s([]int{len(axes)}, ints64(axes)...)}, out, keepdims)
	case len(axes) > 0:
		e.OpTo(redONNX[k], []string{x}, out, keepdims, ONNXInts("axes", ints64(axes)...))
	default:
		e.OpTo(redONNX[k], []string{x}, out, keepdims)
	}
}

// ONNX: the mean of the squared deviations, ReduceMean over the axes,
// scaled by n/(n - correction) (n computed at run time when a reduced
// dimension is open).
func (o varOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	x := in[0]
	axes, err := axesOf(o.axes, x.Type.Shape.Rank())
	if err != nil {
		return err
	}
	mean := e.Op("ReduceMean", []string{x.Name}, ONNXInt("keepdims", 1), ONNXInts("axes", ints64(axes)...))
	d := e.Op("Sub", []string{x.Name, mean})
	sq := e.Op("Mul", []string{d, d})
	if o.correction == 0 {
		onnxReduce(e, redMean, sq, axes, o.keep, out.Name)
		return nil
	}
	n, static := 1, true
	for _, a := range axes {
		if x.Type.Shape[a] < 0 {
			static = false
			break
		}
		n *= x.Type.Shape[a]
	}
	if static {
		v := e.Op("ReduceMean", []string{sq}, ONNXInt("keepdims", b2i(o.keep)), ONNXInts("axes", ints64(axes)...))
		e.OpTo("Mul", []string{v, onnxFloat(e, float64(n)/float64(n-o.correction))}, out.Name)
		return nil
	}
	s := e.Op("ReduceSum", []string{sq, e.Int64s([]int{len(axes)}, ints64(axes)...)}, ONNXInt("keepdims", b2i(o.keep)))
	dims := e.Op("Gather", []string{e.Op("Shape", []string{x.Name}), e.Int64s([]int{len(axes)}, ints64(axes)...)}, ONNXInt("axis", 0))
	cnt := e.Op("Cast", []string{e.Op("ReduceProd", []string{dims}, ONNXInt("keepdims", 0))}, ONNXInt("to", ONNXElemType(out.Type.DType)))
	e.OpTo("Div", []string{s, e.Op("Sub", []string{cnt, onnxFloat(e, float64(o.correction))})}, out.Name)
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ONNX: Softmax or LogSoftmax along the axis (opset 13 semantics: one axis).
func (o softmaxOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	op := "Softmax"
	if o.log {
		op = "LogSoftmax"
	}
	e.OpTo(op, []string{in[0].Name}, out.Name, ONNXInt("axis", int64(o.axis)))
	return nil
}

// ONNX: Transpose.
func (o transposeOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	e.OpTo("Transpose", []string{in[0].Name}, out.Name, ONNXInts("perm", ints64(o.perm)...))
	return nil
}

// ONNX: Expand to the target shape (open dimensions at run time).
func (o expandOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	s, err := ONNXShape(e, o.shape)
	if err != nil {
		return err
	}
	e.OpTo("Expand", []string{in[0].Name, s}, out.Name)
	return nil
}

// ONNX: Concat.
func (o concatOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	e.OpTo("Concat", onnxNames(in), out.Name, ONNXInt("axis", int64(o.axis)))
	return nil
}

// ONNX: Slice, which clamps and counts negative bounds from the end as
// Python does.
func (o sliceOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	one := func(v int) string { return e.Int64s([]int{1}, int64(v)) }
	e.OpTo("Slice", []string{in[0].Name, one(o.start), one(o.stop), one(o.axis), one(o.step)}, out.Name)
	return nil
}

// ONNX: Pad in constant mode.
func (o padOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	r := in[0].Type.Shape.Rank()
	pads := make([]int64, 2*r)
	for i := range o.before {
		pads[i], pads[r+i] = int64(o.before[i]), int64(o.after[i])
	}
	e.OpTo("Pad", []string{in[0].Name, e.Int64s([]int{2 * r}, pads...), onnxFloat(e, o.value)}, out.Name)
	return nil
}

// ONNX: Squeeze and Unsqueeze as themselves; any other reshape as
// Reshape, whose target holds the output's known sizes, 0 (ONNX's "the
// input's size here") for a dimension kept in place, and -1 (inferred)
// for one other; the sizes still missing are read at run time: a
// dimension carried over from the input with Shape, an open dimension
// from e.Dim.
func (o reshapeOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	x, shape := in[0], out.Type.Shape
	switch o.name {
	case "Squeeze":
		var axes []int64
		for i := range x.Type.Shape {
			if !slices.Contains(o.from, i) {
				axes = append(axes, int64(i))
			}
		}
		e.OpTo("Squeeze", []string{x.Name, e.Int64s([]int{len(axes)}, axes...)}, out.Name)
		return nil
	case "Unsqueeze":
		if i := slices.Index(o.from, -1); i >= 0 {
			e.OpTo("Unsqueeze", []string{x.Name, e.Int64s([]int{1}, int64(i))}, out.Name)
			return nil
		}
	}
	target := make([]int64, len(shape))
	var missing []int
	for i, d := range shape {
		switch {
		case d > 0:
			target[i] = int64(d)
		case i < len(o.from) && o.from[i] == i:
			target[i] = 0
		default:
			missing = append(missing, i)
		}
	}
	if len(missing) <= 1 {
		for _, i := range missing {
			target[i] = -1
		}
		e.OpTo("Reshape", []string{x.Name, e.Int64s([]int{len(target)}, target...)}, out.Name)
		return nil
	}
	// Several sizes to read: the target is a Concat of constants and sizes.
	var parts []string
	var run []int64
	flush := func() {
		if len(run) > 0 {
			parts = append(parts, e.Int64s([]int{len(run)}, run...))
			run = nil
		}
	}
	inferred := false
	for i, d := range shape {
		switch {
		case !slices.Contains(missing, i):
			run = append(run, target[i]) // a size, or 0: the input's
		case i < len(o.from) && o.from[i] >= 0:
			flush()
			parts = append(parts, onnxDimOf(e, x, o.from[i]))
		case isOpen(d):
			flush()
			n, err := e.Dim(d)
			if err != nil {
				return err
			}
			parts = append(parts, n)
		case !inferred:
			inferred = true
			run = append(run, -1)
		default:
			return errNoONNX(o, fmt.Sprintf("the target %v has several sizes unknown until run time", shape))
		}
	}
	flush()
	e.OpTo("Reshape", []string{x.Name, e.Op("Concat", parts, ONNXInt("axis", 0))}, out.Name)
	return nil
}

// ONNX: Gather (the padding index only matters to the gradient).
func (o indexSelectOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	e.OpTo("Gather", onnxNames(in), out.Name, ONNXInt("axis", int64(o.axis)))
	return nil
}

// ONNX: GatherElements.
func (o gatherOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	e.OpTo("GatherElements", onnxNames(in), out.Name, ONNXInt("axis", int64(o.axis)))
	return nil
}

// ONNX: OneHot along a new last axis, values 0 and 1 of the float type.
func (o oneHotOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	depth := e.Int64s(nil, int64(o.classes))
	e.OpTo("OneHot", []string{in[0].Name, depth, e.Floats([]int{2}, 0, 1)}, out.Name, ONNXInt("axis", -1))
	return nil
}

// ONNX: Range(0, n, 1), n the dimension's size (read at run time when open).
func (o arangeOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	a, err := axis(o.axis, in[0].Type.Shape.Rank())
	if err != nil {
		return err
	}
	var n string
	if d := in[0].Type.Shape[a]; d >= 0 {
		n = e.Int64s(nil, int64(d))
	} else {
		n = e.Op("Squeeze", []string{onnxDimOf(e, in[0], a), e.Int64s([]int{1}, 0)})
	}
	e.OpTo("Range", []string{e.Int64s(nil, 0), n, e.Int64s(nil, 1)}, out.Name)
	return nil
}

var cmpONNX = [...]string{"Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Equal", "Equal"}

// ONNX: the comparison (NotEqual is Not(Equal)), its BOOL cast to the
// mask's type.
func (o compareOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	b := e.Op(cmpONNX[o.kind], onnxNames(in))
	if o.kind == cmpNE {
		b = e.Op("Not", []string{b})
	}
	onnxCastMask(e, b, out.Name, out.Type.DType)
	return nil
}

// ONNX: Where, the condition cast to BOOL.
func (whereOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	e.OpTo("Where", []string{onnxCond(e, in[0].Name), in[1].Name, in[2].Name}, out.Name)
	return nil
}

// ONNX: Cast (float to Int truncates toward zero, as here).
func (o castOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	e.OpTo("Cast", []string{in[0].Name}, out.Name, ONNXInt("to", ONNXElemType(o.to)))
	return nil
}

// ONNX: MatMul, a transposed operand through Transpose of its last two
// dimensions.
func (o matMulOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	t := func(v ONNXValue) string {
		r := v.Type.Shape.Rank()
		perm := make([]int64, r)
		for i := range perm {
			perm[i] = int64(i)
		}
		perm[r-2], perm[r-1] = perm[r-1], perm[r-2]
		return e.Op("Transpose", []string{v.Name}, ONNXInts("perm", perm...))
	}
	a, b := in[0].Name, in[1].Name
	if o.transA {
		a = t(in[0])
	}
	if o.transB {
		b = t(in[1])
	}
	e.OpTo("MatMul", []string{a, b}, out.Name)
	return nil
}

// ONNX: ArgMax or ArgMin (the first extreme, as here), without the axis.
func (o argOp) ONNX(e ONNXEmitter, in []ONNXValue, out ONNXValue) error {
	op := "ArgMax"
	if o.min {
		op = "ArgMin"
	}
	e.OpTo(op, []string{in[0].Name}, out.Name, ONNXInt("axis", int64(o.axis)), ONNXInt("keepdims", 0))
	return nil
}
