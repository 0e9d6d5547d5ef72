package graph

import "github.com/descent-ml/descent/internal/parallel"

// SetThreads sets the number of threads a compiled program's ops use
// (matrix products, convolutions, elementwise ops and reductions above a
// size where splitting pays, and the optimizers' updates); 0 returns to
// the default: DESCENT_NUM_THREADS if set, else GOMAXPROCS, read at every
// op (so `go test -cpu 1,2` applies). It is process-wide, like GOMAXPROCS
// or torch.set_num_threads, and may be called at any time. Results are
// bit-identical for every thread count. More threads than cores is
// allowed. An error (n < 0, or absurdly large) changes nothing.
func SetThreads(n int) error { return parallel.SetThreads(n) }

// Threads returns the number of threads ops use now (see SetThreads).
func Threads() int { return parallel.Threads() }

// ThreadsEnvErr returns why DESCENT_NUM_THREADS was ignored (it is not an
// integer in [1, 4096]; a warning also went to stderr), or nil when it is
// unset or valid.
func ThreadsEnvErr() error { return parallel.EnvErr() }
