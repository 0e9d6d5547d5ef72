package checkpoint

import (
	"io/fs"
	"math"
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
	sched, err := optimizers.NewScheduler(opt, optimizers.Cosine{TMax: 10})
	require.NoError(t, err)
	require.NoError(t, sched.Step(0))
	require.NoError(t, sched.Step(0))
	st, err := opt.State()
	require.NoError(t, err)
	schedSt, err := sched.State()
	require.NoError(t, err)
	extra, _ := graph.FromFloat32([]float32{1, 2}, 2)
	require.NoError(t, Save(path, g, Contents{Optimizer: &st, Schedule: &schedSt, Extra: map[string]*graph.Tensor{"best/x": extra},
		Meta: map[string]string{"model": `{"kind":"mlp"}`}}))

	f, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, graph.Float32, f.DType)
	require.Equal(t, []string{"mlp/dense0/w", "mlp/dense0/b", "mlp/bn0/running_var"}, f.Names)
	require.Equal(t, `{"kind":"mlp"}`, f.Meta["model"])
	require.Equal(t, []float64{1, 2}, f.Extra["best/x"].Values())
	// The optimizer state comes back whole: every moment buffer under its
	// own key with its shape and bits, and the counters and floats.
	require.Equal(t, st.Kind, f.Optimizer.Kind)
	require.Equal(t, st.Ints, f.Optimizer.Ints)
	require.Equal(t, st.Floats, f.Optimizer.Floats)
	require.Len(t, f.Optimizer.Tensors, len(st.Tensors))
	require.Len(t, st.Tensors, 2*len(g.Params()), "exp_avg and exp_avg_sq per parameter")
	for k, want := range st.Tensors {
		got, ok := f.Optimizer.Tensors[k]
		require.True(t, ok, "optimizer tensor %q", k)
		require.Equal(t, want.DType(), got.DType(), k)
		require.Equal(t, want.Shape(), got.Shape(), k)
		require.Equal(t, bitsOf(want), bitsOf(got), k)
	}
	require.Equal(t, schedSt, *f.Schedule)

	h := model(t, 2, 4) // other initial values, same names and shapes
	require.NoError(t, f.Restore(h))
	for i, p := range h.State() {
		require.Equal(t, g.State()[i].Value().Values(), p.Value().Values(), p.Name())
	}
	opt2, _ := optimizers.NewAdam(optimizers.AdamDefaults())
	require.NoError(t, opt2.LoadState(*f.Optimizer))
	sched2, err := optimizers.NewScheduler(opt2, optimizers.Cosine{TMax: 10})
	require.NoError(t, err)
	require.NoError(t, sched2.LoadState(*f.Schedule))
	require.Equal(t, opt.LR(0), opt2.LR(0), "the scheduled lr")
	// The restored optimizer continues as the original does: the next two
	// steps with the same gradients give the same bits (Adam's step depends
	// on both moments and the step count).
	for k := range 2 {
		for i, p := range g.Params() {
			gr := p.Value().Clone()
			for j := range gr.Len() {
				gr.Set(j, float64(k+1)*0.1*float64(j%5-2))
			}
			p.SetGrad(gr)
			h.Params()[i].SetGrad(gr.Clone())
		}
		require.NoError(t, opt.Step(g.Params()))
		require.NoError(t, opt2.Step(h.Params()))
		for i, p := range h.Params() {
			require.Equal(t, bitsOf(g.Params()[i].Value()), bitsOf(p.Value()), "step %d: %s", k+1, p.Name())
		}
	}
}

// bitsOf returns a float32 tensor's values as bits.
func bitsOf(t *graph.Tensor) []uint32 {
	out := make([]uint32, t.Len())
	for i := range out {
		out[i] = math.Float32bits(float32(t.At(i)))
	}
	return out
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
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.NotErrorIs(t, err, ErrCorrupt, "a missing file is not a corrupt one")
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
