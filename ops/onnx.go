package ops

import "github.com/descent-ml/descent/graph"

// The ONNX (opset 17) forms of this package's ops, in their Eval form:
// what package export writes (see graph.ONNXOp).

var (
	_ graph.ONNXOp = (*batchNormOp)(nil)
	_ graph.ONNXOp = (*dropout)(nil)
	_ graph.ONNXOp = (*conv)(nil)
	_ graph.ONNXOp = (*maxPool)(nil)
	_ graph.ONNXOp = avgPool{}
)

// ONNX: BatchNormalization with the running statistics (training_mode 0,
// the Eval form), their current values as initializers; without affine,
// gamma 1 and beta 0.
func (o *batchNormOp) ONNX(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error {
	bn := o.bn
	var gamma, beta string
	if len(in) == 3 {
		gamma, beta = in[1].Name, in[2].Name
	} else {
		ones, zeros := make([]float64, bn.channels), make([]float64, bn.channels)
		for i := range ones {
			ones[i] = 1
		}
		gamma, beta = e.Floats([]int{bn.channels}, ones...), e.Floats([]int{bn.channels}, zeros...)
	}
	e.OpTo("BatchNormalization", []string{in[0].Name, gamma, beta, e.Param(bn.mean.Param()), e.Param(bn.variance.Param())},
		out.Name, graph.ONNXFloat("epsilon", bn.eps), graph.ONNXInt("training_mode", 0))
	return nil
}

// ONNX: Identity, dropout's Eval form.
func (o *dropout) ONNX(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error {
	e.OpTo("Identity", []string{in[0].Name}, out.Name)
	return nil
}

// ONNX: Conv with the weight [O, C, kh, kw] (ONNX's layout too) and
// symmetric padding.
func (o *conv) ONNX(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error {
	w := in[1].Type.Shape
	names := []string{in[0].Name, in[1].Name}
	if o.bias {
		names = append(names, in[2].Name)
	}
	e.OpTo("Conv", names, out.Name,
		graph.ONNXInts("kernel_shape", int64(w[2]), int64(w[3])),
		graph.ONNXInts("strides", int64(o.stride[0]), int64(o.stride[1])),
		graph.ONNXInts("pads", int64(o.pad[0]), int64(o.pad[1]), int64(o.pad[0]), int64(o.pad[1])))
	return nil
}

// poolAttrs are the window attributes of MaxPool and AveragePool.
func poolAttrs(c PoolConfig) []graph.ONNXAttr {
	return []graph.ONNXAttr{
		graph.ONNXInts("kernel_shape", int64(c.Kernel[0]), int64(c.Kernel[1])),
		graph.ONNXInts("strides", int64(c.Stride[0]), int64(c.Stride[1])),
		graph.ONNXInts("pads", int64(c.Padding[0]), int64(c.Padding[1]), int64(c.Padding[0]), int64(c.Padding[1])),
	}
}

// ONNX: MaxPool (the padding never wins, as -inf here).
func (o *maxPool) ONNX(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error {
	e.OpTo("MaxPool", []string{in[0].Name}, out.Name, poolAttrs(o.cfg)...)
	return nil
}

// ONNX: AveragePool counting the padding (count_include_pad 1), as here.
func (o avgPool) ONNX(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error {
	e.OpTo("AveragePool", []string{in[0].Name}, out.Name, append(poolAttrs(o.cfg), graph.ONNXInt("count_include_pad", 1))...)
	return nil
}
