// Command sharpness tracks the sharpness of a network during training: the
// largest eigenvalue of the loss's Hessian, found by power iteration on
// exact Hessian-vector products (graph.HVP, a double backward pass).
//
// It shows the "edge of stability" of Cohen et al. (ICLR 2021) on an MLP
// trained by full-batch gradient descent on 1000 MNIST images with the
// square loss: with step size η = 0.05 the sharpness stays below 2/η = 40
// and slowly rises while the loss falls at every step; with η = 0.1 the
// sharpness starts at 2/η = 20 and hovers there, and the loss still
// falls, though not at every step.
package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

const (
	steps = 300
	every = 25
)

func main() {
	mnist, _, err := data.LoadMNIST(data.MNISTConfig{})
	check(err)
	subset, err := mnist.Subset(seq(1000))
	check(err)
	for _, lr := range []float64{0.05, 0.1} {
		fmt.Printf("gradient descent, η = %g\n", lr)
		for _, r := range run(subset, lr) {
			if r.sharpness == 0 {
				continue
			}
			fmt.Printf("  step %3d  loss %.4f  sharpness %5.1f  (2/η = %.1f)\n", r.step, r.loss, r.sharpness, 2/lr)
		}
	}
}

// record is the state after a step.
type record struct {
	step            int
	loss, sharpness float64
}

// run trains the MLP from the same start with step size lr and returns the
// loss after every step, with the sharpness every few steps (0 otherwise).
func run(subset *data.Dataset, lr float64) []record {
	var out []record

	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: 1})
	check(err)
	mlp, err := models.NewMLP(g, models.MLPConfig{In: 784, Hidden: []int{128}, Out: 10, Activation: models.Tanh})
	check(err)
	gd, err := optimizers.NewSGD(optimizers.SGDConfig{LR: lr})
	check(err)

	var sharp *sharpness
	t, err := train.New(g, mlp, subset, train.Config{
		Epochs: steps, BatchSize: 0, Optimizer: gd, // BatchSize 0: one step on all the data per epoch
		Loss: squareLoss,
		Hooks: train.Hooks{EpochEnd: func(m train.EpochMetrics) error {
			r := record{step: m.Epoch, loss: m.TrainLoss}
			if m.Epoch%every == 0 || m.Epoch == 1 {
				var err error
				if r.sharpness, err = sharp.top(20); err != nil {
					return err
				}
			}
			out = append(out, r)
			return nil
		}},
	})
	check(err)
	defer t.Close()
	in := t.Inputs()
	sharp, err = newSharpness(squareLoss(t.Output(), in), mlp.Params(), graph.Feeds{in["x"]: subset.X, in["y"]: subset.Y})
	check(err)
	_, err = t.Fit(context.Background(), subset, nil)
	check(err)
	return out
}

// squareLoss is the mean squared error against the one-hot labels, as in
// Cohen et al.'s experiments: half the sum over classes, mean over examples.
func squareLoss(out *graph.Node, in train.Inputs) *graph.Node {
	diff := graph.Sub(out, graph.OneHot(in["y"], 10))
	return graph.Scale(graph.Mean(graph.Sum(graph.Square(diff), 1)), 0.5)
}

// sharpness computes the top Hessian eigenvalue of a loss by power
// iteration: v ← Hv/‖Hv‖, λ = <v, Hv>.
type sharpness struct {
	prog    *graph.Program
	hv      []*graph.Node
	v       []*graph.Tensor
	feeds   graph.Feeds
	rng     *rand.Rand
	started bool
}

func newSharpness(loss *graph.Node, params []*graph.Param, data graph.Feeds) (*sharpness, error) {
	g := loss.Graph()
	s := &sharpness{feeds: graph.Feeds{}, rng: rand.New(rand.NewPCG(1, 2))}
	var nodes, vs []*graph.Node
	for i, p := range params {
		v := g.Input(fmt.Sprintf("v%d", i), p.Shape()...)
		t, err := graph.NewTensor(p.DType(), p.Shape()...)
		if err != nil {
			return nil, err
		}
		nodes, vs, s.v = append(nodes, p.Node()), append(vs, v), append(s.v, t)
		s.feeds[v] = t
	}
	for n, t := range data {
		s.feeds[n] = t
	}
	s.hv = graph.HVP(loss, nodes, vs)
	if err := g.Err(); err != nil {
		return nil, err
	}
	var err error
	s.prog, err = g.Compile(nil, s.hv...)
	return s, err
}

// top runs iters steps of power iteration, from a random start the first
// time and from the last eigenvector estimate after that.
func (s *sharpness) top(iters int) (float64, error) {
	if !s.started {
		for _, v := range s.v {
			for i := 0; i < v.Len(); i++ {
				v.Set(i, s.rng.NormFloat64())
			}
		}
		normalize(s.v)
		s.started = true
	}
	var lambda float64
	for it := 0; it < iters; it++ {
		if err := s.prog.Run(graph.Eval, false, s.feeds); err != nil {
			return 0, err
		}
		lambda = 0
		for k, v := range s.v {
			hv := s.prog.Output(s.hv[k])
			for i := 0; i < v.Len(); i++ {
				lambda += v.At(i) * hv.At(i)
			}
			check(v.CopyFrom(hv))
		}
		normalize(s.v)
	}
	return lambda, nil
}

func normalize(vs []*graph.Tensor) {
	var sq float64
	for _, v := range vs {
		for i := 0; i < v.Len(); i++ {
			sq += v.At(i) * v.At(i)
		}
	}
	n := math.Sqrt(sq)
	for _, v := range vs {
		for i := 0; i < v.Len(); i++ {
			v.Set(i, v.At(i)/n)
		}
	}
}

func seq(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
