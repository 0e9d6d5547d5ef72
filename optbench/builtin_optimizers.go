package optbench

import (
	"errors"

	"github.com/descent-ml/descent/optimizers"
)

var errZeroInt = errors.New("max_iter and history_size must be >= 1 (0 is not \"the default\" here)")

// Hyperparameters shared by several optimizers, with torch's keyword names.
func pLR(d float64) Param { return Param{Name: "lr", Default: d, Help: "learning rate"} }

var (
	pWeightDecay = Param{Name: "weight_decay", Help: "weight decay (L2 added to the gradient unless decoupled)"}
	pBeta1       = Param{Name: "beta1", Default: 0.9, Help: "decay of the first moment"}
	pBeta2       = Param{Name: "beta2", Default: 0.999, Help: "decay of the second moment"}
	pEps         = Param{Name: "eps", Default: 1e-8, Help: "added to the denominator"}
)

// Search spaces. AlgoPerf's AdamW baseline samples lr log-uniformly in
// [1e-4, 1e-2], 1-beta1 in [2e-2, 0.5] and weight decay in [5e-3, 1]
// (reference_algorithms/paper_baselines/adamw/tuning_search_space.json);
// the lr range is widened here to [1e-4, 1e-1] and the other optimizers
// get the analogous ranges around their defaults.
var (
	sAdamLR   = Range{Param: "lr", Scale: Log, Min: 1e-4, Max: 1e-1}
	sBeta1    = Range{Param: "beta1", Scale: OneMinusLog, Min: 2e-2, Max: 0.5}
	sSGDLR    = Range{Param: "lr", Scale: Log, Min: 1e-3, Max: 1}
	sMomentum = Range{Param: "momentum", Scale: OneMinusLog, Min: 1e-2, Max: 0.5}
)

func adamLike(name, help string, lr float64, extra []Param, space []Range, build func(Setting) (optimizers.Optimizer, error)) Optimizer {
	params := append([]Param{pLR(lr), pBeta1, pBeta2, pEps, pWeightDecay}, extra...)
	return Optimizer{Name: name, Help: help, Params: params, Space: space, Build: build}
}

func sgdFamily(name, help string, momentum float64, nesterov bool) Optimizer {
	n := 0.0
	if nesterov {
		n = 1
	}
	space := []Range{sSGDLR}
	if momentum > 0 {
		space = append(space, sMomentum)
	}
	return Optimizer{
		Name: name, Help: help,
		Params: []Param{pLR(0.01), {Name: "momentum", Default: momentum, Help: "momentum factor"},
			{Name: "dampening", Help: "dampening of the momentum"}, pWeightDecay,
			{Name: "nesterov", Default: n, Kind: Flag, Help: "Nesterov momentum (1) or heavy ball (0)"}},
		Space: space,
		Build: func(s Setting) (optimizers.Optimizer, error) {
			return optimizers.NewSGD(optimizers.SGDConfig{LR: explicit(s["lr"]), Momentum: explicit(s["momentum"]),
				Dampening: explicit(s["dampening"]), WeightDecay: explicit(s["weight_decay"]), Nesterov: s["nesterov"] == 1})
		},
	}
}

// builtinOptimizers are descent's optimizers with torch's defaults (the
// SGD family: lr 0.01, descent's default, as optimizers.New; momentum and
// nesterov: momentum 0.9).
func builtinOptimizers() []Optimizer {
	adam := func(decoupled bool) func(Setting) (optimizers.Optimizer, error) {
		return func(s Setting) (optimizers.Optimizer, error) {
			return optimizers.NewAdam(optimizers.AdamConfig{LR: explicit(s["lr"]), Beta1: explicit(s["beta1"]), Beta2: explicit(s["beta2"]),
				Eps: explicit(s["eps"]), WeightDecay: explicit(s["weight_decay"]), AMSGrad: s["amsgrad"] == 1, Decoupled: decoupled})
		}
	}
	amsgrad := Param{Name: "amsgrad", Kind: Flag, Help: "AMSGrad: the running maximum of the second moment"}
	decoupled := Param{Name: "decoupled_weight_decay", Kind: Flag, Help: "AdamW-style decoupled weight decay"}
	adamw := adamLike("adamw", "AdamW (torch.optim.AdamW; Loshchilov & Hutter 2019)", 1e-3, []Param{amsgrad},
		[]Range{sAdamLR, sBeta1, {Param: "weight_decay", Scale: Log, Min: 5e-3, Max: 1}}, adam(true))
	adamw.Params[4].Default = 0.01
	return []Optimizer{
		sgdFamily("sgd", "SGD (torch.optim.SGD)", 0, false),
		sgdFamily("momentum", "SGD with heavy-ball momentum 0.9", 0.9, false),
		sgdFamily("nesterov", "SGD with Nesterov momentum 0.9", 0.9, true),
		adamLike("adam", "Adam (torch.optim.Adam; Kingma & Ba 2015)", 1e-3, []Param{amsgrad}, []Range{sAdamLR, sBeta1}, adam(false)),
		adamw,
		adamLike("nadam", "NAdam (torch >= 2.0's torch.optim.NAdam; Dozat 2016)", 2e-3,
			[]Param{{Name: "momentum_decay", Default: 4e-3, Help: "psi of the momentum schedule"}, decoupled},
			[]Range{sAdamLR, sBeta1}, func(s Setting) (optimizers.Optimizer, error) {
				return optimizers.NewNAdam(optimizers.NAdamConfig{LR: explicit(s["lr"]), Beta1: explicit(s["beta1"]), Beta2: explicit(s["beta2"]),
					Eps: explicit(s["eps"]), WeightDecay: explicit(s["weight_decay"]), MomentumDecay: explicit(s["momentum_decay"]),
					Decoupled: s["decoupled_weight_decay"] == 1})
			}),
		adamLike("radam", "RAdam (torch.optim.RAdam; Liu et al. 2020)", 1e-3, []Param{decoupled}, []Range{sAdamLR, sBeta1},
			func(s Setting) (optimizers.Optimizer, error) {
				return optimizers.NewRAdam(optimizers.RAdamConfig{LR: explicit(s["lr"]), Beta1: explicit(s["beta1"]), Beta2: explicit(s["beta2"]),
					Eps: explicit(s["eps"]), WeightDecay: explicit(s["weight_decay"]), Decoupled: s["decoupled_weight_decay"] == 1})
			}),
		adamLike("adamax", "Adamax (torch.optim.Adamax; Kingma & Ba 2015)", 2e-3, nil, []Range{sAdamLR, sBeta1},
			func(s Setting) (optimizers.Optimizer, error) {
				return optimizers.NewAdamax(optimizers.AdamaxConfig{LR: explicit(s["lr"]), Beta1: explicit(s["beta1"]), Beta2: explicit(s["beta2"]),
					Eps: explicit(s["eps"]), WeightDecay: explicit(s["weight_decay"])})
			}),
		{
			Name: "lion", Help: "Lion (Chen et al. 2023)",
			Params: []Param{pLR(1e-4), pBeta1, {Name: "beta2", Default: 0.99, Help: "decay of the momentum"},
				{Name: "weight_decay", Help: "decoupled weight decay, scaled by lr"}},
			Space: []Range{{Param: "lr", Scale: Log, Min: 1e-5, Max: 1e-2}, sBeta1},
			Build: func(s Setting) (optimizers.Optimizer, error) {
				return optimizers.NewLion(optimizers.LionConfig{LR: explicit(s["lr"]), Beta1: explicit(s["beta1"]), Beta2: explicit(s["beta2"]),
					WeightDecay: explicit(s["weight_decay"])})
			},
		},
		{
			Name: "rmsprop", Help: "RMSprop (torch.optim.RMSprop)",
			Params: []Param{pLR(0.01), {Name: "alpha", Default: 0.99, Help: "smoothing constant"}, pEps, pWeightDecay,
				{Name: "momentum", Help: "momentum factor"}, {Name: "centered", Kind: Flag, Help: "centered RMSprop"}},
			Space: []Range{sAdamLR},
			Build: func(s Setting) (optimizers.Optimizer, error) {
				return optimizers.NewRMSprop(optimizers.RMSpropConfig{LR: explicit(s["lr"]), Alpha: explicit(s["alpha"]), Eps: explicit(s["eps"]),
					WeightDecay: explicit(s["weight_decay"]), Momentum: explicit(s["momentum"]), Centered: s["centered"] == 1})
			},
		},
		{
			Name: "adagrad", Help: "Adagrad (torch.optim.Adagrad)",
			Params: []Param{pLR(0.01), {Name: "lr_decay"}, pWeightDecay, {Name: "initial_accumulator_value"},
				{Name: "eps", Default: 1e-10, Help: "added to the denominator"}},
			Space: []Range{sSGDLR},
			Build: func(s Setting) (optimizers.Optimizer, error) {
				return optimizers.NewAdagrad(optimizers.AdagradConfig{LR: explicit(s["lr"]), LRDecay: explicit(s["lr_decay"]),
					WeightDecay: explicit(s["weight_decay"]), InitialAccumulatorValue: explicit(s["initial_accumulator_value"]), Eps: explicit(s["eps"])})
			},
		},
		{
			Name: "lbfgs", Help: "L-BFGS (torch.optim.LBFGS); one step spends up to max_eval gradient evaluations",
			Params: []Param{pLR(1), {Name: "max_iter", Default: 20, Kind: Integer, Help: "iterations per step"},
				{Name: "max_eval", Kind: Integer, Help: "evaluations per step (0: max_iter*5/4)"},
				{Name: "tolerance_grad", Default: 1e-7}, {Name: "tolerance_change", Default: 1e-9},
				{Name: "history_size", Default: 100, Kind: Integer},
				{Name: "line_search", Kind: Flag, Help: "1: strong-Wolfe line search"}},
			Space: []Range{{Param: "lr", Scale: Log, Min: 1e-3, Max: 1}},
			Build: func(s Setting) (optimizers.Optimizer, error) {
				c := optimizers.LBFGSConfig{LR: explicit(s["lr"]), MaxIter: int(s["max_iter"]), MaxEval: int(s["max_eval"]),
					ToleranceGrad: explicit(s["tolerance_grad"]), ToleranceChange: explicit(s["tolerance_change"]), HistorySize: int(s["history_size"])}
				if s["line_search"] == 1 {
					c.LineSearch = optimizers.StrongWolfe
				}
				if c.MaxIter == 0 || c.HistorySize == 0 {
					return nil, errZeroInt
				}
				return optimizers.NewLBFGS(c)
			},
		},
	}
}
