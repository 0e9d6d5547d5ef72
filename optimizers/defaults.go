package optimizers

import "math"

// Zero returns an explicit zero for a hyperparameter field. In every
// config of this package a field left at its zero value takes PyTorch's
// default (AdamConfig{LR: 0.01} is torch.optim.Adam(lr=0.01): betas 0.9,
// 0.999, eps 1e-8), and in a Group it takes the main config's value (as a
// torch param group inherits the optimizer's defaults). To set a field to
// zero itself, write Zero():
//
//	optimizers.AdamConfig{LR: 1e-3, Beta1: optimizers.Zero()}   // beta1 = 0
//	optimizers.Group[optimizers.AdamConfig]{Match: optimizers.OneDim,
//		Config: optimizers.AdamConfig{WeightDecay: optimizers.Zero()}} // no decay for biases
//
// Zero is a negative zero: it compares equal to 0 and computes as 0.
func Zero() float64 { return math.Copysign(0, -1) }

// or resolves one field: x when set, d when x is an unset (positive) zero,
// 0 when x is Zero().
func or(x, d float64) float64 {
	switch {
	case x != 0:
		return x
	case math.Signbit(x):
		return 0
	}
	return d
}
