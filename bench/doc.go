// Package bench holds descent's performance benchmarks.
//
// Benchmarks (go test ./bench -bench . -benchmem; inputs from fixed seeds):
//
//   - BenchmarkMatMul/{raw,tensor,graph}/{f32,f64}/n=N: one n×n product
//     through the BLAS backend directly, through gorgonia's tensor.MatMul,
//     and through a compiled descent program, in GFLOP/s; .../mlp/... runs
//     the MLP's forward and backward products (with transposes).
//   - BenchmarkTrainStep/{mlp,cnn}: one training step (forward, backward,
//     SGD momentum update) of the MLP 784-256-128-10 and of the CNN preset
//     on a batch of 128 MNIST-shaped inputs, float32.
//   - BenchmarkTrainStep/{mlp-bn,cnn-bn,transformer}: the same with batch
//     norm, and the Transformer with Adam.
//   - BenchmarkInference/{mlp,cnn}/batch=N: eval-mode forward passes, in
//     examples/s.
//   - BenchmarkScaling/<workload>/threads=N: sgemm n=512 and 1024, the MLP
//     and CNN steps at 1..GOMAXPROCS threads (graph.SetThreads).
//
// Threads: descent's ops use GOMAXPROCS threads unless DESCENT_NUM_THREADS
// or graph.SetThreads says otherwise, so "go test ./bench -bench . -cpu
// 1,2" measures every benchmark at one and two threads. Scaling (used by
// "descent bench scaling") times the scaling workloads per thread count
// and reports medians, spreads and speed-ups. The results do not depend on
// the thread count: TestThreadsSameWeights trains every built-in model
// with 1, 2 and 3 threads and compares the weights bit for bit, and
// TestStepsDoNotAllocate checks that no step allocates, at any count.
//
// The backend is the build's (pure Go by default, OpenBLAS with -tags
// openblas); compare one thread with GOMAXPROCS=1 OPENBLAS_NUM_THREADS=1.
// PyTorch's figures for the same shapes come from the scripts in
// ../shared/bench and bench/*.py (their first argument is the thread
// count), run in the same sitting by compare.sh at 1 and 2 threads.
//
// Optimizers are benchmarked by package optbench ("descent bench
// optimizers").
package bench
