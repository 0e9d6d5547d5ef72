package export_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/descent-ml/descent/export"
	"github.com/descent-ml/descent/graph"
	pb "github.com/descent-ml/descent/internal/onnxpb"
	"github.com/descent-ml/descent/models"
)

// mlpGraph builds a small MLP with batch norm and dropout on x [N, 4].
func mlpGraph(t *testing.T, seed uint64) (*graph.Graph, *graph.Node, *graph.Node) {
	t.Helper()
	g, err := graph.New(graph.Config{Seed: seed})
	require.NoError(t, err)
	m, err := models.NewMLP(g, models.MLPConfig{In: 4, Hidden: []int{8}, Out: 3, BatchNorm: true, Dropout: 0.2})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 4)
	return g, x, m.Forward(x)
}

func decode(t *testing.T, b []byte) *pb.ModelProto {
	t.Helper()
	m := &pb.ModelProto{}
	require.NoError(t, proto.Unmarshal(b, m))
	return m
}

// dims returns a value's dimensions: int64 sizes and string parameters.
func dims(v *pb.ValueInfoProto) []any {
	var out []any
	for _, d := range v.GetType().GetTensorType().GetShape().GetDim() {
		if p, ok := d.GetValue().(*pb.TensorShapeProto_Dimension_DimParam); ok {
			out = append(out, p.DimParam)
		} else {
			out = append(out, d.GetDimValue())
		}
	}
	return out
}

// TestONNXModelProto decodes an export with the generated schema: opset
// 17 of the default domain only, IR 8, the named input with a dynamic
// batch, the parameters and running statistics as initializers, and the
// Eval forms (BatchNormalization, no Dropout).
func TestONNXModelProto(t *testing.T) {
	_, _, out := mlpGraph(t, 1)
	b, err := export.MarshalONNX([]*graph.Node{out}, export.Options{ProducerVersion: "test", Metadata: map[string]string{"b": "2", "a": "1"}})
	require.NoError(t, err)
	m := decode(t, b)
	assert.Equal(t, int64(8), m.GetIrVersion())
	require.Len(t, m.GetOpsetImport(), 1)
	assert.Equal(t, "", m.GetOpsetImport()[0].GetDomain())
	assert.Equal(t, int64(17), m.GetOpsetImport()[0].GetVersion())
	assert.Equal(t, "descent", m.GetProducerName())
	assert.Equal(t, "test", m.GetProducerVersion())
	require.Len(t, m.GetMetadataProps(), 2)
	assert.Equal(t, "a", m.GetMetadataProps()[0].GetKey())

	gr := m.GetGraph()
	require.Len(t, gr.GetInput(), 1)
	assert.Equal(t, "x", gr.GetInput()[0].GetName())
	assert.Equal(t, []any{"batch", int64(4)}, dims(gr.GetInput()[0]))
	assert.Equal(t, int32(pb.TensorProto_FLOAT), gr.GetInput()[0].GetType().GetTensorType().GetElemType())
	require.Len(t, gr.GetOutput(), 1)
	assert.Equal(t, "output", gr.GetOutput()[0].GetName())
	assert.Equal(t, []any{"batch", int64(3)}, dims(gr.GetOutput()[0]))

	inits := map[string][]int64{}
	for _, x := range gr.GetInitializer() {
		inits[x.GetName()] = x.GetDims()
	}
	for name, want := range map[string][]int64{"mlp/dense0/w": {4, 8}, "mlp/dense0/b": {8}, "mlp/bn0/running_mean": {8}, "mlp/bn0/running_var": {8}, "mlp/dense1/w": {8, 3}} {
		assert.Equal(t, want, inits[name], name)
	}
	ops := map[string]bool{}
	for _, n := range gr.GetNode() {
		ops[n.GetOpType()] = true
	}
	assert.True(t, ops["BatchNormalization"])
	assert.True(t, ops["MatMul"])
	assert.False(t, ops["Dropout"])
	assert.Equal(t, "output", gr.GetNode()[len(gr.GetNode())-1].GetOutput()[0], "the last node writes the output")
}

// TestONNXDeterministic: the same graph and values give the same bytes,
// also from a second build of the model.
func TestONNXDeterministic(t *testing.T) {
	_, _, out := mlpGraph(t, 2)
	a, err := export.MarshalONNX([]*graph.Node{out}, export.Options{})
	require.NoError(t, err)
	b, err := export.MarshalONNX([]*graph.Node{out}, export.Options{})
	require.NoError(t, err)
	assert.Equal(t, a, b)
	_, _, out2 := mlpGraph(t, 2)
	var buf bytes.Buffer
	require.NoError(t, export.ONNX(&buf, []*graph.Node{out2}, export.Options{}))
	assert.Equal(t, a, buf.Bytes())
}

// foo is a user op without an ONNX form.
type foo struct{}

func (foo) String() string                            { return "Foo" }
func (foo) Infer(in []graph.Type) (graph.Type, error) { return in[0], nil }
func (foo) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	return out.CopyFrom(in[0])
}

// TestONNXUnsupportedOp: an op with no ONNX form is an error naming it,
// and nothing is written.
func TestONNXUnsupportedOp(t *testing.T) {
	g, err := graph.New(graph.Config{})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 3)
	out := graph.ReLU(graph.Apply(foo{}, graph.Tanh(x)))
	var buf bytes.Buffer
	err = export.ONNX(&buf, []*graph.Node{out}, export.Options{})
	require.Error(t, err)
	assert.EqualError(t, err, "export: ONNX: op Foo has no ONNX form")
	assert.ErrorIs(t, err, export.ErrUnsupported)
	var ue *export.UnsupportedError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "Foo", ue.Op)
	assert.Zero(t, buf.Len(), "nothing is written")

	// A gradient node has no form either.
	w := g.Param("w", []int{3}, graph.Ones())
	grad := graph.Grad(graph.Sum(graph.Mul(x, w)), w)[0]
	require.NoError(t, g.Err())
	err = export.ONNX(&buf, []*graph.Node{grad}, export.Options{})
	assert.ErrorIs(t, err, export.ErrUnsupported)
	assert.Zero(t, buf.Len())
}

// form is a user op with an ONNX form given by fn.
type form struct {
	name string
	fn   func(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error
}

func (o form) String() string                            { return o.name }
func (o form) Infer(in []graph.Type) (graph.Type, error) { return in[0], nil }
func (o form) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	for i := 0; i < out.Len(); i++ {
		out.Set(i, -in[0].At(i))
	}
	return nil
}
func (o form) ONNX(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error {
	return o.fn(e, in, out)
}

// TestONNXUserForms: a user op's form is checked as it is written: it
// must write its output, read only values that exist, not panic.
func TestONNXUserForms(t *testing.T) {
	cases := []struct {
		name, want string
		fn         func(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error
	}{
		{"no output", "does not write its output", func(e graph.ONNXEmitter, in []graph.ONNXValue, _ graph.ONNXValue) error {
			e.Op("Neg", []string{in[0].Name})
			return nil
		}},
		{"unknown input", `reads "nope"`, func(e graph.ONNXEmitter, _ []graph.ONNXValue, out graph.ONNXValue) error {
			e.OpTo("Neg", []string{"nope"}, out.Name)
			return nil
		}},
		{"error", "no luck", func(graph.ONNXEmitter, []graph.ONNXValue, graph.ONNXValue) error {
			return errors.New("no luck")
		}},
		{"panic", "panicked", func(graph.ONNXEmitter, []graph.ONNXValue, graph.ONNXValue) error {
			panic("boom")
		}},
		{"bad attribute", "attribute", func(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error {
			e.OpTo("Neg", []string{in[0].Name}, out.Name, graph.ONNXAttr{Name: "x"})
			return nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := graph.New(graph.Config{})
			require.NoError(t, err)
			x := g.Input("x", graph.Batch, 3)
			out := graph.Apply(form{name: "Negate", fn: c.fn}, x)
			_, err = export.MarshalONNX([]*graph.Node{out}, export.Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "op Negate")
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestONNXBadUse: errors, not panics, on bad outputs and options.
func TestONNXBadUse(t *testing.T) {
	g, x, out := mlpGraph(t, 3)
	other, _, out2 := mlpGraph(t, 3)
	_ = other
	y := g.Input("y", graph.Batch, 4)
	cases := map[string]struct {
		outputs []*graph.Node
		opts    export.Options
	}{
		"no outputs":              {nil, export.Options{}},
		"nil output":              {[]*graph.Node{nil}, export.Options{}},
		"two graphs":              {[]*graph.Node{out, out2}, export.Options{}},
		"negative batch":          {[]*graph.Node{out}, export.Options{Batch: -1}},
		"names for two":           {[]*graph.Node{out}, export.Options{OutputNames: []string{"a", "b"}}},
		"empty name":              {[]*graph.Node{out}, export.Options{OutputNames: []string{""}}},
		"name of an input":        {[]*graph.Node{out}, export.Options{OutputNames: []string{"x"}}},
		"name of a parameter":     {[]*graph.Node{out}, export.Options{OutputNames: []string{"mlp/dense0/w"}}},
		"inputs without x":        {[]*graph.Node{out}, export.Options{Inputs: []*graph.Node{y}}},
		"inputs with a non-input": {[]*graph.Node{out}, export.Options{Inputs: []*graph.Node{x, out}}},
		"inputs twice":            {[]*graph.Node{out}, export.Options{Inputs: []*graph.Node{x, x}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := export.ONNX(&buf, c.outputs, c.opts)
			require.Error(t, err)
			t.Log(err)
			assert.Zero(t, buf.Len())
		})
	}
	// A graph that failed to build.
	bad := graph.Add(x, g.Input("z", graph.Batch, 5))
	require.Error(t, g.Err())
	_, err := export.MarshalONNX([]*graph.Node{bad}, export.Options{})
	require.Error(t, err)
}

// TestONNXOptions: several outputs (one of them an input), extra inputs,
// a fixed batch; checked and run when the tools are there.
func TestONNXOptions(t *testing.T) {
	g, x, logits := mlpGraph(t, 4)
	unused := g.Input("unused", graph.Batch, 2)
	probs := graph.Softmax(logits, -1)
	outputs := []*graph.Node{logits, probs, x, logits}
	b, err := export.MarshalONNX(outputs, export.Options{Inputs: []*graph.Node{x, unused}, Batch: 5, Name: "mlp", Doc: "an MLP"})
	require.NoError(t, err)
	m := decode(t, b)
	assert.Equal(t, "mlp", m.GetGraph().GetName())
	assert.Equal(t, "an MLP", m.GetDocString())
	var names []string
	for _, o := range m.GetGraph().GetOutput() {
		names = append(names, o.GetName())
		assert.Equal(t, int64(5), dims(o)[0], "the batch is fixed")
	}
	assert.Equal(t, []string{"output0", "output1", "output2", "output3"}, names)
	require.Len(t, m.GetGraph().GetInput(), 2)
	assert.Equal(t, []any{int64(5), int64(4)}, dims(m.GetGraph().GetInput()[0]))

	ortDir := onnxTools(t)
	path := filepath.Join(t.TempDir(), "options.onnx")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	info := onnxCheck(t, path)
	assert.Equal(t, [][]any{{"", float64(export.Opset)}}, info.Opsets)

	xv := make([]float32, 5*4)
	for i := range xv {
		xv[i] = float32(math.Sin(float64(i)))
	}
	xt, err := graph.FromFloat32(xv, 5, 4)
	require.NoError(t, err)
	ut, err := graph.FromFloat32(make([]float32, 10), 5, 2)
	require.NoError(t, err)
	prog, err := g.Compile(nil, logits, probs)
	require.NoError(t, err)
	defer prog.Close()
	require.NoError(t, prog.Run(graph.Eval, false, graph.Feeds{x: xt}))
	res := ortRun(t, ortDir, path, []map[string]*graph.Tensor{{"x": xt, "unused": ut}})
	want := map[string][]float64{"output0": prog.Output(logits).Values(), "output1": prog.Output(probs).Values(),
		"output2": xt.Values(), "output3": prog.Output(logits).Values()}
	for name, w := range want {
		got := res.Runs[0][name].values(t)
		require.Len(t, got, len(w), name)
		for i := range w {
			require.InDelta(t, w[i], got[i], ortTol, fmt.Sprintf("%s[%d]", name, i))
		}
	}
}

// TestONNXUserOp: a user op with an ONNX form exports and runs.
func TestONNXUserOp(t *testing.T) {
	g, err := graph.New(graph.Config{})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 3)
	neg := form{name: "Negate", fn: func(e graph.ONNXEmitter, in []graph.ONNXValue, out graph.ONNXValue) error {
		e.OpTo("Neg", []string{in[0].Name}, out.Name)
		return nil
	}}
	out := graph.Exp(graph.Apply(neg, x))
	b, err := export.MarshalONNX([]*graph.Node{out}, export.Options{})
	require.NoError(t, err)
	ortDir := onnxTools(t)
	path := filepath.Join(t.TempDir(), "user.onnx")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	onnxCheck(t, path)
	xt, err := graph.FromFloat32([]float32{0, 1, -2, 0.5, 3, -1}, 2, 3)
	require.NoError(t, err)
	got := ortRun(t, ortDir, path, []map[string]*graph.Tensor{{"x": xt}}).Runs[0]["output"].values(t)
	for i, v := range xt.Values() {
		assert.InDelta(t, math.Exp(-v), got[i], 1e-6)
	}
}
