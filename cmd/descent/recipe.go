package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

// recipe holds the flags shared by train and cv: data, model, optimizer, loop.
type recipe struct {
	data, dataDir, target, task string
	standardize                 bool
	valSplit, testSplit         float64

	model, hidden, activation, preset string
	batchnorm                         bool
	dropout                           float64
	dtype                             string

	optimizer                           string
	lr, momentum, wd, beta1, beta2, eps optFloat
	schedule                            string
	clipNorm, clipValue                 float64
	epochs, batchSize, evalBatch        int
	dropLast                            bool
	seed                                uint64
	patience                            int
	minDelta                            float64
	restoreBest                         bool
	logEvery                            int
	quiet                               bool
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
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	o.v = &v
	return nil
}

func (r *recipe) register(fs *flag.FlagSet) {
	fs.StringVar(&r.data, "data", "mnist", "dataset: mnist, csv:PATH, linreg (the tutorial's 4 points), spirals, moons")
	fs.StringVar(&r.dataDir, "data-dir", "", "folder with MNIST's IDX files (default: the GoMNIST module in the Go module cache)")
	fs.StringVar(&r.target, "target", "", "csv: the target column")
	fs.StringVar(&r.task, "task", "regression", "csv: regression or classification (integer labels or class names)")
	fs.BoolVar(&r.standardize, "standardize", false, "standardize features (mean 0, std 1) with statistics of the training split only")
	fs.Float64Var(&r.valSplit, "val-split", 0, "fraction of the training data held out for validation (0: none)")
	fs.Float64Var(&r.testSplit, "test-split", 0, "csv/synthetic data: fraction held out as the test set (mnist has its own)")

	fs.StringVar(&r.model, "model", "mlp", "model: linear, softmax, mlp, cnn")
	fs.StringVar(&r.hidden, "hidden", "256,128", "mlp: hidden layer widths")
	fs.StringVar(&r.activation, "activation", "relu", "mlp: relu, tanh or sigmoid")
	fs.StringVar(&r.preset, "preset", "", "cnn: architecture preset: "+strings.Join(models.CNNPresets(), ", ")+" (default "+models.DefaultCNNPreset+")")
	fs.BoolVar(&r.batchnorm, "batchnorm", false, "mlp, cnn: batch normalization after each hidden layer")
	fs.Float64Var(&r.dropout, "dropout", 0, "mlp, cnn: dropout probability after each hidden layer")
	fs.StringVar(&r.dtype, "dtype", "float32", "float32 or float64")

	fs.StringVar(&r.optimizer, "optimizer", "momentum", "optimizer: "+strings.Join(optimizers.Names(), ", "))
	fs.Var(&r.lr, "lr", "learning rate (default: 0.05 for the sgd family on mnist, 0.01 otherwise; the optimizer's PyTorch default for adaptive ones)")
	fs.Var(&r.momentum, "momentum", "momentum (sgd, momentum, nesterov, rmsprop; default 0.9 for momentum and nesterov)")
	fs.Var(&r.wd, "weight-decay", "L2 weight decay (decoupled for adamw; default 0, 0.01 for adamw)")
	fs.Var(&r.beta1, "beta1", "adam, adamw: first-moment decay (default 0.9)")
	fs.Var(&r.beta2, "beta2", "adam, adamw: second-moment decay (default 0.999)")
	fs.Var(&r.eps, "eps", "adam, adamw, rmsprop, adagrad: denominator term (PyTorch's default for each)")
	fs.StringVar(&r.schedule, "schedule", "constant", "lr schedule stepped once per epoch: constant, step:S[:G], multistep:M1,M2[:G], exp:G, cosine:T[:MIN], warmup:W[,SCHEDULE], plateau[:F[:P]]")
	fs.Float64Var(&r.clipNorm, "clip-norm", 0, "clip the global gradient norm (0: off)")
	fs.Float64Var(&r.clipValue, "clip-value", 0, "clip each gradient element to ±value (0: off)")

	fs.IntVar(&r.epochs, "epochs", 10, "passes over the training data")
	fs.IntVar(&r.batchSize, "batch-size", 128, "examples per step (0: all the data, i.e. gradient descent)")
	fs.BoolVar(&r.dropLast, "drop-last", false, "drop the last, smaller batch of each epoch (kept by default)")
	fs.IntVar(&r.evalBatch, "eval-batch-size", 1000, "examples per evaluation step")
	fs.Uint64Var(&r.seed, "seed", 1, "seed of initialisation, shuffling, splits and dropout")
	fs.IntVar(&r.patience, "patience", 0, "early stopping: epochs without improvement of the validation loss (0: off)")
	fs.Float64Var(&r.minDelta, "min-delta", 0, "early stopping: smallest improvement that counts")
	fs.BoolVar(&r.restoreBest, "restore-best", false, "early stopping: keep the best epoch's weights at the end")
	fs.IntVar(&r.logEvery, "log-every", 1, "print metrics every N epochs")
	fs.BoolVar(&r.quiet, "quiet", false, "no progress bar")
}

// sets are the datasets of a run: train, optional test, and what the model needs to know.
type sets struct {
	train, test *data.Dataset
	image       []int // [C H W] of an example, for conv nets
}

func (r *recipe) dtypeOf() (graph.DType, error) {
	dt, err := graph.ParseDType(r.dtype)
	if err != nil {
		return 0, fmt.Errorf("--dtype: %w", err)
	}
	return dt, nil
}

// load reads the dataset named by --data and splits off a test set.
func (r *recipe) load() (*sets, error) {
	dt, err := r.dtypeOf()
	if err != nil {
		return nil, err
	}
	s := &sets{}
	switch name := r.data; {
	case name == "mnist":
		if s.train, s.test, err = data.LoadMNIST(data.MNISTConfig{Dir: r.dataDir, DType: dt}); err != nil {
			return nil, err
		}
		s.image = []int{1, 28, 28}
		return s, nil
	case strings.HasPrefix(name, "csv:"):
		if r.target == "" {
			return nil, fmt.Errorf("--data %s needs --target COLUMN", name)
		}
		task := data.Regression
		switch r.task {
		case "regression":
		case "classification":
			task = data.Classification
		default:
			return nil, fmt.Errorf("--task %q (want regression or classification)", r.task)
		}
		s.train, err = data.LoadCSV(strings.TrimPrefix(name, "csv:"), data.CSVConfig{Target: r.target, Task: task, DType: dt})
	case name == "linreg":
		s.train, err = data.Linear(dt)
	case name == "spirals":
		s.train, err = data.Spirals(data.ToyConfig{N: 1000, Noise: 0.05, Seed: r.seed, DType: dt})
	case name == "moons":
		s.train, err = data.Moons(data.ToyConfig{N: 1000, Noise: 0.1, Seed: r.seed, DType: dt})
	default:
		return nil, fmt.Errorf("--data %q (want mnist, csv:PATH, linreg, spirals or moons)", name)
	}
	if err != nil {
		return nil, err
	}
	if r.testSplit > 0 {
		if s.train, s.test, err = data.Split(s.train, r.testSplit, r.seed+1); err != nil {
			return nil, fmt.Errorf("--test-split: %w", err)
		}
	}
	return s, nil
}

// spec turns the model flags into a models.Spec for a dataset.
func (r *recipe) spec(s *sets) (models.Spec, error) {
	ds := s.train
	out := ds.Classes
	if out == 0 {
		out = ds.Targets()
	}
	sp := models.Spec{Kind: r.model, In: ds.Features(), Out: out, BatchNorm: r.batchnorm, Dropout: r.dropout}
	switch r.model {
	case "linear", "softmax":
		if r.batchnorm || r.dropout != 0 {
			return sp, fmt.Errorf("--model %s takes no --batchnorm or --dropout", r.model)
		}
		if r.model == "softmax" && ds.Classes == 0 {
			return sp, fmt.Errorf("--model softmax needs a classification dataset (%s is regression)", ds.Name)
		}
	case "mlp":
		hidden, err := intList(r.hidden)
		if err != nil {
			return sp, fmt.Errorf("--hidden: %w", err)
		}
		sp.Hidden, sp.Activation = hidden, r.activation
	case "cnn":
		if s.image == nil {
			return sp, fmt.Errorf("--model cnn needs image data (--data mnist)")
		}
		sp.Image, sp.Preset = s.image, r.preset
	default:
		return sp, fmt.Errorf("--model %q (want linear, softmax, mlp or cnn)", r.model)
	}
	return sp, nil
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

// build creates the graph, the model, the optimizer and the schedule.
func (r *recipe) build(s *sets) (*graph.Graph, models.Module, models.Spec, train.Config, error) {
	var cfg train.Config
	dt, err := r.dtypeOf()
	if err != nil {
		return nil, nil, models.Spec{}, cfg, err
	}
	sp, err := r.spec(s)
	if err != nil {
		return nil, nil, sp, cfg, err
	}
	g, err := graph.New(graph.Config{DType: dt, Seed: r.seed})
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
	if batch < 0 || r.epochs < 1 {
		return nil, nil, sp, cfg, fmt.Errorf("--batch-size %d, --epochs %d (want >= 0 and >= 1)", r.batchSize, r.epochs)
	}
	cfg = train.Config{
		Epochs: r.epochs, BatchSize: batch, DropLast: r.dropLast, Seed: r.seed, Optimizer: opt, Scheduler: lrs,
		ClipNorm: r.clipNorm, ClipValue: r.clipValue,
		EarlyStopping: train.EarlyStopping{Patience: r.patience, MinDelta: r.minDelta, RestoreBest: r.restoreBest},
		EvalBatchSize: r.evalBatch, LogEvery: r.logEvery, ModelSpec: sp.String(),
	}
	return g, m, sp, cfg, nil
}

// prepare splits validation data off and standardizes with training statistics.
func (r *recipe) prepare(trainDS *data.Dataset, others ...*data.Dataset) (tr, val *data.Dataset, rest []*data.Dataset, err error) {
	tr = trainDS
	if r.valSplit > 0 {
		if tr, val, err = data.Split(trainDS, r.valSplit, r.seed+2); err != nil {
			return nil, nil, nil, fmt.Errorf("--val-split: %w", err)
		}
	}
	rest = others
	if !r.standardize {
		return tr, val, rest, nil
	}
	var st data.Standardizer
	if err := st.Fit(tr); err != nil {
		return nil, nil, nil, err
	}
	apply := func(ds *data.Dataset) (*data.Dataset, error) {
		if ds == nil {
			return nil, nil
		}
		return st.Apply(ds)
	}
	if tr, err = apply(tr); err != nil {
		return nil, nil, nil, err
	}
	if val, err = apply(val); err != nil {
		return nil, nil, nil, err
	}
	rest = make([]*data.Dataset, len(others))
	for i, ds := range others {
		if rest[i], err = apply(ds); err != nil {
			return nil, nil, nil, err
		}
	}
	return tr, val, rest, nil
}
