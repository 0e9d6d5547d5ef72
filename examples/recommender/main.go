// Command recommender trains the matrix-factorisation recommender of the
// tutorial's recommendation scenario on synthetic ratings with a known
// structure (rank 5 plus noise of std 0.3, so no model can get a test RMSE
// below 0.3), with a custom loss: the mean squared error plus an L2
// penalty on the factors of the users and items in the batch only, the
// classic regularised MF objective (Koren, Bell & Volinsky 2009), which a
// dense weight decay cannot express.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

const (
	users, items = 1000, 500
	lambda       = 0.01 // the L2 penalty per rating
)

func main() {
	ratings, err := data.SyntheticRatings(data.RatingsConfig{Users: users, Items: items, N: 220000, Seed: 1})
	check(err)
	trainSet, testSet, err := data.Split(ratings, 20000.0/220000, 2)
	check(err)

	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: 1})
	check(err)
	mf, err := models.NewMatrixFactorization(g, models.MFConfig{Users: users, Items: items, Factors: 8, GlobalMean: 3.5})
	check(err)
	adam, err := optimizers.NewAdam(optimizers.AdamConfig{LR: 0.003})
	check(err)
	t, err := train.New(g, mf, trainSet, train.Config{
		Epochs: 20, BatchSize: 256, Seed: 1, Optimizer: adam,
		Loss: func(pred *graph.Node, in train.Inputs) *graph.Node {
			x := in["x"] // [N, 2]: user id, item id
			u := graph.Squeeze(graph.Slice(x, 1, 0, 1, 1), 1)
			i := graph.Squeeze(graph.Slice(x, 1, 1, 2, 1), 1)
			p, q := mf.UserFactors.Forward(u), mf.ItemFactors.Forward(i) // [N, K]
			penalty := graph.Mean(graph.Sum(graph.Add(graph.Square(p), graph.Square(q)), 1))
			return graph.Add(graph.MSE(pred, in["y"]), graph.Scale(penalty, lambda))
		},
		Metrics: []train.Metric{train.RMSE(), train.MAE()},
	})
	check(err)
	defer t.Close()
	hist, err := t.Fit(context.Background(), trainSet, testSet)
	check(err)
	for _, e := range hist.Epochs {
		if e.Epoch%5 == 0 || e.Epoch == 1 {
			fmt.Printf("epoch %2d  train loss %.4f  test RMSE %.4f  MAE %.4f\n", e.Epoch, e.TrainLoss, e.Val["rmse"], e.Val["mae"])
		}
	}
	fmt.Printf("noise floor: RMSE 0.3\n")
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
