package optimizers

import "github.com/descent-ml/descent/graph"

// Selector picks the parameters of a group. It must not depend on anything
// but the parameter (name, shape, dtype): an optimizer decides a
// parameter's group the first time it meets that *Param and keeps it.
type Selector func(p *graph.Param) bool

// Group gives the parameters that Match selects their own hyperparameters.
// C is the optimizer's config type (SGDConfig, AdamConfig, ...). As in a
// torch param group, a field left at zero takes the main config's value
// (a boolean set there stays set); write Zero() for a zero.
//
// Group numbering, as used by LR, SetLR and the schedules: group 0 is the
// main config (parameters that match no group); the groups passed to a
// constructor are groups 1, 2, ... in order. A parameter belongs to the
// first group whose Match selects it.
type Group[C any] struct {
	Match  Selector
	Config C
}

// OneDim selects parameters of rank 0 or 1: biases and normalisation
// scales and shifts (gamma, beta), which are usually exempt from weight
// decay:
//
//	noDecay := optimizers.AdamConfig{WeightDecay: optimizers.Zero()}
//	opt, err := optimizers.NewAdamW(cfg, optimizers.Group[optimizers.AdamConfig]{Match: optimizers.OneDim, Config: noDecay})
func OneDim(p *graph.Param) bool { return len(p.Shape()) <= 1 }

// ByName selects the parameters with one of the given full names.
func ByName(names ...string) Selector {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return func(p *graph.Param) bool { return set[p.Name()] }
}
