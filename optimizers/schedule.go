package optimizers

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// LRScheduler changes an optimizer's learning rates as training goes on.
// Call Step once after each optimizer step (or once per epoch, if that is
// the unit you count in): the lr changes after each Step, so the first
// optimizer step uses the initial lr. metric (a loss) is used by Plateau
// and ignored by closed-form schedules. Scheduler and Plateau implement it.
type LRScheduler interface {
	Step(metric float64) error
}

// Schedule is a closed-form learning-rate schedule: LR returns the lr of
// step k (0-based: k = 0 is the first optimizer step) of a parameter group
// whose initial lr is base. Give it to NewScheduler. The built-ins mirror
// torch.optim.lr_scheduler; a schedule defined elsewhere works the same.
type Schedule interface {
	LR(base float64, k int) float64
}

// Constant keeps the initial lr: torch's constant schedule (no scheduler).
type Constant struct{}

// LR returns base.
func (Constant) LR(base float64, _ int) float64 { return base }

func (Constant) String() string { return "constant" }

// StepDecay multiplies the lr by Gamma every StepSize steps: torch's
// StepLR, lr_k = base * Gamma^floor(k/StepSize).
type StepDecay struct {
	StepSize int     // >= 1
	Gamma    float64 // > 0; torch's default 0.1
}

// LR returns base * Gamma^floor(k/StepSize).
func (s StepDecay) LR(base float64, k int) float64 {
	return base * math.Pow(s.Gamma, float64(k/s.StepSize))
}

// Validate checks StepSize >= 1 and a finite Gamma > 0.
func (s StepDecay) Validate() error {
	if s.StepSize < 1 {
		return schedErr("StepDecay", "StepSize", float64(s.StepSize), "step_size >= 1")
	}
	return positive("StepDecay", "Gamma", s.Gamma)
}

func (s StepDecay) String() string { return fmt.Sprintf("step:%d:%s", s.StepSize, ftoa(s.Gamma)) }

// MultiStep multiplies the lr by Gamma at each milestone: torch's
// MultiStepLR, lr_k = base * Gamma^(number of milestones <= k). A
// milestone listed twice counts twice, as in torch.
type MultiStep struct {
	Milestones []int   // step indices, >= 1, in any order
	Gamma      float64 // > 0; torch's default 0.1
}

// LR returns base * Gamma^(milestones passed).
func (s MultiStep) LR(base float64, k int) float64 {
	n := 0
	for _, m := range s.Milestones {
		if m <= k {
			n++
		}
	}
	return base * math.Pow(s.Gamma, float64(n))
}

// Validate checks the milestones are >= 1 and Gamma is finite and > 0.
func (s MultiStep) Validate() error {
	for _, m := range s.Milestones {
		if m < 1 {
			return schedErr("MultiStep", "Milestones", float64(m), "milestones >= 1")
		}
	}
	return positive("MultiStep", "Gamma", s.Gamma)
}

func (s MultiStep) String() string {
	ms := make([]string, len(s.Milestones))
	for i, m := range s.Milestones {
		ms[i] = strconv.Itoa(m)
	}
	return fmt.Sprintf("multistep:%s:%s", strings.Join(ms, ","), ftoa(s.Gamma))
}

// Exponential multiplies the lr by Gamma every step: torch's
// ExponentialLR, lr_k = base * Gamma^k.
type Exponential struct {
	Gamma float64 // > 0
}

// LR returns base * Gamma^k.
func (s Exponential) LR(base float64, k int) float64 { return base * math.Pow(s.Gamma, float64(k)) }

// Validate checks Gamma is finite and > 0.
func (s Exponential) Validate() error { return positive("Exponential", "Gamma", s.Gamma) }

func (s Exponential) String() string { return "exp:" + ftoa(s.Gamma) }

// Cosine is cosine annealing: torch's CosineAnnealingLR in closed form,
// lr_k = EtaMin + (base-EtaMin)*(1 + cos(pi*k/TMax))/2. It reaches EtaMin
// at k = TMax and, not clamped, rises again after it (as torch does).
type Cosine struct {
	TMax   int     // half period in steps, >= 1
	EtaMin float64 // the minimum lr, >= 0
}

// LR returns the annealed lr.
func (s Cosine) LR(base float64, k int) float64 {
	return s.EtaMin + (base-s.EtaMin)*(1+math.Cos(math.Pi*float64(k)/float64(s.TMax)))/2
}

// Validate checks TMax >= 1 and a finite EtaMin >= 0.
func (s Cosine) Validate() error {
	if s.TMax < 1 {
		return schedErr("Cosine", "TMax", float64(s.TMax), "T_max >= 1")
	}
	if !(s.EtaMin >= 0) || math.IsInf(s.EtaMin, 0) {
		return schedErr("Cosine", "EtaMin", s.EtaMin, "eta_min >= 0")
	}
	return nil
}

func (s Cosine) String() string { return fmt.Sprintf("cosine:%d:%s", s.TMax, ftoa(s.EtaMin)) }

// Warmup is a linear warm-up over Steps steps followed by Then:
// lr_k = base*(k+1)/Steps for k < Steps (so the last warm-up step uses
// base), then lr_k = Then.LR(base, k-Steps): the following schedule starts
// from its own step 0 when the warm-up ends. A nil Then is Constant.
type Warmup struct {
	Steps int // >= 1
	Then  Schedule
}

// LR returns the warmed-up lr.
func (s Warmup) LR(base float64, k int) float64 {
	if k < s.Steps {
		return base * float64(k+1) / float64(s.Steps)
	}
	if s.Then == nil {
		return base
	}
	return s.Then.LR(base, k-s.Steps)
}

// Validate checks Steps >= 1 and validates Then.
func (s Warmup) Validate() error {
	if s.Steps < 1 {
		return schedErr("Warmup", "Steps", float64(s.Steps), "steps >= 1")
	}
	if v, ok := s.Then.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

func (s Warmup) String() string {
	w := "warmup:" + strconv.Itoa(s.Steps)
	if st, ok := s.Then.(fmt.Stringer); ok && s.Then != nil {
		return w + "," + st.String()
	}
	return w
}

func schedErr(who, field string, v float64, want string) error {
	return &HyperError{Optimizer: who, Field: field, Value: v, Want: want}
}

func positive(who, field string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return schedErr(who, field, v, "a finite gamma > 0")
	}
	return nil
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Scheduler applies a closed-form Schedule to every group of an optimizer,
// relative to each group's initial lr (the lr it had when NewScheduler was
// called, as torch's initial_lr): after k calls to Step, group g's lr is
// s.LR(base_g, k).
type Scheduler struct {
	opt   LRGroups
	sched Schedule
	base  []float64
	k     int
}

// NewScheduler binds s to opt. It records each group's current lr as the
// group's base and sets the lr of step 0, s.LR(base, 0) (which is base for
// every built-in but Warmup).
func NewScheduler(opt LRGroups, s Schedule) (*Scheduler, error) {
	if opt == nil || s == nil {
		return nil, fmt.Errorf("optimizers: NewScheduler: %w: nil optimizer or schedule", ErrSchedule)
	}
	if v, ok := s.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	n := opt.NumGroups()
	sc := &Scheduler{opt: opt, sched: s, base: make([]float64, n)}
	for g := range sc.base {
		sc.base[g] = opt.LR(g)
	}
	if err := sc.apply(0); err != nil {
		return nil, err
	}
	return sc, nil
}

// Step advances the schedule by one step and sets the lrs of the next
// optimizer step. metric is ignored.
func (s *Scheduler) Step(float64) error {
	if err := s.apply(s.k + 1); err != nil {
		return err
	}
	s.k++
	return nil
}

// Steps returns the number of Step calls so far (the k of the next
// optimizer step).
func (s *Scheduler) Steps() int { return s.k }

// Schedule returns the schedule being applied.
func (s *Scheduler) Schedule() Schedule { return s.sched }

func (s *Scheduler) apply(k int) error {
	if len(s.base) != s.opt.NumGroups() {
		return fmt.Errorf("optimizers: Scheduler: %w: the optimizer has %d groups (want %d, as when bound)", ErrSchedule, s.opt.NumGroups(), len(s.base))
	}
	for g, b := range s.base {
		lr := s.sched.LR(b, k)
		if !(lr >= 0) || math.IsInf(lr, 0) {
			return fmt.Errorf("optimizers: Scheduler: %w: step %d: group %d: lr = %v (want a finite lr >= 0)", ErrSchedule, k, g, lr)
		}
	}
	for g, b := range s.base {
		if err := s.opt.SetLR(g, s.sched.LR(b, k)); err != nil {
			return err
		}
	}
	return nil
}

// State exports the step count and the groups' base lrs.
func (s *Scheduler) State() (State, error) {
	st := newState("schedule")
	st.Ints["step"] = int64(s.k)
	for g, b := range s.base {
		st.Floats["base_lr/"+strconv.Itoa(g)] = b
	}
	return st, nil
}

// LoadState restores the step count and base lrs and sets the optimizer's
// lrs to the schedule's at that step. On error nothing changes.
func (s *Scheduler) LoadState(st State) error {
	if st.Kind != "schedule" {
		return stateErr("Scheduler", "kind %q (want %q)", st.Kind, "schedule")
	}
	k, ok := st.Ints["step"]
	if !ok || k < 0 || len(st.Ints) != 1 || k > math.MaxInt32 {
		return stateErr("Scheduler", "Ints %v (want exactly \"step\" >= 0)", st.Ints)
	}
	base, err := groupFloats("Scheduler", st, "base_lr", s.opt.NumGroups())
	if err != nil {
		return err
	}
	if len(st.Floats) != len(base) {
		return stateErr("Scheduler", "%d Floats (want %d base_lr/<group>)", len(st.Floats), len(base))
	}
	old := s.base
	s.base = base
	if err := s.apply(int(k)); err != nil {
		s.base = old
		return err
	}
	s.k = int(k)
	return nil
}
