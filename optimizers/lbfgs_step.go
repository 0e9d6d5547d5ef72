package optimizers

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/graph"
)

// StepClosure runs one torch.optim.LBFGS step: up to MaxIter iterations,
// each evaluating closure once (fixed step) or as often as the line search
// needs. It returns the loss of the first evaluation. On error the
// parameters and the state are as they were before the call.
func (o *LBFGS) StepClosure(params []*graph.Param, closure Closure) (float64, error) {
	if closure == nil {
		return math.NaN(), fmt.Errorf("optimizers: LBFGS: StepClosure: %w (got nil)", ErrNeedsClosure)
	}
	f, err := o.bind(params)
	if err != nil {
		return math.NaN(), err
	}
	saved := *o
	saved.oldDirs, saved.oldStps, saved.ro = append([][]float64(nil), o.oldDirs...), append([][]float64(nil), o.oldStps...), append([]float64(nil), o.ro...)
	start := f.values()
	loss, err := o.step(f, closure)
	if err != nil {
		*o = saved
		f.set(start)
		return math.NaN(), err
	}
	return loss, nil
}

func (o *LBFGS) eval(f flat, closure Closure) (float64, []float64, error) {
	loss, err := closure()
	if err != nil {
		return 0, nil, fmt.Errorf("optimizers: LBFGS: closure: %w", err)
	}
	g, err := f.grad()
	return loss, g, err
}

func (o *LBFGS) step(f flat, closure Closure) (float64, error) {
	c := o.cfg
	origLoss, flatGrad, err := o.eval(f, closure)
	if err != nil {
		return 0, err
	}
	loss := origLoss
	currentEvals := 1
	o.funcEvals++
	if maxAbs(flatGrad) <= c.ToleranceGrad {
		return origLoss, nil // optimal already
	}
	d, t := o.d, o.t
	nIter := 0
	for nIter < c.MaxIter {
		nIter++
		o.nIter++
		// the descent direction
		if o.nIter == 1 {
			d = scaled(flatGrad, -1)
			o.oldDirs, o.oldStps, o.ro = nil, nil, nil
			o.hDiag = 1
		} else {
			y := make([]float64, len(flatGrad))
			for i := range y {
				y[i] = flatGrad[i] - o.prevFlatGrad[i]
			}
			s := scaled(d, t)
			if ys := dot(y, s); ys > 1e-10 {
				if len(o.oldDirs) == c.HistorySize { // shift the history by one
					o.oldDirs, o.oldStps, o.ro = o.oldDirs[1:], o.oldStps[1:], o.ro[1:]
				}
				o.oldDirs, o.oldStps, o.ro = append(o.oldDirs, y), append(o.oldStps, s), append(o.ro, 1/ys)
				o.hDiag = ys / dot(y, y)
			}
			// the two-loop recursion: d = -H g
			n := len(o.oldDirs)
			al := make([]float64, n)
			q := scaled(flatGrad, -1)
			for i := n - 1; i >= 0; i-- {
				al[i] = dot(o.oldStps[i], q) * o.ro[i]
				axpy(q, -al[i], o.oldDirs[i])
			}
			d = scaled(q, o.hDiag)
			for i := 0; i < n; i++ {
				be := dot(o.oldDirs[i], d) * o.ro[i]
				axpy(d, al[i]-be, o.oldStps[i])
			}
		}
		o.prevFlatGrad = append([]float64(nil), flatGrad...)
		o.prevLoss = loss
		o.started = true

		// the step length
		if o.nIter == 1 {
			sum := 0.0
			for _, v := range flatGrad {
				sum += math.Abs(v)
			}
			t = pyMin(1, 1/sum) * o.lr
		} else {
			t = o.lr
		}
		gtd := dot(flatGrad, d)
		if gtd > -c.ToleranceChange {
			break // the directional derivative is below tolerance
		}
		lsEvals := 0
		optCond := false
		if c.LineSearch == StrongWolfe {
			x := f.values()
			obj := func(t float64) (float64, []float64, error) {
				f.set(addScaled(x, t, d))
				l, g, err := o.eval(f, closure)
				f.set(x)
				return l, g, err
			}
			if loss, flatGrad, t, lsEvals, err = strongWolfe(obj, t, d, loss, flatGrad, gtd); err != nil {
				return 0, err
			}
			f.set(addScaled(x, t, d))
			optCond = maxAbs(flatGrad) <= c.ToleranceGrad
		} else {
			f.set(addScaled(f.values(), t, d))
			if nIter != c.MaxIter {
				// re-evaluate only if not the last iteration (in a
				// stochastic setting there is no use)
				if loss, flatGrad, err = o.eval(f, closure); err != nil {
					return 0, err
				}
				optCond = maxAbs(flatGrad) <= c.ToleranceGrad
				lsEvals = 1
			}
		}
		currentEvals += lsEvals
		o.funcEvals += int64(lsEvals)

		// the stopping conditions
		if nIter == c.MaxIter || currentEvals >= c.MaxEval || optCond {
			break
		}
		if maxAbsScaled(d, t) <= c.ToleranceChange || math.Abs(loss-o.prevLoss) < c.ToleranceChange {
			break // lack of progress
		}
	}
	o.d, o.t = d, t
	return origLoss, nil
}

func scaled(x []float64, a float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * a
	}
	return out
}

// axpy sets y += a*x (torch's y.add_(x, alpha=a)).
func axpy(y []float64, a float64, x []float64) {
	for i := range y {
		y[i] += a * x[i]
	}
}

func maxAbsScaled(d []float64, t float64) float64 {
	m := 0.0
	for _, v := range d {
		if x := math.Abs(v * t); x > m || x != x {
			m = x
		}
	}
	return m
}

// State exports torch's LBFGS state: Ints n_iter and func_evals; Floats
// lr/0, and once a step has run t, H_diag, prev_loss and ro/<i>; Tensors
// (float64 vectors over the flattened parameters) d, prev_flat_grad,
// old_dirs/<i> and old_stps/<i>, i = 0 the oldest pair.
func (o *LBFGS) State() (State, error) {
	st := newState("lbfgs")
	st.Floats["lr/0"] = o.lr
	st.Ints["n_iter"], st.Ints["func_evals"] = o.nIter, o.funcEvals
	if !o.started {
		return st, nil
	}
	st.Floats["t"], st.Floats["H_diag"], st.Floats["prev_loss"] = o.t, o.hDiag, o.prevLoss
	vec := func(v []float64) *graph.Tensor {
		t, _ := graph.FromFloat64(append([]float64(nil), v...), len(v))
		return t
	}
	st.Tensors["d"], st.Tensors["prev_flat_grad"] = vec(o.d), vec(o.prevFlatGrad)
	for i := range o.oldDirs {
		k := strconv.Itoa(i)
		st.Tensors["old_dirs/"+k], st.Tensors["old_stps/"+k], st.Floats["ro/"+k] = vec(o.oldDirs[i]), vec(o.oldStps[i]), o.ro[i]
	}
	return st, nil
}

// LoadState restores a State taken from an LBFGS over the same parameters
// (checked at the next StepClosure by size). On error nothing changes.
func (o *LBFGS) LoadState(st State) error {
	const who = "LBFGS"
	if st.Kind != "lbfgs" {
		return stateErr(who, "kind %q (want %q)", st.Kind, "lbfgs")
	}
	lr, ok := st.Floats["lr/0"]
	if !ok || !(lr >= 0) || math.IsInf(lr, 0) {
		return stateErr(who, "lr/0 = %v (want a finite value >= 0)", lr)
	}
	n := LBFGS{cfg: o.cfg, lr: lr, names: o.names, sizes: o.sizes, nIter: st.Ints["n_iter"], funcEvals: st.Ints["func_evals"]}
	if n.nIter < 0 || n.funcEvals < 0 {
		return stateErr(who, "n_iter %d, func_evals %d (want >= 0)", n.nIter, n.funcEvals)
	}
	vec := func(k string, size int) ([]float64, error) {
		t := st.Tensors[k]
		if t == nil || t.DType() != graph.Float64 || len(t.Shape()) != 1 || (size >= 0 && t.Len() != size) {
			return nil, stateErr(who, "tensor %q missing or not a float64 vector of %d elements", k, size)
		}
		return append([]float64(nil), t.Values()...), nil
	}
	if _, ok := st.Tensors["d"]; ok {
		var err error
		if n.d, err = vec("d", -1); err != nil {
			return err
		}
		if n.prevFlatGrad, err = vec("prev_flat_grad", len(n.d)); err != nil {
			return err
		}
		n.t, n.hDiag, n.prevLoss, n.started = st.Floats["t"], st.Floats["H_diag"], st.Floats["prev_loss"], true
		for i := 0; ; i++ {
			k := strconv.Itoa(i)
			if _, ok := st.Tensors["old_dirs/"+k]; !ok {
				break
			}
			y, err := vec("old_dirs/"+k, len(n.d))
			if err != nil {
				return err
			}
			s, err := vec("old_stps/"+k, len(n.d))
			if err != nil {
				return err
			}
			r, ok := st.Floats["ro/"+k]
			if !ok {
				return stateErr(who, "no ro/%s", k)
			}
			n.oldDirs, n.oldStps, n.ro = append(n.oldDirs, y), append(n.oldStps, s), append(n.ro, r)
		}
		if len(n.oldDirs) > o.cfg.HistorySize {
			return stateErr(who, "%d curvature pairs (want at most HistorySize = %d)", len(n.oldDirs), o.cfg.HistorySize)
		}
	}
	for k := range st.Tensors {
		base, _, _ := strings.Cut(k, "/")
		if base != "d" && base != "prev_flat_grad" && base != "old_dirs" && base != "old_stps" {
			return stateErr(who, "unknown tensor %q", k)
		}
	}
	if n.started && n.names != nil {
		total := 0
		for _, s := range n.sizes {
			total += s
		}
		if total != len(n.d) {
			return stateErr(who, "vectors of %d elements (want %d, the parameters' total)", len(n.d), total)
		}
	}
	*o = n
	return nil
}
