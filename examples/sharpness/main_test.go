package main

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
)

// Power iteration on HVPs finds the Hessian's eigenvalue of largest
// magnitude, as an eigendecomposition of the full Hessian (graph.Hessian)
// of a small MLP does.
func TestPowerIterationMatchesEigendecomposition(t *testing.T) {
	ds, err := data.Moons(data.ToyConfig{N: 64, Noise: 0.1, Seed: 3, DType: graph.Float64})
	require.NoError(t, err)
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 4})
	require.NoError(t, err)
	mlp, err := models.NewMLP(g, models.MLPConfig{In: 2, Hidden: []int{6}, Out: 2, Activation: models.Tanh})
	require.NoError(t, err)
	x, y := g.Input("x", graph.Batch, 2), g.Labels("y")
	loss := graph.SoftmaxCrossEntropy(mlp.Forward(x), y)
	feeds := graph.Feeds{x: ds.X, y: ds.Y}

	s, err := newSharpness(loss, mlp.Params(), feeds)
	require.NoError(t, err)
	lambda, err := s.top(300)
	require.NoError(t, err)

	var nodes []*graph.Node
	n := 0
	for _, p := range mlp.Params() {
		nodes = append(nodes, p.Node())
		n += p.Value().Len()
	}
	h, err := graph.Hessian(loss, nodes, feeds, graph.Eval)
	require.NoError(t, err)
	var eig mat.EigenSym
	require.True(t, eig.Factorize(mat.NewSymDense(n, h.Values()), false))
	vals := eig.Values(nil)
	top := slices.MaxFunc(vals, func(a, b float64) int { return cmpAbs(a, b) })
	require.Greater(t, math.Abs(top), 0.01)
	require.InDelta(t, top, lambda, 1e-6*math.Abs(top), "power iteration %v, eigenvalues %v", lambda, vals)
}

func cmpAbs(a, b float64) int {
	switch {
	case math.Abs(a) < math.Abs(b):
		return -1
	case math.Abs(a) > math.Abs(b):
		return 1
	}
	return 0
}

// The example's claims: at η = 0.05 the sharpness stays below 2/η and the
// loss falls at every step; at η = 0.1 it hovers at 2/η and the loss falls
// overall but not monotonically.
func TestEdgeOfStability(t *testing.T) {
	if testing.Short() {
		t.Skip("600 full-batch steps with sharpness estimates (about 15 s)")
	}
	mnist, _, err := data.LoadMNIST(data.MNISTConfig{})
	require.NoError(t, err)
	subset, err := mnist.Subset(seq(1000))
	require.NoError(t, err)

	stable := run(subset, 0.05)
	require.Len(t, stable, steps)
	for i, r := range stable {
		if i > 0 {
			require.Less(t, r.loss, stable[i-1].loss, "η = 0.05: the loss must fall at every step (step %d)", r.step)
		}
		if r.sharpness != 0 {
			require.Less(t, r.sharpness, 0.9*2/0.05, "η = 0.05, step %d", r.step)
		}
	}
	require.Greater(t, stable[steps-1].sharpness, stable[0].sharpness, "progressive sharpening")

	edge := run(subset, 0.1)
	rises := 0
	for i, r := range edge {
		if i > 0 && r.loss > edge[i-1].loss {
			rises++
		}
		if r.sharpness != 0 && r.step >= 100 {
			require.InDelta(t, 2/0.1, r.sharpness, 0.15*2/0.1, "η = 0.1, step %d: sharpness at the edge 2/η", r.step)
		}
	}
	require.Greater(t, rises, 0, "at the edge of stability the loss does not fall at every step")
	require.Less(t, edge[steps-1].loss, 0.5*edge[0].loss, "but it falls overall")
}
