package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/descent-ml/descent/export"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
)

const exportSynopsis = `Writes the model stored in a checkpoint (written by "descent train
--checkpoint-dir") for other runtimes. --format onnx, the only format,
writes an ONNX model (opset 17, IR version 8) that ONNX Runtime and other
ONNX runtimes run: the model in eval mode (batch norm with its running
statistics, no dropout), its batch dimension dynamic unless --batch fixes
it, and the sequence length of a transformer dynamic too.

The model's input is "x", float features [batch, F] (MNIST: the 784
pixels scaled to [0, 1]); "tokens", int64 token ids [batch, seq] for a
transformer ([batch, L], L the training length, for an MLP on tokens); or
"ids", int64 [batch, 2] user and item ids for mf. Its output "output" is
[batch, classes] logits for a classifier (apply softmax for
probabilities) or [batch, targets] predictions for regression. The
checkpoint's standardization (--standardize, --standardize-target) is part
of the model: it reads raw features and predicts in the target's units.
The model spec and the class names are in its metadata.`

// exportArgs holds export's flags.
type exportArgs struct {
	checkpoint, format, out string
	batch                   int
}

// exportFlags defines export's flags.
func exportFlags(stdout io.Writer) (*flag.FlagSet, *exportArgs) {
	fs := newFlagSet("export", exportSynopsis, stdout)
	a := &exportArgs{}
	fs.StringVar(&a.checkpoint, "checkpoint", "", "checkpoint FILE (required)")
	fs.StringVar(&a.format, "format", "onnx", "the format: onnx")
	fs.StringVar(&a.out, "out", "", "write the model to PATH (required)")
	fs.IntVar(&a.batch, "batch", 0, "fix the batch size to N (0: dynamic)")
	return fs, a
}

func runExport(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs, a := exportFlags(stdout)
	if err := noPositional(fs, "export", args); err != nil {
		return err
	}
	switch {
	case a.format != "onnx":
		return usagef("export", "--format %q (want onnx)", a.format)
	case a.out == "":
		return usagef("export", "--out PATH is required")
	case a.batch < 0:
		return usagef("export", "--batch %d (want 0 for a dynamic batch, or > 0)", a.batch)
	}
	l, err := loadCheckpoint("export", a.checkpoint)
	if err != nil {
		return err
	}
	g, m, err := l.restore()
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	x, out, err := l.exportGraph(g, m)
	if err != nil {
		return fmt.Errorf("export: %s: %w", l.path, err)
	}
	meta := map[string]string{"descent.model": l.spec.String()}
	if len(l.classes) > 0 {
		b, _ := json.Marshal(l.classes)
		meta["descent.classes"] = string(b)
	}
	b, err := export.MarshalONNX([]*graph.Node{out}, export.Options{Batch: a.batch, ProducerVersion: version(),
		Name: l.spec.Kind, Doc: fmt.Sprintf("descent %s model from %s", l.spec.Kind, filepath.Base(l.path)), Metadata: meta})
	if err != nil {
		return err
	}
	if err := writeAtomic(a.out, b); err != nil {
		return fmt.Errorf("export: --out: %w", err)
	}
	fmt.Fprintf(stdout, "descent: wrote %s (ONNX opset %d, %d bytes): %s model, input %q %s, output %q %s\n",
		a.out, export.Opset, len(b), l.spec.Kind, x.Name(), typeName(x.Type(), a.batch), "output", typeName(out.Type(), a.batch))
	return nil
}

// exportGraph declares the model's input as the training data fed it
// and builds its output, the checkpoint's standardization included.
func (l *loaded) exportGraph(g *graph.Graph, m models.Module) (x, out *graph.Node, err error) {
	sp := l.spec
	switch {
	case sp.Kind == "transformer":
		x = g.IntInput("tokens", graph.Batch, graph.Seq)
	case sp.Kind == "mf":
		x = g.IntInput("ids", graph.Batch, 2)
	case sp.Vocab > 0:
		x = g.IntInput("tokens", graph.Batch, sp.MaxLen)
	default:
		x = g.Input("x", graph.Batch, sp.In)
	}
	in := x
	sc := l.scaling
	if sc != nil && sc.Mean != nil {
		if x.DType() == graph.Int || len(sc.Mean) != sp.In || len(sc.Scale) != sp.In {
			return nil, nil, fmt.Errorf("the saved scaling has %d features, the %s model %d", len(sc.Mean), sp.Kind, sp.In)
		}
		mean, scale, err := vectors(g, sc.Mean, sc.Scale)
		if err != nil {
			return nil, nil, err
		}
		in = graph.Div(graph.Sub(x, mean), scale)
	}
	out = m.Forward(in)
	if sc != nil && sc.TargetMean != nil {
		if len(sc.TargetMean) != sp.Out || len(sc.TargetScale) != sp.Out {
			return nil, nil, fmt.Errorf("the saved target scaling has %d targets, the %s model %d outputs", len(sc.TargetMean), sp.Kind, sp.Out)
		}
		scale, mean, err := vectors(g, sc.TargetScale, sc.TargetMean)
		if err != nil {
			return nil, nil, err
		}
		out = graph.Add(graph.Mul(out, scale), mean)
	}
	if err := g.Err(); err != nil {
		return nil, nil, err
	}
	return x, out, nil
}

// vectors returns constants [len(a)] and [len(b)] of the graph's float type.
func vectors(g *graph.Graph, a, b []float64) (*graph.Node, *graph.Node, error) {
	ta, err := graph.FromFloat64s(g.DType(), a, len(a))
	if err != nil {
		return nil, nil, err
	}
	tb, err := graph.FromFloat64s(g.DType(), b, len(b))
	if err != nil {
		return nil, nil, err
	}
	return g.Const(ta), g.Const(tb), nil
}

// typeName prints a model input or output type as the ONNX file has it.
func typeName(t graph.Type, batch int) string {
	elem := map[graph.DType]string{graph.Float32: "float32", graph.Float64: "float64", graph.Int: "int64"}[t.DType]
	s := elem + "["
	for i, d := range t.Shape {
		if i > 0 {
			s += ", "
		}
		switch {
		case d == graph.Batch && batch > 0:
			s += fmt.Sprint(batch)
		case d == graph.Batch:
			s += "batch"
		case d == graph.Seq:
			s += "seq"
		default:
			s += fmt.Sprint(d)
		}
	}
	return s + "]"
}

// writeAtomic writes b to path through a temporary file in its folder, so
// that path is either the whole model or untouched.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".descent-export-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
