package safetensors

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

// python is the interpreter for testdata/safetensors_ref.py, an
// independent stdlib-only implementation of the format (the safetensors
// Python package is not installable here: no Debian package).
const python = "/usr/bin/python3"

func runReference(t *testing.T, args ...string) []byte {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		// This is the only check that another implementation reads our
		// files (the README's "readable by PyTorch's safetensors"): CI
		// must run it.
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found, and CI is set: the independent-reader check cannot run", python)
		}
		t.Skipf("%s not found: skipping the independent-reader check", python)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{filepath.Join("testdata", "safetensors_ref.py")}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "python: %s", stderr.String())
	return out
}

// sums mirrors the reference script: float64 sums of v[i] and (i+1)*v[i].
func sums(x *graph.Tensor) (s, w string) {
	var a, b float64
	for i, v := range x.Values() {
		a += v
		b += float64(i+1) * v
	}
	return fmt.Sprintf("%016x", math.Float64bits(a)), fmt.Sprintf("%016x", math.Float64bits(b))
}

func TestPythonReadsDescentFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, 4*5)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	b := make([]float64, 7)
	for i := range b {
		b[i] = rng.NormFloat64() * 1e3
	}
	tensors := []Named{
		{"mlp/dense0/w", f32(t, w, 4, 5)},
		{"mlp/dense0/b", f64(t, b, 7)},
		{"scale", f32(t, []float32{2.5})},
		{"odd", f32(t, []float32{float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32}, 3)},
	}
	meta := map[string]string{"step": "42", "note": "ü \"quoted\""}
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	require.NoError(t, Write(path, tensors, meta))

	var want []string
	line, _ := json.Marshal([]any{"meta", meta})
	want = append(want, string(line))
	for _, nt := range tensors {
		s, ws := sums(nt.T)
		line, _ := json.Marshal([]any{"tensor", nt.Name, map[graph.DType]string{graph.Float32: "F32", graph.Float64: "F64"}[nt.T.DType()],
			append([]int{}, nt.T.Shape()...), nt.T.Len(), s, ws})
		want = append(want, string(line))
	}

	out := runReference(t, "read", path)
	var got []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		// Re-marshal so that Go's and Python's JSON spacing and key order agree.
		var v any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v), sc.Text())
		line, _ := json.Marshal(v)
		got = append(got, string(line))
	}
	require.Equal(t, want, got)
}

func TestDescentReadsPythonFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "py.safetensors")
	runReference(t, "write", path)

	f, err := Read(path)
	require.NoError(t, err)
	require.Equal(t, []string{"layer/b", "layer/w", "empty", "s"}, f.Names)
	require.Equal(t, map[string]string{"step": "12", "note": "ünïcode ✓"}, f.Metadata)
	require.Equal(t, []float64{1e-300, math.Copysign(0, -1), 3.5}, f.Tensors["layer/b"].Values())
	require.True(t, math.Signbit(f.Tensors["layer/b"].Values()[1]), "-0 kept its sign")
	require.Equal(t, []float32{-1, -0.75, -0.5, -0.25, 0, 0.25}, f32Of(t, f.Tensors["layer/w"]))
	require.Equal(t, graph.Shape{2, 3}, f.Tensors["layer/w"].Shape())
	require.Equal(t, []float32{7}, f32Of(t, f.Tensors["s"]))
	require.Equal(t, 0, f.Tensors["s"].Shape().Rank())
	require.Equal(t, Info{DType: "F32", Shape: []int{0, 4}, Offsets: [2]int64{48, 48}}, f.Infos["empty"])
	require.NotContains(t, f.Tensors, "empty")
}
