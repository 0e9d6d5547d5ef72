package train

import (
	"errors"
	"fmt"
)

// ErrNonFinite is wrapped by NonFiniteError.
var ErrNonFinite = errors.New("non-finite loss")

// ErrMismatch: a resumed run's settings differ from its checkpoint's (see
// MismatchError).
var ErrMismatch = errors.New("the run does not match its checkpoint")

// ErrNothingToDo: a resumed run asks for no more epochs than are done.
var ErrNothingToDo = errors.New("nothing left to train")

// ErrInterrupted: the context was cancelled; a checkpoint was written when
// a CheckpointDir is set.
var ErrInterrupted = errors.New("training interrupted")

// NonFiniteError stops training when a step's loss is NaN or infinite.
type NonFiniteError struct {
	Epoch int     // 1-based
	Step  int     // optimizer steps taken before this one, over the whole run
	Loss  float64 // the offending loss
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("train: epoch %d, step %d: loss is %v (lower the learning rate, or clip gradients)", e.Epoch, e.Step, e.Loss)
}

// Unwrap makes errors.Is(err, ErrNonFinite) true.
func (e *NonFiniteError) Unwrap() error { return ErrNonFinite }
