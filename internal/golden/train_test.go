package golden_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/golden"
	"github.com/descent-ml/descent/models"
)

// trainCase is section C of the golden README: a small model trained by
// PyTorch from recorded weights, with the loss of every step and the
// final parameters and running statistics.
type trainCase struct {
	Kind  string `json:"kind"`
	DType string `json:"dtype"`
	Model struct {
		Layers []struct {
			Type        string       `json:"type"`
			In          int          `json:"in"`
			Out         int          `json:"out"`
			Weight      golden.Array `json:"weight"`
			Bias        golden.Array `json:"bias"`
			NumFeatures int          `json:"num_features"`
			Eps         float64      `json:"eps"`
			Momentum    float64      `json:"momentum"`
			Gamma       golden.Array `json:"gamma"`
			Beta        golden.Array `json:"beta"`
			RunningMean golden.Array `json:"running_mean"`
			RunningVar  golden.Array `json:"running_var"`
		} `json:"layers"`
	} `json:"model"`
	Loss      string `json:"loss"`
	Optimizer struct {
		Type  string       `json:"type"`
		Hyper golden.Hyper `json:"hyper"`
	} `json:"optimizer"`
	Steps   int `json:"steps"`
	Batches []struct {
		X golden.Array `json:"x"`
		Y golden.Array `json:"y"`
	} `json:"batches"`
	Losses             []float64               `json:"losses"`
	FinalParams        map[string]golden.Array `json:"final_params"`
	FinalRunningStats  map[string]golden.Array `json:"final_running_stats"`
	ToleranceOverrides map[string]float64      `json:"tolerance_overrides"`
}

// built is a golden model in descent: its layers and the golden name of
// each parameter and buffer.
type built struct {
	model *models.Sequential
	names map[string]*graph.Param // "layer0.weight" -> parameter
}

func buildModel(g *graph.Graph, c *trainCase, dt graph.DType) (*built, error) {
	b := &built{model: models.NewSequential(), names: map[string]*graph.Param{}}
	set := func(key string, p *graph.Param, a golden.Array) error {
		t, err := a.Tensor(dt)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if err := p.Value().CopyFrom(t); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		b.names[key] = p
		return nil
	}
	for i, l := range c.Model.Layers {
		scope := g.Scope(fmt.Sprintf("layer%d", i))
		key := fmt.Sprintf("layer%d.", i)
		switch l.Type {
		case "dense":
			d, err := models.NewDense(scope, l.In, l.Out, models.DenseConfig{})
			if err != nil {
				return nil, err
			}
			if err := set(key+"weight", d.W.Param(), l.Weight); err != nil {
				return nil, err
			}
			if err := set(key+"bias", d.B.Param(), l.Bias); err != nil {
				return nil, err
			}
			b.model.Layers = append(b.model.Layers, d)
		case "relu", "tanh", "sigmoid":
			b.model.Layers = append(b.model.Layers, models.Activation(l.Type))
		case "batchnorm1d":
			layer, err := batchNormLayer(scope, key, l.NumFeatures, l.Eps, l.Momentum, set,
				l.Gamma, l.Beta, l.RunningMean, l.RunningVar)
			if err != nil {
				return nil, err
			}
			b.model.Layers = append(b.model.Layers, layer)
		default:
			return nil, fmt.Errorf("layer %d: unknown type %q", i, l.Type)
		}
	}
	return b, g.Err()
}

func TestGolden(t *testing.T) {
	r := golden.Open(t, "train_")
	for _, f := range r.Files {
		r.Run(t, f, func(t *testing.T, f string) { replayTrain(t, f) })
	}
}

func replayTrain(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var c trainCase
	require.NoError(t, json.Unmarshal(raw, &c))
	require.Equal(t, "train", c.Kind)
	dt, err := golden.DType(c.DType)
	require.NoError(t, err)
	tol := golden.Tol(c.DType)

	g, err := graph.New(graph.Config{DType: dt})
	require.NoError(t, err)
	m, err := buildModel(g, &c, dt)
	require.NoError(t, err)
	in := c.Model.Layers[0].In
	x := g.Input("x", graph.Batch, in)
	out := m.model.Forward(x)
	require.NoError(t, g.Err())
	var y, loss *graph.Node
	switch c.Loss {
	case "mse":
		y = g.Input("y", graph.Batch, out.Shape()[1])
		loss = graph.MSE(out, y)
	case "softmax_cross_entropy":
		y = g.Labels("y")
		loss = graph.SoftmaxCrossEntropy(out, y)
	default:
		t.Fatalf("unknown loss %q", c.Loss)
	}
	prog, err := g.Compile(loss)
	require.NoError(t, err)
	opt, err := golden.Optimizer(c.Optimizer.Type, c.Optimizer.Hyper)
	require.NoError(t, err)

	feeds := make([]graph.Feeds, len(c.Batches))
	for i, b := range c.Batches {
		xt, err := b.X.Tensor(dt)
		require.NoError(t, err)
		var yt *graph.Tensor
		if c.Loss == "mse" {
			yt, err = b.Y.Tensor(dt)
		} else {
			yt, err = b.Y.Tensor(graph.Int)
		}
		require.NoError(t, err)
		feeds[i] = graph.Feeds{x: xt, y: yt}
	}
	params := m.model.Params()
	require.Len(t, c.Losses, c.Steps)
	for s := 0; s < c.Steps; s++ {
		l, err := prog.TrainStep(feeds[s%len(feeds)])
		require.NoError(t, err, "step %d", s)
		require.True(t, golden.Close(l, c.Losses[s], tol), "step %d: loss %.17g (want %.17g)", s, l, c.Losses[s])
		require.NoError(t, opt.Step(params), "step %d", s)
	}
	check := func(want map[string]golden.Array) {
		for key, a := range want {
			p, ok := m.names[key]
			require.True(t, ok, "no parameter for %q", key)
			ktol := tol
			if o, ok := c.ToleranceOverrides[key]; ok {
				ktol = o
			}
			require.NoError(t, golden.Compare(key, p.Value().Values(), a.Data, ktol))
		}
	}
	check(c.FinalParams)
	check(c.FinalRunningStats)
	require.Len(t, m.names, len(c.FinalParams)+len(c.FinalRunningStats), "every parameter and buffer is checked")

}
