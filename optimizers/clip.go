package optimizers

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
)

// ClipGradNorm rescales the gradients of params so that their global norm
// is at most maxNorm, as torch.nn.utils.clip_grad_norm_: the norm of order
// normType (2 for Euclidean, math.Inf(1) for the largest magnitude, or any
// finite p > 0) is taken over every gradient together; if
// coef = maxNorm/(total+1e-6) is below 1 every gradient is multiplied by
// coef. It returns the total norm before clipping. Parameters without a
// gradient, or not trainable, are ignored, as by the optimizers.
//
// Unlike torch's default, a NaN or Inf gradient is an error
// (*NonFiniteGradError, as torch's error_if_nonfinite=True) and no gradient
// is changed. The norm is accumulated in float64 (rescaled if the sum of
// powers would overflow), so it is at least as accurate as torch's.
func ClipGradNorm(params []*graph.Param, maxNorm, normType float64) (float64, error) {
	const who = "ClipGradNorm"
	if !(maxNorm >= 0) || math.IsInf(maxNorm, 0) {
		return 0, &HyperError{Optimizer: who, Field: "maxNorm", Value: maxNorm, Want: "max_norm >= 0"}
	}
	if !(normType > 0) || math.IsInf(normType, -1) || math.IsNaN(normType) {
		return 0, &HyperError{Optimizer: who, Field: "normType", Value: normType, Want: "norm_type > 0 or +Inf"}
	}
	if err := checkGrads(who, params); err != nil {
		return 0, err
	}
	total := gradNorm(params, normType, 1)
	if !math.IsInf(normType, 1) && (math.IsInf(total, 1) || total == 0) {
		// The sum of powers overflowed or underflowed: measure in units of
		// the largest magnitude.
		if m := gradNorm(params, math.Inf(1), 1); m > 0 {
			total = m * gradNorm(params, normType, m)
		}
	}
	coef := maxNorm / (total + 1e-6)
	if coef < 1 {
		for _, p := range params {
			if g := clipGrad(p); g == nil {
				continue
			} else if g.DType() == graph.Float32 {
				scale(view[float32](g), coef)
			} else {
				scale(view[float64](g), coef)
			}
		}
	}
	return total, nil
}

// ClipGradValue clamps every gradient element of params into
// [-clip, clip], as torch.nn.utils.clip_grad_value_. NaN elements stay NaN
// (the optimizer's Step then refuses them).
func ClipGradValue(params []*graph.Param, clip float64) error {
	const who = "ClipGradValue"
	if !(clip >= 0) || math.IsInf(clip, 0) {
		return &HyperError{Optimizer: who, Field: "clip", Value: clip, Want: "clip_value >= 0"}
	}
	for i, p := range params {
		if p == nil {
			return &ParamError{Optimizer: who, Index: i, Reason: "nil parameter"}
		}
		g := clipGrad(p)
		if g == nil {
			continue
		}
		if !g.DType().IsFloat() {
			return &ParamError{Optimizer: who, Param: p.Name(), Index: i, Reason: fmt.Sprintf("gradient dtype %v (want float32 or float64)", g.DType())}
		}
	}
	for _, p := range params {
		if g := clipGrad(p); g != nil {
			if g.DType() == graph.Float32 {
				clamp(view[float32](g), float32(clip))
			} else {
				clamp(view[float64](g), clip)
			}
		}
	}
	return nil
}

// clipGrad returns the gradient clipping applies to, or nil.
func clipGrad(p *graph.Param) *graph.Tensor {
	if p == nil || !p.Trainable() {
		return nil
	}
	return p.Grad()
}

func checkGrads(who string, params []*graph.Param) error {
	for i, p := range params {
		if p == nil {
			return &ParamError{Optimizer: who, Index: i, Reason: "nil parameter"}
		}
		g := clipGrad(p)
		if g == nil {
			continue
		}
		if !g.DType().IsFloat() {
			return &ParamError{Optimizer: who, Param: p.Name(), Index: i, Reason: fmt.Sprintf("gradient dtype %v (want float32 or float64)", g.DType())}
		}
		if !finite(g) {
			return &NonFiniteGradError{Optimizer: who, Param: p.Name()}
		}
	}
	return nil
}

// gradNorm returns the norm of order q of all gradients divided by unit.
func gradNorm(params []*graph.Param, q, unit float64) float64 {
	var acc float64
	for _, p := range params {
		g := clipGrad(p)
		if g == nil {
			continue
		}
		var a float64
		if g.DType() == graph.Float32 {
			a = powerSum(view[float32](g), q, unit)
		} else {
			a = powerSum(view[float64](g), q, unit)
		}
		if math.IsInf(q, 1) {
			acc = max(acc, a)
		} else {
			acc += a
		}
	}
	switch {
	case math.IsInf(q, 1):
		return acc
	case q == 2:
		return math.Sqrt(acc)
	case q == 1:
		return acc
	}
	return math.Pow(acc, 1/q)
}

// powerSum returns sum |x/unit|^q, or max |x/unit| when q is +Inf.
func powerSum[T graph.Float](x []T, q, unit float64) float64 {
	var s float64
	for _, v := range x {
		a := math.Abs(float64(v)) / unit
		switch {
		case math.IsInf(q, 1):
			s = max(s, a)
		case q == 2:
			s += a * a
		case q == 1:
			s += a
		default:
			s += math.Pow(a, q)
		}
	}
	return s
}

func scale[T graph.Float](x []T, c float64) {
	k := T(c)
	for i := range x {
		x[i] *= k
	}
}

func clamp[T graph.Float](x []T, c T) {
	for i, v := range x {
		if v > c {
			x[i] = c
		} else if v < -c {
			x[i] = -c
		}
	}
}
