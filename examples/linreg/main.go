// Command linreg is the linear-regression tutorial done right: it fits
// y = x @ W + b to x = [[1,2],[2,3],[3,4],[4,5]], y = [3,5,7,9] with
// gradient descent (lr 0.01, 1000 epochs), printing the loss every 100
// epochs and the final W and b. The data lie exactly on y = x1 + x2, so the
// optimum loss is 0. Since x2 = x1 + 1 on every row, the columns are
// collinear and every W, b with w1 + w2 = 2 and w2 + b = 1 fits exactly:
// gradient descent converges to the one nearest its starting point. (The TensorFlow tutorial this follows declared a
// one-column placeholder for two-column data; here both columns are used.)
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

func main() {
	if _, err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "linreg:", err)
		os.Exit(1)
	}
}

// run trains the model, writes its progress to w and returns the final loss.
func run(w io.Writer) (float64, error) {
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 1})
	if err != nil {
		return 0, err
	}
	model, err := models.NewLinear(g, models.LinearConfig{In: 2, Out: 1})
	if err != nil {
		return 0, err
	}
	x := g.Input("x", graph.Batch, 2)
	y := g.Input("y", graph.Batch, 1)
	pred := model.Forward(x) // x @ W + b; a shape error would come back from Compile
	loss := graph.MSE(pred, y)
	prog, err := g.Compile(loss)
	if err != nil {
		return 0, err
	}
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.01})
	if err != nil {
		return 0, err
	}
	xs, _ := graph.FromFloat64([]float64{1, 2, 2, 3, 3, 4, 4, 5}, 4, 2)
	ys, _ := graph.FromFloat64([]float64{3, 5, 7, 9}, 4, 1)
	batch := graph.Feeds{x: xs, y: ys}

	var l float64
	for epoch := 1; epoch <= 1000; epoch++ {
		if l, err = prog.TrainStep(batch); err != nil { // forward and backward
			return 0, err
		}
		if err := opt.Step(model.Params()); err != nil {
			return 0, err
		}
		if epoch%100 == 0 {
			fmt.Fprintf(w, "epoch %4d  loss %.6f\n", epoch, l)
		}
	}
	final, err := prog.Evaluate(batch)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "W = %.4f\n", model.Dense.W.Param().Value().Values())
	fmt.Fprintf(w, "b = %.4f\n", model.Dense.B.Param().Value().Values())
	fmt.Fprintf(w, "final loss %.3g\n", final)
	return final, nil
}
