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
//   - BenchmarkInference/{mlp,cnn}/batch=N: eval-mode forward passes, in
//     examples/s.
//
// The backend is the build's (pure Go by default, OpenBLAS with -tags
// openblas); compare one thread with GOMAXPROCS=1 OPENBLAS_NUM_THREADS=1.
// PyTorch's figures for the same shapes come from the scripts in
// ../shared/bench and bench/*.py, run in the same sitting.
//
// Optimizers are benchmarked by package optbench ("descent bench
// optimizers").
package bench
