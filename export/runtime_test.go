package export_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

// The external checks: python3-onnx's checker and ONNX Runtime through
// onnxruntime-node. Without them the tests skip, unless
// DESCENT_ONNX_REQUIRED=1 (CI's .ci/onnx-test) makes that a failure.

// python is Debian's interpreter, the one python3-onnx installs into (a
// python3 earlier on PATH may be another, without onnx).
const python = "/usr/bin/python3"

// onnxTools returns the folder holding node_modules/onnxruntime-node, or
// skips (fails when required) when the checker or the runtime is missing.
func onnxTools(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) string {
		t.Helper()
		if os.Getenv("DESCENT_ONNX_REQUIRED") == "1" {
			t.Fatalf("DESCENT_ONNX_REQUIRED=1 but "+format, args...)
		}
		t.Skipf("skipping the ONNX checker and ONNX Runtime checks: "+format+
			" (install python3-onnx and nodejs, run `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0` in a folder"+
			" and set DESCENT_ORT_DIR to it; see .ci/onnx-test)", args...)
		return ""
	}
	if out, err := exec.Command(python, "-c", "import onnx").CombinedOutput(); err != nil {
		return missing("%s cannot import onnx (%v: %s)", python, err, strings.TrimSpace(string(out)))
	}
	if _, err := exec.LookPath("node"); err != nil {
		return missing("node is not on PATH")
	}
	dir := os.Getenv("DESCENT_ORT_DIR")
	if dir == "" {
		return missing("DESCENT_ORT_DIR is not set")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json")); err != nil {
		return missing("DESCENT_ORT_DIR=%s has no node_modules/onnxruntime-node", dir)
	}
	return dir
}

const checkScript = `
import json, sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
def dims(v):
    out = []
    for d in v.type.tensor_type.shape.dim:
        if d.HasField("dim_param"): out.append(d.dim_param)
        elif d.HasField("dim_value"): out.append(d.dim_value)
        else: out.append(None)
    return out
print(json.dumps({
    "ir": m.ir_version,
    "opsets": [[o.domain, o.version] for o in m.opset_import],
    "inputs": [{"name": v.name, "type": v.type.tensor_type.elem_type, "dims": dims(v)} for v in m.graph.input],
    "outputs": [{"name": v.name, "type": v.type.tensor_type.elem_type, "dims": dims(v)} for v in m.graph.output],
    "ops": sorted(set(n.op_type for n in m.graph.node)),
}))
`

// checked is what the checker reports of a model it accepts.
type checked struct {
	IR      int             `json:"ir"`
	Opsets  [][]any         `json:"opsets"`
	Inputs  []checkedValue  `json:"inputs"`
	Outputs []checkedValue  `json:"outputs"`
	Ops     []string        `json:"ops"`
	Raw     json.RawMessage `json:"-"`
}

type checkedValue struct {
	Name string `json:"name"`
	Type int    `json:"type"`
	Dims []any  `json:"dims"`
}

// onnxCheck runs check_model(full_check=True) on the file.
func onnxCheck(t *testing.T, path string) checked {
	t.Helper()
	out, err := exec.Command(python, "-c", checkScript, path).CombinedOutput()
	require.NoError(t, err, "onnx checker: %s", out)
	var c checked
	require.NoError(t, json.Unmarshal(out, &c), "checker output %s", out)
	return c
}

const ortScript = `
const path = require('path'), fs = require('fs');
const ort = require(path.join(process.env.DESCENT_ORT_DIR, 'node_modules', 'onnxruntime-node'));
(async () => {
  const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const sess = await ort.InferenceSession.create(job.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const res = { inputs: sess.inputNames, outputs: sess.outputNames, runs: [] };
  for (const run of job.runs) {
    const feeds = {};
    for (const [name, f] of Object.entries(run)) {
      const b = Buffer.from(f.data, 'base64');
      const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      const arr = f.type === 'int64' ? new BigInt64Array(ab) : f.type === 'float64' ? new Float64Array(ab) : new Float32Array(ab);
      feeds[name] = new ort.Tensor(f.type, arr, f.dims);
    }
    const out = await sess.run(feeds);
    const r = {};
    for (const name of sess.outputNames) {
      const v = out[name];
      r[name] = { type: v.type, dims: v.dims, data: Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength).toString('base64') };
    }
    res.runs.push(r);
  }
  fs.writeFileSync(process.argv[3], JSON.stringify(res));
})().catch(e => { console.error(String((e && e.stack) || e)); process.exit(1); });
`

// ortTensor is a tensor crossing to and from node: raw little-endian bytes.
type ortTensor struct {
	Type string `json:"type"`
	Dims []int  `json:"dims"`
	Data string `json:"data"`
}

func toORT(x *graph.Tensor) ortTensor {
	var raw []byte
	typ := ""
	switch x.DType() {
	case graph.Float32:
		v, _ := x.Float32s()
		raw, typ = make([]byte, 4*len(v)), "float32"
		for i, f := range v {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
		}
	case graph.Float64:
		v, _ := x.Float64s()
		raw, typ = make([]byte, 8*len(v)), "float64"
		for i, f := range v {
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(f))
		}
	default:
		v, _ := x.Ints()
		raw, typ = make([]byte, 8*len(v)), "int64"
		for i, n := range v {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(int64(n)))
		}
	}
	return ortTensor{Type: typ, Dims: append([]int{}, x.Shape()...), Data: base64.StdEncoding.EncodeToString(raw)}
}

// values decodes a float output.
func (o ortTensor) values(t *testing.T) []float64 {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(o.Data)
	require.NoError(t, err)
	var out []float64
	switch o.Type {
	case "float32":
		for i := 0; i+4 <= len(raw); i += 4 {
			out = append(out, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
		}
	case "float64":
		for i := 0; i+8 <= len(raw); i += 8 {
			out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(raw[i:])))
		}
	case "int64":
		for i := 0; i+8 <= len(raw); i += 8 {
			out = append(out, float64(int64(binary.LittleEndian.Uint64(raw[i:]))))
		}
	default:
		t.Fatalf("ONNX Runtime output of type %s", o.Type)
	}
	return out
}

// ortResult is what ONNX Runtime reports: its view of the model's inputs
// and outputs and each run's outputs by name.
type ortResult struct {
	Inputs  []string               `json:"inputs"`
	Outputs []string               `json:"outputs"`
	Runs    []map[string]ortTensor `json:"runs"`
}

// ortRun runs the model once per feed set with ONNX Runtime.
func ortRun(t *testing.T, ortDir, model string, runs []map[string]*graph.Tensor) ortResult {
	t.Helper()
	dir := t.TempDir()
	job := struct {
		Model string                 `json:"model"`
		Runs  []map[string]ortTensor `json:"runs"`
	}{Model: model}
	for _, r := range runs {
		m := map[string]ortTensor{}
		for name, x := range r {
			m[name] = toORT(x)
		}
		job.Runs = append(job.Runs, m)
	}
	b, err := json.Marshal(job)
	require.NoError(t, err)
	jobPath, outPath, script := filepath.Join(dir, "job.json"), filepath.Join(dir, "out.json"), filepath.Join(dir, "run.js")
	require.NoError(t, os.WriteFile(jobPath, b, 0o644))
	require.NoError(t, os.WriteFile(script, []byte(ortScript), 0o644))
	cmd := exec.Command("node", script, jobPath, outPath)
	cmd.Env = append(os.Environ(), "DESCENT_ORT_DIR="+ortDir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "ONNX Runtime: %s", out)
	b, err = os.ReadFile(outPath)
	require.NoError(t, err)
	var res ortResult
	require.NoError(t, json.Unmarshal(b, &res))
	require.Len(t, res.Runs, len(runs))
	return res
}
