package golden

import (
	"encoding/json"
	"fmt"

	"github.com/descent-ml/descent/optimizers"
)

// Bool reads true/false or a number (0 is false): torch hyperparameters
// are sometimes written as 0.0/1.0.
type Bool bool

// UnmarshalJSON accepts a bool, a number or null.
func (f *Bool) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case bool:
		*f = Bool(x)
	case float64:
		*f = x != 0
	case nil:
		*f = false
	default:
		return fmt.Errorf("not a bool: %s", b)
	}
	return nil
}

// Hyper holds every torch.optim hyperparameter the README lists, under
// torch's keyword names; absent ones are nil.
type Hyper struct {
	LR          *float64  `json:"lr"`
	Momentum    *float64  `json:"momentum"`
	Dampening   *float64  `json:"dampening"`
	WeightDecay *float64  `json:"weight_decay"`
	Nesterov    Bool      `json:"nesterov"`
	Maximize    Bool      `json:"maximize"`
	AMSGrad     Bool      `json:"amsgrad"`
	Centered    Bool      `json:"centered"`
	Betas       []float64 `json:"betas"`
	Eps         *float64  `json:"eps"`
	Alpha       *float64  `json:"alpha"`
	LRDecay     *float64  `json:"lr_decay"`
	InitAcc     *float64  `json:"initial_accumulator_value"`
}

// Scheduler is a case's learning-rate schedule.
type Scheduler struct {
	Type     string  `json:"type"`
	StepSize float64 `json:"step_size"`
	Gamma    float64 `json:"gamma"`
	TMax     float64 `json:"T_max"`
	EtaMin   float64 `json:"eta_min"`
}

// set copies a recorded value; a recorded 0 becomes optimizers.Zero(), an
// explicit zero (an unset field would take the default).
func set(dst *float64, src *float64) {
	if src != nil {
		*dst = *src
		if *src == 0 {
			*dst = optimizers.Zero()
		}
	}
}

// Optimizer builds the optimizer a case names ("sgd", "adam", "adamw",
// "rmsprop", "adagrad"), from torch's defaults and the recorded values.
func Optimizer(kind string, h Hyper) (optimizers.Optimizer, error) {
	switch kind {
	case "sgd":
		cfg := optimizers.SGDConfig{Nesterov: bool(h.Nesterov), Maximize: bool(h.Maximize)}
		set(&cfg.LR, h.LR)
		set(&cfg.Momentum, h.Momentum)
		set(&cfg.Dampening, h.Dampening)
		set(&cfg.WeightDecay, h.WeightDecay)
		return optimizers.NewSGD(cfg)
	case "adam", "adamw":
		cfg := optimizers.AdamDefaults()
		if kind == "adamw" {
			cfg = optimizers.AdamWDefaults()
		}
		set(&cfg.LR, h.LR)
		set(&cfg.Eps, h.Eps)
		set(&cfg.WeightDecay, h.WeightDecay)
		if len(h.Betas) == 2 {
			set(&cfg.Beta1, &h.Betas[0])
			set(&cfg.Beta2, &h.Betas[1])
		}
		cfg.AMSGrad, cfg.Maximize = bool(h.AMSGrad), bool(h.Maximize)
		return optimizers.NewAdam(cfg)
	case "radam":
		cfg := optimizers.RAdamDefaults()
		set(&cfg.LR, h.LR)
		set(&cfg.Eps, h.Eps)
		set(&cfg.WeightDecay, h.WeightDecay)
		if len(h.Betas) == 2 {
			set(&cfg.Beta1, &h.Betas[0])
			set(&cfg.Beta2, &h.Betas[1])
		}
		cfg.Maximize = bool(h.Maximize)
		return optimizers.NewRAdam(cfg)
	case "adamax":
		cfg := optimizers.AdamaxDefaults()
		set(&cfg.LR, h.LR)
		set(&cfg.Eps, h.Eps)
		set(&cfg.WeightDecay, h.WeightDecay)
		if len(h.Betas) == 2 {
			set(&cfg.Beta1, &h.Betas[0])
			set(&cfg.Beta2, &h.Betas[1])
		}
		cfg.Maximize = bool(h.Maximize)
		return optimizers.NewAdamax(cfg)
	case "rmsprop":
		cfg := optimizers.RMSpropDefaults()
		set(&cfg.LR, h.LR)
		set(&cfg.Alpha, h.Alpha)
		set(&cfg.Eps, h.Eps)
		set(&cfg.WeightDecay, h.WeightDecay)
		set(&cfg.Momentum, h.Momentum)
		cfg.Centered, cfg.Maximize = bool(h.Centered), bool(h.Maximize)
		return optimizers.NewRMSprop(cfg)
	case "adagrad":
		cfg := optimizers.AdagradDefaults()
		set(&cfg.LR, h.LR)
		set(&cfg.LRDecay, h.LRDecay)
		set(&cfg.WeightDecay, h.WeightDecay)
		set(&cfg.InitialAccumulatorValue, h.InitAcc)
		set(&cfg.Eps, h.Eps)
		cfg.Maximize = bool(h.Maximize)
		return optimizers.NewAdagrad(cfg)
	}
	return nil, fmt.Errorf("golden: unknown optimizer %q", kind)
}

// Schedule builds a case's schedule (StepLR, CosineAnnealingLR, ExponentialLR).
func Schedule(s *Scheduler) (optimizers.Schedule, error) {
	switch s.Type {
	case "StepLR":
		return optimizers.StepDecay{StepSize: int(s.StepSize), Gamma: s.Gamma}, nil
	case "CosineAnnealingLR":
		return optimizers.Cosine{TMax: int(s.TMax), EtaMin: s.EtaMin}, nil
	case "ExponentialLR":
		return optimizers.Exponential{Gamma: s.Gamma}, nil
	}
	return nil, fmt.Errorf("golden: unknown scheduler %q", s.Type)
}
