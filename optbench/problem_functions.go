package optbench

import (
	"math/rand/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
)

// The 2-D test functions. Each has a deterministic form (a train set of
// one zero row: every step is the exact gradient) and DeepOBS's noisy form
// (two_d_rosenbrock, two_d_beale; deepobs/tensorflow/testproblems/two_d_*.py
// and datasets/two_d.py): the per-example loss f(u, v) + u*x + v*y with
// (x, y) drawn N(0, 1), 10,000 training examples, a validation set of
// 10,000 more and a test set of zeros (so the test loss is f itself), batch
// 128 with the remainder dropped. DeepOBS's starting points: Rosenbrock
// (-0.5, 1.5), Beale (-4.5, 4.5).
//
// DeepOBS has no default budget or target for them; ours: 10,000 steps
// (deterministic) and 20 epochs = 1,560 steps (noisy), target f <= 1e-3
// (deterministic) and, noisy, a validation loss within 1e-2 of its value at
// the minimiser (the validation noise u*mean(x) + v*mean(y) shifts it by
// about 1e-2 either way, so a fixed threshold could be unreachable). The
// noise is drawn from
// Go's PCG with seeds 42 (train) and 44 (validation), as DeepOBS's numpy
// seeds, so the draws differ from DeepOBS's.

// fn2D is a 2-D test function built from graph ops on two [1] parameters.
type fn2D struct {
	name, title string
	u0, v0      float64 // DeepOBS's starting point
	uMin, vMin  float64 // the minimiser (f = 0 there)
	f           func(u, v *graph.Node) *graph.Node
}

func rosenbrockFn() fn2D {
	return fn2D{"rosenbrock", "Rosenbrock (1960) function, minimum 0 at (1, 1)", -0.5, 1.5, 1, 1,
		func(u, v *graph.Node) *graph.Node {
			a := graph.Square(graph.Shift(graph.Neg(u), 1))
			b := graph.Square(graph.Sub(v, graph.Square(u)))
			return graph.Add(a, graph.Scale(b, 100))
		}}
}

func bealeFn() fn2D {
	return fn2D{"beale", "Beale (1958) function, minimum 0 at (3, 0.5)", -4.5, 4.5, 3, 0.5,
		func(u, v *graph.Node) *graph.Node {
			// (c - u + u v^k)^2 for k = 1, 2, 3
			term := func(c float64, vk *graph.Node) *graph.Node {
				return graph.Square(graph.Shift(graph.Sub(graph.Mul(u, vk), u), c))
			}
			v2 := graph.Square(v)
			return graph.Add(graph.Add(term(1.5, v), term(2.25, v2)), term(2.625, graph.Mul(v2, v)))
		}}
}

func (fn fn2D) build(g *graph.Graph, x *graph.Node) (Net, error) {
	u := g.Param(fn.name+"/u", []int{1}, graph.Constant(fn.u0))
	v := g.Param(fn.name+"/v", []int{1}, graph.Constant(fn.v0))
	noise := graph.Add(graph.Mul(graph.Slice(x, 1, 0, 1, 1), u), graph.Mul(graph.Slice(x, 1, 1, 2, 1), v)) // [B, 1]
	loss := graph.Mean(graph.Add(noise, fn.f(u, v)))
	return Net{Loss: loss}, g.Err()
}

// set2D returns n rows (x, y): zeros, or N(0, 1) draws from a PCG seeded
// with seed (all x first, then all y, as DeepOBS's two calls to normal).
func set2D(name string, n int, seed uint64, noisy bool) (*data.Dataset, error) {
	vals := make([]float32, 2*n)
	if noisy {
		rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
		for col := 0; col < 2; col++ {
			for i := 0; i < n; i++ {
				vals[2*i+col] = float32(rng.NormFloat64())
			}
		}
	}
	x, err := graph.FromFloat32(vals, n, 2)
	if err != nil {
		return nil, err
	}
	y, err := graph.NewTensor(graph.Float32, n, 1)
	if err != nil {
		return nil, err
	}
	return data.NewDataset(name, x, y, 0)
}

// function2D returns the deterministic form of a 2-D test function.
func function2D(fn fn2D) Problem {
	return Problem{
		Name:   fn.name,
		Title:  fn.title + ", exact gradients",
		Source: "DeepOBS two_d_" + fn.name + " without its noise (the function its test set evaluates), from DeepOBS's starting point",
		Load: func(Env) (*Splits, error) {
			zero, err := set2D(fn.name+"/zero", 1, 0, false)
			if err != nil {
				return nil, err
			}
			return &Splits{Train: zero, Valid: zero, Test: zero}, nil
		},
		Build:         func(g *graph.Graph, x, _ *graph.Node) (Net, error) { return fn.build(g, x) },
		Metric:        MetricLoss,
		BatchSize:     1,
		Budget:        Budget{Steps: 10000},
		EvalEvery:     100,
		Target:        1e-3,
		TargetSource:  "f <= 1e-3 (ours; DeepOBS sets none)",
		Deterministic: true,
	}
}

// noisy2D returns DeepOBS's noisy form, "two_d_rosenbrock" or "two_d_beale".
func noisy2D(fn fn2D) (Problem, error) {
	const n = 10000
	const evalN = n / 128 * 128 // DeepOBS evaluates 78 batches of 128
	valid, err := set2D("two_d/valid", n, 44, true)
	if err != nil {
		return Problem{}, err
	}
	xv, _ := valid.X.Float32s()
	mx, my := 0.0, 0.0
	for i := 0; i < evalN; i++ {
		mx += float64(xv[2*i])
		my += float64(xv[2*i+1])
	}
	atMin := (fn.uMin*mx + fn.vMin*my) / evalN
	return Problem{
		Name:   "two_d_" + fn.name,
		Title:  fn.title + ", DeepOBS's noisy version (gradient noise N(0, 1) per example)",
		Source: "DeepOBS two_d_" + fn.name + " and datasets/two_d.py; noise drawn from Go's PCG (seeds 42, 44) instead of numpy's",
		Load: func(Env) (*Splits, error) {
			s := Splits{Valid: valid}
			var err error
			if s.Train, err = set2D("two_d/train", n, 42, true); err != nil {
				return nil, err
			}
			if s.Test, err = set2D("two_d/test", n, 0, false); err != nil {
				return nil, err
			}
			return &s, nil
		},
		Build:        func(g *graph.Graph, x, _ *graph.Node) (Net, error) { return fn.build(g, x) },
		Metric:       MetricLoss,
		BatchSize:    128,
		DropLast:     true,
		Budget:       Budget{Epochs: 20},
		EvalEvery:    39,
		EvalExamples: evalN,
		Target:       atMin + 1e-2,
		TargetSource: "validation loss within 1e-2 of its value at the minimiser (ours; DeepOBS sets none)",
	}, nil
}
