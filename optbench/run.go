package optbench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// evalBatch is the batch size of evaluations (any value gives the same
// means up to float32 rounding of each batch's loss; fixed, so results are
// bit-identical).
const evalBatch = 1000

// session is a problem's model compiled for one trial.
type session struct {
	p      Problem
	g      *graph.Graph
	x, y   *graph.Node
	net    Net
	acc    *graph.Node // nil without logits
	prog   *graph.Program
	params []*graph.Param
}

func newSession(p Problem, train *data.Dataset, seed uint64) (*session, error) {
	g, err := graph.New(graph.Config{DType: p.DType, Seed: seed})
	if err != nil {
		return nil, err
	}
	if train.X.DType() != g.DType() {
		return nil, fmt.Errorf("problem %s: train X is %v (want %v, the problem's dtype)", p.Name, train.X.DType(), g.DType())
	}
	s := &session{p: p, g: g}
	s.x = g.Input("x", append([]int{graph.Batch}, train.X.Shape()[1:]...)...)
	if train.Classes > 0 {
		s.y = g.Labels("y")
	} else {
		s.y = g.Input("y", graph.Batch, train.Targets())
	}
	if s.net, err = p.Build(g, s.x, s.y); err != nil {
		return nil, fmt.Errorf("problem %s: Build: %w", p.Name, err)
	}
	if s.net.Loss == nil {
		return nil, fmt.Errorf("problem %s: Build returned no loss", p.Name)
	}
	var outs []*graph.Node
	if s.net.Logits != nil {
		if train.Classes == 0 {
			return nil, fmt.Errorf("problem %s: logits without class labels", p.Name)
		}
		s.acc = graph.Accuracy(s.net.Logits, s.y)
		outs = append(outs, s.acc)
	} else if p.Metric == MetricAccuracy {
		return nil, fmt.Errorf("problem %s: metric accuracy needs Net.Logits", p.Name)
	}
	if s.prog, err = g.Compile(s.net.Loss, outs...); err != nil {
		return nil, fmt.Errorf("problem %s: %w", p.Name, err)
	}
	s.params = g.Params()
	return s, nil
}

func (s *session) close() { _ = s.prog.Close() }

// rowsOf returns rows [from, to) of a dataset's X and Y as views.
func rowsOf(d *data.Dataset, from, to int) (x, y *graph.Tensor, err error) {
	view := func(t *graph.Tensor) (*graph.Tensor, error) {
		shape := append([]int{to - from}, t.Shape()[1:]...)
		w := t.Len() / t.Shape()[0]
		switch t.DType() {
		case graph.Float32:
			v, _ := t.Float32s()
			return graph.FromFloat32(v[from*w:to*w], shape...)
		case graph.Float64:
			v, _ := t.Float64s()
			return graph.FromFloat64(v[from*w:to*w], shape...)
		case graph.Int:
			v, _ := t.Ints()
			return graph.FromInts(v[from*w:to*w], shape...)
		}
		return nil, fmt.Errorf("dtype %v", t.DType())
	}
	if x, err = view(d.X); err != nil {
		return nil, nil, err
	}
	y, err = view(d.Y)
	return x, y, err
}

// evaluate returns the mean loss and accuracy (NaN without one) over the
// first n examples of d (all when n is 0 or more than d has).
func (s *session) evaluate(d *data.Dataset, n int) (loss, acc float64, err error) {
	if n <= 0 || n > d.Len() {
		n = d.Len()
	}
	var sumLoss, sumAcc float64
	for from := 0; from < n; from += evalBatch {
		to := min(from+evalBatch, n)
		x, y, err := rowsOf(d, from, to)
		if err != nil {
			return 0, 0, err
		}
		l, err := s.prog.Evaluate(graph.Feeds{s.x: x, s.y: y})
		if err != nil {
			return 0, 0, err
		}
		sumLoss += l * float64(to-from)
		if s.acc != nil {
			sumAcc += s.prog.Output(s.acc).At(0) * float64(to-from)
		}
	}
	loss, acc = sumLoss/float64(n), math.NaN()
	if s.acc != nil {
		acc = sumAcc / float64(n)
	}
	return loss, acc, nil
}

// sgdStepSeconds measures the CPU time of one SGD step of this
// model on the first batch of train, then restores every parameter,
// buffer and the graph's random stream, so the trial is unchanged by it.
func (s *session) sgdStepSeconds(train *data.Dataset) (float64, error) {
	state := s.g.State()
	saved := make([]*graph.Tensor, len(state))
	for i, p := range state {
		saved[i] = p.Value().Clone()
	}
	rs, err := s.g.RandState()
	if err != nil {
		return 0, err
	}
	defer func() {
		for i, p := range state {
			_ = p.Value().CopyFrom(saved[i])
		}
		_ = s.g.SetRandState(rs)
	}()
	x, y, err := rowsOf(train, 0, min(s.p.BatchSize, train.Len()))
	if err != nil {
		return 0, err
	}
	// lr 0: the same arithmetic as any lr (the kernel multiplies by -lr),
	// and nothing can diverge.
	sgd, err := optimizers.NewSGD(optimizers.SGDConfig{LR: optimizers.Zero()})
	if err != nil {
		return 0, err
	}
	feeds := graph.Feeds{s.x: x, s.y: y}
	step := func() error {
		if _, err := s.prog.TrainStep(feeds); err != nil {
			return err
		}
		return sgd.Step(s.params)
	}
	if err := step(); err != nil { // warm-up: compiles the program
		return 0, err
	}
	start, n := threadCPU(), 0
	for n < 3 || (threadCPU()-start < 0.01 && n < 1000) {
		if err := step(); err != nil {
			return 0, err
		}
		n++
	}
	return (threadCPU() - start) / float64(n), nil
}

// runTrial trains one trial to its budget (or its target, with
// StopAtTarget) and evaluates it along the way. It holds its goroutine on
// one OS thread to measure that thread's CPU time.
func runTrial(ctx context.Context, p Problem, splits *Splits, o Optimizer, t Trial) (Outcome, Timing, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	out := Outcome{StepsToTarget: -1}
	var tm Timing
	wallStart := time.Now()
	s, err := newSession(p, splits.Train, t.Seed)
	if err != nil {
		return out, tm, err
	}
	defer s.close()
	opt, err := o.Build(t.Hyper)
	if err != nil {
		return out, tm, fmt.Errorf("optimizer %s: %w", o.Name, err)
	}
	closureOpt, _ := opt.(optimizers.ClosureOptimizer)
	// The shuffle stream's seed is derived from the trial's, so it is not
	// the graph's initialisation stream (both are PCGs).
	b, err := data.NewBatcher(splits.Train, data.BatchConfig{Size: p.BatchSize, Shuffle: true, DropLast: p.DropLast, Seed: t.Seed*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019})
	if err != nil {
		return out, tm, err
	}
	out.StepsPerEpoch = b.BatchesPerEpoch()
	total := t.Budget.steps(out.StepsPerEpoch)
	every := p.EvalEvery
	if every == 0 {
		every = out.StepsPerEpoch
	}
	if tm.SGDStepSeconds, err = s.sgdStepSeconds(splits.Train); err != nil {
		return out, tm, fmt.Errorf("problem %s: SGD reference step: %w", p.Name, err)
	}

	var lossSum float64
	var lossN int
	testAt := func(pt *Point) error {
		tl, ta, err := s.evaluate(splits.Test, p.EvalExamples)
		pt.TestLoss, pt.TestAcc = Num(tl), Num(ta)
		return err
	}
	// A time-to-target trial (StopAtTarget) evaluates the test set only at
	// its end: its curve is what the validation target needs.
	evaluate := func() error {
		nan := Num(math.NaN())
		pt := Point{Step: out.Steps, TrainLoss: nan, TestLoss: nan, TestAcc: nan}
		if lossN > 0 {
			pt.TrainLoss = Num(lossSum / float64(lossN))
		}
		lossSum, lossN = 0, 0
		vl, va, err := s.evaluate(splits.Valid, p.EvalExamples)
		if err != nil {
			return err
		}
		pt.ValidLoss, pt.ValidAcc = Num(vl), Num(va)
		if !t.StopAtTarget {
			if err := testAt(&pt); err != nil {
				return err
			}
		}
		out.Curve = append(out.Curve, pt)
		if out.StepsToTarget < 0 && p.Metric.Reached(pt.Valid(p.Metric), p.Target) {
			out.StepsToTarget, tm.CPUToTarget = out.Steps, tm.CPUSeconds
		}
		return nil
	}
	if err := evaluate(); err != nil {
		return out, tm, err
	}
	next := every
	feeds := graph.Feeds{}
	for out.Steps < total && !(t.StopAtTarget && out.StepsToTarget >= 0) {
		if err := ctx.Err(); err != nil {
			return out, tm, err
		}
		if !b.Next() {
			continue // an epoch ended; the next call begins another
		}
		x, y := b.Batch()
		feeds[s.x], feeds[s.y] = x, y
		start := threadCPU()
		var loss float64
		if closureOpt != nil {
			evals := 0
			loss, err = closureOpt.StepClosure(s.params, func() (float64, error) {
				evals++
				return s.prog.TrainStep(feeds)
			})
			out.Steps += evals
		} else {
			loss, err = s.prog.TrainStep(feeds)
			out.Steps++
			if err == nil && !math.IsNaN(loss) && !math.IsInf(loss, 0) {
				err = opt.Step(s.params)
			}
		}
		tm.CPUSeconds += threadCPU() - start
		if err != nil && !errors.Is(err, optimizers.ErrNonFiniteGrad) {
			return out, tm, fmt.Errorf("step %d: %w", out.Steps, err)
		}
		if err != nil || math.IsNaN(loss) || math.IsInf(loss, 0) {
			out.Diverged, out.DivergedAt = true, out.Steps
			break
		}
		lossSum += loss
		lossN++
		if out.Steps >= next || out.Steps >= total {
			for next <= out.Steps {
				next += every
			}
			if err := evaluate(); err != nil {
				return out, tm, err
			}
		}
	}
	if last := len(out.Curve) - 1; t.StopAtTarget && !out.Diverged && out.Curve[last].Step == out.Steps {
		if err := testAt(&out.Curve[last]); err != nil {
			return out, tm, err
		}
	}
	tm.WallSeconds = time.Since(wallStart).Seconds()
	return out, tm, nil
}
