package train

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// accumulator sums the gradients of micro-batches, weighted by their sizes.
type accumulator struct {
	sums  []*graph.Tensor // per parameter, nil until it has a gradient
	rows  int
	count int
}

func newAccumulator(params []*graph.Param) accumulator {
	return accumulator{sums: make([]*graph.Tensor, len(params))}
}

// add adds rows·grad of every parameter with a gradient.
func (a *accumulator) add(params []*graph.Param, rows int) {
	for i, p := range params {
		g := p.Grad()
		if g == nil {
			continue
		}
		if a.sums[i] == nil {
			a.sums[i] = g.Clone()
			a.sums[i].Zero()
		}
		axpy(a.sums[i], g, float64(rows))
	}
	a.rows += rows
	a.count++
}

// mean sets each parameter's gradient to its accumulated mean over the
// rows seen and starts a new sum.
func (a *accumulator) mean(params []*graph.Param) {
	for i, p := range params {
		s := a.sums[i]
		if s == nil {
			continue
		}
		scaleTo(s, 1/float64(a.rows))
		if g := p.Grad(); g != nil {
			_ = g.CopyFrom(s) // same shape and dtype: the parameter's
		} else {
			p.SetGrad(s.Clone())
		}
		s.Zero()
	}
	a.rows, a.count = 0, 0
}

// axpy adds c·x to y (same dtype and size).
func axpy(y, x *graph.Tensor, c float64) {
	if y.DType() == graph.Float32 {
		ys, _ := y.Float32s()
		xs, _ := x.Float32s()
		k := float32(c)
		for i := range ys {
			ys[i] += k * xs[i]
		}
		return
	}
	ys, _ := y.Float64s()
	xs, _ := x.Float64s()
	for i := range ys {
		ys[i] += c * xs[i]
	}
}

func scaleTo(t *graph.Tensor, c float64) {
	for i := 0; i < t.Len(); i++ {
		t.Set(i, t.At(i)*c)
	}
}

// ema keeps an exponential moving average of parameters.
type ema struct {
	decay  float64
	params []*graph.Param
	avg    []*graph.Tensor
	steps  int
}

func newEMA(params []*graph.Param, decay float64) *ema {
	e := &ema{decay: decay, params: params}
	for _, p := range params {
		e.avg = append(e.avg, p.Value().Clone())
	}
	return e
}

// update folds the current parameters into the average.
func (e *ema) update(params []*graph.Param) {
	for i, p := range params {
		a := e.avg[i]
		if a.DType() == graph.Float32 {
			as, _ := a.Float32s()
			ps, _ := p.Value().Float32s()
			d, od := float32(e.decay), float32(1-e.decay)
			for j := range as {
				as[j] = d*as[j] + od*ps[j]
			}
			continue
		}
		as, _ := a.Float64s()
		ps, _ := p.Value().Float64s()
		for j := range as {
			as[j] = e.decay*as[j] + (1-e.decay)*ps[j]
		}
	}
	e.steps++
}

// swap exchanges the parameters and their averages (call it twice to undo).
func (e *ema) swap() {
	for i, p := range e.params {
		v := p.Value()
		tmp := v.Clone()
		_ = v.CopyFrom(e.avg[i])
		_ = e.avg[i].CopyFrom(tmp)
	}
}

// state returns the averages by parameter name, for checkpoints.
func (e *ema) state() map[string]*graph.Tensor {
	m := map[string]*graph.Tensor{}
	for i, p := range e.params {
		m[p.Name()] = e.avg[i].Clone()
	}
	return m
}

// check validates saved averages against the parameters without changing anything.
func (e *ema) check(saved map[string]*graph.Tensor) error {
	for _, p := range e.params {
		v, ok := saved[p.Name()]
		if !ok {
			return fmt.Errorf("no average for %q", p.Name())
		}
		if v.DType() != p.DType() || !v.Shape().Equal(p.Shape()) {
			return fmt.Errorf("average of %q is %v%v (want %v%v)", p.Name(), v.DType(), v.Shape(), p.DType(), p.Shape())
		}
	}
	return nil
}

// load restores averages checked by check.
func (e *ema) load(saved map[string]*graph.Tensor) {
	for i, p := range e.params {
		_ = e.avg[i].CopyFrom(saved[p.Name()])
	}
}

// lease is a Trainer's claim on its graph.
type lease struct {
	g        *graph.Graph
	release_ func()
	reserved int64
	done     bool
}

func acquire(g *graph.Graph) (*lease, error) {
	rel, err := g.Claim("a Trainer")
	if err != nil {
		return nil, fmt.Errorf("train: New: %w", err)
	}
	return &lease{g: g, release_: rel}, nil
}

func (l *lease) release() {
	if l.done {
		return
	}
	l.done = true
	l.g.Release(l.reserved)
	l.release_()
}
