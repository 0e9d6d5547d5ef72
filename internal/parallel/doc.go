// Package parallel is descent's intra-op thread pool: a fixed set of
// worker goroutines, started once and reused by every op (no goroutine per
// op, no allocation per call), and the rules that keep results
// bit-identical for any number of threads.
//
// # Core API
//
//   - Task is work cut into chunks: Do(worker, chunk) runs one chunk.
//   - Run(t, chunks, workers) runs every chunk on up to workers workers,
//     the caller being worker 0, and returns when all are done. A panic in
//     a chunk is re-raised on the caller's goroutine (where descent's
//     executor turns it into an error), never on a worker's, where it
//     would kill the process.
//   - Threads and SetThreads read and set the number of threads: an
//     explicit SetThreads(n), else DESCENT_NUM_THREADS, else GOMAXPROCS at
//     the time of each call (so `go test -cpu 1,2` changes it). A value of
//     DESCENT_NUM_THREADS that is not a positive integer is reported once on
//     stderr and by EnvErr, and GOMAXPROCS is used: a typo in an
//     environment variable must not kill a training run.
//   - Split and Workers help an op choose chunks and workers.
//
// # Determinism
//
// The pool gives each worker a home run of chunks (worker w of W takes
// chunks [w·n/W, (w+1)·n/W) first, so a chunk tends to run on the same
// core call after call), and the workers that finish take what is left
// of the others' runs: which worker runs a chunk still depends on
// timing. Results stay bit-identical because callers follow two rules,
// which every kernel of descent obeys:
//
//  1. A chunk's result depends only on the chunk's index and the inputs,
//     never on the worker that runs it (per-worker scratch is fully
//     overwritten before it is read).
//  2. Chunk boundaries depend only on the problem size, never on the
//     number of workers; a reduction writes one partial result per chunk
//     and the caller combines them in chunk order.
//
// Work writing disjoint outputs (GEMM tiles, elementwise ops) may be cut
// into as many chunks as convenient; reductions use Split's fixed
// partition.
//
// # Nesting and concurrency
//
// One job runs on the pool at a time. A Run while the pool is busy (a Run
// inside a chunk, or from another goroutine, such as two Programs
// evaluating concurrently) runs its chunks on the calling goroutine,
// serially: nested parallelism costs nothing and cannot deadlock, and by
// the rules above gives the same bits.
//
// # Why global state
//
// The pool is a process resource, like GOMAXPROCS, torch.set_num_threads
// or OPENBLAS_NUM_THREADS: one pool per program or graph would oversubscribe
// the cores as soon as two of them run. graph.SetThreads is the public
// entry point.
package parallel
