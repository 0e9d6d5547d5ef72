package train

import (
	"errors"
	"fmt"
)

// ErrNonFinite is wrapped by NonFiniteError.
var ErrNonFinite = errors.New("non-finite loss")

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
