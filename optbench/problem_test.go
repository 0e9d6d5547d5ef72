package optbench

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

func testRegistry(t *testing.T) *Registry {
	t.Helper()
	reg, err := NewRegistry()
	require.NoError(t, err)
	return reg
}

// testEnv loads MNIST once for all the tests.
var testEnv = Env{cache: &mnistCache{}}

// session builds problem name's model with seed 1 and its splits.
func testSession(t *testing.T, reg *Registry, name string) (*session, *Splits) {
	t.Helper()
	p, err := reg.Problem(name)
	require.NoError(t, err)
	s, err := p.Load(testEnv)
	require.NoError(t, err)
	sess, err := newSession(p, s.Train, 1)
	require.NoError(t, err)
	t.Cleanup(sess.close)
	return sess, s
}

func setParam(t *testing.T, g *graph.Graph, name string, vals ...float64) {
	t.Helper()
	p, err := g.ParamByName(name)
	require.NoError(t, err)
	for i, v := range vals {
		p.Value().Set(i, v)
	}
}

// TestQuadraticDeepData checks the embedded data against the figures of
// meta.json (float64 arithmetic on the files) and the port against
// DeepOBS's epoch-0 test loss.
func TestQuadraticDeepData(t *testing.T) {
	d, err := loadQuadData()
	require.NoError(t, err)
	raw, err := os.ReadFile("deepobs/quadratic_deep/meta.json")
	require.NoError(t, err)
	var meta struct {
		Checks map[string]float64 `json:"checks"`
	}
	require.NoError(t, json.Unmarshal(raw, &meta))
	trace := 0.0
	for i := 0; i < quadDim; i++ {
		trace += float64(d.q[i*quadDim+i])
	}
	// The trace of Q is the sum of its eigenvalues (float32 Q: 1e-6).
	require.InEpsilon(t, meta.Checks["eigenvalues_sum"], trace, 1e-6)
	ones := make([]float64, quadDim)
	for i := range ones {
		ones[i] = 1
	}
	mean := make([]float64, quadDim)
	for i := 0; i < quadN; i++ {
		for j := range mean {
			mean[j] += float64(d.train[i*quadDim+j]) / quadN
		}
	}
	for _, c := range []struct {
		key   string
		xs    []float32
		theta []float64
	}{
		{"test_loss_at_init", d.test, ones}, {"train_loss_at_init", d.train, ones},
		{"test_loss_at_train_mean", d.test, mean}, {"train_loss_at_train_mean", d.train, mean},
	} {
		require.InEpsilon(t, meta.Checks[c.key], quadLoss(d.q, c.xs, c.theta), 1e-9, c.key)
	}

	// The port, in float32 through descent's graph, over DeepOBS's 896
	// evaluation examples: DeepOBS's runs all start at test loss 353.44676.
	reg := testRegistry(t)
	sess, splits := testSession(t, reg, "quadratic_deep")
	loss, acc, err := sess.evaluate(splits.Test, quadEval)
	require.NoError(t, err)
	require.InEpsilon(t, 353.44676, loss, 1e-6)
	require.True(t, math.IsNaN(acc))
	require.Equal(t, 1000, splits.Valid.Len())
	p, _ := reg.Problem("quadratic_deep")
	require.InEpsilon(t, 86.28, p.Target, 1e-3, "the validation target")
}

// TestFunctions2D evaluates the 2-D problems at their start and minimum
// against the closed forms, and the noisy versions' noise term.
func TestFunctions2D(t *testing.T) {
	rosen := func(u, v float64) float64 { return (1-u)*(1-u) + 100*(v-u*u)*(v-u*u) }
	beale := func(u, v float64) float64 {
		return math.Pow(1.5-u+u*v, 2) + math.Pow(2.25-u+u*v*v, 2) + math.Pow(2.625-u+u*v*v*v, 2)
	}
	reg := testRegistry(t)
	for _, c := range []struct {
		name     string
		f        func(u, v float64) float64
		u0, v0   float64
		umin, vm float64
	}{
		{"rosenbrock", rosen, -0.5, 1.5, 1, 1},
		{"beale", beale, -4.5, 4.5, 3, 0.5},
	} {
		for _, noisy := range []bool{false, true} {
			name := c.name
			if noisy {
				name = "two_d_" + c.name
			}
			t.Run(name, func(t *testing.T) {
				sess, splits := testSession(t, reg, name)
				l, _, err := sess.evaluate(splits.Test, 0) // the test set is zeros: f itself
				require.NoError(t, err)
				require.InEpsilon(t, c.f(c.u0, c.v0), l, 1e-6, "f at DeepOBS's start")
				setParam(t, sess.g, c.name+"/u", c.umin)
				setParam(t, sess.g, c.name+"/v", c.vm)
				l, _, err = sess.evaluate(splits.Test, 0)
				require.NoError(t, err)
				require.InDelta(t, 0, l, 1e-6, "f at the minimum")
				if noisy {
					// The validation loss at the minimum is the noise term.
					xs, _ := splits.Valid.X.Float32s()
					want := 0.0
					n := splits.Valid.Len() / 128 * 128
					for i := 0; i < n; i++ {
						want += c.umin*float64(xs[2*i]) + c.vm*float64(xs[2*i+1])
					}
					p, _ := reg.Problem(name)
					l, _, err = sess.evaluate(splits.Valid, p.EvalExamples)
					require.NoError(t, err)
					require.InDelta(t, want/float64(n), l, 1e-5)
					require.InDelta(t, want/float64(n)+1e-2, p.Target, 1e-12)
				}
			})
		}
	}
}

// TestMNISTProblems builds every MNIST model and checks its parameters and
// splits.
func TestMNISTProblems(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	reg := testRegistry(t)
	for _, c := range []struct {
		name               string
		params             int
		train, valid, test int
		trainFrom          int // the first training example's index in MNIST's 60,000
	}{
		{"mnist_logreg", 784*10 + 10, 50000, 10000, 10000, 10000},
		{"mnist_mlp", 784*1000 + 1000 + 1000*500 + 500 + 500*100 + 100 + 100*10 + 10, 50000, 10000, 10000, 10000},
		{"algoperf_mnist", 784*128 + 128 + 128*10 + 10, 50000, 10000, 10000, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			sess, s := testSession(t, reg, c.name)
			n := 0
			for _, p := range sess.params {
				n += p.Value().Len()
				v := p.Value().Values()
				switch {
				case c.name == "mnist_logreg":
					require.Equal(t, make([]float64, len(v)), v, "DeepOBS: zero init")
				case p.Shape().Rank() == 1:
					require.Equal(t, make([]float64, len(v)), v, "zero biases")
				default:
					std := 0.03
					if c.name == "algoperf_mnist" {
						std = math.Sqrt(1/float64(p.Shape()[0])) / .87962566103423978
					}
					for _, x := range v {
						require.LessOrEqual(t, math.Abs(x), 2*std*(1+1e-6), "truncated at 2 std")
					}
				}
			}
			require.Equal(t, c.params, n)
			require.Equal(t, []int{c.train, c.valid, c.test}, []int{s.Train.Len(), s.Valid.Len(), s.Test.Len()})
			all, _, err := testEnv.mnist()
			require.NoError(t, err)
			ys, _ := all.Y.Ints()
			tr, _ := s.Train.Y.Ints()
			va, _ := s.Valid.Y.Ints()
			validFrom := 0
			if c.trainFrom == 0 {
				validFrom = 50000 // AlgoPerf: train[50000:]
			}
			require.Equal(t, ys[c.trainFrom:c.trainFrom+100], tr[:100], "the training split")
			require.Equal(t, ys[validFrom:validFrom+100], va[:100], "the validation split")
			l, acc, err := sess.evaluate(s.Valid, 0)
			require.NoError(t, err)
			require.False(t, math.IsNaN(l) || math.IsNaN(acc))
		})
	}
}

func TestProblemValidate(t *testing.T) {
	reg := EmptyRegistry()
	good, err := QuadraticDeep()
	require.NoError(t, err)
	for _, c := range []struct {
		edit func(*Problem)
		want string
	}{
		{func(p *Problem) { p.Name = "Bad Name" }, `problem name "Bad Name"`},
		{func(p *Problem) { p.Load = nil }, "Load and Build must be set"},
		{func(p *Problem) { p.BatchSize = 0 }, "BatchSize 0"},
		{func(p *Problem) { p.Budget = Budget{Epochs: 1, Steps: 1} }, "exactly one of Epochs and Steps"},
		{func(p *Problem) { p.Budget = Budget{} }, "exactly one of Epochs and Steps"},
	} {
		p := good
		c.edit(&p)
		require.ErrorContains(t, reg.AddProblem(p), c.want)
	}
	require.NoError(t, reg.AddProblem(good))
	require.ErrorContains(t, reg.AddProblem(good), "already registered")
}
