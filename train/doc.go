// Package train is descent's training loop, used by the CLI, the examples
// and the benchmarks: epochs over shuffled minibatches (gradient descent
// when one batch holds all the data), any optimizer and learning-rate
// schedule, gradient clipping, gradient accumulation over micro-batches,
// an exponential moving average of the weights, per-epoch training and
// validation metrics, early stopping with the best weights restored, and
// checkpoints that resume bit-identically.
//
// What is trained is the caller's: Config.Forward builds the output from
// the inputs (by default the model's Forward of "x"), Config.Loss the loss
// from the output and the inputs (by default cross-entropy for a
// classification set, MSE for a regression one), Config.Metrics what is
// measured on validation sets (Accuracy, TopKAccuracy, ClassAccuracy, RMSE,
// MAE, R2, or your own Metric). The inputs are "x" (the dataset's X: float
// features, or Int token ids or user and item ids) and "y" (Int labels or
// float targets); sequence sets bind the sequence length per batch, each
// batch trimmed to its longest sequence.
//
// Rendering lives with the caller: Config.Hooks observe epochs and steps
// (package report has a progress line, metrics files and charts; package
// runs records runs), and Config.Log gets one line per epoch.
//
// Checkpoints (package checkpoint) hold the parameters and buffers, the
// optimizer and schedule state, the data order (shuffle stream and
// position), the graph's random stream (dropout masks), a pending gradient
// accumulation, the EMA, the history and the early-stopping counters: a
// run interrupted after any step (Ctrl-C in the CLI cancels the context)
// and resumed ends with the same bits as an uninterrupted one. Resuming
// checks the run's settings and the whole file before changing anything
// (ErrMismatch names what differs).
//
// One trainer steps a graph at a time (graph.Claim): a second one on the
// same graph gets graph.ErrBusy.
//
// Errors: a NaN or infinite loss stops training with a *NonFiniteError
// (naming the epoch, the step and the loss); cancellation returns an error
// wrapping ErrInterrupted after saving DIR/last.safetensors. Schedules step
// once per epoch, as torch's usual scheduler.step() per epoch; a Plateau
// schedule and early stopping watch the validation loss, or the training
// loss without a validation set.
package train
