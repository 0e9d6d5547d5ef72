package optimizers

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns wraps one of them, so
// callers test the kind with errors.Is and read the details from the
// message or from the typed errors below (errors.As).
var (
	// ErrHyper: a hyperparameter is out of range or not finite (see HyperError).
	ErrHyper = errors.New("invalid hyperparameter")
	// ErrNonFiniteGrad: a gradient holds NaN or ±Inf (see NonFiniteGradError).
	// The step that met it updated nothing.
	ErrNonFiniteGrad = errors.New("non-finite gradient")
	// ErrParam: a parameter or its gradient does not fit (nil parameter, int
	// dtype, gradient of another shape or dtype, two parameters with one name,
	// optimizer state of another shape) (see ParamError).
	ErrParam = errors.New("bad parameter")
	// ErrState: a State does not fit the optimizer or schedule loading it.
	ErrState = errors.New("bad state")
	// ErrGroup: a parameter-group index is out of range.
	ErrGroup = errors.New("no such parameter group")
	// ErrSchedule: a schedule spec cannot be parsed, a schedule produced an
	// invalid lr, or a schedule was misused. (A schedule's out-of-range
	// value is a HyperError, ErrHyper.)
	ErrSchedule = errors.New("invalid schedule")
	// ErrUnknown: New or ParseSchedule was given a name it does not know.
	ErrUnknown = errors.New("unknown name")
)

// HyperError reports an invalid hyperparameter, as a constructor (of an
// optimizer or a schedule) or SetLR found it.
type HyperError struct {
	Optimizer string  // "Adam", "SGD", ... or a schedule's name
	Group     int     // 0: the main config; i >= 1: the i-th extra group
	Field     string  // the Go field name, e.g. "Beta2"
	Value     float64 // the offending value
	Want      string  // the valid range, e.g. "0 <= beta2 < 1"
}

func (e *HyperError) Error() string {
	if e.Group > 0 {
		return fmt.Sprintf("optimizers: %s: group %d: %s = %v (want %s)", e.Optimizer, e.Group, e.Field, e.Value, e.Want)
	}
	return fmt.Sprintf("optimizers: %s: %s = %v (want %s)", e.Optimizer, e.Field, e.Value, e.Want)
}

// Unwrap makes errors.Is(err, ErrHyper) true.
func (e *HyperError) Unwrap() error { return ErrHyper }

// NonFiniteGradError reports a parameter whose gradient holds NaN or ±Inf.
// The optimizer checks every gradient before it updates anything, so when
// Step returns this error no parameter and no state has changed.
type NonFiniteGradError struct {
	Optimizer string // "Adam", "SGD", ... or "ClipGradNorm"
	Param     string // the parameter's name
}

func (e *NonFiniteGradError) Error() string {
	return fmt.Sprintf("optimizers: %s: parameter %q: gradient holds NaN or Inf (nothing was updated)", e.Optimizer, e.Param)
}

// Unwrap makes errors.Is(err, ErrNonFiniteGrad) true.
func (e *NonFiniteGradError) Unwrap() error { return ErrNonFiniteGrad }

// ParamError reports a parameter the optimizer cannot update.
type ParamError struct {
	Optimizer string
	Param     string // the parameter's name ("" for a nil parameter)
	Index     int    // its index in the slice given to Step
	Reason    string // what is wrong, with got/want
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("optimizers: %s: parameter %q (index %d): %s", e.Optimizer, e.Param, e.Index, e.Reason)
}

// Unwrap makes errors.Is(err, ErrParam) true.
func (e *ParamError) Unwrap() error { return ErrParam }
