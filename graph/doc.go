// Package graph is descent's symbolic layer over gorgonia: build a model
// once as an expression graph with the batch (and sequence) dimensions
// left open, then run it forward and backward, to any order, on batches of
// any size.
//
// # Core types
//
//   - Graph owns the parameters (trainable, with seeded initialisers and
//     hierarchical names such as "mlp/dense0/w"), the buffers (non-trainable
//     state such as batch-norm running statistics), the inputs and the
//     expressions built on them. It has one float type, Float32 or Float64.
//   - Node is a symbolic value; builders combine nodes: arithmetic with
//     NumPy broadcasting, 25 elementwise functions, reductions over chosen
//     axes (Sum, Mean, Max, Min, Prod, LogSumExp, Var, Std, with *Keep
//     variants), Softmax/LogSoftmax over any axis, layout (Transpose,
//     SwapAxes, Reshape with -1, Squeeze, Unsqueeze, Concat, Stack, Split,
//     Slice, Pad, BroadcastTo), indexing (IndexSelect, Embedding, Gather,
//     OneHot, Where, MaskedFill, comparisons), batched MatMul, Argmax/TopK
//     and accuracy, and PyTorch's losses. Shapes may hold open dimensions
//     bound at run time: Batch, Seq and Open(k).
//   - Grad(y, wrt...) returns gradients as nodes, themselves
//     differentiable: gradient penalties, HVP (exact Hessian-vector
//     products) and Hessian are built on it. Every op's gradient is made
//     of ops, except a few fused kernels (batch norm, convolution, max
//     pooling) whose gradients say so (NoSecondOrder) if differentiated
//     again.
//   - Op is the extension point: Infer (types and shapes), Forward, and for
//     Differentiable ops a Backward that builds the input gradients from
//     other ops with the Builder's helpers. Package ops adds batch norm,
//     convolution, pooling and dropout this way; user code can too (Apply).
//   - Program compiles a loss and outputs: for each mode (Train, Eval),
//     gradient request and concrete shape of the open dimensions it lowers
//     the graph to a gorgonia ExprGraph, lets gorgonia.Grad derive the
//     backward pass symbolically, and caches the result (least recently
//     used first out, CompileOptions.MaxPrograms). Execution is descent's
//     own executor: buffers planned once per compiled program and reused,
//     ops run in order on the caller's goroutine, no allocation per step.
//     A memory budget (Config.MaxMemory) is checked before allocating.
//   - Tensor holds values: batches, parameters, outputs, gradients.
//   - GradCheck compares any gradient with central finite differences.
//   - ONNXOp is an op's ONNX (opset 17) form, written to an ONNXEmitter:
//     package export writes a graph as an ONNX model through it
//     (onnx.go, onnx_ops.go).
//
// # Conventions
//
// Dense weights are [in, out] and applied as x @ W + b (the transpose of
// torch.nn.Linear.weight); DefaultFans follows that layout, and
// torch's [out, in, kh, kw] for convolution kernels. Initialisers follow
// torch.nn.init's formulas. Losses follow torch.nn.MSELoss and
// torch.nn.CrossEntropyLoss (means over the batch). Gradients are
// overwritten by each backward pass, never accumulated (unlike PyTorch's
// .grad, there is nothing to zero). After a backward run every trainable
// parameter of the graph that this run did not differentiate has a nil
// gradient, as PyTorch's None (never one left by another program), and
// optimizers skip it. Each parameter owns its gradient tensor: clipping or
// editing one in place never changes another parameter's gradient or a
// later step's.
//
// # Errors
//
// Nothing here panics on user input. Builders record the first error in
// the graph (Graph.Err) and return a failed node that later builders pass
// on; Compile refuses a graph with an error. Errors wrap the sentinels
// ErrShape, ErrDType, ErrName, ErrGraph, ErrFeed and ErrRun; FeedError and
// OpError carry the details. A batch is checked against the inputs'
// declarations before anything runs, and a panic inside an op (gorgonia
// runs ops on its own goroutine, where a panic kills the process; descent's
// executor does not) is recovered and returned as ErrRun.
//
// # Concurrency
//
// A Graph is built by one goroutine. A Program is used by one goroutine at
// a time. Several Programs of one graph may run in Eval mode concurrently
// (each owns its buffers and only reads the parameters and buffers); a
// run in Train mode or with a backward pass updates the graph's buffers
// (batch-norm running statistics) and draws from its random stream, so
// only one runs at a time per graph: a second one meanwhile returns an
// error wrapping ErrBusy. Stepping the parameters (an optimizer) while
// another goroutine evaluates them is a data race the caller must avoid;
// a training loop claims the graph (Claim), so two loops cannot step one
// graph (ErrBusy again). Compilation is serialised internally (gorgonia's
// package state).
//
// # Threads
//
// Ops split their work over a persistent pool of worker goroutines
// (internal/parallel): the matrix products by output tiles, convolutions
// by images, elementwise ops, softmax, pooling, batch norm and the
// optimizers' updates by ranges, above a size where the split pays.
// SetThreads sets the number of threads (default: DESCENT_NUM_THREADS,
// else GOMAXPROCS). Unlike PyTorch, the results are bit-identical for any
// number of threads: every reduction is cut into chunks whose boundaries
// depend only on the problem's size, its partial results combined in a
// fixed order, and work that writes disjoint outputs computes each value
// with the same instructions whoever runs it. A training run gives the same
// weights with 1, 2 or 16 threads (bench/determinism_test.go checks it).
//
// # What we do not take from gorgonia
//
// gorgonia's TapeMachine frees every buffer on Reset, accumulates
// gradients across runs with BindDualValues, and runs ops on another
// goroutine; its weight initialisers seed from the clock. descent uses
// gorgonia's graph, type checking, topological sort and symbolic
// differentiation, and runs the result itself.
package graph
