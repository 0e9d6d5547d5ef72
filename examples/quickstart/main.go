// Command quickstart is the README's example: an MLP learns the two-moons
// problem with Adam through descent's training loop.
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

func main() {
	moons, err := data.Moons(data.ToyConfig{N: 1000, Noise: 0.1, Seed: 1})
	check(err)
	trainSet, testSet, err := data.Split(moons, 0.2, 1)
	check(err)

	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: 1})
	check(err)
	mlp, err := models.NewMLP(g, models.MLPConfig{In: 2, Hidden: []int{32, 32}, Out: 2})
	check(err)
	adam, err := optimizers.NewAdam(optimizers.AdamConfig{LR: 0.01}) // torch's defaults for the rest
	check(err)

	t, err := train.New(g, mlp, trainSet, train.Config{Epochs: 20, BatchSize: 32, Seed: 1, Optimizer: adam})
	check(err)
	hist, err := t.Fit(context.Background(), trainSet, testSet)
	check(err)
	for _, e := range hist.Epochs[:3] {
		fmt.Printf("epoch %2d  loss %.4f  test accuracy %.1f%%\n", e.Epoch, e.TrainLoss, 100*e.ValAccuracy)
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	fmt.Printf("epoch %2d  loss %.4f  test accuracy %.1f%%\n", last.Epoch, last.TrainLoss, 100*last.ValAccuracy)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
