package optimizers

import "github.com/descent-ml/descent/graph"

// Optimizer updates parameters in place from their gradients. It is the
// only thing the training loop needs: after a backward pass, call
// Step(g.Params()). A parameter whose Grad is nil (no gradient this step)
// or that is not Trainable is skipped, as PyTorch skips parameters whose
// grad is None. An optimizer defined outside this package works wherever a
// built-in does.
type Optimizer interface {
	Step(params []*graph.Param) error
}

// LRGroups is what learning-rate schedules need from an optimizer: the
// number of parameter groups and each group's current learning rate. Every
// built-in implements it; a custom optimizer that implements it can be
// scheduled like a built-in.
type LRGroups interface {
	// NumGroups returns the number of parameter groups (at least 1).
	NumGroups() int
	// LR returns group i's current learning rate (NaN if i is out of range).
	LR(group int) float64
	// SetLR sets group i's learning rate, used from the next Step on. It
	// returns an error wrapping ErrGroup or ErrHyper for a bad index or a
	// negative or non-finite lr.
	SetLR(group int, lr float64) error
}

// Stateful is implemented by every built-in optimizer and schedule: State
// exports everything a resumed run needs to continue bit-identically, and
// LoadState restores it (all or nothing: on error nothing changes).
type Stateful interface {
	State() (State, error)
	LoadState(State) error
}

// The built-ins implement every interface of the package.
var (
	_ Optimizer = (*SGD)(nil)
	_ Optimizer = (*Adam)(nil)
	_ Optimizer = (*RMSprop)(nil)
	_ Optimizer = (*Adagrad)(nil)
	_ Optimizer = (*RAdam)(nil)
	_ Optimizer = (*Adamax)(nil)
	_ Optimizer = (*NAdam)(nil)
	_ Optimizer = (*Lion)(nil)
	_ Optimizer = (*LBFGS)(nil)
	_ LRGroups  = (*SGD)(nil)
	_ LRGroups  = (*Adam)(nil)
	_ LRGroups  = (*RMSprop)(nil)
	_ LRGroups  = (*Adagrad)(nil)
	_ LRGroups  = (*RAdam)(nil)
	_ LRGroups  = (*Adamax)(nil)
	_ LRGroups  = (*NAdam)(nil)
	_ LRGroups  = (*Lion)(nil)
	_ LRGroups  = (*LBFGS)(nil)
	_ Stateful  = (*SGD)(nil)
	_ Stateful  = (*Adam)(nil)
	_ Stateful  = (*RMSprop)(nil)
	_ Stateful  = (*Adagrad)(nil)
	_ Stateful  = (*RAdam)(nil)
	_ Stateful  = (*Adamax)(nil)
	_ Stateful  = (*NAdam)(nil)
	_ Stateful  = (*Lion)(nil)
	_ Stateful  = (*LBFGS)(nil)
	_ Stateful  = (*Scheduler)(nil)
	_ Stateful  = (*Plateau)(nil)

	_ ClosureOptimizer = (*LBFGS)(nil)

	_ LRScheduler = (*Scheduler)(nil)
	_ LRScheduler = (*Plateau)(nil)
)
