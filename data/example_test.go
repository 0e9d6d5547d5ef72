package data_test

import (
	"fmt"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
)

func ExampleBatcher() {
	ds, err := data.Linear(graph.Float64)
	if err != nil {
		panic(err)
	}
	b, err := data.NewBatcher(ds, data.BatchConfig{Size: 3})
	if err != nil {
		panic(err)
	}
	for epoch := 0; epoch < 2; epoch++ {
		for b.Next() {
			x, y := b.Batch()
			fmt.Println(b.Epoch(), x.Shape(), y.Values())
		}
	}
	// Output:
	// 1 [3 2] [3 5 7]
	// 1 [1 2] [9]
	// 2 [3 2] [3 5 7]
	// 2 [1 2] [9]
}

func ExampleKFold() {
	folds, err := data.KFold(10, 5, 1)
	if err != nil {
		panic(err)
	}
	scores := make([]float64, len(folds))
	for i, f := range folds {
		scores[i] = float64(len(f.Val)) / float64(len(f.Train)) // a stand-in for a validation score
	}
	s, err := data.Summarize(scores)
	if err != nil {
		panic(err)
	}
	fmt.Println(s)
	// Output: 0.2500 ± 0.0000 (5 folds)
}
