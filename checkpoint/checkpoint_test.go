package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

func model(t *testing.T, seed uint64, hidden int) *graph.Graph {
	t.Helper()
	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: seed})
	require.NoError(t, err)
	g.Param("mlp/dense0/w", []int{3, hidden}, graph.GlorotUniform{})
	g.Param("mlp/dense0/b", []int{hidden}, graph.Uniform{Low: -1, High: 1})
	g.Buffer("mlp/bn0/running_var", []int{hidden}, graph.Uniform{Low: 0.5, High: 2})
	require.NoError(t, g.Err())
	return g
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	g := model(t, 1, 4)
	opt, err := optimizers.NewAdam(optimizers.AdamDefaults())
	require.NoError(t, err)
	for _, p := range g.Params() {
		gr := p.Value().Clone()
		gr.Fill(0.5)
		p.SetGrad(gr)
	}
	require.NoError(t, opt.Step(g.Params()))
	st, err := opt.State()
	require.NoError(t, err)
	extra, _ := graph.FromFloat32([]float32{1, 2}, 2)
	require.NoError(t, Save(path, g, Contents{Optimizer: &st, Extra: map[string]*graph.Tensor{"best/x": extra},
		Meta: map[string]string{"model": `{"kind":"mlp"}`}}))

	f, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, graph.Float32, f.DType)
	require.Equal(t, []string{"mlp/dense0/w", "mlp/dense0/b", "mlp/bn0/running_var"}, f.Names)
	require.Equal(t, `{"kind":"mlp"}`, f.Meta["model"])
	require.Equal(t, []float64{1, 2}, f.Extra["best/x"].Values())
	require.Equal(t, st.Ints, f.Optimizer.Ints)
	require.Len(t, f.Optimizer.Tensors, len(st.Tensors))

	h := model(t, 2, 4) // other initial values, same names and shapes
	require.NoError(t, f.Restore(h))
	for i, p := range h.State() {
		require.Equal(t, g.State()[i].Value().Values(), p.Value().Values(), p.Name())
	}
	opt2, _ := optimizers.NewAdam(optimizers.AdamDefaults())
	require.NoError(t, opt2.LoadState(*f.Optimizer))
}

func TestRestoreMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	require.NoError(t, Save(path, model(t, 1, 4), Contents{}))
	f, err := Load(path)
	require.NoError(t, err)

	err = f.Restore(model(t, 1, 5))
	require.ErrorIs(t, err, ErrMismatch)
	require.ErrorContains(t, err, `tensor "mlp/dense0/w" has shape [3 4] (the model's is [3 5])`)

	g, _ := graph.New(graph.Config{DType: graph.Float32})
	g.Param("mlp/dense0/w", []int{3, 4}, graph.Zeros())
	err = f.Restore(g)
	require.ErrorContains(t, err, `tensor "mlp/dense0/b" is not a parameter or buffer of the model`)
	require.Equal(t, 0.0, g.Params()[0].Value().Values()[0], "nothing copied on a mismatch")

	g2 := model(t, 1, 4)
	g2.Param("extra", []int{1}, graph.Zeros())
	require.ErrorContains(t, f.Restore(g2), `no tensor "extra"`)

	g64, _ := graph.New(graph.Config{DType: graph.Float64})
	require.ErrorContains(t, f.Restore(g64), "checkpoint is float32, model is float64")
}

func TestCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	require.NoError(t, Save(path, model(t, 1, 4), Contents{}))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, n := range []int{0, 7, 8, 20, len(raw) / 2, len(raw) - 1} {
		bad := filepath.Join(dir, "bad.safetensors")
		require.NoError(t, os.WriteFile(bad, raw[:n], 0o644))
		require.NotPanics(t, func() { _, err = Load(bad) })
		require.ErrorIs(t, err, ErrCorrupt, "truncated to %d bytes", n)
		require.ErrorContains(t, err, "bad.safetensors")
	}
	_, err = Load(filepath.Join(dir, "missing.safetensors"))
	require.Error(t, err)
	require.ErrorContains(t, Save(path, model(t, 1, 4), Contents{Meta: map[string]string{"format": "x"}}), "reserved")
}

func TestSaveIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	require.NoError(t, Save(path, model(t, 1, 4), Contents{}))
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	// A labels tensor cannot be stored: the save fails before replacing the file.
	labels, _ := graph.FromInts([]int{1, 2}, 2)
	err = Save(path, model(t, 2, 4), Contents{Extra: map[string]*graph.Tensor{"labels": labels}})
	require.Error(t, err)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1, "no temporary file left behind")
}
