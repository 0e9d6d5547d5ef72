// Package train is descent's training loop, used by the CLI, the examples
// and the benchmarks: epochs over shuffled minibatches (gradient descent
// when one batch holds all the data), any optimizer and learning-rate
// schedule, gradient clipping, per-epoch training and validation loss and
// accuracy, early stopping with the best weights restored, checkpoints that
// resume bit-identically, metrics files (CSV or JSON lines), a PNG plot of
// the curves, and a progress bar for terminals.
//
// Classification uses graph.SoftmaxCrossEntropy on the model's logits
// (accuracy is the argmax's), regression graph.MSE (no accuracy).
//
// Checkpoints (package checkpoint) hold the parameters and buffers, the
// optimizer and schedule state, the data order (shuffle stream and
// position), the graph's random stream (dropout masks), the history and the
// early-stopping counters: a run interrupted after any step — Ctrl-C in
// the CLI cancels the context — and resumed ends with the same bits as an
// uninterrupted one.
//
// Errors: a NaN or infinite loss stops training with a *NonFiniteError
// (naming the epoch, the step and the loss); cancellation returns an error
// wrapping ErrInterrupted after saving DIR/last.safetensors. Schedules step
// once per epoch, as torch's usual scheduler.step() per epoch; a Plateau
// schedule and early stopping watch the validation loss, or the training
// loss without a validation set.
package train
