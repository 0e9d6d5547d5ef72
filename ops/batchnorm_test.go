package ops

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

// refBatchNorm is a direct float64 transcription of the formulas of
// ../shared/golden/README.md section B (PyTorch's BatchNorm1d/2d): it
// returns y and updates rm, rv in place in training mode.
func refBatchNorm(x []float64, shape []int, gamma, beta, rm, rv []float64, eps, mom float64, train bool) []float64 {
	l := layoutOf(graph.Shape(shape))
	at := func(n, c, s int) int { return (n*l.c+c)*l.s + s }
	y := make([]float64, len(x))
	for c := 0; c < l.c; c++ {
		mean, variance := rm[c], rv[c]
		if train {
			m := float64(l.count())
			mean, variance = 0, 0
			for n := 0; n < l.n; n++ {
				for s := 0; s < l.s; s++ {
					mean += x[at(n, c, s)]
				}
			}
			mean /= m
			for n := 0; n < l.n; n++ {
				for s := 0; s < l.s; s++ {
					d := x[at(n, c, s)] - mean
					variance += d * d
				}
			}
			variance /= m
			rm[c] = (1-mom)*rm[c] + mom*mean
			rv[c] = (1-mom)*rv[c] + mom*variance*m/(m-1)
		}
		g, b := 1.0, 0.0
		if gamma != nil {
			g, b = gamma[c], beta[c]
		}
		for n := 0; n < l.n; n++ {
			for s := 0; s < l.s; s++ {
				i := at(n, c, s)
				y[i] = (x[i]-mean)/math.Sqrt(variance+eps)*g + b
			}
		}
	}
	return y
}

func TestBatchNormGradCheck(t *testing.T) {
	shapes := [][]int{{5, 3}, {2, 3, 2, 3}, {1, 2, 2, 2}}
	for _, shape := range shapes {
		for _, mode := range []graph.Mode{graph.Train, graph.Eval} {
			for _, affine := range []bool{true, false} {
				t.Run(fmt.Sprintf("%v/%v/affine=%v", graph.Shape(shape), mode, affine), func(t *testing.T) {
					g := newGraph(t, graph.Float64)
					bn, err := NewBatchNorm(g.Scope("bn"), shape[1], BatchNormConfig{NoAffine: !affine, Momentum: 0.3})
					require.NoError(t, err)
					x := g.Input("x", append([]int{graph.Batch}, shape[1:]...)...)
					wrt := []*graph.Node{x}
					if affine {
						setRand(t, bn.Gamma(), 1, 0.5, 1.5)
						setRand(t, bn.Beta(), 2, -1, 1)
						wrt = append(wrt, bn.Gamma(), bn.Beta())
					}
					v := bn.Buffers()[1].Value()
					require.NoError(t, v.CopyFrom(randTensor(t, graph.Float64, 3, 0.5, 2, shape[1])))
					y := bn.Forward(x)
					loss, w := weighted(g, y)
					require.NoError(t, g.Err())
					before := bn.RunningMean().Clone()
					feeds := graph.Feeds{x: randTensor(t, graph.Float64, 4, -2, 2, shape...), w: weights(t, graph.Float64, shape...)}
					res, err := graph.GradCheck(loss, feeds, graph.GradCheckConfig{WRT: wrt, Mode: mode})
					require.NoError(t, err)
					require.Less(t, res.MaxRelErr, gradTol, res.String())
					want := graph.Shape(shape).Size()
					if affine {
						want += 2 * shape[1]
					}
					require.Equal(t, want, res.Checked)
					require.Equal(t, before.Values(), bn.RunningMean().Values(), "GradCheck restores the buffers")
				})
			}
		}
	}
}

// TestBatchNormGradientsMatchClosedForm checks dx, dgamma and dbeta against
// the formulas of the golden README, section B, on a 4-D input.
func TestBatchNormGradientsMatchClosedForm(t *testing.T) {
	for _, mode := range []graph.Mode{graph.Train, graph.Eval} {
		t.Run(mode.String(), func(t *testing.T) {
			shape := []int{3, 2, 2, 2}
			g := newGraph(t, graph.Float64)
			bn, err := NewBatchNorm(g.Scope("bn"), 2, BatchNormConfig{})
			require.NoError(t, err)
			setRand(t, bn.Gamma(), 1, 0.5, 1.5)
			x := g.Input("x", graph.Batch, 2, 2, 2)
			y := bn.Forward(x)
			loss, w := weighted(g, y)
			p, err := g.CompileWith(graph.CompileOptions{WRT: []*graph.Node{x, bn.Gamma(), bn.Beta()}}, loss)
			require.NoError(t, err)
			xt, wt := randTensor(t, graph.Float64, 5, -3, 3, shape...), weights(t, graph.Float64, shape...)
			rm, rv := bn.RunningMean().Values(), bn.RunningVar().Values()
			require.NoError(t, p.Run(mode, true, graph.Feeds{x: xt, w: wt}))

			dx, dgamma, dbeta := refBatchNormGrads(shape, xt.Values(), wt.Values(), bn.Gamma().Param().Value().Values(), rm, rv, mode == graph.Train)
			requireNear(t, "dgamma", dgamma, p.Grad(bn.Gamma()).Values(), 1e-12)
			requireNear(t, "dbeta", dbeta, p.Grad(bn.Beta()).Values(), 1e-12)
			requireNear(t, "dx", dx, p.Grad(x).Values(), 1e-12)
		})
	}
}

// refBatchNormGrads is the closed form of batch norm's gradients (eps
// 1e-5), in float64: dL/dx, dL/dgamma and dL/dbeta for the upstream
// gradient dy, with the batch statistics in training mode and the running
// ones rm, rv in eval mode.
func refBatchNormGrads(shape []int, xs, dy, gamma, rm, rv []float64, train bool) (dx, dgamma, dbeta []float64) {
	l := layoutOf(graph.Shape(shape))
	dx = make([]float64, len(xs))
	dgamma, dbeta = make([]float64, l.c), make([]float64, l.c)
	for c := 0; c < l.c; c++ {
		var idx []int
		for n := 0; n < l.n; n++ {
			for s := 0; s < l.s; s++ {
				idx = append(idx, (n*l.c+c)*l.s+s)
			}
		}
		m := float64(len(idx))
		mean, variance := rm[c], rv[c]
		if train {
			mean, variance = 0, 0
			for _, i := range idx {
				mean += xs[i] / m
			}
			for _, i := range idx {
				variance += (xs[i] - mean) * (xs[i] - mean) / m
			}
		}
		invstd := 1 / math.Sqrt(variance+1e-5)
		var sg, sgx float64
		for _, i := range idx {
			xh := (xs[i] - mean) * invstd
			sg += dy[i] * gamma[c] / m
			sgx += dy[i] * gamma[c] * xh / m
			dbeta[c] += dy[i]
			dgamma[c] += dy[i] * xh
		}
		for _, i := range idx {
			xh := (xs[i] - mean) * invstd
			if train {
				dx[i] = (dy[i]*gamma[c] - sg - xh*sgx) * invstd
			} else {
				dx[i] = dy[i] * gamma[c] * invstd
			}
		}
	}
	return dx, dgamma, dbeta
}

// TestBatchNormRunningStatsBelongToTheModel: training updates the running
// statistics, evaluation (any batch size) leaves them alone, and training
// again, with another batch size or from another program, continues from
// where they were, as a float64 reference replay says.
func TestBatchNormRunningStatsBelongToTheModel(t *testing.T) {
	for _, shape := range [][]int{{4, 3}, {4, 3, 2, 2}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			g := newGraph(t, graph.Float64)
			const mom, eps = 0.2, 1e-3
			bn, err := NewBatchNorm(g.Scope("bn"), 3, BatchNormConfig{Momentum: mom, Eps: eps})
			require.NoError(t, err)
			other, err := NewBatchNorm(g.Scope("other"), 3, BatchNormConfig{})
			require.NoError(t, err)
			x := g.Input("x", append([]int{graph.Batch}, shape[1:]...)...)
			y := bn.Forward(x)
			loss := graph.Sum(graph.Square(y))
			z := other.Forward(x) // a second layer on the same input: its own state
			p, err := g.Compile(loss, y)
			require.NoError(t, err)

			gamma := bn.Gamma().Param().Value().Values()
			beta := bn.Beta().Param().Value().Values()
			rm, rv := []float64{0, 0, 0}, []float64{1, 1, 1}
			batch := func(seed uint64, n int) *graph.Tensor {
				return randTensor(t, graph.Float64, seed, -2, 3, append([]int{n}, shape[1:]...)...)
			}
			train := func(p *graph.Program, seed uint64, n int) {
				xt := batch(seed, n)
				_, err := p.TrainStep(graph.Feeds{x: xt})
				require.NoError(t, err)
				want := refBatchNorm(xt.Values(), xt.Shape(), gamma, beta, rm, rv, eps, mom, true)
				requireNear(t, "y", want, p.Output(y).Values(), 1e-12)
				requireNear(t, "running_mean", rm, bn.RunningMean().Values(), 1e-12)
				requireNear(t, "running_var", rv, bn.RunningVar().Values(), 1e-12)
			}
			for s := range uint64(3) {
				train(p, s, shape[0])
			}
			require.NotEqual(t, []float64{0, 0, 0}, bn.RunningMean().Values())

			rmAfterTrain, rvAfterTrain := bn.RunningMean().Values(), bn.RunningVar().Values()
			for _, n := range []int{shape[0], 7, 1} { // another batch size: another program
				xt := batch(10+uint64(n), n)
				_, err := p.Evaluate(graph.Feeds{x: xt})
				require.NoError(t, err)
				want := refBatchNorm(xt.Values(), xt.Shape(), gamma, beta, rm, rv, eps, mom, false)
				requireNear(t, "eval y", want, p.Output(y).Values(), 1e-12)
				require.Equal(t, rmAfterTrain, bn.RunningMean().Values(), "eval changes nothing")
				require.Equal(t, rvAfterTrain, bn.RunningVar().Values())
			}
			require.Equal(t, 4, p.Compiled())

			train(p, 20, shape[0]) // the cached training program continues
			train(p, 21, 6)        // a new batch size continues too
			p2, err := g.Compile(loss, y)
			require.NoError(t, err)
			train(p2, 22, 5) // and a new program

			rmAfterP2 := bn.RunningMean().Values()
			require.Equal(t, []float64{0, 0, 0}, other.RunningMean().Values(), "the other layer never ran")
			require.Equal(t, []float64{1, 1, 1}, other.RunningVar().Values())
			pz, err := g.Compile(nil, z)
			require.NoError(t, err)
			require.NoError(t, pz.Run(graph.Train, false, graph.Feeds{x: batch(30, 4)}))
			require.NotEqual(t, []float64{0, 0, 0}, other.RunningMean().Values())
			require.Equal(t, rmAfterP2, bn.RunningMean().Values(), "bn untouched by the other layer")
		})
	}
}

// TestBatchNormFloat32 compares float32 with the float64 reference.
func TestBatchNormFloat32(t *testing.T) {
	for _, shape := range [][]int{{16, 5}, {4, 3, 5, 6}} {
		for _, mode := range []graph.Mode{graph.Train, graph.Eval} {
			t.Run(fmt.Sprintf("%v/%v", shape, mode), func(t *testing.T) {
				g := newGraph(t, graph.Float32)
				bn, err := NewBatchNorm(g.Scope("bn"), shape[1], BatchNormConfig{})
				require.NoError(t, err)
				setRand(t, bn.Gamma(), 1, 0.5, 1.5)
				setRand(t, bn.Beta(), 2, -1, 1)
				x := g.Input("x", append([]int{graph.Batch}, shape[1:]...)...)
				y := bn.Forward(x)
				loss, w := weighted(g, y)
				p, err := g.CompileWith(graph.CompileOptions{WRT: []*graph.Node{x, bn.Gamma(), bn.Beta()}}, loss, y)
				require.NoError(t, err)
				xt := randTensor(t, graph.Float32, 3, -1, 5, shape...)
				wt := weights(t, graph.Float32, shape...)
				require.NoError(t, p.Run(mode, true, graph.Feeds{x: xt, w: wt}))
				rm, rv := []float64{0, 0, 0, 0, 0}[:shape[1]], []float64{1, 1, 1, 1, 1}[:shape[1]]
				// The gradients in float64 from the same float32 inputs, with
				// the statistics before the run.
				dx, dgamma, dbeta := refBatchNormGrads(shape, xt.Values(), wt.Values(), bn.Gamma().Param().Value().Values(),
					slices.Clone(rm), slices.Clone(rv), mode == graph.Train)
				want := refBatchNorm(xt.Values(), shape, bn.Gamma().Param().Value().Values(),
					bn.Beta().Param().Value().Values(), rm, rv, 1e-5, 0.1, mode == graph.Train)
				// float32 rounding of inputs and outputs: the golden float32 tolerance.
				requireNear(t, "y", want, p.Output(y).Values(), 1e-4)
				requireNear(t, "running_mean", rm, bn.RunningMean().Values(), 1e-4)
				requireNear(t, "running_var", rv, bn.RunningVar().Values(), 1e-4)
				require.Equal(t, graph.Float32, p.Grad(x).DType())
				requireNear(t, "dx", dx, p.Grad(x).Values(), 1e-4)
				requireNear(t, "dgamma", dgamma, p.Grad(bn.Gamma()).Values(), 1e-4)
				requireNear(t, "dbeta", dbeta, p.Grad(bn.Beta()).Values(), 1e-4)
			})
		}
	}
}

func TestBatchNormErrors(t *testing.T) {
	g := newGraph(t, graph.Float64)
	_, err := NewBatchNorm(g.Scope("bn"), 3, BatchNormConfig{})
	require.NoError(t, err)

	build := func(f func(g *graph.Graph, bn *BatchNorm) *graph.Node) error {
		g := newGraph(t, graph.Float64)
		bn, err := NewBatchNorm(g.Scope("bn"), 3, BatchNormConfig{})
		require.NoError(t, err)
		n := f(g, bn)
		require.True(t, n.Failed())
		return g.Err()
	}
	err = build(func(g *graph.Graph, bn *BatchNorm) *graph.Node { return bn.Forward(g.Input("x", graph.Batch, 3, 4)) })
	require.ErrorIs(t, err, graph.ErrShape, "rank 3")
	require.ErrorContains(t, err, "rank 3")
	err = build(func(g *graph.Graph, bn *BatchNorm) *graph.Node { return bn.Forward(g.Input("x", graph.Batch, 4)) })
	require.ErrorIs(t, err, graph.ErrShape, "4 channels")
	require.ErrorContains(t, err, "4 channels (want 3)")
	err = build(func(g *graph.Graph, bn *BatchNorm) *graph.Node { return bn.Forward(g.Input("x", graph.Batch, 4, 2, 2)) })
	require.ErrorIs(t, err, graph.ErrShape, "4 channels, 4-D")
	err = build(func(g *graph.Graph, bn *BatchNorm) *graph.Node { return bn.Forward(g.Labels("y")) })
	require.ErrorIs(t, err, graph.ErrDType)
	err = build(func(g *graph.Graph, bn *BatchNorm) *graph.Node {
		g2, _ := graph.New(graph.Config{DType: graph.Float64})
		return bn.Forward(g2.Input("x", graph.Batch, 3))
	})
	require.ErrorIs(t, err, graph.ErrGraph)
	err = build(func(g *graph.Graph, bn *BatchNorm) *graph.Node { return bn.Forward(nil) })
	require.ErrorIs(t, err, graph.ErrGraph)
	// a failed input passes its failure on
	err = build(func(g *graph.Graph, bn *BatchNorm) *graph.Node {
		return bn.Forward(bn.Forward(g.Input("x", graph.Batch, 5)))
	})
	require.ErrorContains(t, err, "5 channels")

	// a float32 graph's input on a float64 layer: another graph, recorded in the layer's
	g64 := newGraph(t, graph.Float64)
	bn64, err := NewBatchNorm(g64.Scope("bn"), 3, BatchNormConfig{})
	require.NoError(t, err)
	bad := bn64.Forward(newGraph(t, graph.Float32).Input("x", graph.Batch, 3))
	require.True(t, bad.Failed())
	require.ErrorIs(t, g64.Err(), graph.ErrGraph)

	// configuration
	for _, cfg := range []BatchNormConfig{
		{Eps: -1}, {Eps: math.NaN()}, {Eps: math.Inf(1)}, {Momentum: 1.5}, {Momentum: -0.1},
		{Momentum: math.NaN()}, {Momentum: 0.5, ZeroMomentum: true},
	} {
		_, err := NewBatchNorm(newGraph(t, graph.Float64).Scope("bn"), 3, cfg)
		require.ErrorIs(t, err, ErrConfig, "%+v", cfg)
	}
	_, err = NewBatchNorm(newGraph(t, graph.Float64).Scope("bn"), 0, BatchNormConfig{})
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewBatchNorm(graph.Scope{}, 3, BatchNormConfig{})
	require.ErrorIs(t, err, graph.ErrGraph)
	_, err = NewBatchNorm(g.Scope("bn"), 3, BatchNormConfig{})
	require.ErrorIs(t, err, graph.ErrName, "bn/gamma is taken")
	require.True(t, errors.Is(g.Err(), graph.ErrName), "the graph records it too")
}

// TestBatchNormOneValuePerChannel: PyTorch refuses to train on one value
// per channel; the check happens when the program is compiled for that
// batch size, before anything runs. Eval mode accepts it.
func TestBatchNormOneValuePerChannel(t *testing.T) {
	for _, shape := range [][]int{{1, 3}, {1, 3, 1, 1}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			g := newGraph(t, graph.Float64)
			bn, err := NewBatchNorm(g.Scope("bn"), 3, BatchNormConfig{})
			require.NoError(t, err)
			x := g.Input("x", append([]int{graph.Batch}, shape[1:]...)...)
			y := bn.Forward(x)
			p, err := g.Compile(graph.Sum(graph.Square(y)), y)
			require.NoError(t, err)
			xt := randTensor(t, graph.Float64, 1, -1, 1, shape...)
			_, err = p.TrainStep(graph.Feeds{x: xt})
			require.ErrorIs(t, err, graph.ErrShape)
			require.ErrorContains(t, err, "expected more than 1 value per channel when training")
			require.Equal(t, []float64{0, 0, 0}, bn.RunningMean().Values(), "nothing ran")
			require.Equal(t, 0, p.Compiled())
			_, err = p.Evaluate(graph.Feeds{x: xt})
			require.NoError(t, err)
			two := randTensor(t, graph.Float64, 1, -1, 1, append([]int{2}, shape[1:]...)...)
			_, err = p.TrainStep(graph.Feeds{x: two})
			require.NoError(t, err)
		})
	}
	// a fixed batch of one is refused at compile time too
	g := newGraph(t, graph.Float64)
	bn, err := NewBatchNorm(g.Scope("bn"), 2, BatchNormConfig{})
	require.NoError(t, err)
	x := g.Input("x", 1, 2, 1, 1)
	y := bn.Forward(x)
	require.NoError(t, g.Err(), "the mode is not known when the graph is built")
	p, err := g.Compile(nil, y)
	require.NoError(t, err)
	require.ErrorIs(t, p.Run(graph.Train, false, graph.Feeds{x: randTensor(t, graph.Float64, 1, 0, 1, 1, 2, 1, 1)}), graph.ErrShape)
}

// TestBatchNormZeroMomentum: ZeroMomentum freezes the running statistics
// while training still normalises with the batch's.
func TestBatchNormZeroMomentum(t *testing.T) {
	g := newGraph(t, graph.Float64)
	bn, err := NewBatchNorm(g.Scope("bn"), 2, BatchNormConfig{ZeroMomentum: true})
	require.NoError(t, err)
	require.Equal(t, 0.0, bn.Momentum())
	x := g.Input("x", graph.Batch, 2)
	y := bn.Forward(x)
	p, err := g.Compile(nil, y)
	require.NoError(t, err)
	require.NoError(t, p.Run(graph.Train, false, graph.Feeds{x: randTensor(t, graph.Float64, 1, 3, 5, 4, 2)}))
	require.Equal(t, []float64{0, 0}, bn.RunningMean().Values())
	require.Equal(t, []float64{1, 1}, bn.RunningVar().Values())
	out := p.Output(y)
	for c := 0; c < 2; c++ {
		var m, v float64
		for i := 0; i < 4; i++ {
			m += out.At(2*i+c) / 4
		}
		for i := 0; i < 4; i++ {
			d := out.At(2*i+c) - m
			v += d * d / 4
		}
		require.InDelta(t, 0, m, 1e-12, "channel %d: normalised with the batch mean", c)
		// the biased batch variance var/(var+eps): 1 within 1e-3 for inputs of spread ~1
		require.InDelta(t, 1, v, 1e-3, "channel %d: normalised with the batch variance", c)
	}
}

// TestBatchNormKernelsDoNotAllocate runs the lowered ops directly: after
// the first run nothing is allocated per step.
func TestBatchNormKernelsDoNotAllocate(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		g := newGraph(t, dt)
		bn, err := NewBatchNorm(g.Scope("bn"), 4, BatchNormConfig{})
		require.NoError(t, err)
		f := (&batchNormOp{bn: bn}).Lower(graph.Train).(*bnForward)
		x := randTensor(t, dt, 1, -1, 1, 8, 4, 3, 3)
		y := randTensor(t, dt, 1, -1, 1, 8, 4, 3, 3)
		dx := randTensor(t, dt, 1, -1, 1, 8, 4, 3, 3)
		red := randTensor(t, dt, 1, -1, 1, 2, 4)
		gamma, beta := bn.Gamma().Param().Value(), bn.Beta().Param().Value()
		r, gx := &bnReduce{f: f}, &bnGradX{f: f}
		ctx := &graph.Context{Mode: graph.Train}
		step := func() {
			require.NoError(t, f.Forward(ctx, y, []*graph.Tensor{x, gamma, beta}))
			require.NoError(t, r.Forward(ctx, red, []*graph.Tensor{x, y, y}))
			require.NoError(t, gx.Forward(ctx, dx, []*graph.Tensor{y, x, red, gamma}))
		}
		step()
		require.Zero(t, testing.AllocsPerRun(10, step), "%v", dt)
	}
}
