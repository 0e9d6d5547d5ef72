#!/usr/bin/python3
"""Reference timing: batch norm and convolution, forward + backward, in PyTorch on this CPU.

Usage: /usr/bin/python3 torch_batchnorm.py [threads] [trials]
Needs Debian's python3-torch (apt-get install -y python3-torch); run with /usr/bin/python3.
One thread by default. Prints, per case and trial, microseconds per forward + backward of
loss = (op(x) * w).sum() in float32, as ops/bench_test.go (BenchmarkBatchNorm, BenchmarkConv2D)
does through a compiled descent program:
  batchnorm train|eval [128,256] and [32,16,28,28]: gradients of x, gamma, beta;
  conv 1->32 5x5 pad 2 on [128,1,28,28]: gradients of weight and bias (x is data);
  conv 32->64 5x5 pad 2 on [128,32,14,14]: gradients of x, weight and bias.
"""
import sys, time
import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
trials = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.manual_seed(0)
torch.set_num_threads(threads)
dt = torch.float32


def bench(name, layer, shape, x_grad=True, budget=0.5):
    x = torch.rand(*shape, dtype=dt) * 2 - 1
    x.requires_grad_(x_grad)
    w = torch.rand(*layer(x).shape, dtype=dt) + 0.5

    def step():
        if x.grad is not None:
            x.grad = None
        layer.zero_grad(set_to_none=True)
        (layer(x) * w).sum().backward()

    for _ in range(5):
        step()
    t = time.perf_counter()
    step()
    n = max(5, int(budget / max(time.perf_counter() - t, 1e-6)))
    for trial in range(trials):
        t = time.perf_counter()
        for _ in range(n):
            step()
        el = time.perf_counter() - t
        print(f"torch threads={threads} {name}: {el / n * 1e6:.1f} us/step")


for mode in ("train", "eval"):
    for shape in ([128, 256], [32, 16, 28, 28]):
        bn = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(shape[1]).to(dt)
        bn.train(mode == "train")
        bench(f"batchnorm {mode} [{','.join(map(str, shape))}] f32", bn, shape)
bench("conv 1to32/28x28/k5p2/noDx f32", torch.nn.Conv2d(1, 32, 5, padding=2).to(dt), [128, 1, 28, 28], x_grad=False)
bench("conv 32to64/14x14/k5p2 f32", torch.nn.Conv2d(32, 64, 5, padding=2).to(dt), [128, 32, 14, 14], budget=2)
