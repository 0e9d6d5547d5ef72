package ops

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/golden"
)

// The golden vectors are recorded from PyTorch 1.13 (see
// ../shared/golden/README.md, section B). Tolerance, from that README:
// |a - e| <= tol + tol·|e| with tol 1e-9 in float64 and 1e-4 in float32
// (computed in float32).

type goldenTensor = golden.Array

type bnPass struct {
	X                goldenTensor `json:"x"`
	Y                goldenTensor `json:"y"`
	RunningMeanAfter []float64    `json:"running_mean_after"`
	RunningVarAfter  []float64    `json:"running_var_after"`
}

type bnCase struct {
	Kind              string        `json:"kind"`
	Name              string        `json:"name"`
	Dims              int           `json:"dims"`
	DType             string        `json:"dtype"`
	Eps               float64       `json:"eps"`
	Momentum          float64       `json:"momentum"`
	Affine            bool          `json:"affine"`
	Training          bool          `json:"training"`
	X                 *goldenTensor `json:"x"`
	Gamma             []float64     `json:"gamma"`
	Beta              []float64     `json:"beta"`
	RunningMeanBefore []float64     `json:"running_mean_before"`
	RunningVarBefore  []float64     `json:"running_var_before"`
	Y                 *goldenTensor `json:"y"`
	RunningMeanAfter  []float64     `json:"running_mean_after"`
	RunningVarAfter   []float64     `json:"running_var_after"`
	UpstreamGrad      *goldenTensor `json:"upstream_grad"`
	GradX             *goldenTensor `json:"grad_x"`
	GradGamma         []float64     `json:"grad_gamma"`
	GradBeta          []float64     `json:"grad_beta"`
	Passes            []bnPass      `json:"passes"`
}

func TestGoldenBatchNorm(t *testing.T) {
	r := golden.Open(t, "bn_")
	for _, f := range r.Files {
		r.Run(t, f, func(t *testing.T, f string) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			var c bnCase
			require.NoError(t, json.Unmarshal(raw, &c))
			switch c.Kind {
			case "batchnorm":
				replayBatchNorm(t, &c)
			case "batchnorm_sequence":
				replayBatchNormSequence(t, &c)
			default:
				t.Fatalf("kind %q is not a batch-norm case (want batchnorm or batchnorm_sequence)", c.Kind)
			}
		})
	}
}

// goldenLayer builds a graph of the case's dtype with one BatchNorm layer
// holding the case's gamma, beta and running statistics.
func goldenLayer(t *testing.T, c *bnCase) (*graph.Graph, *BatchNorm, float64) {
	dt, err := graph.ParseDType(c.DType)
	require.NoError(t, err)
	tol := 1e-9
	if dt == graph.Float32 {
		tol = 1e-4
	}
	g, err := graph.New(graph.Config{DType: dt, Seed: 1})
	require.NoError(t, err)
	channels := len(c.RunningMeanBefore)
	bn, err := NewBatchNorm(g.Scope("bn"), channels, BatchNormConfig{
		Eps: c.Eps, Momentum: c.Momentum, ZeroMomentum: c.Momentum == 0, NoAffine: !c.Affine,
	})
	require.NoError(t, err)
	set := func(dst *graph.Tensor, v []float64) {
		src, err := graph.FromFloat64s(dt, v, len(v))
		require.NoError(t, err)
		require.NoError(t, dst.CopyFrom(src))
	}
	if c.Affine {
		set(bn.Gamma().Param().Value(), c.Gamma)
		set(bn.Beta().Param().Value(), c.Beta)
	}
	set(bn.RunningMean(), c.RunningMeanBefore)
	set(bn.RunningVar(), c.RunningVarBefore)
	return g, bn, tol
}

func tensorOf(t *testing.T, dt graph.DType, gt *goldenTensor) *graph.Tensor {
	x, err := graph.FromFloat64s(dt, gt.Data, gt.Shape...)
	require.NoError(t, err)
	return x
}

// requireClose checks |a - e| <= tol + tol·|e| element by element.
func requireClose(t *testing.T, what string, want []float64, got *graph.Tensor, tol float64) {
	t.Helper()
	require.NotNil(t, got, what)
	require.Equal(t, len(want), got.Len(), "%s: length", what)
	for i, e := range want {
		a := got.At(i)
		if !(math.Abs(a-e) <= tol+tol*math.Abs(e)) {
			require.Failf(t, "golden mismatch", "%s[%d]: got %.17g, want %.17g (|diff| %.3g > %.3g)",
				what, i, a, e, math.Abs(a-e), tol+tol*math.Abs(e))
		}
	}
}

func replayBatchNorm(t *testing.T, c *bnCase) {
	g, bn, tol := goldenLayer(t, c)
	require.NotNil(t, c.X)
	x := g.Input("x", c.X.Shape...)
	y := bn.Forward(x)
	up := g.Const(tensorOf(t, g.DType(), c.UpstreamGrad))
	loss := graph.Sum(graph.Mul(y, up)) // dL/dy = upstream_grad
	require.NoError(t, g.Err())
	wrt := []*graph.Node{x}
	if c.Affine {
		wrt = append(wrt, bn.Gamma(), bn.Beta())
	}
	p, err := g.CompileWith(graph.CompileOptions{WRT: wrt}, loss, y)
	require.NoError(t, err)
	mode := graph.Eval
	if c.Training {
		mode = graph.Train
	}
	require.NoError(t, p.Run(mode, true, graph.Feeds{x: tensorOf(t, g.DType(), c.X)}))

	requireClose(t, "y", c.Y.Data, p.Output(y), tol)
	requireClose(t, "running_mean", c.RunningMeanAfter, bn.RunningMean(), tol)
	requireClose(t, "running_var", c.RunningVarAfter, bn.RunningVar(), tol)
	requireClose(t, "grad_x", c.GradX.Data, p.Grad(x), tol)
	if c.Affine {
		requireClose(t, "grad_gamma", c.GradGamma, p.Grad(bn.Gamma()), tol)
		requireClose(t, "grad_beta", c.GradBeta, p.Grad(bn.Beta()), tol)
	}
}

func replayBatchNormSequence(t *testing.T, c *bnCase) {
	g, bn, tol := goldenLayer(t, c)
	require.NotEmpty(t, c.Passes)
	shape := append([]int{graph.Batch}, c.Passes[0].X.Shape[1:]...)
	x := g.Input("x", shape...)
	y := bn.Forward(x)
	require.NoError(t, g.Err())
	p, err := g.Compile(nil, y)
	require.NoError(t, err)
	for i, pass := range c.Passes {
		require.NoError(t, p.Run(graph.Train, false, graph.Feeds{x: tensorOf(t, g.DType(), &pass.X)}))
		requireClose(t, fmt.Sprintf("pass %d: y", i), pass.Y.Data, p.Output(y), tol)
		requireClose(t, fmt.Sprintf("pass %d: running_mean", i), pass.RunningMeanAfter, bn.RunningMean(), tol)
		requireClose(t, fmt.Sprintf("pass %d: running_var", i), pass.RunningVarAfter, bn.RunningVar(), tol)
	}
}
