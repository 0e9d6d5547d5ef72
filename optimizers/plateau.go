package optimizers

import (
	"fmt"
	"math"
	"strconv"
)

// PlateauMode says whether the watched metric should go down or up.
type PlateauMode uint8

const (
	// MinMode: lower is better (a loss). torch's mode="min", the default.
	MinMode PlateauMode = iota
	// MaxMode: higher is better (an accuracy). torch's mode="max".
	MaxMode
)

// ThresholdMode says how Threshold measures a significant improvement.
type ThresholdMode uint8

const (
	// RelThreshold: better than best*(1-Threshold) (min mode) or
	// best*(1+Threshold) (max mode). torch's "rel", the default.
	RelThreshold ThresholdMode = iota
	// AbsThreshold: better than best-Threshold or best+Threshold. torch's "abs".
	AbsThreshold
)

// PlateauConfig holds torch.optim.lr_scheduler.ReduceLROnPlateau's
// arguments. Mode and ThresholdMode have torch's defaults as zero values;
// start from PlateauDefaults for the others.
type PlateauConfig struct {
	Mode          PlateauMode
	Factor        float64 // lr multiplier on a plateau, 0 <= factor < 1; default 0.1
	Patience      int     // bad steps tolerated before reducing (>= 0); default 10
	Threshold     float64 // least significant improvement (>= 0); default 1e-4
	ThresholdMode ThresholdMode
	Cooldown      int     // steps to wait after a reduction (>= 0); default 0
	MinLR         float64 // no group's lr goes below it (>= 0); default 0
	Eps           float64 // a reduction smaller than Eps is skipped (>= 0); default 1e-8
}

// PlateauDefaults returns torch's defaults.
func PlateauDefaults() PlateauConfig {
	return PlateauConfig{Factor: 0.1, Patience: 10, Threshold: 1e-4, Eps: 1e-8}
}

func (c PlateauConfig) validate() error {
	v := validator{opt: "Plateau"}
	v.need("Factor", c.Factor, c.Factor >= 0 && c.Factor < 1, "0 <= factor < 1")
	v.need("Patience", float64(c.Patience), c.Patience >= 0, "patience >= 0")
	v.need("Threshold", c.Threshold, c.Threshold >= 0, "threshold >= 0")
	v.need("Cooldown", float64(c.Cooldown), c.Cooldown >= 0, "cooldown >= 0")
	v.need("MinLR", c.MinLR, c.MinLR >= 0, "min_lr >= 0")
	v.need("Eps", c.Eps, c.Eps >= 0, "eps >= 0")
	if c.Mode > MaxMode {
		v.need("Mode", float64(c.Mode), false, "MinMode or MaxMode")
	}
	if c.ThresholdMode > AbsThreshold {
		v.need("ThresholdMode", float64(c.ThresholdMode), false, "RelThreshold or AbsThreshold")
	}
	return v.err
}

// Plateau reduces every group's lr by Factor when a metric has stopped
// improving for more than Patience steps: torch's ReduceLROnPlateau
// (PyTorch 1.13), acting on the groups' current lrs, not on a closed form.
// One deliberate difference: a NaN or Inf metric is an error (nothing
// changes) instead of counting as a bad step.
type Plateau struct {
	opt      LRGroups
	cfg      PlateauConfig
	best     float64
	hasBest  bool
	bad      int64 // num_bad_epochs
	cooldown int64 // cooldown_counter
	epoch    int64 // last_epoch
}

// NewPlateau binds a reduce-on-plateau schedule to opt.
func NewPlateau(opt LRGroups, cfg PlateauConfig) (*Plateau, error) {
	if opt == nil {
		return nil, fmt.Errorf("optimizers: NewPlateau: %w: nil optimizer", ErrSchedule)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Plateau{opt: opt, cfg: cfg}, nil
}

// Config returns the configuration.
func (p *Plateau) Config() PlateauConfig { return p.cfg }

func (p *Plateau) better(a float64) bool {
	if !p.hasBest {
		return true // best is torch's mode_worse, ±Inf
	}
	c, b := p.cfg, p.best
	switch {
	case c.Mode == MinMode && c.ThresholdMode == RelThreshold:
		return a < b*(1-c.Threshold)
	case c.Mode == MinMode:
		return a < b-c.Threshold
	case c.ThresholdMode == RelThreshold:
		return a > b*(c.Threshold+1)
	}
	return a > b+c.Threshold
}

// Step records the metric of the step just taken and reduces the lrs if
// it has not improved for more than Patience steps.
func (p *Plateau) Step(metric float64) error {
	if math.IsNaN(metric) || math.IsInf(metric, 0) {
		return fmt.Errorf("optimizers: Plateau: %w: metric = %v (want a finite value)", ErrSchedule, metric)
	}
	p.epoch++
	if p.better(metric) {
		p.best, p.hasBest, p.bad = metric, true, 0
	} else {
		p.bad++
	}
	if p.cooldown > 0 {
		p.cooldown--
		p.bad = 0
	}
	if p.bad > int64(p.cfg.Patience) {
		p.cooldown, p.bad = int64(p.cfg.Cooldown), 0
		for g := range p.opt.NumGroups() {
			old := p.opt.LR(g)
			lr := max(old*p.cfg.Factor, p.cfg.MinLR)
			if old-lr > p.cfg.Eps {
				if err := p.opt.SetLR(g, lr); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// State exports the counters, the best metric and the groups' lrs.
func (p *Plateau) State() (State, error) {
	st := newState("plateau")
	st.Ints["last_epoch"], st.Ints["num_bad_epochs"], st.Ints["cooldown_counter"] = p.epoch, p.bad, p.cooldown
	if p.hasBest {
		st.Floats["best"] = p.best
	}
	for g := range p.opt.NumGroups() {
		st.Floats["lr/"+strconv.Itoa(g)] = p.opt.LR(g)
	}
	return st, nil
}

// LoadState restores the counters and best metric and sets the
// optimizer's lrs to the saved ones.
func (p *Plateau) LoadState(st State) error {
	if st.Kind != "plateau" {
		return stateErr("Plateau", "kind %q (want %q)", st.Kind, "plateau")
	}
	var n [3]int64
	for i, k := range []string{"last_epoch", "num_bad_epochs", "cooldown_counter"} {
		v, ok := st.Ints[k]
		if !ok || v < 0 {
			return stateErr("Plateau", "Ints[%q] = %d, present %v (want >= 0)", k, v, ok)
		}
		n[i] = v
	}
	lrs, err := groupFloats("Plateau", st, "lr", p.opt.NumGroups())
	if err != nil {
		return err
	}
	best, hasBest := st.Floats["best"]
	if hasBest && (math.IsNaN(best) || math.IsInf(best, 0)) {
		return stateErr("Plateau", "best = %v (want finite)", best)
	}
	for g, lr := range lrs {
		if err := p.opt.SetLR(g, lr); err != nil {
			return err
		}
	}
	p.epoch, p.bad, p.cooldown = n[0], n[1], n[2]
	p.best, p.hasBest = best, hasBest
	return nil
}
