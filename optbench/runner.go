package optbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"sync"
	"time"
)

// Runner runs trials on Workers goroutines. Every trial is independent
// and deterministic (its own graph, seeded initialisation and data order,
// single-threaded arithmetic), so the results do not depend on Workers or
// on the order trials finish in.
type Runner struct {
	Registry *Registry
	Env      Env
	// Store keeps each finished trial (nil: results stay in memory).
	Store *Store
	// Workers is the number of trials run at once (<= 0: 1).
	Workers int
	// Log receives a line per finished trial (nil: nothing).
	Log io.Writer

	mu     sync.Mutex
	splits map[string]*splitsOnce
	host   string
}

type splitsOnce struct {
	once sync.Once
	s    *Splits
	err  error
}

// load returns the problem's splits, loading them once.
func (r *Runner) load(p Problem) (*Splits, error) {
	r.mu.Lock()
	if r.splits == nil {
		r.splits = map[string]*splitsOnce{}
		if r.Env.cache == nil {
			r.Env.cache = &mnistCache{}
		}
		r.host, _ = os.Hostname()
	}
	so := r.splits[p.Name]
	if so == nil {
		so = &splitsOnce{}
		r.splits[p.Name] = so
	}
	env := r.Env
	r.mu.Unlock()
	so.once.Do(func() {
		so.s, so.err = p.Load(env)
		if so.err == nil && (so.s == nil || so.s.Train == nil || so.s.Valid == nil || so.s.Test == nil) {
			so.err = errors.New("Load returned a nil split")
		}
		if so.err != nil {
			so.err = fmt.Errorf("problem %s: %w", p.Name, so.err)
		}
	})
	return so.s, so.err
}

// RunTrial runs one trial (no store involved).
func (r *Runner) RunTrial(ctx context.Context, t Trial) (*Record, error) {
	p, err := r.Registry.Problem(t.Problem)
	if err != nil {
		return nil, err
	}
	p.Budget = t.Budget
	o, err := r.Registry.Optimizer(t.Optimizer)
	if err != nil {
		return nil, err
	}
	splits, err := r.load(p)
	if err != nil {
		return nil, err
	}
	out, tm, err := runTrial(ctx, p, splits, o, t)
	if err != nil {
		return nil, fmt.Errorf("trial %s: %w", t, err)
	}
	tm.Host = r.host
	return &Record{Key: t.Key(), Trial: t, Outcome: out, Timing: tm}, nil
}

// Run runs the trials of ts that done lacks (each once), adding them to
// done and to the store. On a cancelled ctx it stops starting trials,
// abandons the running ones and returns ctx's error: everything finished
// before is kept. The first trial error (not a divergence, which is a
// result) stops the run.
func (r *Runner) Run(ctx context.Context, ts []Trial, done Results) error {
	todo := Missing(ts, done)
	uniq := todo[:0:0]
	seen := map[string]bool{}
	for _, t := range todo {
		if k := t.Key(); !seen[k] {
			seen[k] = true
			uniq = append(uniq, t)
		}
	}
	if len(uniq) == 0 {
		return nil
	}
	// Longest first, so no long trial starts last and leaves the other
	// workers idle (the order changes no result).
	cost := map[string]float64{}
	for _, t := range uniq {
		c, err := r.cost(t)
		if err != nil {
			return err
		}
		cost[t.Key()] = c
	}
	sort.SliceStable(uniq, func(i, j int) bool { return cost[uniq[i].Key()] > cost[uniq[j].Key()] })
	workers := max(1, min(r.Workers, len(uniq)))
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan Trial)
	var (
		mu       sync.Mutex
		firstErr error
		finished int
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				rec, err := r.RunTrial(ctx, t)
				if err != nil {
					fail(err)
					continue
				}
				if r.Store != nil {
					if err := r.Store.Put(rec); err != nil {
						fail(err)
						continue
					}
				}
				mu.Lock()
				done[rec.Key] = rec
				finished++
				n := finished
				mu.Unlock()
				if r.Log != nil {
					fmt.Fprintf(r.Log, "[%d/%d %s] %s\n", n, len(uniq), time.Since(start).Round(time.Second), summary(rec, r.Registry))
				}
			}
		}()
	}
feed:
	for _, t := range uniq {
		select {
		case jobs <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return parent.Err()
}

// cost estimates a trial's work: steps x batch size x input features.
func (r *Runner) cost(t Trial) (float64, error) {
	p, err := r.Registry.Problem(t.Problem)
	if err != nil {
		return 0, err
	}
	s, err := r.load(p)
	if err != nil {
		return 0, err
	}
	n := s.Train.Len()
	perEpoch := n / min(p.BatchSize, n)
	if !p.DropLast {
		perEpoch = (n + p.BatchSize - 1) / p.BatchSize
	}
	return float64(t.Budget.steps(max(perEpoch, 1))) * float64(min(p.BatchSize, n)) * float64(s.Train.Features()), nil
}

// RunPlan runs every stage of the plan in turn (a stage's trials depend
// on the earlier stages' results), skipping the trials in done and adding
// the others to it.
func (r *Runner) RunPlan(ctx context.Context, pl *Plan, done Results) error {
	for k := 0; k < pl.Stages(); k++ {
		ts, err := pl.StageTrials(k, done)
		if err != nil {
			return err
		}
		if r.Log != nil {
			fmt.Fprintf(r.Log, "stage %d of %d: %d trials, %d to run\n", k+1, pl.Stages(), len(ts), len(Missing(ts, done)))
		}
		if err := r.Run(ctx, ts, done); err != nil {
			return err
		}
	}
	return nil
}

// summary is a progress line for a finished trial.
func summary(rec *Record, reg *Registry) string {
	t, o := rec.Trial, rec.Outcome
	p, err := reg.Problem(t.Problem)
	res := "diverged at step " + fmt.Sprint(o.DivergedAt)
	if err == nil && !o.Diverged {
		v := o.Final().Test(p.Metric)
		if p.Metric == MetricAccuracy {
			res = fmt.Sprintf("test accuracy %.2f%%", 100*v)
		} else {
			res = fmt.Sprintf("test loss %.5g", v)
		}
	}
	if o.StepsToTarget >= 0 {
		res += fmt.Sprintf(", target at step %d", o.StepsToTarget)
	}
	cost := rec.Timing.SGDSteps()
	if math.IsNaN(cost) || math.IsInf(cost, 0) {
		cost = 0
	}
	return fmt.Sprintf("%s %s lr=%g seed %d: %s (%d steps, %.1f s CPU = %.0f SGD steps)", t.Problem, t.Optimizer, t.Hyper["lr"], t.Seed, res,
		o.Steps, rec.Timing.CPUSeconds, cost)
}
