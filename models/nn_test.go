package models

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

// TestGradCheckNN checks batch norm, dropout and conv models in both modes.
func TestGradCheckNN(t *testing.T) {
	tiny := CNNConfig{Image: []int{2, 6, 6}, Classes: 3, Blocks: []ConvBlock{{3, 3, true}, {2, 3, false}}, Dense: []int{4}}
	cases := []struct {
		name string
		mode graph.Mode
		in   int
		spec func(g *graph.Graph) (Module, error)
	}{
		{"mlp+bn/train", graph.Train, 3, func(g *graph.Graph) (Module, error) {
			return NewMLP(g, MLPConfig{In: 3, Hidden: []int{5, 4}, Out: 3, BatchNorm: true})
		}},
		{"mlp+bn/eval", graph.Eval, 3, func(g *graph.Graph) (Module, error) {
			return NewMLP(g, MLPConfig{In: 3, Hidden: []int{5, 4}, Out: 3, BatchNorm: true, Activation: Tanh})
		}},
		{"mlp+dropout/train", graph.Train, 3, func(g *graph.Graph) (Module, error) {
			return NewMLP(g, MLPConfig{In: 3, Hidden: []int{8}, Out: 3, Dropout: 0.3, Activation: Tanh})
		}},
		{"cnn/train", graph.Train, 72, func(g *graph.Graph) (Module, error) { return NewCNN(g, tiny) }},
		{"cnn+bn+dropout/train", graph.Train, 72, func(g *graph.Graph) (Module, error) {
			c := tiny
			c.BatchNorm, c.Dropout = true, 0.25
			return NewCNN(g, c)
		}},
		{"cnn+bn/eval", graph.Eval, 72, func(g *graph.Graph) (Module, error) {
			c := tiny
			c.BatchNorm = true
			return NewCNN(g, c)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 4})
			require.NoError(t, err)
			m, err := tc.spec(g)
			require.NoError(t, err)
			x := g.Input("x", graph.Batch, tc.in)
			out := m.Forward(x)
			require.NoError(t, g.Err())
			y := g.Labels("y")
			loss := graph.SoftmaxCrossEntropy(out, y)
			require.NoError(t, g.Err())
			// Running statistics away from 0 and 1, so eval mode is not trivial.
			for i, b := range g.Buffers() {
				for j := range b.Value().Len() {
					b.Value().Set(j, 0.3+0.1*float64(i+j%3))
				}
			}
			feeds := graph.Feeds{x: randTensor(5, -1, 1, 6, tc.in), y: labels(6, 3)}
			res, err := graph.GradCheck(loss, feeds, graph.GradCheckConfig{Mode: tc.mode})
			require.NoError(t, err)
			n := 0
			for _, p := range g.State() {
				if p.Trainable() {
					n += p.Value().Len()
				}
			}
			require.Less(t, res.MaxRelErr, gradTol, res.String())
			// A layer cut off from the loss would have no gradient and be
			// left out of the check silently: every trainable element of
			// the graph is checked, and they are the model's Params.
			require.Equal(t, n, res.Checked, "every trainable element checked")
			np := 0
			for _, p := range m.Params() {
				np += p.Value().Len()
			}
			require.Equal(t, n, np, "Params holds every trainable parameter")
		})
	}
}

func TestCNNPresets(t *testing.T) {
	for _, tc := range []struct {
		preset string
		params int
	}{
		// conv 1->32 5x5 (800+32), conv 32->64 (51200+64), dense 3136->1024, 1024->10
		{"mnist_2c2d", 832 + 51264 + 3136*1024 + 1024 + 10250},
		{"small", 416 + 12832 + 1568*128 + 128 + 1290},
	} {
		g, _ := graph.New(graph.Config{Seed: 1})
		m, err := NewCNN(g, CNNConfig{Image: []int{1, 28, 28}, Classes: 10, Preset: tc.preset})
		require.NoError(t, err)
		x := g.Input("x", graph.Batch, 784)
		out := m.Forward(x)
		require.NoError(t, g.Err())
		require.Equal(t, graph.Shape{graph.Batch, 10}, out.Shape())
		n := 0
		for _, p := range m.Params() {
			n += p.Value().Len()
		}
		require.Equal(t, tc.params, n, tc.preset)
	}
	g, _ := graph.New(graph.Config{})
	_, err := NewCNN(g, CNNConfig{Image: []int{1, 28, 28}, Classes: 10, Preset: "vgg"})
	require.ErrorContains(t, err, `unknown preset "vgg"`)
}

// TestRunningStatsSurvivePrograms trains, evaluates, compiles for another
// batch size and trains again: the running statistics carry on throughout.
func TestRunningStatsSurvivePrograms(t *testing.T) {
	g, _ := graph.New(graph.Config{DType: graph.Float64, Seed: 2})
	m, err := NewMLP(g, MLPConfig{In: 3, Hidden: []int{4}, Out: 2, BatchNorm: true})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 3)
	out := m.Forward(x)
	y := g.Labels("y")
	p, err := g.Compile(graph.SoftmaxCrossEntropy(out, y))
	require.NoError(t, err)
	mean := g.Buffers()[0].Value()
	snap := func() []float64 { return append([]float64(nil), mean.Values()...) }

	f8 := graph.Feeds{x: randTensor(1, -1, 1, 8, 3), y: labels(8, 2)}
	f5 := graph.Feeds{x: randTensor(2, -1, 1, 5, 3), y: labels(5, 2)}
	_, err = p.TrainStep(f8)
	require.NoError(t, err)
	afterTrain := snap()
	require.NotEqual(t, []float64{0, 0, 0, 0}, afterTrain)
	_, err = p.Evaluate(f8)
	require.NoError(t, err)
	_, err = p.Evaluate(f5) // a new program for batch 5
	require.NoError(t, err)
	require.Equal(t, afterTrain, snap(), "evaluation changes nothing")
	_, err = p.TrainStep(f5) // another new program
	require.NoError(t, err)
	// running = 0.9 running + 0.1 batch mean, from where it was.
	require.NotEqual(t, afterTrain, snap())

	// The same updates on a fresh model with one program give the same stats.
	g2, _ := graph.New(graph.Config{DType: graph.Float64, Seed: 2})
	m2, _ := NewMLP(g2, MLPConfig{In: 3, Hidden: []int{4}, Out: 2, BatchNorm: true})
	x2 := g2.Input("x", graph.Batch, 3)
	out2 := m2.Forward(x2)
	y2 := g2.Labels("y")
	p2, _ := g2.Compile(graph.SoftmaxCrossEntropy(out2, y2))
	_, err = p2.TrainStep(graph.Feeds{x2: f8[x], y2: f8[y]})
	require.NoError(t, err)
	_, err = p2.TrainStep(graph.Feeds{x2: f5[x], y2: f5[y]})
	require.NoError(t, err)
	require.Equal(t, g2.Buffers()[0].Value().Values(), snap())
}
