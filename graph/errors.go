package graph

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error the package returns wraps one of them, so
// callers can test the kind with errors.Is and read the details in the message.
var (
	// ErrShape: a shape does not fit an op, a parameter or a bound batch.
	ErrShape = errors.New("shape mismatch")
	// ErrDType: a tensor or node has the wrong element type.
	ErrDType = errors.New("dtype mismatch")
	// ErrName: a parameter or input name is empty, malformed, unknown or taken.
	ErrName = errors.New("bad name")
	// ErrGraph: nodes from different graphs were combined, or a node is missing.
	ErrGraph = errors.New("graph misuse")
	// ErrFeed: a batch bound to a program is missing an input or has the wrong shape.
	ErrFeed = errors.New("bad feed")
	// ErrRun: an op failed while a program ran.
	ErrRun = errors.New("run failed")
	// ErrMemory: an allocation would exceed the graph's memory budget (see MemoryError).
	ErrMemory = errors.New("over the memory budget")
	// ErrBusy: the graph is used by another training loop or training run
	// (see the package doc on concurrency).
	ErrBusy = errors.New("graph in use")
	// ErrSecondOrder: an op's gradient cannot be differentiated again (a
	// second derivative through it was asked for: Grad of a Grad, HVP).
	ErrSecondOrder = errors.New("cannot be differentiated again")
)

// NoSecondOrder is what the Backward of an op's gradient op returns when
// that gradient cannot be differentiated again; op names the op.
func NoSecondOrder(op string) error {
	return fmt.Errorf("graph: the gradient of %s %w (it has no second derivative in descent)", op, ErrSecondOrder)
}

// FeedError reports an input whose bound tensor does not match its declaration.
type FeedError struct {
	Input string // the input's name
	Want  Shape  // declared shape (Batch for the batch dimension)
	Got   Shape  // shape of the tensor bound to it
	WantT DType
	GotT  DType
	Why   string // more detail, e.g. an open dimension bound differently by another input
}

func (e *FeedError) Error() string {
	if e.WantT != e.GotT {
		return fmt.Sprintf("graph: input %q: dtype %v (want %v)", e.Input, e.GotT, e.WantT)
	}
	msg := fmt.Sprintf("graph: input %q: shape %v (want %v)", e.Input, e.Got, e.Want)
	if e.Why != "" {
		msg += ": " + e.Why
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrFeed) true.
func (e *FeedError) Unwrap() error { return ErrFeed }

// OpError reports an op that failed at build or run time.
type OpError struct {
	Op   string // the op, e.g. "MatMul"
	Node string // the node's name, if it has one
	Err  error
}

func (e *OpError) Error() string {
	if e.Node != "" {
		return fmt.Sprintf("graph: %s (%s): %v", e.Op, e.Node, e.Err)
	}
	return fmt.Sprintf("graph: %s: %v", e.Op, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

// shapeErr builds the error an op's Infer returns for bad input shapes.
func shapeErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrShape}, args...)...)
}

func dtypeErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrDType}, args...)...)
}
