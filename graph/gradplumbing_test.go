package graph_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// Regression tests for gradients that were silently wrong (issue:
// reliability). Each fails on the code before the fix.

func tensor64(t *testing.T, data []float64, shape ...int) *graph.Tensor {
	t.Helper()
	v, err := graph.FromFloat64(data, shape...)
	require.NoError(t, err)
	return v
}

// A backward run used to set Param.grad only for the parameters it
// differentiated: the others kept pointing at an older program's buffers,
// so opt.Step(g.Params()) re-applied a stale gradient to a "frozen" layer.
func TestStaleGradientsFromAnotherProgram(t *testing.T) {
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 3})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 3)
	y := g.Input("y", graph.Batch, 2)
	feat := g.Input("features", graph.Batch, 4) // the body's output, fed directly
	body := g.Param("body/w", []int{3, 4}, graph.Normal{Std: 0.5})
	head := g.Param("head/w", []int{4, 2}, graph.Normal{Std: 0.5})
	full := graph.MSE(graph.MatMul(graph.ReLU(graph.MatMul(x, body)), head), y)
	headOnly := graph.MSE(graph.MatMul(feat, head), y)
	require.NoError(t, g.Err())

	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1})
	require.NoError(t, err)
	pFull, err := g.Compile(full)
	require.NoError(t, err)
	xs := tensor64(t, []float64{1, 2, 3, -1, 0.5, 2}, 2, 3)
	ys := tensor64(t, []float64{1, 0, 0, 1}, 2, 2)
	fs := tensor64(t, []float64{1, 0, 2, 1, 0.5, 0.5, 1, -1}, 2, 4)
	_, err = pFull.TrainStep(graph.Feeds{x: xs, y: ys})
	require.NoError(t, err)
	require.NoError(t, opt.Step(g.Params()))

	pHead, err := g.Compile(headOnly)
	require.NoError(t, err)
	_, err = pHead.TrainStep(graph.Feeds{feat: fs, y: ys})
	require.NoError(t, err)
	require.Nil(t, body.Param().Grad(), "the head-only backward does not reach body/w: its gradient must be nil")
	require.NotNil(t, head.Param().Grad())
	before := body.Param().Value().Clone()
	require.NoError(t, opt.Step(g.Params()))
	require.Equal(t, before.Values(), body.Param().Value().Values(), "the frozen layer moved")
}

// Add(W0, dW) gave both parameters the same gradient tensor, so
// ClipGradNorm scaled it twice (norm 0.04 after clipping to 1).
func TestSharedGradientClippedOnce(t *testing.T) {
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 1})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 3)
	w0 := g.Param("w0", []int{3, 2}, graph.Normal{Std: 1})
	dw := g.Param("dw", []int{3, 2}, graph.Constant(0))
	loss := graph.Sum(graph.MatMul(x, graph.Add(w0, dw)))
	require.NoError(t, g.Err())
	p, err := g.Compile(loss)
	require.NoError(t, err)
	_, err = p.TrainStep(graph.Feeds{x: tensor64(t, []float64{3, 4, 5, 6, 7, 8}, 2, 3)})
	require.NoError(t, err)
	ga, gb := w0.Param().Grad(), dw.Param().Grad()
	require.NotNil(t, ga)
	require.NotNil(t, gb)
	require.Equal(t, ga.Values(), gb.Values())
	total, err := optimizers.ClipGradNorm(g.Params(), 1, 2)
	require.NoError(t, err)
	require.Greater(t, total, 1.0)
	var sq float64
	for _, p := range g.Params() {
		for _, v := range p.Grad().Values() {
			sq += v * v
		}
	}
	// torch's rule: every gradient times 1/(total+1e-6).
	require.InDelta(t, total/(total+1e-6), math.Sqrt(sq), 1e-12, "global norm after clipping to 1")
}

// A parameter entering the loss directly got the backward seed itself,
// filled once at compile time: one ClipGradValue changed every later step.
func TestSeedGradientNotShared(t *testing.T) {
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 1})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 2)
	w := g.Param("w", []int{2, 1}, graph.Constant(0.5))
	s := g.Param("s", []int{}, graph.Constant(2))
	loss := graph.Add(graph.Sum(graph.MatMul(x, w)), s)
	require.NoError(t, g.Err())
	p, err := g.Compile(loss)
	require.NoError(t, err)
	feeds := graph.Feeds{x: tensor64(t, []float64{1, 2}, 1, 2)}
	for step := range 3 {
		_, err = p.TrainStep(feeds)
		require.NoError(t, err)
		require.Equal(t, []float64{1}, s.Param().Grad().Values(), "step %d: d loss / d s", step)
		require.NoError(t, optimizers.ClipGradValue(g.Params(), 0.25))
		require.Equal(t, []float64{0.25}, s.Param().Grad().Values())
	}

	// The loss is the parameter itself.
	p2, err := g.Compile(s)
	require.NoError(t, err)
	for range 2 {
		_, err = p2.TrainStep(graph.Feeds{})
		require.NoError(t, err)
		require.Equal(t, []float64{1}, s.Param().Grad().Values())
		require.NoError(t, optimizers.ClipGradValue([]*graph.Param{s.Param()}, 0.5))
	}
}

// readF64 is a custom op that reads its input as float64.
type readF64 struct{}

func (readF64) String() string                            { return "ReadF64" }
func (readF64) Infer(in []graph.Type) (graph.Type, error) { return in[0], nil }
func (readF64) Forward(_ *graph.Context, out *graph.Tensor, in []*graph.Tensor) error {
	x, err := in[0].Float64s()
	if err != nil {
		return err
	}
	o, err := out.Float64s()
	if err != nil {
		return err
	}
	copy(o, x)
	return nil
}

// A custom op reading float64 values in a float32 graph silently output
// zeros: the accessor returned nil. It must be an error.
func TestCustomOpWrongDTypeIsAnError(t *testing.T) {
	g, err := graph.New(graph.Config{DType: graph.Float32})
	require.NoError(t, err)
	x := g.Input("x", graph.Batch, 2)
	y := graph.Apply(readF64{}, x)
	require.NoError(t, g.Err())
	p, err := g.Compile(nil, y)
	require.NoError(t, err)
	xs, err := graph.FromFloat32([]float32{1, 2}, 1, 2)
	require.NoError(t, err)
	err = p.Run(graph.Eval, false, graph.Feeds{x: xs})
	require.Error(t, err)
	require.True(t, errors.Is(err, graph.ErrDType), "got %v", err)

	_, err = xs.Float64s()
	require.ErrorIs(t, err, graph.ErrDType)
	_, err = xs.Ints()
	require.ErrorIs(t, err, graph.ErrDType)
	_, err = graph.Floats[float64](xs)
	require.ErrorIs(t, err, graph.ErrDType)
	f, err := xs.Float32s()
	require.NoError(t, err)
	require.Equal(t, []float32{1, 2}, f)
}
