package optbench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// CodeVersion is part of every trial's key: results recorded by code that
// computes trials differently must not be reused. Bump it with any change
// to a problem, the trial loop or an optimizer's numerics.
const CodeVersion = "optbench/1"

// Trial is one training run: the full configuration that determines its
// outcome. Its Key is a hash of all of it.
type Trial struct {
	Problem   string  `json:"problem"`
	Budget    Budget  `json:"budget"`
	Optimizer string  `json:"optimizer"`
	Hyper     Setting `json:"hyper"` // resolved: every hyperparameter
	Seed      uint64  `json:"seed"`
	// StopAtTarget ends the trial at the first evaluation that reaches the
	// problem's target (the AlgoPerf protocol's time-to-target runs).
	StopAtTarget bool   `json:"stop_at_target,omitempty"`
	Version      string `json:"version"`
}

// Key is the hex SHA-256 (first 128 bits) of the trial's canonical form
// (every field, hyperparameters sorted by name, values in Go's shortest
// round-trip form): a different problem, budget, optimizer,
// hyperparameter value, seed, stopping rule or code version gives another
// key.
func (t Trial) Key() string {
	var b []byte
	str := func(s string) { b = strconv.AppendQuote(b, s); b = append(b, ';') }
	num := func(f float64) { b = strconv.AppendFloat(b, f, 'g', -1, 64); b = append(b, ';') }
	str(t.Version)
	str(t.Problem)
	num(float64(t.Budget.Epochs))
	num(float64(t.Budget.Steps))
	str(t.Optimizer)
	keys := make([]string, 0, len(t.Hyper))
	for k := range t.Hyper {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		str(k)
		num(t.Hyper[k])
	}
	b = strconv.AppendUint(b, t.Seed, 10)
	b = strconv.AppendBool(b, t.StopAtTarget)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// String is a short human-readable form.
func (t Trial) String() string {
	return fmt.Sprintf("%s/%s{%s}/seed%d", t.Problem, t.Optimizer, t.Hyper, t.Seed)
}

// Num is a float64 that survives JSON: NaN and ±Inf are written as the
// strings "NaN", "+Inf" and "-Inf"; finite values in Go's shortest
// round-trip form, so a value read back is bit-identical.
type Num float64

// MarshalJSON writes n.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (n *Num) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "NaN":
			*n = Num(math.NaN())
		case "+Inf":
			*n = Num(math.Inf(1))
		case "-Inf":
			*n = Num(math.Inf(-1))
		default:
			return fmt.Errorf("optbench: not a number: %q", s)
		}
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = Num(f)
	return nil
}

// Point is one evaluation of a trial. Accuracies are NaN for problems
// without one. TrainLoss is the mean minibatch loss since the previous
// evaluation (NaN at step 0).
type Point struct {
	Step      int `json:"step"` // gradient evaluations so far
	TrainLoss Num `json:"train_loss"`
	ValidLoss Num `json:"valid_loss"`
	ValidAcc  Num `json:"valid_acc"`
	TestLoss  Num `json:"test_loss"`
	TestAcc   Num `json:"test_acc"`
}

// Valid returns the validation value of metric m.
func (p Point) Valid(m Metric) float64 {
	if m == MetricAccuracy {
		return float64(p.ValidAcc)
	}
	return float64(p.ValidLoss)
}

// Test returns the test value of metric m.
func (p Point) Test(m Metric) float64 {
	if m == MetricAccuracy {
		return float64(p.TestAcc)
	}
	return float64(p.TestLoss)
}

// Outcome is what a trial computed: deterministic, bit-identical for the
// same Trial on any machine with the same Go and the same code version.
type Outcome struct {
	// Steps is the number of gradient evaluations run.
	Steps int `json:"steps"`
	// StepsPerEpoch is the number of training batches of one epoch.
	StepsPerEpoch int `json:"steps_per_epoch"`
	// Diverged marks a trial stopped by a non-finite loss or gradient at
	// step DivergedAt; its later evaluations are missing.
	Diverged   bool `json:"diverged,omitempty"`
	DivergedAt int  `json:"diverged_at,omitempty"`
	// Curve holds the evaluations, the first before any step.
	Curve []Point `json:"curve"`
	// StepsToTarget is the step of the first evaluation whose validation
	// metric reached the problem's target; -1 if none did.
	StepsToTarget int `json:"steps_to_target"`
}

// Final returns the last evaluation.
func (o Outcome) Final() Point {
	if len(o.Curve) == 0 {
		nan := Num(math.NaN())
		return Point{TrainLoss: nan, ValidLoss: nan, ValidAcc: nan, TestLoss: nan, TestAcc: nan}
	}
	return o.Curve[len(o.Curve)-1]
}

// FinalValid is the final validation metric, Worst for a diverged trial.
func (o Outcome) FinalValid(m Metric) float64 {
	if o.Diverged {
		return m.Worst()
	}
	return o.Final().Valid(m)
}

// FinalTest is the final test metric, Worst for a diverged trial.
func (o Outcome) FinalTest(m Metric) float64 {
	if o.Diverged {
		return m.Worst()
	}
	return o.Final().Test(m)
}

// Timing is what a trial measured: machine-dependent, never part of a
// comparison of results. CPU times are of the trial's own thread (Linux:
// CLOCK_THREAD_CPUTIME_ID), training only (evaluations excluded, as
// AlgoPerf excludes them); on a shared machine wall time is mostly noise.
type Timing struct {
	CPUSeconds  float64 `json:"cpu_seconds"`
	WallSeconds float64 `json:"wall_seconds"`
	// SGDStepSeconds is the CPU time of one SGD step (forward, backward,
	// update) on the same problem and batch size, measured in the same
	// trial just before it.
	SGDStepSeconds float64 `json:"sgd_step_seconds"`
	// CPUToTarget is the training CPU time at the first evaluation that
	// reached the target (0 if none).
	CPUToTarget float64 `json:"cpu_to_target,omitempty"`
	Host        string  `json:"host,omitempty"`
}

// SGDSteps returns the CPU time in SGD-step equivalents (CPU seconds over
// SGDStepSeconds).
func (t Timing) SGDSteps() float64 { return t.CPUSeconds / t.SGDStepSeconds }

// Record is a finished trial, as the store keeps it.
type Record struct {
	Key     string  `json:"key"`
	Trial   Trial   `json:"trial"`
	Outcome Outcome `json:"outcome"`
	Timing  Timing  `json:"timing"`
}
