package optbench

import (
	"embed"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
)

//go:embed deepobs/quadratic_deep/*.f32
var quadraticFiles embed.FS

const (
	quadDim, quadN = 100, 1000
	// quadEval is DeepOBS's evaluation set size: 7 batches of 128 of the
	// 1000 examples (it drops the last partial batch).
	quadEval = 7 * 128
	// deepOBSConvergence is the quadratic_deep entry of DeepOBS's
	// baselines_deepobs/convergence_performance.json: the test loss its
	// "speed" counts epochs to.
	deepOBSConvergence = 87.70315464772136
)

// quadData is the embedded DeepOBS data: Q and the three splits, float32.
type quadData struct {
	q                   []float32 // [100, 100] row-major
	train, valid, test  []float32 // [1000, 100]
	target, targetRatio float64
}

func readF32(name string, n int) ([]float32, error) {
	raw, err := quadraticFiles.ReadFile("deepobs/quadratic_deep/" + name)
	if err != nil {
		return nil, err
	}
	if len(raw) != 4*n {
		return nil, fmt.Errorf("optbench: quadratic_deep: %s has %d bytes (want %d)", name, len(raw), 4*n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}

func loadQuadData() (*quadData, error) {
	d := &quadData{}
	var err error
	if d.q, err = readF32("hessian.f32", quadDim*quadDim); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		name string
		dst  *[]float32
	}{{"train.f32", &d.train}, {"valid.f32", &d.valid}, {"test.f32", &d.test}} {
		if *s.dst, err = readF32(s.name, quadN*quadDim); err != nil {
			return nil, err
		}
	}
	// The validation target: DeepOBS's convergence performance is a test
	// loss; scale the validation loss at the training-loss minimiser (the
	// training mean) by the ratio that number bears to the test loss there.
	theta := make([]float64, quadDim)
	for i := 0; i < quadN; i++ {
		for j := range theta {
			theta[j] += float64(d.train[i*quadDim+j]) / quadN
		}
	}
	d.targetRatio = deepOBSConvergence / quadLoss(d.q, d.test[:quadEval*quadDim], theta)
	d.target = d.targetRatio * quadLoss(d.q, d.valid[:quadEval*quadDim], theta)
	return d, nil
}

// quadLoss is the mean over the rows x of 0.5 (theta-x)' Q (theta-x), in
// float64.
func quadLoss(q, xs []float32, theta []float64) float64 {
	n := len(xs) / quadDim
	d := make([]float64, quadDim)
	total := 0.0
	for i := 0; i < n; i++ {
		for j := range d {
			d[j] = theta[j] - float64(xs[i*quadDim+j])
		}
		s := 0.0
		for a := range d {
			row := 0.0
			for b := range d {
				row += float64(q[a*quadDim+b]) * d[b]
			}
			s += d[a] * row
		}
		total += 0.5 * s
	}
	return total / float64(n)
}

func quadSet(name string, x []float32) (*data.Dataset, error) {
	xt, err := graph.FromFloat32(x, len(x)/quadDim, quadDim)
	if err != nil {
		return nil, err
	}
	yt, err := graph.NewTensor(graph.Float32, len(x)/quadDim, 1) // no targets: zeros
	if err != nil {
		return nil, err
	}
	return data.NewDataset(name, xt, yt, 0)
}

// QuadraticDeep is DeepOBS's quadratic_deep (Schneider, Balles & Hennig,
// ICLR 2019): theta in R^100 from all ones, per-example loss
// 0.5 (theta-x)' Q (theta-x) with DeepOBS's Hessian Q (eigenvalues 90 in
// (0, 1) and 10 in (30, 60), a Haar rotation) and x ~ N(0, 0.6^2 I); batch
// 128, 100 epochs of 7 batches (the last partial batch dropped after each
// shuffle). Its data are DeepOBS's arrays, embedded (deepobs/quadratic_deep:
// the Hessian, train (seed 42) and test (seed 43) as the shared DeepOBS
// files; valid (seed 44, DeepOBS v1.2) drawn by make_valid.py, which
// reproduces the other two byte for byte). Validation and test losses are
// over the first 896 examples, as DeepOBS's 7 evaluation batches.
//
// Differences from DeepOBS: the shuffle order is Go's PCG, not TensorFlow's
// (the same distribution of batches, other draws); "train loss" is the mean
// minibatch loss since the last evaluation, not a separate train_eval pass;
// the loss is computed in float32 by descent's graph.
func QuadraticDeep() (Problem, error) {
	d, err := loadQuadData()
	if err != nil {
		return Problem{}, err
	}
	return Problem{
		Name:  "quadratic_deep",
		Title: "DeepOBS noisy quadratic, 100-D, deep-learning eigenspectrum",
		Source: "DeepOBS v1.1/v1.2 quadratic_deep (Schneider et al. 2019), exact data; " +
			"validation set seed 44 as DeepOBS v1.2; shuffle order from Go's PCG",
		Load: func(Env) (*Splits, error) {
			var s Splits
			var err error
			if s.Train, err = quadSet("quadratic_deep/train", d.train); err != nil {
				return nil, err
			}
			if s.Valid, err = quadSet("quadratic_deep/valid", d.valid); err != nil {
				return nil, err
			}
			if s.Test, err = quadSet("quadratic_deep/test", d.test); err != nil {
				return nil, err
			}
			return &s, nil
		},
		Build: func(g *graph.Graph, x, _ *graph.Node) (Net, error) {
			qt, err := graph.FromFloat32(d.q, quadDim, quadDim)
			if err != nil {
				return Net{}, err
			}
			theta := g.Param("quadratic/theta", []int{quadDim}, graph.Ones())
			diff := graph.Sub(theta, x)                                           // [B, 100]
			per := graph.Sum(graph.Mul(graph.MatMul(diff, g.Const(qt)), diff), 1) // [B]
			loss := graph.Scale(graph.Mean(per), 0.5)
			return Net{Loss: loss}, g.Err()
		},
		Metric:       MetricLoss,
		BatchSize:    128,
		DropLast:     true,
		Budget:       Budget{Epochs: 100},
		EvalExamples: quadEval,
		Target:       d.target,
		TargetSource: fmt.Sprintf("validation loss at the training minimiser x %.5f (DeepOBS's convergence performance 87.703 over the test loss there)", d.targetRatio),
	}, nil
}
