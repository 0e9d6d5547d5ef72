package optbench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// tinySweep runs every protocol on small budgets: seconds, yet every code
// path (MNIST, noisy and deterministic problems, L-BFGS's closure, the two
// DeepOBS stages, divergence at large learning rates).
func tinySweep(mnist bool) Sweep {
	sw := Sweep{
		Problems: []ProblemRef{{Name: "quadratic_deep", Budget: Budget{Epochs: 2}}, {Name: "rosenbrock", Budget: Budget{Steps: 300}},
			{Name: "two_d_beale", Budget: Budget{Epochs: 1}}},
		Optimizers: []Contender{{Optimizer: "sgd"}, {Optimizer: "adam"}, {Optimizer: "lion"},
			{Optimizer: "lbfgs", Set: Setting{"max_iter": 3, "history_size": 5}}},
		Seeds:    2,
		DeepOBS:  DeepOBSConfig{LRs: []float64{1e-3, 1e-2, 1e-1, 10}, Reruns: 3},
		AlgoPerf: AlgoPerfConfig{Trials: 2, Studies: 2},
	}
	if mnist {
		sw.Problems = append(sw.Problems, ProblemRef{Name: "mnist_logreg", Budget: Budget{Steps: 20}})
	}
	return sw
}

// runLocal runs a sweep with a fresh store in dir and writes its report
// in dir/report.
func runLocal(t *testing.T, ctx context.Context, reg *Registry, sw Sweep, workers int, dir string) (Results, error) {
	t.Helper()
	pl, err := sw.Resolve(reg)
	require.NoError(t, err)
	st, err := OpenStore(filepath.Join(dir, "store"))
	require.NoError(t, err)
	require.NoError(t, st.WriteSweep(pl.Sweep))
	done, err := st.Load()
	require.NoError(t, err)
	r := &Runner{Registry: reg, Env: testEnv, Store: st, Workers: workers}
	if err := r.RunPlan(ctx, pl, done); err != nil {
		return done, err
	}
	_, err = WriteReport(filepath.Join(dir, "report"), pl, done, false)
	return done, err
}

// outcomes returns every record's key, trial and outcome as JSON (no
// timing), for bit-for-bit comparison.
func outcomes(t *testing.T, done Results) map[string]string {
	out := map[string]string{}
	for k, r := range done {
		b, err := json.Marshal(struct {
			T Trial
			O Outcome
		}{r.Trial, r.Outcome})
		require.NoError(t, err)
		out[k] = string(b)
	}
	return out
}

// requireSameReports compares every file of two report folders but the
// timing ones, byte for byte.
func requireSameReports(t *testing.T, a, b string) {
	t.Helper()
	files, err := os.ReadDir(a)
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if strings.HasPrefix(f.Name(), "timing") {
			continue
		}
		x, err := os.ReadFile(filepath.Join(a, f.Name()))
		require.NoError(t, err)
		y, err := os.ReadFile(filepath.Join(b, f.Name()))
		require.NoError(t, err, f.Name())
		require.True(t, bytes.Equal(x, y), "%s differs", f.Name())
		n++
	}
	require.Greater(t, n, 20, "report files compared")
}

// TestWorkersBitIdentical runs the same sweep with 1 and 3 workers: every
// trial's outcome and every report file but timing's are bit-identical.
func TestWorkersBitIdentical(t *testing.T) {
	reg := testRegistry(t)
	sw := tinySweep(!testing.Short())
	dir1, dir3 := t.TempDir(), t.TempDir()
	one, err := runLocal(t, context.Background(), reg, sw, 1, dir1)
	require.NoError(t, err)
	three, err := runLocal(t, context.Background(), reg, sw, 3, dir3)
	require.NoError(t, err)
	require.Equal(t, outcomes(t, one), outcomes(t, three))
	requireSameReports(t, filepath.Join(dir1, "report"), filepath.Join(dir3, "report"))
	diverged := 0
	for _, r := range one {
		if r.Outcome.Diverged {
			diverged++
		}
	}
	require.Positive(t, diverged, "lr 10 diverges somewhere: the divergence path is covered")
}

// cancelAfter is a log writer that cancels a context after n lines.
type cancelAfter struct {
	mu     sync.Mutex
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.HasPrefix(string(b), "[") {
		c.n--
		if c.n == 0 {
			c.cancel()
		}
	}
	return len(b), nil
}

// TestResume interrupts a run (as Ctrl-C does: the context is cancelled)
// after some trials finished, then reruns it: only the missing trials run,
// and the results equal an uninterrupted run's.
func TestResume(t *testing.T) {
	reg := testRegistry(t)
	sw := tinySweep(false)
	sw.Protocols = []string{"oneshot", "deepobs"}
	pl, err := sw.Resolve(reg)
	require.NoError(t, err)
	dir := t.TempDir()
	st, err := OpenStore(dir)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &Runner{Registry: reg, Env: testEnv, Store: st, Workers: 2, Log: &cancelAfter{n: 10, cancel: cancel}}
	err = r.RunPlan(ctx, pl, Results{})
	require.ErrorIs(t, err, context.Canceled)
	kept, err := st.Load()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(kept), 10, "the finished trials are in the store")
	all, _, err := pl.AllTrials(Results{})
	require.NoError(t, err)
	require.Less(t, len(kept), len(all), "the run was interrupted")

	var ran int
	counter := &lineCounter{n: &ran}
	r2 := &Runner{Registry: reg, Env: testEnv, Store: st, Workers: 2, Log: counter}
	done, err := st.Load()
	require.NoError(t, err)
	require.NoError(t, r2.RunPlan(context.Background(), pl, done))
	total, complete, err := pl.AllTrials(done)
	require.NoError(t, err)
	require.True(t, complete)
	require.Equal(t, len(total)-len(kept), ran, "only the missing trials run")

	fresh, err := runLocal(t, context.Background(), reg, sw, 2, t.TempDir())
	require.NoError(t, err)
	require.Equal(t, outcomes(t, fresh), outcomes(t, done))

	// A third run finds everything.
	ran = 0
	require.NoError(t, r2.RunPlan(context.Background(), pl, done))
	require.Zero(t, ran)
}

type lineCounter struct {
	mu sync.Mutex
	n  *int
}

func (c *lineCounter) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.HasPrefix(string(b), "[") {
		*c.n++
	}
	return len(b), nil
}

// TestDeepOBSSelectsByValidation: the rerun stage reruns exactly the grid
// point with the best final validation metric, with seeds 1..Reruns.
func TestDeepOBSSelectsByValidation(t *testing.T) {
	reg := testRegistry(t)
	sw := tinySweep(false)
	sw.Protocols = []string{"deepobs"}
	sw.Problems = sw.Problems[:1]
	sw.Optimizers = sw.Optimizers[:2]
	done, err := runLocal(t, context.Background(), reg, sw, 2, t.TempDir())
	require.NoError(t, err)
	pl, err := sw.Resolve(reg)
	require.NoError(t, err)
	grid, err := pl.StageTrials(0, done)
	require.NoError(t, err)
	reruns, err := pl.StageTrials(1, done)
	require.NoError(t, err)
	require.Len(t, reruns, 2*3)
	for _, c := range pl.Contenders {
		best, bestV := 0.0, 0.0
		for _, g := range grid {
			if g.Optimizer != c.Optimizer.Name {
				continue
			}
			v := done[g.Key()].Outcome.FinalValid(MetricLoss)
			if best == 0 || v < bestV {
				best, bestV = g.Hyper["lr"], v
			}
		}
		var seeds []uint64
		for _, r := range reruns {
			if r.Optimizer == c.Optimizer.Name {
				require.Equal(t, best, r.Hyper["lr"])
				seeds = append(seeds, r.Seed)
			}
		}
		require.Equal(t, []uint64{1, 2, 3}, seeds)
	}
}

// TestUserOptimizerEveryProtocol: an optimizer added to the registry from
// Go is planned by every protocol (its DeepOBS grid varies its lr, the
// AlgoPerf search its space).
func TestUserOptimizerEveryProtocol(t *testing.T) {
	reg := testRegistry(t)
	sgd, _ := reg.Optimizer("sgd")
	mine := sgd
	mine.Name, mine.Space = "mysgd", []Range{{Param: "lr", Scale: Log, Min: 1e-3, Max: 1e-1}}
	require.NoError(t, reg.AddOptimizer(mine))
	sw := Sweep{Problems: []ProblemRef{{Name: "rosenbrock"}}, Optimizers: []Contender{{Optimizer: "mysgd"}}, DeepOBS: DeepOBSConfig{LRs: []float64{1e-3, 1e-2}}}
	pl, err := sw.Resolve(reg)
	require.NoError(t, err)
	require.Len(t, pl.Protocols, 3, "all protocols by default")
	for _, p := range pl.Protocols {
		ts, err := p.Trials(pl, 0, Results{})
		require.NoError(t, err)
		require.NotEmpty(t, ts, p.Name())
		for _, tr := range ts {
			require.Equal(t, "mysgd", tr.Optimizer)
		}
		if p.Name() == "algoperf" {
			require.Len(t, ts, 5*3)
			for _, tr := range ts {
				require.True(t, tr.StopAtTarget)
				require.True(t, tr.Hyper["lr"] >= 1e-3 && tr.Hyper["lr"] <= 1e-1)
			}
		}
	}
}

// TestSweepResolve: defaults fill a zero sweep's settings; a fixed
// hyperparameter leaves the search space; bad sweeps are errors.
func TestSweepResolve(t *testing.T) {
	reg := testRegistry(t)
	pl, err := Sweep{Problems: []ProblemRef{{Name: "rosenbrock"}},
		Optimizers: []Contender{{Optimizer: "adam", Set: Setting{"beta1": 0.95}}, {Optimizer: "adam", Label: "adam-default"}}}.Resolve(reg)
	require.NoError(t, err)
	require.Equal(t, 5, pl.Sweep.Seeds)
	require.Equal(t, 10, pl.Sweep.DeepOBS.Reruns)
	require.Len(t, pl.Sweep.DeepOBS.LRs, 36)
	require.InEpsilon(t, 1e-5, pl.Sweep.DeepOBS.LRs[0], 1e-12)
	require.InEpsilon(t, 1.5848931924611134e-2, pl.Sweep.DeepOBS.LRs[16], 1e-12, "10^-1.8, DeepOBS's SGD baseline lr")
	require.InEpsilon(t, 100, pl.Sweep.DeepOBS.LRs[35], 1e-12)
	require.Equal(t, AlgoPerfConfig{Trials: 5, Studies: 3}, pl.Sweep.AlgoPerf)
	require.Equal(t, "adam{beta1=0.95}", pl.Contenders[0].Label)
	require.Equal(t, 0.95, pl.Contenders[0].Base["beta1"])
	require.Equal(t, []Range{sAdamLR}, pl.Contenders[0].Space, "beta1 is fixed: not searched")
	require.Equal(t, []Range{sAdamLR, sBeta1}, pl.Contenders[1].Space)
	for _, c := range []struct {
		sw   Sweep
		want string
	}{
		{Sweep{Optimizers: []Contender{{Optimizer: "adam"}}}, "no problems"},
		{Sweep{Problems: []ProblemRef{{Name: "rosenbrock"}}}, "no optimizers"},
		{Sweep{Problems: []ProblemRef{{Name: "rosenbrok"}}, Optimizers: []Contender{{Optimizer: "adam"}}}, `unknown problem "rosenbrok"`},
		{Sweep{Problems: []ProblemRef{{Name: "rosenbrock"}}, Optimizers: []Contender{{Optimizer: "adam"}, {Optimizer: "adam"}}}, `two contenders are labelled "adam"`},
		{Sweep{Problems: []ProblemRef{{Name: "rosenbrock"}}, Optimizers: []Contender{{Optimizer: "adam"}}, Protocols: []string{"fast"}}, `unknown protocol "fast"`},
		{Sweep{Problems: []ProblemRef{{Name: "rosenbrock"}}, Optimizers: []Contender{{Optimizer: "adam", Space: []Range{{Param: "lr", Scale: Log}}}}}, "want 0 < min <= max"},
		{Sweep{Problems: []ProblemRef{{Name: "rosenbrock"}}, Optimizers: []Contender{{Optimizer: "adam"}}, DeepOBS: DeepOBSConfig{Problems: []string{"beale"}}}, `lists problem "beale"`},
		{Sweep{Problems: []ProblemRef{{Name: "rosenbrock", Budget: Budget{Epochs: 1, Steps: 1}}}, Optimizers: []Contender{{Optimizer: "adam"}}}, "exactly one of"},
	} {
		_, err := c.sw.Resolve(reg)
		require.ErrorContains(t, err, c.want)
	}
	path := filepath.Join(t.TempDir(), "s.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"problems": ["rosenbrock"], "optimizers": ["adam"], "seedz": 3}`), 0o644))
	_, err = ReadSweep(path)
	require.ErrorContains(t, err, `unknown field "seedz"`)
	require.NoError(t, os.WriteFile(path, []byte(`{"problems": ["rosenbrock", {"name": "mnist_logreg", "budget": {"epochs": 2}}],
		"optimizers": ["adam", {"optimizer": "lion", "set": {"lr": 3e-4}}]}`), 0o644))
	sw, err := ReadSweep(path)
	require.NoError(t, err)
	require.Equal(t, []ProblemRef{{Name: "rosenbrock"}, {Name: "mnist_logreg", Budget: Budget{Epochs: 2}}}, sw.Problems)
	require.Equal(t, []Contender{{Optimizer: "adam"}, {Optimizer: "lion", Set: Setting{"lr": 3e-4}}}, sw.Optimizers)
}
