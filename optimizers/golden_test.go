package optimizers_test

import (
	"encoding/json"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/golden"
	"github.com/descent-ml/descent/optimizers"
)

// The golden vectors are PyTorch 1.13 recordings (see
// shared/golden/README.md, section A): each optim_*.json case replays
// recorded gradients through one optimizer and compares the parameters
// (and, in scheduler cases, the lr) after every step with
// |a-e| <= tol + tol*|e|, tol = 1e-9 (float64) or 1e-4 (float32).

type goldenCase struct {
	Kind      string                  `json:"kind"`
	Optimizer string                  `json:"optimizer"`
	Hyper     golden.Hyper            `json:"hyper"`
	DType     string                  `json:"dtype"`
	Scheduler *golden.Scheduler       `json:"scheduler"`
	Params    map[string]golden.Array `json:"params"`
	Steps     []struct {
		LR          *float64             `json:"lr"`
		Grads       map[string][]float64 `json:"grads"`
		ParamsAfter map[string][]float64 `json:"params_after"`
	} `json:"steps"`
}

func near(a, e, tol float64) bool { return golden.Close(a, e, tol) }

func TestGolden(t *testing.T) {
	r := golden.Open(t, "optim_")
	for _, f := range r.Files {
		r.Run(t, f, func(t *testing.T, f string) { replayGolden(t, f, false) })
	}
}

// TestGoldenInFloat32 replays the float64 cases in float32, with the
// float32 tolerance (1e-4): the float32 kernels of every optimizer and
// option, against PyTorch, even where no float32 case was recorded. The
// margin was checked on the repository's cases only (a float64 recording is
// not a float32 one), so it skips when $DESCENT_GOLDEN_DIR points elsewhere.
func TestGoldenInFloat32(t *testing.T) {
	if os.Getenv(golden.EnvDir) != "" {
		t.Skip("DESCENT_GOLDEN_DIR is set: float32 replays of float64 recordings run on the repository's cases only")
	}
	if os.Getenv(golden.EnvSkip) == "1" {
		t.Skip("DESCENT_SKIP_GOLDEN=1")
	}
	dir, err := golden.Dir()
	require.NoError(t, err)
	files, err := golden.Files(dir, "optim_")
	require.NoError(t, err, "the golden folder (set DESCENT_GOLDEN_DIR, or DESCENT_SKIP_GOLDEN=1)")
	require.NotEmpty(t, files, "no optim_*.json in %s", dir)
	for _, f := range files {
		t.Run(golden.Name(f), func(t *testing.T) { replayGolden(t, f, true) })
	}
}

func replayGolden(t *testing.T, file string, asFloat32 bool) {
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var c goldenCase
	require.NoError(t, json.Unmarshal(raw, &c))
	// A case that replays nothing must not count as replayed.
	require.Equal(t, "optimizer", c.Kind)
	require.NotEmpty(t, c.Params, "a case without params")
	require.NotEmpty(t, c.Steps, "a case without steps")
	for k, st := range c.Steps {
		for n := range c.Params {
			require.Contains(t, st.Grads, n, "step %d: no grad for %q", k, n)
			require.Contains(t, st.ParamsAfter, n, "step %d: no params_after for %q", k, n)
		}
	}
	dt, err := graph.ParseDType(c.DType)
	require.NoError(t, err)
	if asFloat32 {
		if dt == graph.Float32 {
			t.Skip("already float32")
		}
		dt = graph.Float32
	}
	tol := 1e-9
	if dt == graph.Float32 {
		tol = 1e-4
	}
	names := make([]string, 0, len(c.Params))
	for n := range c.Params {
		names = append(names, n)
	}
	sort.Strings(names)
	params := make([]*graph.Param, len(names))
	for i, n := range names {
		v, err := graph.FromFloat64s(dt, c.Params[n].Data, c.Params[n].Shape...)
		require.NoError(t, err, n)
		params[i] = graph.NewParam(n, v)
	}
	opt, err := golden.Optimizer(c.Optimizer, c.Hyper)
	require.NoError(t, err)
	var sched *optimizers.Scheduler
	if c.Scheduler != nil {
		s, err := golden.Schedule(c.Scheduler)
		require.NoError(t, err)
		sched, err = optimizers.NewScheduler(opt.(optimizers.LRGroups), s)
		require.NoError(t, err)
	}
	for k, st := range c.Steps {
		if st.LR != nil { // the lr this step used (constant without a scheduler)
			got := opt.(optimizers.LRGroups).LR(0)
			require.True(t, near(got, *st.LR, tol), "step %d: lr = %.17g (want %.17g)", k, got, *st.LR)
		}
		for i, n := range names {
			g, ok := st.Grads[n]
			require.True(t, ok, "step %d: no grad for %q", k, n)
			gt, err := graph.FromFloat64s(dt, g, c.Params[n].Shape...)
			require.NoError(t, err)
			params[i].SetGrad(gt)
		}
		require.NoError(t, opt.Step(params), "step %d", k)
		for i, n := range names {
			want, got := st.ParamsAfter[n], params[i].Value().Values()
			require.Len(t, got, len(want), "step %d %s", k, n)
			for j := range want {
				require.True(t, near(got[j], want[j], tol), "step %d: %s[%d] = %.17g (want %.17g, diff %.3g)", k, n, j, got[j], want[j], got[j]-want[j])
			}
		}
		if sched != nil {
			require.NoError(t, sched.Step(0))
		}
	}
}
