package checkpoint

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/safetensors"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// metaModel is the metadata key holding a training checkpoint's model spec
// (train.MetaModel; package train imports this one).
const metaModel = "model"

// maxBuild bounds the elements of a model the fuzz target builds (16 MiB
// of float32): a spec may legitimately ask for far more, up to
// graph.MaxElements per tensor, which a fuzzing process cannot allocate.
const maxBuild = 1 << 22

// checkpointSeeds are FuzzCheckpoint's seeds (also in
// testdata/fuzz/FuzzCheckpoint): checkpoints saved from models built from
// specs, with and without optimizer and schedule state.
func checkpointSeeds(tb testing.TB) [][]byte {
	dir := tb.TempDir()
	var seeds [][]byte
	for i, c := range []struct {
		spec  string
		dt    graph.DType
		opt   string
		sched string
	}{
		{`{"kind":"linear","in":3,"out":1}`, graph.Float32, "", ""},
		{`{"kind":"linear","in":2,"out":2}`, graph.Float64, "momentum", "step:2"},
		{`{"kind":"softmax","in":4,"out":3}`, graph.Float32, "adam", "plateau"},
		{`{"kind":"mlp","in":3,"out":2,"hidden":[4],"activation":"tanh"}`, graph.Float32, "rmsprop", ""},
		{`{"kind":"mlp","in":2,"out":1,"hidden":[3,2],"batchnorm":true,"dropout":0.25}`, graph.Float64, "adamw", "cosine:5"},
		{`{"kind":"cnn","in":16,"out":2,"image":[1,4,4],"preset":"small","batchnorm":true}`, graph.Float32, "", ""},
	} {
		sp, err := models.ParseSpec(c.spec)
		if err != nil {
			tb.Fatal(err)
		}
		g, err := graph.New(graph.Config{DType: c.dt, Seed: uint64(i)})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := models.Build(g, sp); err != nil {
			tb.Fatal(err)
		}
		contents := Contents{Meta: map[string]string{metaModel: sp.String(), "note": "seed"}}
		if c.opt != "" {
			opt, err := optimizers.New(c.opt, optimizers.Hyper{})
			if err != nil {
				tb.Fatal(err)
			}
			setGrads(g, 0.5)
			if err := opt.Step(g.Params()); err != nil {
				tb.Fatal(err)
			}
			st, err := opt.(optimizers.Stateful).State()
			if err != nil {
				tb.Fatal(err)
			}
			contents.Optimizer = &st
			if c.sched != "" {
				ss, err := optimizers.ParseSchedule(c.sched)
				if err != nil {
					tb.Fatal(err)
				}
				sched, err := ss.Bind(opt.(optimizers.LRGroups))
				if err != nil {
					tb.Fatal(err)
				}
				if err := sched.Step(1); err != nil {
					tb.Fatal(err)
				}
				st, err := sched.(optimizers.Stateful).State()
				if err != nil {
					tb.Fatal(err)
				}
				contents.Schedule = &st
			}
		}
		path := filepath.Join(dir, "seed.safetensors")
		if err := Save(path, g, contents); err != nil {
			tb.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

func setGrads(g *graph.Graph, v float64) {
	for _, p := range g.Params() {
		gr := p.Value().Clone()
		gr.Fill(v)
		p.SetGrad(gr)
	}
}

// FuzzCheckpoint decodes fuzzed bytes as a checkpoint file, rebuilds the
// model its spec describes in a fresh graph and restores it, then loads
// the optimizer state and steps. Nothing may panic. Every error is typed:
// safetensors.ErrFormat or ErrUnsupported when decoding, ErrCorrupt when
// loading, graph.ErrShape for sizes too large to build, ErrMismatch when
// restoring (which then changes nothing). A loaded file's tensors all have
// its dtype; a spec builds exactly the parameters its architecture names;
// a restore copies every tensor into a parameter of the same shape.
//
//	go test -run '^$' -fuzz '^FuzzCheckpoint$' -fuzztime 20s ./checkpoint
func FuzzCheckpoint(f *testing.F) {
	for _, b := range checkpointSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := safetensors.DecodeBytes(b)
		if err != nil {
			if !errors.Is(err, safetensors.ErrFormat) && !errors.Is(err, safetensors.ErrUnsupported) {
				t.Fatalf("decode error is neither ErrFormat nor ErrUnsupported: %v", err)
			}
			return
		}
		file, err := fromSafetensors("fuzz.safetensors", sf)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("load error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		checkLoaded(t, file)

		raw, ok := file.Meta[metaModel]
		if !ok {
			g, _ := graph.New(graph.Config{DType: file.DType})
			if err := file.Restore(g); (err == nil) != (len(file.Names) == 0) || err != nil && !errors.Is(err, ErrMismatch) {
				t.Fatalf("restoring %d tensors into an empty model: %v", len(file.Names), err)
			}
			return
		}
		sp, err := models.ParseSpec(raw)
		if err != nil {
			return
		}
		shapes, valid := specShapes(sp)
		total := 0
		for _, s := range shapes {
			n := sizeOf(s)
			if n < 0 { // more than graph.MaxElements: Build must refuse it
				g, _ := graph.New(graph.Config{DType: file.DType})
				if _, err := models.Build(g, sp); !errors.Is(err, graph.ErrShape) {
					t.Fatalf("Build(%s) with a tensor %v: %v (want an error wrapping graph.ErrShape)", raw, s, err)
				}
				return
			}
			if total += n; total > maxBuild {
				return // allowed, but too large to build here
			}
		}
		g, err := graph.New(graph.Config{DType: file.DType})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.Build(g, sp); err != nil {
			if valid {
				t.Fatalf("Build(%s): %v", raw, err)
			}
			return
		}
		if !valid {
			t.Fatalf("Build(%s) accepted an invalid spec", raw)
		}
		var built [][]int
		for _, p := range g.State() {
			built = append(built, p.Shape())
		}
		if !slices.EqualFunc(built, shapes, slices.Equal) {
			t.Fatalf("Build(%s) made parameters %v (want %v)", raw, built, shapes)
		}

		before := stateValues(g)
		if err := file.Restore(g); err != nil {
			if !errors.Is(err, ErrMismatch) {
				t.Fatalf("restore error does not wrap ErrMismatch: %v", err)
			}
			if !slices.EqualFunc(stateValues(g), before, sameBits) {
				t.Fatalf("a failed restore changed the model: %v", err)
			}
			return
		}
		if len(file.Names) != len(g.State()) {
			t.Fatalf("restored %d parameters from %d tensors", len(g.State()), len(file.Names))
		}
		for _, p := range g.State() {
			want := file.Params[p.Name()]
			if !p.Shape().Equal(want.Shape()) || !sameBits(p.Value().Values(), want.Values()) {
				t.Fatalf("parameter %q is %v after restoring %v", p.Name(), p.Value(), want)
			}
		}
		if file.Optimizer == nil {
			return
		}
		opt, err := optimizers.New(file.Optimizer.Kind, optimizers.Hyper{})
		if err != nil {
			return // not an optimizer name
		}
		if err := opt.(optimizers.Stateful).LoadState(*file.Optimizer); err != nil {
			if !errors.Is(err, optimizers.ErrState) {
				t.Fatalf("LoadState error does not wrap ErrState: %v", err)
			}
			return
		}
		setGrads(g, 0.5)
		if err := opt.Step(g.Params()); err != nil && !errors.Is(err, optimizers.ErrParam) {
			t.Fatalf("a step after LoadState: %v (want success or ErrParam)", err)
		}
	})
}

// checkLoaded checks the invariants of a loaded checkpoint.
func checkLoaded(t *testing.T, f *File) {
	t.Helper()
	if !f.DType.IsFloat() {
		t.Fatalf("dtype %v", f.DType)
	}
	if len(f.Names) != len(f.Params) {
		t.Fatalf("%d names for %d parameters", len(f.Names), len(f.Params))
	}
	all := []map[string]*graph.Tensor{f.Params, f.Extra}
	if f.Optimizer != nil {
		all = append(all, f.Optimizer.Tensors)
	}
	for _, m := range all {
		for name, x := range m {
			if x == nil || x.DType() != f.DType || x.Len() != x.Shape().Size() || x.Len() < 1 {
				t.Fatalf("tensor %q is %v (want %v, one value per element)", name, x, f.DType)
			}
		}
	}
	for _, name := range f.Names {
		if f.Params[name] == nil {
			t.Fatalf("name %q has no tensor", name)
		}
	}
	for k := range f.Meta {
		switch k {
		case keyFormat, keyDType, keyOptimizer, keySchedule:
			t.Fatalf("reserved key %q in Meta", k)
		}
	}
}

func stateValues(g *graph.Graph) [][]float64 {
	var out [][]float64
	for _, p := range g.State() {
		out = append(out, p.Value().Values())
	}
	return out
}

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// sizeOf is the number of elements of shape s, or -1 when it exceeds
// graph.MaxElements (so the product never overflows).
func sizeOf(s []int) int {
	n := 1
	for _, d := range s {
		if d <= 0 || n > graph.MaxElements/d {
			return -1
		}
		n *= d
	}
	return n
}

// cnnPresets mirrors the presets of package models (a drift shows as a
// mismatch between specShapes and what Build makes).
var cnnPresets = map[string]struct {
	filters []int // 5x5 convolutions, each followed by a 2x2 max pool
	dense   []int
}{
	"mnist_2c2d": {[]int{32, 64}, []int{1024}},
	"small":      {[]int{16, 32}, []int{128}},
}

// specShapes returns, in creation order, the shapes of the parameters and
// buffers models.Build creates for sp, as far as it gets: valid is false
// when Build must fail (after creating the shapes returned). A shape may
// have more than graph.MaxElements elements; Build stops at it.
func specShapes(sp models.Spec) (shapes [][]int, valid bool) {
	dense := func(in, out int, bias bool) {
		shapes = append(shapes, []int{in, out})
		if bias && sizeOf([]int{in, out}) > 0 {
			shapes = append(shapes, []int{out})
		}
	}
	bn := func(c int) {
		shapes = append(shapes, []int{c}, []int{c}, []int{c}, []int{c})
	}
	okDropout := sp.Dropout >= 0 && sp.Dropout < 1
	switch sp.Kind {
	case "linear", "softmax":
		out := sp.Out
		if sp.Kind == "linear" && out == 0 {
			out = 1
		}
		if sp.Kind == "softmax" && out < 2 || sp.In <= 0 || out <= 0 {
			return nil, false
		}
		dense(sp.In, out, true)
		return shapes, sizeOf([]int{sp.In, out}) > 0
	case "mlp":
		if _, err := models.ParseActivation(sp.Activation); err != nil || !okDropout || sp.In <= 0 || sp.Out <= 0 {
			return nil, false
		}
		widths := append(append([]int{sp.In}, sp.Hidden...), sp.Out)
		for i := 0; i+1 < len(widths); i++ {
			if widths[i+1] <= 0 {
				return shapes, false
			}
			dense(widths[i], widths[i+1], true)
			if sizeOf([]int{widths[i], widths[i+1]}) < 0 {
				return shapes, false
			}
			if sp.BatchNorm && i+2 < len(widths) {
				bn(widths[i+1])
			}
		}
		return shapes, true
	case "cnn":
		img := sp.Image
		if len(img) == 3 && (sizeOf(img) < 0 || sp.In != sizeOf(img)) {
			return nil, false
		}
		preset := sp.Preset
		if preset == "" {
			preset = models.DefaultCNNPreset
		}
		p, ok := cnnPresets[preset]
		if len(img) != 3 || sizeOf(img) < 0 || sp.Out < 2 || !okDropout || !ok {
			return nil, false
		}
		c, h, w := img[0], img[1], img[2]
		for _, f := range p.filters {
			shapes = append(shapes, []int{f, c, 5, 5})
			if sizeOf([]int{f, c, 5, 5}) < 0 {
				return shapes, false
			}
			if sp.BatchNorm {
				bn(f)
			} else {
				shapes = append(shapes, []int{f})
			}
			if h < 2 || w < 2 {
				return shapes, false
			}
			c, h, w = f, h/2, w/2
		}
		in := sizeOf([]int{c, h, w})
		if in < 0 {
			return shapes, false
		}
		for j, width := range append(slices.Clone(p.dense), sp.Out) {
			hidden := j < len(p.dense)
			dense(in, width, !(sp.BatchNorm && hidden))
			if sizeOf([]int{in, width}) < 0 {
				return shapes, false
			}
			if !hidden {
				break
			}
			if sp.BatchNorm {
				bn(width)
			}
			in = width
		}
		return shapes, true
	}
	return nil, false
}
