package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// argSeeds are FuzzArgs's seeds (also in testdata/fuzz/FuzzArgs): command
// lines with the arguments separated by NUL bytes.
var argSeeds = []string{
	"",
	"train",
	"train\x00--epochs\x003",
	"train\x00--data\x00linreg\x00--model\x00linear\x00--optimizer\x00gd\x00--lr\x000.01\x00--epochs\x001000\x00--log-every\x00100",
	"train\x00--data\x00csv:houses.csv\x00--target\x00price\x00--standardize\x00--model\x00mlp\x00--hidden\x0032",
	"train\x00--data\x00csv:iris.csv\x00--target\x00species\x00--task\x00classification\x00--model\x00softmax\x00--dtype\x00float64",
	"train\x00--checkpoint-dir\x00ckpt\x00--epochs\x0020\x00--resume\x00--metrics\x00m.csv\x00--plot\x00p.png",
	"train\x00--model\x00cnn\x00--preset\x00small\x00--batchnorm\x00--dropout\x000.5\x00--batch-size=64",
	"train\x00--data\x00moons\x00--model\x00mlp\x00--hidden\x008,8\x00--activation\x00tanh\x00--optimizer\x00adam\x00--beta2\x000.99\x00--eps\x001e-7",
	"train\x00--data\x00spirals\x00--hidden\x0016\x00--schedule\x00warmup:5,cosine:50\x00--optimizer\x00adamw\x00--weight-decay\x000",
	"train\x00--data\x00spirals\x00--hidden\x0016\x00--optimizer\x00nesterov\x00--momentum\x000.5\x00--schedule\x00plateau:0.5:3\x00--clip-norm\x001",
	"train\x00--data\x00linreg\x00--model\x00linear\x00--lr\x00-1",
	"train\x00--data\x00linreg\x00--model\x00linear\x00--schedule\x00cosine:0",
	"train\x00--data\x00spirals\x00--hidden\x008,x",
	"train\x00extra",
	"train\x00--help",
	"eval\x00--checkpoint\x00ckpt/last.safetensors\x00--data\x00mnist",
	"eval",
	"cv\x00--folds\x005\x00--data\x00spirals\x00--model\x00mlp\x00--hidden\x0032,32",
	"bench\x00matmul",
	"bench\x00--sizes\x0064,128\x00--time\x001ms\x00matmul",
	"bench\x00--optimizers\x00adam,sgd\x00--epochs\x002\x00optimizers",
	"bench\x00nothing",
	"version",
	"--help",
	"fly",
}

// maxArgsModel bounds the elements of a model FuzzArgs builds.
const maxArgsModel = 1 << 20

// FuzzArgs feeds fuzzed argument lists to the flag parsing of every
// subcommand without running it: train's and cv's flags are turned into a
// model, an optimizer and a schedule for stand-in data shaped like the
// dataset named (r.build, which loads nothing); eval's and bench's are
// only parsed and checked. Nothing may panic. A parse that succeeds
// re-parses to the same values from its flags' String forms; integer lists
// are read strictly; a model that builds matches its spec, which survives
// the JSON round trip of checkpoints; the optimizer's learning rates are
// finite and >= 0; a hidden width too large for a tensor is an error
// wrapping graph.ErrShape.
//
//	go test -run '^$' -fuzz '^FuzzArgs$' -fuzztime 20s ./cmd/descent
func FuzzArgs(f *testing.F) {
	for _, s := range argSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var args []string
		if line != "" {
			args = strings.Split(line, "\x00")
		}
		var out bytes.Buffer
		if len(args) == 0 {
			if err := run(context.Background(), args, &out, &out); err == nil {
				t.Fatal("no command: no error")
			}
			return
		}
		switch args[0] {
		case "train":
			fs, a := trainFlags(&out)
			if parsed(t, fs, args[1:], func() *flag.FlagSet { fs, _ := trainFlags(io.Discard); return fs }) {
				a.recipe.set = setFlags(fs)
				checkRecipe(t, &a.recipe)
			}
		case "cv":
			fs, a := cvFlags(&out)
			if parsed(t, fs, args[1:], func() *flag.FlagSet { fs, _ := cvFlags(io.Discard); return fs }) {
				a.recipe.set = setFlags(fs)
				checkRecipe(t, &a.recipe)
			}
		case "eval":
			fs, _ := evalFlags(&out)
			parsed(t, fs, args[1:], func() *flag.FlagSet { fs, _ := evalFlags(io.Discard); return fs })
		case "bench":
			fs, a := benchFlags(&out)
			if err := fs.Parse(args[1:]); err != nil {
				checkErr(t, err)
				return
			}
			again, _ := benchFlags(io.Discard)
			reparse(t, fs, again)
			ns, err := benchSizes(a.sizes)
			if err != nil {
				checkErr(t, err)
				return
			}
			checkInts(t, a.sizes, ns)
			for _, n := range ns {
				if n < 1 || n > maxBenchSize {
					t.Fatalf("--sizes %q: size %d accepted (want 1..%d)", a.sizes, n, maxBenchSize)
				}
			}
		default: // version, help and unknown commands run nothing long
			if err := run(context.Background(), args, &out, &out); err != nil {
				checkErr(t, err)
			}
		}
	})
}

// parsed parses args with parse (flags only) and reports success; a parse
// that succeeds must re-parse identically into the flag set fresh returns.
func parsed(t *testing.T, fs *flag.FlagSet, args []string, fresh func() *flag.FlagSet) bool {
	t.Helper()
	if err := noPositional(fs, "fuzz", args); err != nil {
		checkErr(t, err)
		return false
	}
	reparse(t, fs, fresh())
	return true
}

// reparse renders the flags set in fs as -name=value (then "--" and the
// positional arguments), parses that into again and checks both hold the
// same values.
func reparse(t *testing.T, fs, again *flag.FlagSet) {
	t.Helper()
	render := func(fs *flag.FlagSet) []string {
		var out []string
		fs.Visit(func(f *flag.Flag) { out = append(out, "-"+f.Name+"="+f.Value.String()) })
		return append(append(out, "--"), fs.Args()...)
	}
	args := render(fs)
	if err := again.Parse(args); err != nil {
		t.Fatalf("the parsed flags, written back as %q, do not parse: %v", args, err)
	}
	if got := render(again); !reflect.DeepEqual(got, args) {
		t.Fatalf("the parsed flags, written back as %q, parse to %q", args, got)
	}
}

// checkErr checks an argument error says something.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil || err.Error() == "" {
		t.Fatalf("error %v says nothing", err)
	}
}

// checkInts checks a list intList accepted holds exactly the decimal
// integers of its comma-separated fields.
func checkInts(t *testing.T, s string, got []int) {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		if len(got) != 0 {
			t.Fatalf("%q read as %v (want nothing)", s, got)
		}
		return
	}
	fields := strings.Split(s, ",")
	if len(fields) != len(got) {
		t.Fatalf("%q read as %v", s, got)
	}
	for i, f := range fields {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err != nil || v != got[i] {
			t.Fatalf("%q read as %v: field %q is not the integer %d", s, got, f, got[i])
		}
	}
}

// standIn returns empty-ish datasets shaped like the one --data names
// (nil when r.load would refuse the name), so the recipe's model can be
// built without reading anything.
func standIn(t *testing.T, r *recipe) *prepared {
	t.Helper()
	features, classes := 0, 0
	var image []int
	switch {
	case r.data == "mnist":
		features, classes, image = data.MNISTFeatures, data.MNISTClasses, []int{1, 28, 28}
	case r.data == "linreg":
		features = 1
	case r.data == "spirals":
		features, classes = 2, 3
	case r.data == "moons":
		features, classes = 2, 2
	case strings.HasPrefix(r.data, "csv:") && r.target != "":
		features = 3
		switch r.task {
		case "regression":
		case "classification":
			classes = 4
		default:
			return nil
		}
	default:
		return nil
	}
	x, err := graph.NewTensor(graph.Float32, 2, features)
	if err != nil {
		t.Fatal(err)
	}
	y, err := graph.NewTensor(graph.Float32, 2, 1)
	if classes > 0 {
		y, err = graph.FromInts([]int{0, 1}, 2)
	}
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.NewDataset(r.data, x, y, classes)
	if err != nil {
		t.Fatal(err)
	}
	return &prepared{train: ds, image: image}
}

// checkRecipe builds what train's and cv's flags describe for stand-in
// data and checks it.
func checkRecipe(t *testing.T, r *recipe) {
	t.Helper()
	if err := r.check("fuzz"); err != nil {
		checkErr(t, err)
		return
	}
	s := standIn(t, r)
	if s == nil {
		return
	}
	sp, err := r.spec(s)
	if err != nil {
		checkErr(t, err)
		return
	}
	if sp.Kind == "mlp" {
		checkInts(t, r.hidden, sp.Hidden)
	}
	huge, ok := modelSize(sp)
	if !ok {
		return // legitimate but too large to build here
	}
	g, m, sp2, cfg, err := r.build(s)
	if huge {
		if !errors.Is(err, graph.ErrShape) {
			t.Fatalf("spec %s has a tensor beyond graph.MaxElements: build: %v (want an error wrapping graph.ErrShape)", sp, err)
		}
		return
	}
	if err != nil {
		checkErr(t, err)
		return
	}
	if g.Err() != nil || len(m.Params()) == 0 {
		t.Fatalf("built %s: graph error %v, %d parameters", sp, g.Err(), len(m.Params()))
	}
	if !reflect.DeepEqual(sp2, sp) || cfg.ModelSpec != sp.String() {
		t.Fatalf("build made spec %+v, ModelSpec %q (want %+v, %q)", sp2, cfg.ModelSpec, sp, sp.String())
	}
	back, err := models.ParseSpec(cfg.ModelSpec)
	if err != nil || !reflect.DeepEqual(back, sp) {
		t.Fatalf("ModelSpec %q parses to %+v, %v (want %+v)", cfg.ModelSpec, back, err, sp)
	}
	if cfg.Epochs != r.epochs || cfg.Epochs < 1 || cfg.BatchSize < 0 || cfg.Optimizer == nil {
		t.Fatalf("config: %d epochs, batch %d, optimizer %v", cfg.Epochs, cfg.BatchSize, cfg.Optimizer)
	}
	if lg, ok := cfg.Optimizer.(optimizers.LRGroups); ok {
		for i := range lg.NumGroups() {
			if lr := lg.LR(i); !(lr >= 0) || math.IsInf(lr, 0) {
				t.Fatalf("--optimizer %s: group %d has lr %v (want finite, >= 0)", r.optimizer, i, lr)
			}
		}
	}
	if sched, err := optimizers.ParseSchedule(r.schedule); err != nil {
		t.Fatalf("--schedule %q accepted by build but not by ParseSchedule: %v", r.schedule, err)
	} else if _, constant := sched.Schedule.(optimizers.Constant); !constant && cfg.Scheduler == nil {
		t.Fatalf("--schedule %q: no scheduler", r.schedule)
	}
}

// modelSize walks the tensors Build would create for sp (the stand-in
// data keep linear, softmax and cnn models small; an mlp's hidden widths
// come from the flags): huge is true when one exceeds graph.MaxElements
// with everything before it small; ok is false when the model is too large
// to build in a fuzzing process.
func modelSize(sp models.Spec) (huge, ok bool) {
	switch sp.Kind {
	case "mlp":
		widths := append(append([]int{sp.In}, sp.Hidden...), sp.Out)
		total := 0
		for i := 0; i+1 < len(widths); i++ {
			in, out := widths[i], widths[i+1]
			if in > graph.MaxElements/out {
				return true, true
			}
			if total += in*out + 5*out; total > maxArgsModel {
				return false, false
			}
		}
		return false, true
	case "cnn":
		return false, sp.Preset == "small" || !slices.Contains(models.CNNPresets(), sp.Preset) && sp.Preset != ""
	}
	return false, true
}
