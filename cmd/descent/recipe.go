package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

// recipe holds the flags shared by train and cv: data, model, optimizer,
// loop. Its values are what a checkpoint records (recipeValues) to resume
// the same run and to rebuild the same held-out split.
type recipe struct {
	data, dataDir, target, task, testData string
	standardize, standardizeTarget        bool
	valSplit, testSplit                   float64

	model, hidden, activation, preset string
	batchnorm                         bool
	dropout                           float64
	dim, heads, layers, ff, maxLen    int
	normFirst                         bool
	positions                         string
	factors                           int
	dtype                             string

	optimizer                           string
	lr, momentum, wd, beta1, beta2, eps optFloat
	schedule                            string
	clipNorm, clipValue                 float64
	epochs, batchSize, evalBatch        int
	accumulate                          int
	ema                                 float64
	dropLast                            bool
	seed                                uint64
	patience                            int
	minDelta                            float64
	restoreBest                         bool
	logEvery                            int
	quiet                               bool
	maxMemory                           string

	set map[string]bool // flags given on the command line
}

// optFloat is a float flag that remembers whether it was set.
type optFloat struct{ v *float64 }

func (o *optFloat) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return strconv.FormatFloat(*o.v, 'g', -1, 64)
}

func (o *optFloat) Set(s string) error {
	if s == "" {
		o.v = nil
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	o.v = &v
	return nil
}

// recipeFlags are the flags of the recipe (the rest of train's flags say
// where its outputs go).
var recipeFlags = map[string]bool{}

func (r *recipe) register(fs *flag.FlagSet) {
	fs.StringVar(&r.data, "data", "mnist", "dataset: mnist, csv:PATH, linreg (the tutorial's 4 points), spirals, moons, seq:recall, ratings:synthetic (with --model mf; csv:PATH then reads user,item,rating)")
	fs.StringVar(&r.dataDir, "data-dir", "", "mnist: folder with MNIST's IDX files (default: the GoMNIST module in the Go module cache)")
	fs.StringVar(&r.target, "target", "", "csv: the target column")
	fs.StringVar(&r.task, "task", "", "csv: classification or regression (default: classification when the target holds names, regression otherwise)")
	fs.StringVar(&r.testData, "test-data", "", "csv: a separate test file with the same columns (instead of --test-split)")
	fs.BoolVar(&r.standardize, "standardize", false, "standardize features (mean 0, std 1) with statistics of the training split only (float data)")
	fs.BoolVar(&r.standardizeTarget, "standardize-target", false, "regression: standardize the target too (reported metrics are in the target's own units)")
	fs.Float64Var(&r.valSplit, "val-split", 0, "fraction of the training data held out for validation, in [0, 1) (0: none)")
	fs.Float64Var(&r.testSplit, "test-split", 0, "csv/synthetic data: fraction held out as the test set, in [0, 1) (mnist has its own)")

	fs.StringVar(&r.model, "model", "mlp", "model: linear, softmax, mlp, cnn, transformer, mf")
	fs.StringVar(&r.hidden, "hidden", "256,128", "mlp: hidden layer widths")
	fs.StringVar(&r.activation, "activation", "relu", "mlp: relu, tanh, sigmoid, gelu or silu; transformer: relu or gelu")
	fs.StringVar(&r.preset, "preset", "", "cnn: architecture preset: "+strings.Join(models.CNNPresets(), ", ")+" (default "+models.DefaultCNNPreset+")")
	fs.BoolVar(&r.batchnorm, "batchnorm", false, "mlp, cnn: batch normalization after each hidden layer")
	fs.Float64Var(&r.dropout, "dropout", 0, "mlp, cnn, transformer: dropout probability, in [0, 1)")
	fs.IntVar(&r.dim, "dim", 32, "transformer: model width")
	fs.IntVar(&r.heads, "heads", 4, "transformer: attention heads (dividing --dim)")
	fs.IntVar(&r.layers, "layers", 2, "transformer: encoder layers")
	fs.IntVar(&r.ff, "ff", 0, "transformer: feed-forward width (default 4·dim)")
	fs.BoolVar(&r.normFirst, "norm-first", false, "transformer: pre-norm encoder layers (layer norm before attention and feed-forward; post-norm by default)")
	fs.StringVar(&r.positions, "positions", "learned", "transformer: position encodings, learned or sinusoidal")
	fs.IntVar(&r.factors, "factors", 8, "mf: latent factors per user and item")
	fs.StringVar(&r.dtype, "dtype", "float32", "float32 or float64")

	fs.StringVar(&r.optimizer, "optimizer", "momentum", "optimizer: "+strings.Join(optimizers.Names(), ", "))
	fs.Var(&r.lr, "lr", "learning rate (default: 0.05 for the sgd family on mnist, 0.01 otherwise; the optimizer's PyTorch default for adaptive ones)")
	fs.Var(&r.momentum, "momentum", "sgd, momentum, nesterov, rmsprop: momentum in [0, 1) (default 0.9 for momentum and nesterov, else 0)")
	fs.Var(&r.wd, "weight-decay", "weight decay >= 0 (L2 added to the gradient; decoupled for adamw; default 0, 0.01 for adamw)")
	fs.Var(&r.beta1, "beta1", "adam family: first-moment decay in [0, 1) (default 0.9)")
	fs.Var(&r.beta2, "beta2", "adam family: second-moment decay in [0, 1) (default 0.999)")
	fs.Var(&r.eps, "eps", "adaptive optimizers: denominator term (PyTorch's default for each)")
	fs.StringVar(&r.schedule, "schedule", "constant", "lr schedule stepped once per epoch: constant, step:S[:G], multistep:M1,M2[:G], exp:G, cosine:T[:MIN], warmup:W[,SCHEDULE], plateau[:F[:P]]")
	fs.Float64Var(&r.clipNorm, "clip-norm", 0, "clip the global gradient norm (0: off)")
	fs.Float64Var(&r.clipValue, "clip-value", 0, "clip each gradient element to ±value (0: off)")

	fs.IntVar(&r.epochs, "epochs", 10, "passes over the training data (with --resume: the total wanted)")
	fs.IntVar(&r.batchSize, "batch-size", 128, "examples per step (0: all the data, i.e. gradient descent)")
	fs.IntVar(&r.accumulate, "accumulate", 1, "micro-batches whose gradients are summed before each optimizer step")
	fs.Float64Var(&r.ema, "ema", 0, "keep an exponential moving average of the weights with this decay, e.g. 0.999, and evaluate with it (0: off)")
	fs.BoolVar(&r.dropLast, "drop-last", false, "drop the last, smaller batch of each epoch (kept by default)")
	fs.IntVar(&r.evalBatch, "eval-batch-size", 1000, "examples per evaluation step")
	fs.Uint64Var(&r.seed, "seed", 1, "seed of initialisation, shuffling, splits, dropout and synthetic data")
	fs.IntVar(&r.patience, "patience", 0, "early stopping: epochs without improvement of the validation loss (0: off)")
	fs.Float64Var(&r.minDelta, "min-delta", 0, "early stopping: smallest improvement that counts")
	fs.BoolVar(&r.restoreBest, "restore-best", false, "early stopping: keep the best epoch's weights at the end")
	fs.IntVar(&r.logEvery, "log-every", 1, "print metrics every N epochs (N >= 1)")
	fs.BoolVar(&r.quiet, "quiet", false, "no progress bar")
	fs.StringVar(&r.maxMemory, "max-memory", "", "memory budget of the model, its optimizer and its compiled programs, e.g. 8GiB (default 80% of physical memory)")
	fs.VisitAll(func(f *flag.Flag) { recipeFlags[f.Name] = true })
}

// modelFlags are the flags each model takes beyond the common ones.
var modelFlags = map[string][]string{
	"linear":      nil,
	"softmax":     nil,
	"mlp":         {"hidden", "activation", "batchnorm", "dropout"},
	"cnn":         {"preset", "batchnorm", "dropout"},
	"transformer": {"dim", "heads", "layers", "ff", "norm-first", "positions", "activation", "dropout"},
	"mf":          {"factors"},
}

// check refuses flags that do not apply to the chosen model, data or
// optimizer, and values out of range, before anything is loaded.
func (r *recipe) check(cmd string) error {
	bad := func(format string, args ...any) error { return usagef(cmd, format, args...) }
	own, ok := modelFlags[r.model]
	if !ok {
		return bad("--model %q (want linear, softmax, mlp, cnn, transformer or mf)", r.model)
	}
	for _, m := range []string{"mlp", "cnn", "transformer", "mf"} {
		for _, f := range modelFlags[m] {
			if r.set[f] && !contains(own, f) {
				return bad("--%s does not apply to --model %s (it is for %s)", f, r.model, modelsWith(f))
			}
		}
	}
	src, _, _ := strings.Cut(r.data, ":")
	csvOnly := []string{"target", "task", "test-data"}
	for _, f := range csvOnly {
		if r.set[f] && src != "csv" {
			return bad("--%s applies to --data csv:PATH only (got --data %s)", f, r.data)
		}
	}
	switch {
	case r.set["data-dir"] && r.data != "mnist":
		return bad("--data-dir applies to --data mnist only")
	case src == "csv" && r.target == "" && r.model != "mf":
		return bad("--data %s needs --target COLUMN", r.data)
	case r.task != "" && r.task != "classification" && r.task != "regression":
		return bad("--task %q (want classification or regression)", r.task)
	case !(r.valSplit >= 0 && r.valSplit < 1):
		return bad("--val-split %v (want 0 <= fraction < 1)", r.valSplit)
	case !(r.testSplit >= 0 && r.testSplit < 1):
		return bad("--test-split %v (want 0 <= fraction < 1)", r.testSplit)
	case r.testSplit > 0 && r.data == "mnist":
		return bad("--test-split does not apply to mnist (it has its own test set)")
	case r.testSplit > 0 && r.testData != "":
		return bad("--test-split and --test-data both give a test set (choose one)")
	case r.valSplit+r.testSplit >= 1:
		return bad("--val-split %v and --test-split %v leave no training data", r.valSplit, r.testSplit)
	case !(r.dropout >= 0 && r.dropout < 1):
		return bad("--dropout %v (want 0 <= p < 1)", r.dropout)
	case r.epochs < 1:
		return bad("--epochs %d (want >= 1)", r.epochs)
	case r.batchSize < 0:
		return bad("--batch-size %d (want >= 0; 0 means all the data)", r.batchSize)
	case r.evalBatch < 1:
		return bad("--eval-batch-size %d (want >= 1)", r.evalBatch)
	case r.accumulate < 1:
		return bad("--accumulate %d (want >= 1)", r.accumulate)
	case !(r.ema >= 0 && r.ema < 1):
		return bad("--ema %v (want 0 <= decay < 1)", r.ema)
	case r.logEvery < 1:
		return bad("--log-every %d (want >= 1)", r.logEvery)
	case r.patience < 0 || !(r.minDelta >= 0):
		return bad("--patience %d, --min-delta %v (want >= 0)", r.patience, r.minDelta)
	case (r.set["min-delta"] || r.set["restore-best"]) && r.patience == 0:
		return bad("--min-delta and --restore-best need --patience N (early stopping)")
	case !(r.clipNorm >= 0) || math.IsInf(r.clipNorm, 0) || !(r.clipValue >= 0) || math.IsInf(r.clipValue, 0):
		return bad("--clip-norm %v, --clip-value %v (want finite values >= 0)", r.clipNorm, r.clipValue)
	case r.standardize && (src == "seq" || src == "ratings" || r.model == "mf"):
		return bad("--standardize applies to float features (not %s)", r.data)
	case r.standardizeTarget && (src == "mnist" || src == "spirals" || src == "moons" || src == "seq"):
		return bad("--standardize-target applies to regression data (not %s)", r.data)
	case r.model == "mf" && src != "ratings" && src != "csv":
		return bad("--model mf needs ratings: --data ratings:synthetic or csv:PATH (user,item,rating)")
	case src == "ratings" && r.model != "mf":
		return bad("--data %s needs --model mf", r.data)
	case src == "seq" && r.model != "transformer" && r.model != "mlp":
		return bad("--data %s needs --model transformer (or mlp, for comparison)", r.data)
	case r.model == "transformer" && src != "seq":
		return bad("--model transformer needs sequence data (--data seq:recall)")
	}
	if r.model == "mlp" {
		if _, err := intList(r.hidden); err != nil {
			return bad("--hidden: %v", err)
		}
	}
	if r.model == "transformer" {
		if r.dim < 1 || r.heads < 1 || r.dim%r.heads != 0 || r.layers < 1 || r.ff < 0 {
			return bad("--dim %d, --heads %d, --layers %d, --ff %d (want positive, heads dividing dim)", r.dim, r.heads, r.layers, r.ff)
		}
		if r.positions != "learned" && r.positions != "sinusoidal" {
			return bad("--positions %q (want learned or sinusoidal)", r.positions)
		}
	}
	if r.model == "mf" && r.factors < 1 {
		return bad("--factors %d (want >= 1)", r.factors)
	}
	if v := r.momentum.v; v != nil && !(*v >= 0 && *v < 1) {
		return bad("--momentum %v (want 0 <= momentum < 1)", *v)
	}
	if _, err := graph.ParseDType(r.dtype); err != nil {
		return bad("--dtype %q (want float32 or float64)", r.dtype)
	}
	if r.maxMemory != "" {
		if _, err := parseBytes(r.maxMemory); err != nil {
			return bad("--max-memory: %v", err)
		}
	}
	if r.optimizer == "lbfgs" {
		for _, f := range []string{"clip-norm", "clip-value", "accumulate"} {
			if r.set[f] {
				return bad("--%s does not apply to --optimizer lbfgs (it evaluates the loss again within a step)", f)
			}
		}
	}
	if _, err := optimizers.New(r.optimizer, r.hyper()); err != nil {
		return bad("--optimizer %s: %v", r.optimizer, trimPkg(err))
	}
	if _, err := optimizers.ParseSchedule(r.schedule); err != nil {
		return bad("--schedule: %v", trimPkg(err))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// modelsWith lists the models that take flag f.
func modelsWith(f string) string {
	var out []string
	for m, fs := range modelFlags {
		if contains(fs, f) {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// trimPkg drops the "optimizers: New: " style prefix of a library error for
// a command-line message.
func trimPkg(err error) string {
	s := err.Error()
	for _, p := range []string{"optimizers: New: ", "optimizers: ParseSchedule: ", "optimizers: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

func (r *recipe) dtypeOf() graph.DType {
	dt, _ := graph.ParseDType(r.dtype) // checked by check
	return dt
}

// hyper returns the optimizer flags, with descent's MNIST default lr for the SGD family.
func (r *recipe) hyper() optimizers.Hyper {
	h := optimizers.Hyper{LR: r.lr.v, Momentum: r.momentum.v, WeightDecay: r.wd.v, Beta1: r.beta1.v, Beta2: r.beta2.v, Eps: r.eps.v}
	switch r.optimizer {
	case "gd", "sgd", "momentum", "nesterov":
		if h.LR == nil && r.data == "mnist" {
			h.LR = optimizers.Float(0.05)
		}
	}
	return h
}

// spec turns the model flags into a models.Spec for the prepared data.
func (r *recipe) spec(p *prepared) (models.Spec, error) {
	ds := p.train
	out := ds.Classes
	if out == 0 {
		out = ds.Targets()
	}
	sp := models.Spec{Kind: r.model, In: ds.Features(), Out: out, BatchNorm: r.batchnorm, Dropout: r.dropout}
	switch r.model {
	case "linear", "softmax":
		if r.model == "softmax" && ds.Classes == 0 {
			return sp, fmt.Errorf("--model softmax needs a classification dataset (%s is regression; use --model linear)", ds.Name)
		}
	case "mlp":
		hidden, _ := intList(r.hidden)
		sp.Hidden, sp.Activation = hidden, r.activation
		if p.vocab > 0 { // prepare turned the sequences into fixed-length rows
			sp.Vocab = p.vocab // the MLP baseline reads one-hot tokens
			sp.MaxLen = ds.X.Shape()[1]
		}
	case "cnn":
		if p.image == nil {
			return sp, fmt.Errorf("--model cnn needs image data (--data mnist)")
		}
		sp.Image, sp.Preset = p.image, r.preset
	case "transformer":
		sp.Vocab, sp.MaxLen, sp.Dim, sp.Heads, sp.Layers, sp.FF = p.vocab, ds.X.Shape()[1], r.dim, r.heads, r.layers, r.ff
		sp.NormFirst = r.normFirst
		if r.positions == "sinusoidal" {
			sp.Positions = r.positions
		}
		sp.Activation = r.activation
	case "mf":
		sp.Users, sp.Items, sp.Factors, sp.GlobalMean = p.users, p.items, r.factors, p.meanRating
	}
	return sp, nil
}

// build creates the graph, the model, the optimizer and the schedule.
func (r *recipe) build(p *prepared) (*graph.Graph, models.Module, models.Spec, train.Config, error) {
	var cfg train.Config
	sp, err := r.spec(p)
	if err != nil {
		return nil, nil, sp, cfg, err
	}
	gc := graph.Config{DType: r.dtypeOf(), Seed: r.seed}
	if r.maxMemory != "" {
		gc.MaxMemory, _ = parseBytes(r.maxMemory)
	}
	g, err := graph.New(gc)
	if err != nil {
		return nil, nil, sp, cfg, err
	}
	m, err := models.Build(g, sp)
	if err != nil {
		return nil, nil, sp, cfg, err
	}
	opt, err := optimizers.New(r.optimizer, r.hyper())
	if err != nil {
		return nil, nil, sp, cfg, err
	}
	sched, err := optimizers.ParseSchedule(r.schedule)
	if err != nil {
		return nil, nil, sp, cfg, fmt.Errorf("--schedule: %w", err)
	}
	var lrs optimizers.LRScheduler
	if _, constant := sched.Schedule.(optimizers.Constant); !constant {
		groups, ok := opt.(optimizers.LRGroups)
		if !ok {
			return nil, nil, sp, cfg, fmt.Errorf("--schedule: optimizer %s has no learning rate to schedule", r.optimizer)
		}
		if lrs, err = sched.Bind(groups); err != nil {
			return nil, nil, sp, cfg, fmt.Errorf("--schedule: %w", err)
		}
	}
	batch := r.batchSize
	if r.optimizer == "gd" {
		batch = 0 // gradient descent: one batch of all the data
	}
	cfg = train.Config{
		Epochs: r.epochs, BatchSize: batch, DropLast: r.dropLast, Seed: r.seed, Optimizer: opt, Scheduler: lrs,
		ClipNorm: r.clipNorm, ClipValue: r.clipValue, Accumulate: r.accumulate, EMA: r.ema, EvalEMA: r.ema > 0,
		EarlyStopping: train.EarlyStopping{Patience: r.patience, MinDelta: r.minDelta, RestoreBest: r.restoreBest},
		EvalBatchSize: r.evalBatch, LogEvery: r.logEvery, ModelSpec: sp.String(),
	}
	if p.targetScale != nil {
		cfg.Metrics = p.targetScale.metrics()
	}
	return g, m, sp, cfg, nil
}

// values returns every recipe flag's value by name: what checkpoints and
// run records keep.
func (r *recipe) values(fs *flag.FlagSet) map[string]string {
	out := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if recipeFlags[f.Name] {
			out[f.Name] = f.Value.String()
		}
	})
	return out
}

// resumable are the recipe flags a resumed run may change: they do not
// change what is computed.
var resumable = map[string]bool{"epochs": true, "log-every": true, "quiet": true, "eval-batch-size": true, "max-memory": true}

// overridable may change with --override: applied deliberately from the
// next step on.
var overridable = map[string]bool{"lr": true, "schedule": true, "clip-norm": true, "clip-value": true,
	"patience": true, "min-delta": true, "restore-best": true, "weight-decay": true, "momentum": true,
	"beta1": true, "beta2": true, "eps": true}

// adopt takes a checkpoint's recipe for a resumed run: flags not given on
// the command line take the checkpoint's values; a flag given with another
// value is an error naming it, unless it is resumable, or overridable and
// override is set.
func (r *recipe) adopt(fs *flag.FlagSet, saved map[string]string, override bool, cmd string) error {
	names := make([]string, 0, len(saved))
	for k := range saved {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil || !recipeFlags[name] {
			continue // a flag of another version of descent
		}
		old, cur := saved[name], f.Value.String()
		switch {
		case !r.set[name]:
			if err := fs.Set(name, old); err != nil {
				return fmt.Errorf("resume: the checkpoint's --%s %q: %w", name, old, err)
			}
		case old == cur || resumable[name]:
		case overridable[name] && override:
		case overridable[name]:
			return usagef(cmd, "--%s %s differs from the checkpoint's %s: resuming continues the same run (add --override to apply %s deliberately)", name, cur, orNone(old), cur)
		default:
			return usagef(cmd, "--%s %s differs from the checkpoint's %s: a resumed run cannot change it (start a new run instead)", name, cur, orNone(old))
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// metaJSON encodes v for checkpoint metadata.
func metaJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
