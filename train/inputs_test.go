package train

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
)

// weighted trains an MLP on moons with a per-example weight input in a
// weighted cross-entropy, and returns the test accuracy and the fraction
// of test examples of class 1 predicted as 1.
func weighted(t *testing.T, weightOfClass1 float64) (acc, recall1 float64) {
	t.Helper()
	ds, err := data.Moons(data.ToyConfig{N: 800, Noise: 0.1, Seed: 2})
	require.NoError(t, err)
	ys, _ := ds.Y.Ints()
	w := make([]float32, ds.Len())
	for i, c := range ys {
		w[i] = 1
		if c == 1 {
			w[i] = float32(weightOfClass1)
		}
	}
	wt, err := graph.FromFloat32(w, ds.Len())
	require.NoError(t, err)
	ds.Inputs = map[string]*graph.Tensor{"weight": wt}
	tr, te, err := data.Split(ds, 0.25, 3)
	require.NoError(t, err)

	g, err := graph.New(graph.Config{DType: graph.Float32, Seed: 4})
	require.NoError(t, err)
	mlp, err := models.NewMLP(g, models.MLPConfig{In: 2, Hidden: []int{16}, Out: 2})
	require.NoError(t, err)
	opt, err := optimizers.NewAdam(optimizers.AdamConfig{LR: 0.02})
	require.NoError(t, err)
	tn, err := New(g, mlp, tr, Config{Epochs: 15, BatchSize: 32, Seed: 5, Optimizer: opt,
		Loss: func(out *graph.Node, in Inputs) *graph.Node {
			per := graph.CrossEntropy(out, in["y"], graph.ClassLossConfig{Reduction: graph.LossNone}) // [N]
			return graph.Div(graph.Sum(graph.Mul(per, in["weight"])), graph.Shift(graph.Sum(in["weight"]), 1e-6))
		},
		Metrics: []Metric{Accuracy(), ClassAccuracy(1)},
	})
	require.NoError(t, err)
	defer tn.Close()
	require.Contains(t, tn.Inputs(), "weight")
	_, err = tn.Fit(context.Background(), tr, te)
	require.NoError(t, err)
	m, err := tn.Evaluate(te)
	require.NoError(t, err)
	return m.Accuracy, m.Values["accuracy/class1"]
}

// A per-example weight is a dataset input fed by name: with class 1
// weighted 0 the model never learns class 1, with weight 1 it learns both.
func TestDatasetInputsReachTheLoss(t *testing.T) {
	acc, rec := weighted(t, 1)
	require.Greater(t, acc, 0.95)
	require.Greater(t, rec, 0.95)
	_, rec = weighted(t, 0)
	require.Less(t, rec, 0.2, "examples of weight 0 must not be learned")
}

func TestDatasetInputsMustMatch(t *testing.T) {
	ds, err := data.Moons(data.ToyConfig{N: 100, Noise: 0.1, Seed: 2})
	require.NoError(t, err)
	w, _ := graph.FromFloat32(make([]float32, 100), 100)
	ds.Inputs = map[string]*graph.Tensor{"weight": w}
	g, _ := graph.New(graph.Config{DType: graph.Float32, Seed: 4})
	mlp, _ := models.NewMLP(g, models.MLPConfig{In: 2, Hidden: []int{4}, Out: 2})
	opt, _ := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1})
	tn, err := New(g, mlp, ds, Config{Epochs: 1, Optimizer: opt})
	require.NoError(t, err)
	defer tn.Close()
	plain := ds.Clone()
	plain.Inputs = nil
	_, err = tn.Fit(context.Background(), ds, plain)
	require.ErrorContains(t, err, "has 0 inputs besides x and y (want 1")
	_, err = tn.Evaluate(plain)
	require.ErrorContains(t, err, "has 0 inputs")
}
