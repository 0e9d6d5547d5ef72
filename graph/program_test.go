package graph

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func linregGraph(t *testing.T) (*Graph, *Node, *Node, *Node, *Node) {
	t.Helper()
	g := newGraph64(t)
	x := g.Input("x", Batch, 2)
	y := g.Input("y", Batch, 1)
	w := g.Param("w", []int{2, 1}, Constant(0.5))
	b := g.Param("b", []int{1}, Constant(0.25))
	pred := Add(MatMul(x, w), b)
	require.NoError(t, g.Err())
	return g, x, y, pred, MSE(pred, y)
}

func TestProgramCachesPerBatchSize(t *testing.T) {
	g, x, y, pred, loss := linregGraph(t)
	p, err := g.Compile(loss, pred)
	require.NoError(t, err)
	feeds := func(n int) Feeds {
		return Feeds{x: randTensor(uint64(n), -1, 1, n, 2), y: randTensor(uint64(n)+1, -1, 1, n, 1)}
	}
	_, err = p.TrainStep(feeds(4))
	require.NoError(t, err)
	require.Equal(t, 1, p.Compiled())
	_, err = p.TrainStep(feeds(4))
	require.NoError(t, err)
	require.Equal(t, 1, p.Compiled(), "same batch size: no recompilation")
	_, err = p.Evaluate(feeds(3))
	require.NoError(t, err)
	require.Equal(t, 2, p.Compiled(), "eval mode, batch 3")
	require.Equal(t, Shape{3, 1}, p.Output(pred).Shape())
	_, err = p.TrainStep(feeds(3))
	require.NoError(t, err)
	require.Equal(t, 3, p.Compiled())
	_ = g
}

func TestLossAndGradientsMatchClosedForm(t *testing.T) {
	g, x, y, _, loss := linregGraph(t)
	p, err := g.Compile(loss)
	require.NoError(t, err)
	xt, _ := FromFloat64([]float64{1, 2, 3, 4}, 2, 2)
	yt, _ := FromFloat64([]float64{1, 0}, 2, 1)
	l, err := p.TrainStep(Feeds{x: xt, y: yt})
	require.NoError(t, err)
	// pred = [1*0.5+2*0.5+0.25, 3*0.5+4*0.5+0.25] = [1.75, 3.75]; err = [0.75, 3.75]
	require.InDelta(t, (0.75*0.75+3.75*3.75)/2, l, 1e-15)
	w, _ := g.ParamByName("w")
	b, _ := g.ParamByName("b")
	// dL/dpred = err (2/n = 1); dW = xᵀ err; db = sum(err)
	require.InDeltaSlice(t, []float64{1*0.75 + 3*3.75, 2*0.75 + 4*3.75}, w.Grad().Values(), 1e-15)
	require.InDeltaSlice(t, []float64{4.5}, b.Grad().Values(), 1e-15)

	// Gradients are overwritten, never accumulated, by each backward pass.
	_, err = p.TrainStep(Feeds{x: xt, y: yt})
	require.NoError(t, err)
	require.InDeltaSlice(t, []float64{4.5}, b.Grad().Values(), 1e-15)
}

func TestEvaluateComputesNoGradients(t *testing.T) {
	g, x, y, pred, loss := linregGraph(t)
	p, err := g.Compile(loss, pred)
	require.NoError(t, err)
	xt, _ := FromFloat64([]float64{1, 2}, 1, 2)
	yt, _ := FromFloat64([]float64{0}, 1, 1)
	l, err := p.Evaluate(Feeds{x: xt, y: yt})
	require.NoError(t, err)
	require.InDelta(t, 1.75*1.75, l, 1e-15)
	for _, prm := range g.Params() {
		require.Nil(t, prm.Grad())
	}
	pl := p.last
	require.Empty(t, pl.wrt)
	for _, st := range pl.steps {
		require.NotContains(t, st.op.String(), "Grad")
		require.NotContains(t, st.op.String(), "MatMul(", "no transposed products: no backward pass")
	}
}

func TestParamsOffThePathHaveNoGradient(t *testing.T) {
	g := newGraph64(t)
	x := g.Input("x", Batch, 2)
	used := g.Param("used", []int{2, 1}, Ones())
	unused := g.Param("unused", []int{3}, Ones())
	p, err := g.Compile(Sum(MatMul(x, used)))
	require.NoError(t, err)
	_, err = p.TrainStep(Feeds{x: randTensor(1, 0, 1, 2, 2)})
	require.NoError(t, err)
	require.NotNil(t, used.Param().Grad())
	require.Nil(t, unused.Param().Grad(), "as PyTorch: grad stays None, optimizers skip it")
}

func TestFloat32Program(t *testing.T) {
	g, err := New(Config{DType: Float32, Seed: 3})
	require.NoError(t, err)
	x := g.Input("x", Batch, 2)
	w := g.Param("w", []int{2, 2}, Constant(1))
	loss := Mean(Square(Tanh(MatMul(x, w))))
	p, err := g.Compile(loss)
	require.NoError(t, err)
	xt, _ := FromFloat32([]float32{0.1, 0.2, 0.3, 0.4}, 2, 2)
	l, err := p.TrainStep(Feeds{x: xt})
	require.NoError(t, err)
	want := (2*math.Pow(math.Tanh(0.3), 2) + 2*math.Pow(math.Tanh(0.7), 2)) / 4
	require.InDelta(t, want, l, 1e-6)
	require.Equal(t, Float32, w.Param().Grad().DType())
	// dL/dW = xᵀ·dZ with Z = xW = [[0.3 0.3] [0.7 0.7]] and
	// dZ = 2·tanh(Z)·(1 - tanh²(Z))/4, the same in both columns.
	dz := func(z float64) float64 { th := math.Tanh(z); return th * (1 - th*th) / 2 }
	g0, g1 := dz(0.3), dz(0.7)
	dw := []float64{0.1*g0 + 0.3*g1, 0.1*g0 + 0.3*g1, 0.2*g0 + 0.4*g1, 0.2*g0 + 0.4*g1}
	require.InDeltaSlice(t, dw, w.Param().Grad().Values(), 1e-6)
}

// wrongGrad claims d(2x)/dx = 3: GradCheck must notice.
type wrongGrad struct{}

func (wrongGrad) String() string                { return "Double" }
func (wrongGrad) Infer(in []Type) (Type, error) { return in[0], nil }
func (wrongGrad) Forward(_ *Context, out *Tensor, in []*Tensor) error {
	for i, v := range in[0].f64 {
		out.f64[i] = 2 * v
	}
	return nil
}
func (wrongGrad) Backward(b *Builder, _ []*Sym, _, g *Sym) ([]*Sym, error) {
	s, err := b.Apply(scaleOp{c: 3}, g)
	return []*Sym{s}, err
}

func TestGradCheckCatchesAWrongGradient(t *testing.T) {
	g := newGraph64(t)
	w := g.Param("w", []int{3}, Constant(1))
	res, err := GradCheck(Sum(Apply(wrongGrad{}, w)), Feeds{}, GradCheckConfig{})
	require.NoError(t, err)
	// analytic 3, numeric 2: |3-2| / max(3, 2) = 1/3.
	require.InDelta(t, 1.0/3, res.MaxRelErr, 1e-6)
	require.InDelta(t, 3, res.Analytic, 0)
	require.InDelta(t, 2, res.Numeric, 1e-8)
	require.Equal(t, "w[0]", res.Where)
}
