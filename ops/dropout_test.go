package ops

import (
	"math"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

func dropoutProgram(t *testing.T, dt graph.DType, seed uint64, p float64) (*graph.Graph, *graph.Program, *graph.Node, *graph.Node, *graph.Node) {
	g, err := graph.New(graph.Config{DType: dt, Seed: seed})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 50)
	y := Dropout(x, p)
	loss, lw := weighted(g, y)
	require.NoError(t, g.Err())
	prog, err := g.CompileWith(graph.CompileOptions{WRT: []*graph.Node{x}}, loss, y)
	require.NoError(t, err)
	return g, prog, x, y, lw
}

func TestDropoutTrain(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		const p = 0.3
		_, prog, x, y, lw := dropoutProgram(t, dt, 5, p)
		xt, wt := randTensor(t, dt, 1, 0.5, 1.5, 40, 50), weights(t, dt, 40, 50)
		require.NoError(t, prog.Run(graph.Train, true, graph.Feeds{x: xt, lw: wt}))
		out, dx := prog.Output(y).Values(), prog.Grad(x).Values()
		zeros := 0
		for i, v := range out {
			if v == 0 {
				zeros++
				require.Zero(t, dx[i], "a dropped element has no gradient")
				continue
			}
			// kept: scaled by 1/(1-p), and so is its gradient (PyTorch's inverted dropout)
			require.InDelta(t, xt.At(i)/(1-p), v, 1e-6)
			require.InDelta(t, wt.At(i)/(1-p), dx[i], 1e-6)
		}
		// 2000 Bernoulli(0.3) draws: mean 600, sd ≈ 20.5; 5 sd either way.
		require.InDelta(t, 600, zeros, 103, "%v", dt)

		// A second step draws a new mask.
		first := append([]float64(nil), out...)
		require.NoError(t, prog.Run(graph.Train, true, graph.Feeds{x: xt, lw: wt}))
		require.NotEqual(t, first, prog.Output(y).Values())
	}
}

func TestDropoutIsSeeded(t *testing.T) {
	run := func(seed uint64) [][]float64 {
		_, prog, x, y, lw := dropoutProgram(t, graph.Float64, seed, 0.5)
		var outs [][]float64
		for i := range 3 {
			feeds := graph.Feeds{x: randTensor(t, graph.Float64, uint64(i), 1, 2, 4, 50), lw: weights(t, graph.Float64, 4, 50)}
			require.NoError(t, prog.Run(graph.Train, true, feeds))
			outs = append(outs, prog.Output(y).Values())
		}
		return outs
	}
	require.Equal(t, run(1), run(1), "the same seed: bit-identical masks")
	require.NotEqual(t, run(1), run(2))
}

func TestDropoutEvalAndZeroAreIdentity(t *testing.T) {
	_, prog, x, y, lw := dropoutProgram(t, graph.Float64, 1, 0.9)
	xt, wt := randTensor(t, graph.Float64, 1, -1, 1, 3, 50), weights(t, graph.Float64, 3, 50)
	require.NoError(t, prog.Run(graph.Eval, true, graph.Feeds{x: xt, lw: wt}))
	require.Equal(t, xt.Values(), prog.Output(y).Values())
	require.Equal(t, wt.Values(), prog.Grad(x).Values())

	g := newGraph(t, graph.Float64)
	in := g.Input("x", graph.Batch, 3)
	require.Same(t, in, Dropout(in, 0), "p = 0: the input itself, in both modes")
}

func TestDropoutGradCheck(t *testing.T) {
	// GradCheck restores the random stream before every evaluation, so
	// each one draws the same mask: the loss is then linear in x.
	g := newGraph(t, graph.Float64)
	x := g.Input("x", graph.Batch, 4)
	loss, lw := weighted(g, graph.Tanh(Dropout(x, 0.4)))
	require.NoError(t, g.Err())
	feeds := graph.Feeds{x: randTensor(t, graph.Float64, 1, -1, 1, 5, 4), lw: weights(t, graph.Float64, 5, 4)}
	res, err := graph.GradCheck(loss, feeds, graph.GradCheckConfig{WRT: []*graph.Node{x}})
	require.NoError(t, err)
	require.Less(t, res.MaxRelErr, gradTol, res.String())
}

func TestDropoutErrors(t *testing.T) {
	for _, p := range []float64{-0.1, 1, 1.5, math.NaN(), math.Inf(1)} {
		g := newGraph(t, graph.Float64)
		require.True(t, Dropout(g.Input("x", graph.Batch, 3), p).Failed())
		require.ErrorIs(t, g.Err(), ErrConfig, "p = %v", p)
	}
	g := newGraph(t, graph.Float64)
	require.True(t, Dropout(g.Labels("y"), 0.5).Failed())
	require.ErrorIs(t, g.Err(), graph.ErrDType)
	require.True(t, Dropout(nil, 0.5).Failed(), "nil input: no panic")
	require.True(t, Dropout(nil, 0).Failed())

	// gorgonia's own machines call Forward without a random stream: an error, not a panic.
	d := (&dropout{p: 0.5}).Lower(graph.Train)
	x, _ := graph.FromFloat64([]float64{1, 2}, 2)
	require.ErrorIs(t, d.Forward(&graph.Context{}, x.Clone(), []*graph.Tensor{x}), graph.ErrRun)
	require.Nil(t, (&dropout{p: 0.5}).Lower(graph.Eval))
}

// TestDropoutOddLength: the last element of an odd-sized tensor gets a
// draw of its own (elements are drawn two per 64-bit number).
func TestDropoutOddLength(t *testing.T) {
	g := newGraph(t, graph.Float32)
	x := g.Input("x", graph.Batch, 3)
	y := Dropout(x, 1e-9) // keeps everything but once in ~10⁹
	p, err := g.Compile(nil, y)
	require.NoError(t, err)
	xt := randTensor(t, graph.Float32, 1, 1, 2, 7, 3)
	require.NoError(t, p.Run(graph.Train, false, graph.Feeds{x: xt}))
	requireNear(t, "y", xt.Values(), p.Output(y).Values(), 1e-6)

	// At p = 0.5 every element, the odd last one of an odd-length tensor
	// included, gets its own draw: each column of [2000, 3] is dropped about
	// half the time (5 standard deviations: ±0.056), and the last column's
	// mask is not its neighbour's.
	y = Dropout(x, 0.5)
	p, err = g.Compile(nil, y)
	require.NoError(t, err)
	const n = 2001 // 6003 elements: odd
	xt = randTensor(t, graph.Float32, 2, 1, 2, n, 3)
	require.NoError(t, p.Run(graph.Train, false, graph.Feeds{x: xt}))
	out := p.Output(y)
	var dropped [3]int
	same := 0
	for r := 0; r < n; r++ {
		for c := 0; c < 3; c++ {
			if out.At(3*r+c) == 0 {
				dropped[c]++
			}
		}
		if (out.At(3*r+1) == 0) == (out.At(3*r+2) == 0) {
			same++
		}
	}
	for c, d := range dropped {
		require.InDelta(t, 0.5, float64(d)/n, 0.056, "column %d", c)
	}
	require.InDelta(t, 0.5, float64(same)/n, 0.056, "columns 1 and 2 drawn independently")
	for i := 0; i < 3*n; i++ {
		v := out.At(i)
		require.True(t, v == 0 || math.Abs(v-2*xt.At(i)) < 1e-6, "element %d: %v is neither dropped nor scaled by 1/(1-p)", i, v)
	}
}
