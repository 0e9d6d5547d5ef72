package optbench

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReferenceJudges: the checks pass on results like the published ones
// and fail otherwise (run with --check-references for the real trials).
func TestReferenceJudges(t *testing.T) {
	lo, hi := band([]float64{87.2349, 87.52})
	s := math.Abs(87.52-87.2349) / math.Sqrt2 // the sample std of two values
	require.InDelta(t, 87.2349-3*s, lo, 1e-12)
	require.InDelta(t, 87.52+3*s, hi, 1e-12)

	checks, err := referenceChecks(testRegistry(t), CodeVersion)
	require.NoError(t, err)
	byName := map[string]refCheck{}
	for _, c := range checks {
		byName[c.name] = c
	}
	finals := func(losses ...float64) []*Record {
		var out []*Record
		for _, l := range losses {
			r := &Record{Outcome: Outcome{StepsToTarget: -1, Curve: []Point{{TestLoss: Num(353.44676)}, {TestLoss: Num(l)}}}}
			out = append(out, r)
		}
		return out
	}
	sgd := byName["deepobs/quadratic_deep/sgd"]
	require.Len(t, sgd.trials, 10)
	require.InEpsilon(t, 0.015848931924611134, sgd.trials[0].Hyper["lr"], 1e-12)
	pass, _ := sgd.judge(finals(87.4, 87.5, 87.3))
	require.True(t, pass)
	pass, line := sgd.judge(finals(89, 89.2))
	require.False(t, pass, line)
	diverged := finals(87.4)
	diverged[0].Outcome.Diverged = true
	pass, _ = sgd.judge(diverged)
	require.False(t, pass)
	pass, _ = byName["deepobs/quadratic_deep/initial"].judge(finals(87))
	require.True(t, pass)

	ap := byName["algoperf/mnist/adamw"]
	require.Len(t, ap.trials, 3)
	require.True(t, ap.trials[0].StopAtTarget)
	recs := finals(0, 0, 0)
	for i, r := range recs {
		r.Outcome.StepsToTarget = 1000 * (i + 1)
	}
	pass, _ = ap.judge(recs)
	require.True(t, pass)
	recs[2].Outcome.StepsToTarget = -1
	pass, _ = ap.judge(recs)
	require.False(t, pass)
}
