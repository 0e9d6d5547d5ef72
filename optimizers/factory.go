package optimizers

import (
	"fmt"
	"strings"
)

// Hyper holds the optimizer flags of the CLI. A nil field means "this
// optimizer's PyTorch default"; a field the optimizer does not have (Beta1
// for SGD, say) is an error rather than silently ignored.
type Hyper struct {
	LR          *float64
	Momentum    *float64
	WeightDecay *float64
	Beta1       *float64
	Beta2       *float64
	Eps         *float64
}

// Float returns &v, to fill Hyper: Hyper{LR: optimizers.Float(0.1)}.
func Float(v float64) *float64 { return &v }

// Names returns the names New accepts, in a fixed order.
func Names() []string {
	return []string{"gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "radam", "adamax", "nadam", "lion", "lbfgs"}
}

// New returns the optimizer called name, with h's values over its
// defaults:
//
//	gd, sgd    SGD (lr 0.01; gd is SGD on one batch holding all the data,
//	           which the training loop arranges; gd takes no momentum)
//	momentum   SGD with momentum 0.9 (lr 0.01)
//	nesterov   SGD with Nesterov momentum 0.9 (lr 0.01)
//	adagrad    Adagrad, AdagradDefaults
//	rmsprop    RMSprop, RMSpropDefaults
//	adam       Adam, AdamDefaults
//	adamw      AdamW, AdamWDefaults (weight decay 0.01)
//	radam      RAdam, RAdamDefaults
//	adamax     Adamax, AdamaxDefaults
//	nadam      NAdam, NAdamDefaults (PyTorch >= 2.0's formula)
//	lion       Lion, LionDefaults (takes no Eps)
//	lbfgs      LBFGS, LBFGSDefaults (LR only; its Step needs a closure:
//	           use StepClosure, see ClosureOptimizer)
//
// The 0.01 lr of the SGD family is descent's default: torch.optim.SGD has
// none. Every optimizer returned also implements LRGroups and Stateful.
// Hyperparameters without a Hyper field (NAdam's MomentumDecay, L-BFGS's
// iteration limits and line search, ...) are set through the configs.
func New(name string, h Hyper) (Optimizer, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	set := func(dst *float64, src *float64) {
		if src != nil {
			*dst = *src
			if *src == 0 {
				*dst = Zero() // an explicit zero, not "the default"
			}
		}
	}
	switch name {
	case "gd", "sgd", "momentum", "nesterov":
		allowed := "LR, Momentum, WeightDecay"
		if name == "gd" {
			allowed = "LR, WeightDecay"
		}
		if err := only(name, h, allowed); err != nil {
			return nil, err
		}
		c := SGDConfig{LR: 0.01}
		if name == "momentum" || name == "nesterov" {
			c.Momentum = 0.9
		}
		c.Nesterov = name == "nesterov"
		set(&c.LR, h.LR)
		set(&c.Momentum, h.Momentum)
		set(&c.WeightDecay, h.WeightDecay)
		return NewSGD(c)
	case "adagrad":
		if err := only(name, h, "LR, WeightDecay, Eps"); err != nil {
			return nil, err
		}
		c := AdagradDefaults()
		set(&c.LR, h.LR)
		set(&c.WeightDecay, h.WeightDecay)
		set(&c.Eps, h.Eps)
		return NewAdagrad(c)
	case "rmsprop":
		if err := only(name, h, "LR, Momentum, WeightDecay, Eps"); err != nil {
			return nil, err
		}
		c := RMSpropDefaults()
		set(&c.LR, h.LR)
		set(&c.Momentum, h.Momentum)
		set(&c.WeightDecay, h.WeightDecay)
		set(&c.Eps, h.Eps)
		return NewRMSprop(c)
	case "adam", "adamw":
		if err := only(name, h, "LR, WeightDecay, Beta1, Beta2, Eps"); err != nil {
			return nil, err
		}
		c := AdamDefaults()
		if name == "adamw" {
			c = AdamWDefaults()
		}
		set(&c.LR, h.LR)
		set(&c.WeightDecay, h.WeightDecay)
		set(&c.Beta1, h.Beta1)
		set(&c.Beta2, h.Beta2)
		set(&c.Eps, h.Eps)
		return NewAdam(c)
	case "radam":
		if err := only(name, h, "LR, WeightDecay, Beta1, Beta2, Eps"); err != nil {
			return nil, err
		}
		c := RAdamDefaults()
		set(&c.LR, h.LR)
		set(&c.WeightDecay, h.WeightDecay)
		set(&c.Beta1, h.Beta1)
		set(&c.Beta2, h.Beta2)
		set(&c.Eps, h.Eps)
		return NewRAdam(c)
	case "adamax":
		if err := only(name, h, "LR, WeightDecay, Beta1, Beta2, Eps"); err != nil {
			return nil, err
		}
		c := AdamaxDefaults()
		set(&c.LR, h.LR)
		set(&c.WeightDecay, h.WeightDecay)
		set(&c.Beta1, h.Beta1)
		set(&c.Beta2, h.Beta2)
		set(&c.Eps, h.Eps)
		return NewAdamax(c)
	case "nadam":
		if err := only(name, h, "LR, WeightDecay, Beta1, Beta2, Eps"); err != nil {
			return nil, err
		}
		c := NAdamDefaults()
		set(&c.LR, h.LR)
		set(&c.WeightDecay, h.WeightDecay)
		set(&c.Beta1, h.Beta1)
		set(&c.Beta2, h.Beta2)
		set(&c.Eps, h.Eps)
		return NewNAdam(c)
	case "lion":
		if err := only(name, h, "LR, WeightDecay, Beta1, Beta2"); err != nil {
			return nil, err
		}
		c := LionDefaults()
		set(&c.LR, h.LR)
		set(&c.WeightDecay, h.WeightDecay)
		set(&c.Beta1, h.Beta1)
		set(&c.Beta2, h.Beta2)
		return NewLion(c)
	case "lbfgs":
		if err := only(name, h, "LR"); err != nil {
			return nil, err
		}
		c := LBFGSDefaults()
		set(&c.LR, h.LR)
		return NewLBFGS(c)
	}
	return nil, fmt.Errorf("optimizers: New: %w: optimizer %q (want one of %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// only checks that h sets no field outside allowed (a ", "-separated list).
func only(name string, h Hyper, allowed string) error {
	fields := []struct {
		name string
		v    *float64
	}{{"LR", h.LR}, {"Momentum", h.Momentum}, {"WeightDecay", h.WeightDecay}, {"Beta1", h.Beta1}, {"Beta2", h.Beta2}, {"Eps", h.Eps}}
	ok := strings.Split(allowed, ", ")
	for _, f := range fields {
		if f.v == nil {
			continue
		}
		found := false
		for _, a := range ok {
			found = found || a == f.name
		}
		if !found {
			return fmt.Errorf("optimizers: New: %w: %s does not apply to %s (it takes %s)", ErrHyper, f.name, name, allowed)
		}
	}
	return nil
}
