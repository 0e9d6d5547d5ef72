// Package optbench benchmarks optimizers the way DeepOBS and AlgoPerf do:
// test problems with train, validation and test splits, their own
// metrics, budgets and targets; protocols that tune and score optimizers
// on them; a result store that makes runs resumable and shardable across a
// cluster; and a report with tables, significance notes and plots. One Go
// binary runs it locally (Main, "descent bench optimizers"), plans it for
// SLURM or any scheduler ("plan"), runs shards ("run") and merges
// ("merge").
//
// # Problems are data, protocols are code
//
// A Problem is one value: Load (the splits), Build (model and loss on
// descent's graph), Metric, BatchSize, Budget, EvalEvery, Target. The
// built-ins (NewRegistry) are DeepOBS's quadratic_deep (its exact data,
// embedded), the 2-D Rosenbrock and Beale functions (exact and DeepOBS's
// noisy two_d_ versions), DeepOBS's mnist_logreg, mnist_mlp and mnist_2c2d
// (descent's CNN preset), and AlgoPerf's MNIST development workload (its
// MLP and its 97% validation-accuracy target). Each one's Source says how
// the port differs from the original.
//
// An Optimizer is one value too: its hyperparameters with their defaults
// (torch's names), its search space, and Build, which returns a fresh
// optimizers.Optimizer for a Setting. Every built-in optimizer of package
// optimizers is registered with all its hyperparameters (sgd, momentum,
// nesterov, adam, adamw, nadam, radam, adamax, lion, rmsprop, adagrad,
// lbfgs), so the CLI (--set adam.beta1=0.95) and sweep files reach every
// one. A Registry holds problems, optimizers and suites; it is a value
// passed to MainWith and the Runner, never package state, so a problem or
// optimizer defined in your own Go code is one AddProblem or AddOptimizer
// call and joins every protocol (see the example).
//
// A Protocol plans trials in stages and reports them:
//
//   - oneshot: each contender with its defaults over Seeds seeds (5): the
//     out-of-the-box view of Crowded Valley (Schmidt et al. 2021).
//   - deepobs: the learning rate tuned on a log grid (DeepOBS's 36 points
//     from 1e-5 to 1e2) with one seed, the best final validation metric
//     rerun with 10 seeds, test metric mean ± std, DeepOBS's speed, and the
//     tuneability view (relative performance across the grid).
//   - algoperf: Trials x Studies quasi-random points (AlgoPerf's Halton
//     construction) of each search space, each trained to the validation
//     target; per study the fastest, per problem the median; performance
//     profiles rho(tau), tau in [1, 4], times over 4x the best as infinite,
//     and the area score (AlgoPerf's scoring code).
//
// A Sweep (JSON: --sweep FILE; or a suite: --suite quick|full) names the
// protocols, problems (with budget overrides), contenders (optimizer,
// fixed hyperparameters, search space, grid) and settings; Resolve turns it
// into a Plan against a Registry. Zero fields take defaults.
//
// # Trials, determinism and the store
//
// A Trial is a full configuration (problem, budget, optimizer, every
// hyperparameter, seed, stopping rule, CodeVersion); its Key hashes all of
// it. A trial builds its own graph (initial weights from the seed), its
// own batch order (a PCG stream derived from the seed) and runs
// single-threaded arithmetic, so its Outcome (the evaluation curve,
// divergence, steps to target) is bit-identical however many workers,
// shards or machines run the sweep; the tests check 1 against 3 workers,
// and the SLURM test a 4-task job array against a local run. Timing (the
// trial thread's CPU time, wall time, the cost of one SGD step on the same
// model measured in the same trial) is kept apart and never compared.
//
// The Store keeps one JSON file per trial, written to a temporary file and
// renamed into place, so concurrent workers and SLURM tasks on a shared
// file system never corrupt it and Ctrl-C loses at most the running
// trials; a rerun skips what is there. "plan" writes the sweep into the
// store (sweep.json) for "run --shard i/N" and "merge" to read; stages
// that depend on earlier results (DeepOBS's reruns) are planned when those
// results are in the store, so the SLURM submit script runs the array once
// per stage, chained with --dependency=afterok.
//
// # Clocks
//
// Budgets and steps to target count gradient evaluations (one per batch
// for first-order methods; every closure call of L-BFGS). The second clock
// is training CPU time over the CPU time of one SGD step measured in the
// same trial ("SGD steps"): wall time on a shared machine is mostly noise,
// and CPU time alone depends on the machine. The deterministic report
// (report.md) uses steps; timing.md scores on CPU time.
//
// # Errors
//
// Nothing panics on user input: unknown names, bad hyperparameters
// (checked by building the optimizer once when a sweep is resolved),
// malformed sweep files (unknown fields are errors) and bad flags are
// errors, usage errors with a one-line hint (IsUsage). A diverging trial
// (non-finite loss or gradient) is a result, recorded and reported as
// such; any other trial error stops the run, keeping what finished.
//
// # References
//
// Schneider, Balles & Hennig 2019, "DeepOBS: a deep learning optimizer
// benchmark suite" (ICLR; github.com/fsschneider/DeepOBS v1.1 baselines and
// v1.2 Tuner); Schmidt, Schneider & Hennig 2021, "Descending through a
// Crowded Valley" (ICML); Dahl et al. 2023, "Benchmarking Neural Network
// Training Algorithms" (AlgoPerf; github.com/mlcommons/algorithmic-
// efficiency: workloads/mnist, halton.py, scoring/performance_profile.py);
// Bergstra & Bengio 2012 and arXiv 1706.03200 (quasi-random search); Dolan
// & Moré 2002 (performance profiles).
package optbench
