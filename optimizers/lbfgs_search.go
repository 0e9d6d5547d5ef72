package optimizers

import "math"

// The strong-Wolfe line search of torch.optim.LBFGS (itself ported from
// torch/optim's lswolfe.lua and polyinterp.lua), statement for statement:
// the same bracketing, the same safeguarded cubic interpolation and the
// same "insufficient progress" rule, so the trial steps, and the accepted
// one, are torch's.

// pyMin and pyMax are Python's min(a, b) and max(a, b): the first argument
// unless the second is strictly smaller (larger). With a NaN they differ
// from Go's min and max, which return NaN.
func pyMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}

func pyMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

// cubicInterpolate is torch's _cubic_interpolate: the minimiser of the
// cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
// [lo, hi] (the two points' interval when bounded is false); the interval's
// midpoint when the cubic has no minimum.
func cubicInterpolate(x1, f1, g1, x2, f2, g2 float64, bounded bool, lo, hi float64) float64 {
	if !bounded {
		if x1 <= x2 {
			lo, hi = x1, x2
		} else {
			lo, hi = x2, x1
		}
	}
	d1 := g1 + g2 - 3*(f1-f2)/(x1-x2)
	d2sq := d1*d1 - g1*g2
	if d2sq >= 0 {
		d2 := math.Sqrt(d2sq)
		var minPos float64
		if x1 <= x2 {
			minPos = x2 - (x2-x1)*((g2+d2-d1)/(g2-g1+2*d2))
		} else {
			minPos = x1 - (x1-x2)*((g1+d2-d1)/(g1-g2+2*d2))
		}
		return pyMin(pyMax(minPos, lo), hi)
	}
	return (lo + hi) / 2
}

// lineObjective evaluates the loss and its gradient at x + t*d (x is the
// point the search started from), leaving the parameters at x.
type lineObjective func(t float64) (f float64, g []float64, err error)

// strongWolfe is torch's _strong_wolfe with its defaults c1 = 1e-4,
// c2 = 0.9, tolerance_change = 1e-9 (torch does not pass the optimizer's
// tolerance_change) and max_ls = 25. f, g and gtd are the loss, gradient
// and directional derivative at x; t is the first trial step. It returns
// the accepted point's loss and gradient, the step, and the number of
// evaluations.
func strongWolfe(obj lineObjective, t float64, d []float64, f float64, g []float64, gtd float64) (float64, []float64, float64, int, error) {
	const (
		c1, c2          = 1e-4, 0.9
		toleranceChange = 1e-9
		maxLS           = 25
	)
	dNorm := maxAbs(d)
	fNew, gNew, err := obj(t)
	if err != nil {
		return 0, nil, 0, 0, err
	}
	evals := 1
	gtdNew := dot(gNew, d)

	tPrev, fPrev, gPrev, gtdPrev := 0.0, f, g, gtd
	done := false
	lsIter := 0
	var (
		bracket    []float64
		bracketF   []float64
		bracketG   [][]float64
		bracketGtd []float64
	)
	for lsIter < maxLS {
		if fNew > f+c1*t*gtd || (lsIter > 1 && fNew >= fPrev) {
			bracket, bracketF = []float64{tPrev, t}, []float64{fPrev, fNew}
			bracketG, bracketGtd = [][]float64{gPrev, gNew}, []float64{gtdPrev, gtdNew}
			break
		}
		if math.Abs(gtdNew) <= -c2*gtd {
			bracket, bracketF, bracketG = []float64{t}, []float64{fNew}, [][]float64{gNew}
			done = true
			break
		}
		if gtdNew >= 0 {
			bracket, bracketF = []float64{tPrev, t}, []float64{fPrev, fNew}
			bracketG, bracketGtd = [][]float64{gPrev, gNew}, []float64{gtdPrev, gtdNew}
			break
		}
		// interpolate
		minStep := t + 0.01*(t-tPrev)
		maxStep := t * 10
		tmp := t
		t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, true, minStep, maxStep)
		// next step
		tPrev, fPrev, gPrev, gtdPrev = tmp, fNew, gNew, gtdNew
		if fNew, gNew, err = obj(t); err != nil {
			return 0, nil, 0, 0, err
		}
		evals++
		gtdNew = dot(gNew, d)
		lsIter++
	}
	if lsIter == maxLS {
		bracket, bracketF, bracketG = []float64{0, t}, []float64{f, fNew}, [][]float64{g, gNew}
	}

	// zoom phase
	insufProgress := false
	low, high := 1, 0
	if bracketF[0] <= bracketF[len(bracketF)-1] {
		low, high = 0, 1
	}
	for !done && lsIter < maxLS {
		if math.Abs(bracket[1]-bracket[0])*dNorm < toleranceChange {
			break
		}
		t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], false, 0, 0)
		bMax, bMin := pyMax(bracket[0], bracket[1]), pyMin(bracket[0], bracket[1])
		eps := 0.1 * (bMax - bMin)
		if pyMin(bMax-t, t-bMin) < eps {
			// interpolation close to boundary
			if insufProgress || t >= bMax || t <= bMin {
				if math.Abs(t-bMax) < math.Abs(t-bMin) {
					t = bMax - eps
				} else {
					t = bMin + eps
				}
				insufProgress = false
			} else {
				insufProgress = true
			}
		} else {
			insufProgress = false
		}
		if fNew, gNew, err = obj(t); err != nil {
			return 0, nil, 0, 0, err
		}
		evals++
		gtdNew = dot(gNew, d)
		lsIter++

		if fNew > f+c1*t*gtd || fNew >= bracketF[low] {
			// Armijo condition not satisfied or not lower than the lowest point
			bracket[high], bracketF[high], bracketG[high], bracketGtd[high] = t, fNew, gNew, gtdNew
			low, high = 1, 0
			if bracketF[0] <= bracketF[1] {
				low, high = 0, 1
			}
		} else {
			if math.Abs(gtdNew) <= -c2*gtd {
				done = true // Wolfe conditions satisfied
			} else if gtdNew*(bracket[high]-bracket[low]) >= 0 {
				// the old high becomes the new low
				bracket[high], bracketF[high], bracketG[high], bracketGtd[high] = bracket[low], bracketF[low], bracketG[low], bracketGtd[low]
			}
			// the new point becomes the new low
			bracket[low], bracketF[low], bracketG[low], bracketGtd[low] = t, fNew, gNew, gtdNew
		}
	}
	return bracketF[low], bracketG[low], bracket[low], evals, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func maxAbs(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		if x := math.Abs(v); x > m || x != x {
			m = x
		}
	}
	return m
}
