package optimizers_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// scheduleSeed is one FuzzSchedule input.
type scheduleSeed struct {
	spec  string
	lr    float64
	steps uint8
	seed  uint64
}

// scheduleSeeds are FuzzSchedule's seeds (also in testdata/fuzz/FuzzSchedule).
func scheduleSeeds() []scheduleSeed {
	return []scheduleSeed{
		{"", 0.1, 5, 1},
		{"constant", 0.1, 3, 1},
		{"step:3", 0.1, 10, 1},
		{"step:2:0.5", 1, 10, 1},
		{"multistep:2,5,5:0.3", 0.05, 12, 2},
		{"exp:0.9", 0.1, 20, 1},
		{"exp:1.5", 1e300, 4, 1},
		{"cosine:10", 0.1, 25, 1},
		{"cosine:10:0.001", 0.1, 25, 1},
		{"warmup:5", 0.1, 8, 1},
		{"warmup:5,cosine:50", 0.1, 60, 1},
		{"warmup:3+step:2:0.5", 0.1, 10, 1},
		{"warmup:2,multistep:1,3", 0.1, 8, 1},
		{"plateau", 0.1, 30, 3},
		{"plateau:0.5:2", 0.1, 30, 4},
		{"plateau:0:0", 1, 10, 5},
		{" Step : 4 : 0.25 ", 0.1, 9, 1},
		{"warmup:0", 0.1, 1, 1},
		{"plateau+cosine:3", 0.1, 1, 1},
		{"warmup:2,plateau", 0.1, 1, 1},
		{"cosine:-1", 0.1, 1, 1},
		{"multistep:0,2", 0.1, 1, 1},
		{"exp:NaN", 0.1, 1, 1},
		{"linear:10", 0.1, 1, 1},
	}
}

// FuzzSchedule parses fuzzed --schedule specs. Errors wrap ErrSchedule or
// ErrHyper. A parsed spec sets exactly one of Schedule and Plateau, its
// String re-parses to the same spec (and to the same string), and bound
// to an SGD optimizer with two parameter groups and stepped with it, it
// only ever sets finite learning rates >= 0: a closed-form schedule's
// lr after k steps is Schedule.LR(base, k); a plateau never raises one.
//
//	go test -run '^$' -fuzz '^FuzzSchedule$' -fuzztime 20s ./optimizers
func FuzzSchedule(f *testing.F) {
	for _, s := range scheduleSeeds() {
		f.Add(s.spec, s.lr, s.steps, s.seed)
	}
	f.Fuzz(func(t *testing.T, spec string, lr float64, steps uint8, seed uint64) {
		sp, err := optimizers.ParseSchedule(spec)
		if err != nil {
			if !errors.Is(err, optimizers.ErrSchedule) && !errors.Is(err, optimizers.ErrHyper) {
				t.Fatalf("ParseSchedule(%q): error wraps neither ErrSchedule nor ErrHyper: %v", spec, err)
			}
			return
		}
		if (sp.Schedule == nil) == (sp.Plateau == nil) {
			t.Fatalf("ParseSchedule(%q) = %+v (want exactly one of Schedule and Plateau)", spec, sp)
		}
		str := sp.String()
		again, err := optimizers.ParseSchedule(str)
		if err != nil {
			t.Fatalf("ParseSchedule(%q) = %+v, whose String %q does not parse: %v", spec, sp, str, err)
		}
		if !reflect.DeepEqual(again, sp) || again.String() != str {
			t.Fatalf("ParseSchedule(%q) = %+v, String %q, which parses to %+v, String %q", spec, sp, str, again, again.String())
		}

		if lr = math.Abs(lr); lr > math.MaxFloat64 || lr != lr {
			lr = 0.1
		}
		opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: orZero(lr), Momentum: 0.9},
			optimizers.Group[optimizers.SGDConfig]{Match: optimizers.OneDim, Config: optimizers.SGDConfig{LR: orZero(lr / 2)}})
		if err != nil {
			t.Fatalf("NewSGD(lr %v): %v", lr, err)
		}
		base := []float64{opt.LR(0), opt.LR(1)}
		params := sgdParams(t)
		sched, err := sp.Bind(opt)
		if err != nil {
			if !errors.Is(err, optimizers.ErrSchedule) && !errors.Is(err, optimizers.ErrHyper) {
				t.Fatalf("Bind: error wraps neither ErrSchedule nor ErrHyper: %v", err)
			}
			checkLRs(t, opt, nil)
			return
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		metric := 1.0
		for k := 0; k < int(steps%64); k++ {
			if sp.Schedule != nil {
				for g, b := range base {
					if want := sp.Schedule.LR(b, k); opt.LR(g) != want {
						t.Fatalf("%s, base lr %v: step %d: group %d has lr %v (want Schedule.LR = %v)", str, b, k, g, opt.LR(g), want)
					}
				}
			}
			if err := opt.Step(params); err != nil {
				t.Fatalf("step %d: %v", k, err)
			}
			before := []float64{opt.LR(0), opt.LR(1)}
			if rng.IntN(3) == 0 {
				metric *= 0.5 // an improvement, now and then
			}
			if err := sched.Step(metric); err != nil {
				if !errors.Is(err, optimizers.ErrSchedule) && !errors.Is(err, optimizers.ErrHyper) {
					t.Fatalf("schedule step %d: error wraps neither ErrSchedule nor ErrHyper: %v", k, err)
				}
				checkLRs(t, opt, before) // a failed step changes nothing
				return
			}
			if sp.Plateau != nil {
				checkLRs(t, opt, nil)
				for g := range before {
					if opt.LR(g) > before[g] {
						t.Fatalf("%s: step %d: plateau raised group %d's lr from %v to %v", str, k, g, before[g], opt.LR(g))
					}
				}
			}
		}
		checkLRs(t, opt, nil)
	})
}

// orZero maps 0 to optimizers.Zero(), an explicit zero lr.
func orZero(v float64) float64 {
	if v == 0 {
		return optimizers.Zero()
	}
	return v
}

// checkLRs checks every group's lr is finite and >= 0 and, given want,
// equal to it.
func checkLRs(t *testing.T, opt *optimizers.SGD, want []float64) {
	t.Helper()
	for g := range opt.NumGroups() {
		lr := opt.LR(g)
		if !(lr >= 0) || math.IsInf(lr, 0) {
			t.Fatalf("group %d: lr %v (want finite, >= 0)", g, lr)
		}
		if want != nil && lr != want[g] {
			t.Fatalf("group %d: lr %v after a failed schedule step (want %v, unchanged)", g, lr, want[g])
		}
	}
}

// sgdParams returns a weight (group 0) and a bias (group 1, OneDim), with
// gradients.
func sgdParams(t *testing.T) []*graph.Param {
	t.Helper()
	g, err := graph.New(graph.Config{DType: graph.Float64})
	if err != nil {
		t.Fatal(err)
	}
	g.Param("w", []int{2, 2}, graph.Constant(1))
	g.Param("b", []int{2}, graph.Constant(-1))
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	for _, p := range g.Params() {
		gr := p.Value().Clone()
		gr.Fill(0.25)
		p.SetGrad(gr)
	}
	return g.Params()
}
