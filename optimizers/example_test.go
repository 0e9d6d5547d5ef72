package optimizers_test

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// SignSGD is an optimizer defined outside the package: p -= lr*sign(g)
// (Bernstein et al. 2018). Implementing Optimizer makes it usable by the
// training loop; implementing LRGroups (one group here) makes every
// schedule work with it.
type SignSGD struct{ lr float64 }

func (o *SignSGD) Step(params []*graph.Param) error {
	for _, p := range params {
		g := p.Grad()
		if g == nil {
			continue
		}
		v := p.Value()
		for i := range v.Len() {
			v.Set(i, v.At(i)-o.lr*sign(g.At(i)))
		}
	}
	return nil
}

func (o *SignSGD) NumGroups() int { return 1 }

func (o *SignSGD) LR(int) float64 { return o.lr }

func (o *SignSGD) SetLR(_ int, lr float64) error {
	o.lr = lr
	return nil
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// Example trains y = 2*x0 - 3*x1 + 1 with an optimizer defined outside
// this package, clipped and scheduled exactly like a built-in.
func Example() {
	g, _ := graph.New(graph.Config{DType: graph.Float64, Seed: 1})
	x := g.Input("x", graph.Batch, 2)
	y := g.Input("y", graph.Batch, 1)
	w := g.Param("w", []int{2, 1}, graph.Zeros())
	b := g.Param("b", []int{1}, graph.Zeros())
	loss := graph.MSE(graph.Add(graph.MatMul(x, w), b), y)
	prog, err := g.Compile(loss)
	if err != nil {
		fmt.Println(err)
		return
	}
	xs, ys := make([]float64, 0, 16), make([]float64, 0, 8)
	for i := range 8 {
		x0, x1 := math.Sin(float64(i)), math.Cos(float64(3*i))
		xs, ys = append(xs, x0, x1), append(ys, 2*x0-3*x1+1)
	}
	xt, _ := graph.FromFloat64(xs, 8, 2)
	yt, _ := graph.FromFloat64(ys, 8, 1)

	var opt optimizers.Optimizer = &SignSGD{lr: 0.1}
	sched, err := optimizers.NewScheduler(opt.(optimizers.LRGroups), optimizers.Cosine{TMax: 200})
	if err != nil {
		fmt.Println(err)
		return
	}
	for step := range 200 {
		l, err := prog.TrainStep(graph.Feeds{x: xt, y: yt})
		if err != nil {
			fmt.Println(err)
			return
		}
		if _, err := optimizers.ClipGradNorm(g.Params(), 10, 2); err != nil {
			fmt.Println(err)
			return
		}
		if err := opt.Step(g.Params()); err != nil {
			fmt.Println(err)
			return
		}
		if err := sched.Step(l); err != nil {
			fmt.Println(err)
			return
		}
		if step%50 == 0 {
			fmt.Printf("step %3d  loss %.4f\n", step, l)
		}
	}
	fmt.Printf("w = [%.2f %.2f], b = %.2f\n", w.Param().Value().At(0), w.Param().Value().At(1), b.Param().Value().At(0))
	// Output:
	// step   0  loss 10.1551
	// step  50  loss 0.0017
	// step 100  loss 0.0006
	// step 150  loss 0.0001
	// w = [2.00 -3.00], b = 1.00
}
