package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/train"
)

// Checkpoint metadata the CLI adds (besides train's "model", "train", "run").
const (
	metaRecipe  = "recipe"  // every recipe flag's value (JSON object)
	metaScaling = "scaling" // fitted standardization of inputs and target (JSON)
	metaClasses = "classes" // the class names of labels 0..K-1 (JSON list)
)

// prepared is a recipe's data, split and scaled, and what the model needs
// to know about it.
type prepared struct {
	train, val, test *data.Dataset
	testName         string // what test is: "test split", "MNIST test set", ...
	image            []int  // [C H W] of an example, for conv nets
	vocab            int    // sequences: token ids 0..vocab-1
	users, items     int    // ratings
	meanRating       float64
	scaling          scaling
	targetScale      *targetScaling
	classes          []string // names of labels 0..K-1 (nil: the labels themselves)
	notes            []string // decisions taken for the user, printed before training
}

// scaling is the standardization fitted on the training split, kept in
// checkpoints so eval and predict apply the same one.
type scaling struct {
	Mean        []float64 `json:"mean,omitempty"`
	Scale       []float64 `json:"scale,omitempty"`
	TargetMean  []float64 `json:"target_mean,omitempty"`
	TargetScale []float64 `json:"target_scale,omitempty"`
}

// loadSource reads the dataset --data names; test is its own test set
// (MNIST's, a --test-data file, fresh draws of a synthetic task) or nil.
func (r *recipe) loadSource(ctx context.Context) (tr, test *data.Dataset, p *prepared, err error) {
	dt := r.dtypeOf()
	p = &prepared{}
	name := r.data
	src, arg, _ := strings.Cut(name, ":")
	switch {
	case name == "mnist":
		if tr, test, err = data.LoadMNIST(data.MNISTConfig{Dir: r.dataDir, DType: dt}); err != nil {
			return nil, nil, nil, err
		}
		p.image, p.testName = []int{1, 28, 28}, "MNIST test set"
	case src == "csv" && r.model == "mf":
		if tr, err = data.LoadRatings(arg, data.RatingsCSVConfig{DType: dt}); err != nil {
			return nil, nil, nil, err
		}
		p.users, p.items = len(tr.Categories[0]), len(tr.Categories[1])
	case src == "csv":
		var note string
		if tr, note, err = r.loadCSV(arg, dt); err != nil {
			return nil, nil, nil, err
		}
		if note != "" {
			p.notes = append(p.notes, note)
		}
		if r.testData != "" {
			if test, _, err = r.loadCSV(r.testData, dt); err != nil {
				return nil, nil, nil, fmt.Errorf("--test-data: %w", err)
			}
			p.testName = "test file " + r.testData
		}
	case name == "linreg":
		tr, err = data.Linear(dt)
	case name == "spirals":
		tr, err = data.Spirals(data.ToyConfig{N: 1000, Noise: 0.05, Seed: r.seed, DType: dt})
	case name == "moons":
		tr, err = data.Moons(data.ToyConfig{N: 1000, Noise: 0.1, Seed: r.seed, DType: dt})
	case name == "seq:recall":
		if tr, err = data.Recall(data.RecallConfig{N: 10000, Seed: r.seed}); err == nil {
			test, err = data.Recall(data.RecallConfig{N: 2000, Seed: r.seed + 1000})
		}
		p.vocab, p.testName = 17, "fresh sequences"
	case name == "ratings:synthetic":
		var all *data.Dataset
		if all, err = data.SyntheticRatings(data.RatingsConfig{Users: 1000, Items: 500, N: 220000, Seed: r.seed, DType: dt}); err == nil {
			tr, test, err = data.Split(all, 20000.0/220000, r.seed+1)
		}
		p.users, p.items, p.testName = 1000, 500, "held-out ratings"
	default:
		return nil, nil, nil, fmt.Errorf("--data %q (want mnist, csv:PATH, linreg, spirals, moons, seq:recall or ratings:synthetic)", name)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("loading %s: %w", name, train.ErrInterrupted)
	}
	if tr.ClassNames != nil {
		p.classes = tr.ClassNames
	}
	if test != nil && tr.Classes > 0 && !sameStrings(tr.ClassNames, test.ClassNames) {
		return nil, nil, nil, fmt.Errorf("--test-data %s has classes %v, the training data %v (want the same classes)", r.testData, test.ClassNames, tr.ClassNames)
	}
	return tr, test, p, nil
}

// loadCSV reads a CSV file. Without --task the target decides: names, or
// at most 20 distinct integers (labels such as 1..3 or -1/+1), make a
// classification target, other numbers a regression target; the note says
// which was chosen. The choice sticks for the test file (r.task is set).
func (r *recipe) loadCSV(path string, dt graph.DType) (*data.Dataset, string, error) {
	cfg := data.CSVConfig{Target: r.target, DType: dt}
	switch r.task {
	case "classification":
		cfg.Task = data.Classification
		ds, err := data.LoadCSV(path, cfg)
		return ds, "", err
	case "regression":
		cfg.Task = data.Regression
		ds, err := data.LoadCSV(path, cfg)
		return ds, "", err
	}
	ds, err := data.LoadCSV(path, cfg)
	var fe *data.FileError
	if errors.As(err, &fe) && fe.Column == r.target && fe.Line > 1 {
		r.task = "classification"
		cfg.Task = data.Classification
		ds, err = data.LoadCSV(path, cfg)
		if err != nil {
			return nil, "", err
		}
		return ds, fmt.Sprintf("--task not given: classification (column %q holds names)", r.target), nil
	}
	if err != nil {
		return nil, "", err
	}
	distinct := map[float64]bool{}
	for i := 0; i < ds.Y.Len() && len(distinct) <= 20; i++ {
		v := ds.Y.At(i)
		if v != math.Trunc(v) {
			distinct = nil
			break
		}
		distinct[v] = true
	}
	if distinct != nil && len(distinct) <= 20 {
		r.task = "classification"
		cfg.Task = data.Classification
		if ds, err = data.LoadCSV(path, cfg); err != nil {
			return nil, "", err
		}
		return ds, fmt.Sprintf("--task not given: classification (column %q holds %d distinct integers; --task regression to treat them as numbers)", r.target, len(distinct)), nil
	}
	r.task = "regression"
	return ds, fmt.Sprintf("--task not given: regression (column %q holds numbers)", r.target), nil
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// prepare loads the data and splits and scales it as the recipe says. With
// saved (a checkpoint's scaling) the statistics are not refitted.
func (r *recipe) prepare(ctx context.Context, saved *scaling) (*prepared, error) {
	all, test, p, err := r.loadSource(ctx)
	if err != nil {
		return nil, err
	}
	if r.model == "mlp" && all.Sequence {
		// The MLP baseline reads fixed-length, one-hot tokens: no trimming.
		all.Sequence = false
		if test != nil {
			test.Sequence = false
		}
	}
	tr := all
	if r.testSplit > 0 {
		if tr, test, err = data.Split(all, r.testSplit, r.seed+1); err != nil {
			return nil, fmt.Errorf("--test-split: %w", err)
		}
		p.testName = "test split"
	}
	if r.valSplit > 0 {
		var val *data.Dataset
		if tr, val, err = data.Split(tr, r.valSplit, r.seed+2); err != nil {
			return nil, fmt.Errorf("--val-split: %w", err)
		}
		p.val = val
	}
	p.train, p.test = tr, test
	if r.model == "mf" {
		var s float64
		for i := 0; i < tr.Y.Len(); i++ {
			s += tr.Y.At(i)
		}
		p.meanRating = s / float64(tr.Y.Len())
	}
	if r.standardize {
		var st data.Standardizer
		if saved != nil && saved.Mean != nil {
			st.Mean, st.Scale = saved.Mean, saved.Scale
		} else if err := st.Fit(tr); err != nil {
			return nil, fmt.Errorf("--standardize: %w", err)
		}
		if len(st.Mean) != tr.Features() {
			return nil, fmt.Errorf("--standardize: the saved scaling has %d features, the data %d", len(st.Mean), tr.Features())
		}
		p.scaling.Mean, p.scaling.Scale = st.Mean, st.Scale
		for _, ds := range []**data.Dataset{&p.train, &p.val, &p.test} {
			if *ds != nil {
				if *ds, err = st.Apply(*ds); err != nil {
					return nil, fmt.Errorf("--standardize: %w", err)
				}
			}
		}
	}
	if r.standardizeTarget {
		if tr.Classes > 0 {
			return nil, fmt.Errorf("--standardize-target: %s is a classification set", tr.Name)
		}
		ts := &targetScaling{}
		if saved != nil && saved.TargetMean != nil {
			ts.mean, ts.scale = saved.TargetMean, saved.TargetScale
		} else {
			ts.fit(p.train)
		}
		p.targetScale = ts
		p.scaling.TargetMean, p.scaling.TargetScale = ts.mean, ts.scale
		for _, ds := range []**data.Dataset{&p.train, &p.val, &p.test} {
			if *ds != nil {
				if *ds, err = ts.apply(*ds); err != nil {
					return nil, err
				}
			}
		}
	}
	return p, nil
}

// meta returns the checkpoint metadata of a prepared recipe.
func (p *prepared) meta(recipe map[string]string) map[string]string {
	m := map[string]string{metaRecipe: metaJSON(recipe)}
	if p.scaling.Mean != nil || p.scaling.TargetMean != nil {
		m[metaScaling] = metaJSON(p.scaling)
	}
	if p.classes != nil {
		m[metaClasses] = metaJSON(p.classes)
	}
	return m
}

// readMeta decodes the CLI's checkpoint metadata.
func readMeta(meta map[string]string) (recipe map[string]string, sc *scaling, classes []string, err error) {
	if raw, ok := meta[metaRecipe]; ok {
		if err := json.Unmarshal([]byte(raw), &recipe); err != nil {
			return nil, nil, nil, fmt.Errorf("the checkpoint's recipe: %w", err)
		}
	}
	if raw, ok := meta[metaScaling]; ok {
		sc = &scaling{}
		if err := json.Unmarshal([]byte(raw), sc); err != nil {
			return nil, nil, nil, fmt.Errorf("the checkpoint's scaling: %w", err)
		}
	}
	if raw, ok := meta[metaClasses]; ok {
		if err := json.Unmarshal([]byte(raw), &classes); err != nil {
			return nil, nil, nil, fmt.Errorf("the checkpoint's class names: %w", err)
		}
	}
	return recipe, sc, classes, nil
}

// targetScaling standardizes regression targets; metrics are reported in
// the target's own units.
type targetScaling struct{ mean, scale []float64 }

func (s *targetScaling) fit(ds *data.Dataset) {
	n, k := ds.Len(), ds.Targets()
	s.mean, s.scale = make([]float64, k), make([]float64, k)
	for i := 0; i < n*k; i++ {
		s.mean[i%k] += ds.Y.At(i) / float64(n)
	}
	for i := 0; i < n*k; i++ {
		d := ds.Y.At(i) - s.mean[i%k]
		s.scale[i%k] += d * d / float64(n)
	}
	for j := range s.scale {
		s.scale[j] = math.Sqrt(s.scale[j])
		if s.scale[j] == 0 || math.IsNaN(s.scale[j]) {
			s.scale[j] = 1
		}
	}
}

func (s *targetScaling) apply(ds *data.Dataset) (*data.Dataset, error) {
	if ds.Targets() != len(s.mean) {
		return nil, fmt.Errorf("--standardize-target: %d targets (want %d)", ds.Targets(), len(s.mean))
	}
	out := ds.Clone()
	k := len(s.mean)
	for i := 0; i < out.Y.Len(); i++ {
		out.Y.Set(i, (out.Y.At(i)-s.mean[i%k])/s.scale[i%k])
	}
	return out, nil
}

// unscale returns a copy of t in the target's units.
func (s *targetScaling) unscale(t *graph.Tensor) *graph.Tensor {
	out := t.Clone()
	k := len(s.mean)
	for i := 0; i < out.Len(); i++ {
		out.Set(i, out.At(i)*s.scale[i%k]+s.mean[i%k])
	}
	return out
}

// metrics returns RMSE, MAE and R2 computed in the target's own units.
func (s *targetScaling) metrics() []train.Metric {
	return []train.Metric{unscaled{train.RMSE(), s}, unscaled{train.MAE(), s}, unscaled{train.R2(), s}}
}

// unscaled computes a regression metric on unscaled outputs and targets.
type unscaled struct {
	train.Metric
	s *targetScaling
}

func (u unscaled) Update(out, y *graph.Tensor) error {
	return u.Metric.Update(u.s.unscale(out), u.s.unscale(y))
}
