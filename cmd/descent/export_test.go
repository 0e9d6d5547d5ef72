package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	pb "github.com/descent-ml/descent/internal/onnxpb"
)

// An MLP trained through the CLI with standardized features and target
// exports to an ONNX file that decodes with the schema, declares opset 17
// only, reads raw features and predicts in the target's units: the graph
// it was written from gives what `descent predict` prints. (ONNX Runtime
// runs exported models in package export's tests.)
func TestExportONNX(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck")
	_, err := runCLI(t, "train", "--data", "csv:../../testdata/diabetes.csv", "--target", "progression", "--standardize",
		"--standardize-target", "--model", "mlp", "--hidden", "8", "--batchnorm", "--dropout", "0.1", "--optimizer", "adam",
		"--lr", "0.01", "--epochs", "3", "--batch-size", "30", "--test-split", "0.2", "--checkpoint-dir", ck, "--log-every", "100")
	require.NoError(t, err)
	path := filepath.Join(ck, "last.safetensors")
	model := filepath.Join(dir, "model.onnx")
	out, err := runCLI(t, "export", "--checkpoint", path, "--format", "onnx", "--out", model)
	require.NoError(t, err)
	assert.Contains(t, out, `input "x" float32[batch, 10], output "output" float32[batch, 1]`)

	b, err := os.ReadFile(model)
	require.NoError(t, err)
	m := &pb.ModelProto{}
	require.NoError(t, proto.Unmarshal(b, m))
	assert.Equal(t, int64(8), m.GetIrVersion())
	require.Len(t, m.GetOpsetImport(), 1)
	assert.Equal(t, "", m.GetOpsetImport()[0].GetDomain())
	assert.Equal(t, int64(17), m.GetOpsetImport()[0].GetVersion())
	require.Len(t, m.GetGraph().GetInput(), 1)
	assert.Equal(t, "x", m.GetGraph().GetInput()[0].GetName())
	assert.Equal(t, "batch", m.GetGraph().GetInput()[0].GetType().GetTensorType().GetShape().GetDim()[0].GetDimParam())
	require.NotEmpty(t, m.GetMetadataProps())
	assert.Equal(t, "descent.model", m.GetMetadataProps()[0].GetKey())
	assert.Contains(t, m.GetMetadataProps()[0].GetValue(), `"kind":"mlp"`)
	var ops []string
	for _, n := range m.GetGraph().GetNode() {
		ops = append(ops, n.GetOpType())
	}
	assert.Contains(t, ops, "BatchNormalization")
	assert.NotContains(t, ops, "Dropout")

	// The exported graph on raw features against predict.
	pred, err := runCLI(t, "predict", "--checkpoint", path, "--data", "csv:../../testdata/diabetes.csv")
	require.NoError(t, err)
	recs, err := csv.NewReader(strings.NewReader(pred)).ReadAll()
	require.NoError(t, err)
	raw, err := data.LoadCSV("../../testdata/diabetes.csv", data.CSVConfig{Target: "progression"})
	require.NoError(t, err)
	require.Len(t, recs, raw.Len()+1)
	l, err := loadCheckpoint("export", path)
	require.NoError(t, err)
	g, mod, err := l.restore()
	require.NoError(t, err)
	x, y, err := l.exportGraph(g, mod)
	require.NoError(t, err)
	prog, err := g.Compile(nil, y)
	require.NoError(t, err)
	defer prog.Close()
	require.NoError(t, prog.Run(graph.Eval, false, graph.Feeds{x: raw.X}))
	got := prog.Output(y)
	for i, r := range recs[1:] {
		want, err := strconv.ParseFloat(r[1], 64)
		require.NoError(t, err)
		require.InDelta(t, want, got.At(i), 1e-4*max(1, abs(want)), "row %d", i)
	}

	// A fixed batch.
	fixed := filepath.Join(dir, "fixed.onnx")
	out, err = runCLI(t, "export", "--checkpoint", path, "--out", fixed, "--batch", "4")
	require.NoError(t, err)
	assert.Contains(t, out, "float32[4, 10]")
	b, err = os.ReadFile(fixed)
	require.NoError(t, err)
	require.NoError(t, proto.Unmarshal(b, m))
	assert.Equal(t, int64(4), m.GetGraph().GetInput()[0].GetType().GetTensorType().GetShape().GetDim()[0].GetDimValue())
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// Mistakes on export's command line are usage errors (exit code 2), and
// no file is written.
func TestExportUsage(t *testing.T) {
	dir := t.TempDir()
	outPath := filepath.Join(dir, "m.onnx")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--out", outPath}, "--checkpoint FILE is required"},
		{[]string{"export", "--checkpoint", "x.safetensors"}, "--out PATH is required"},
		{[]string{"export", "--checkpoint", "x.safetensors", "--out", outPath, "--format", "tflite"}, `--format "tflite" (want onnx)`},
		{[]string{"export", "--checkpoint", "x.safetensors", "--out", outPath, "--batch", "-1"}, "--batch -1"},
		{[]string{"export", "--checkpoint", "x.safetensors", "--out", outPath, "extra"}, `unexpected argument "extra"`},
	} {
		out, err := runCLI(t, tc.args...)
		var ue *usageError
		require.True(t, errors.As(err, &ue), "%v: %v (want a usage error, exit code 2)", tc.args, err)
		assert.Contains(t, err.Error()+out, tc.want)
	}
	_, err := runCLI(t, "export", "--checkpoint", filepath.Join(dir, "missing.safetensors"), "--out", outPath)
	require.ErrorContains(t, err, "no such file")
	_, err = os.Stat(outPath)
	assert.True(t, os.IsNotExist(err), "nothing written")
	out, err := runCLI(t, "export", "--help")
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, f := range []string{"-checkpoint", "-format", "-out", "-batch"} {
		assert.Regexp(t, "\n  "+f+"[ \n]", out)
	}
}
